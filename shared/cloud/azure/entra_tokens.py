"""Microsoft Entra ID access tokens: checked against the trusted issuers' published signing keys."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import jwt
import requests
from jwt.algorithms import RSAAlgorithm

from shared.cloud.azure.transport import ENTRA_PATIENCE
from shared.errors import ErrorDetail, Unauthenticated, Unavailable
from shared.models.access import Caller, ManagedIdentity
from shared.models.base import is_guid

log = logging.getLogger(__name__)
ALGORITHMS = ["RS256"]  # what Entra ID signs access tokens with; `none` and shared-secret algorithms are refused
LEEWAY_S = 120  # clock skew allowed on exp and nbf
REFETCH_AFTER_S = 60  # an unknown key id fetches the keys again, at most this often per issuer (keys rotate)


def _refused(reason: str) -> Unauthenticated:
    message = f"The access token was refused: {reason}."
    return Unauthenticated(message, code="unauthenticated", details=[ErrorDetail("invalidToken", message)])


def _bearer(authorization: str | None) -> str:
    scheme, _, token = (authorization or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated(
            "Sign in: send a Microsoft Entra ID access token as 'Authorization: Bearer <token>'.",
            code="unauthenticated",
        )
    return token.strip()


class _IssuerKeys:
    """One issuer's signing keys by key id, fetched through its OpenID configuration and cached."""

    def __init__(self, issuer: str) -> None:
        self.issuer = issuer
        self.keys: dict[str, Any] = {}
        self.fetched_at: float | None = None


class EntraTokenValidator:
    """Validates bearer tokens as Entra ID issues them: RS256 signature, issuer, audience, exp and nbf."""

    def __init__(
        self,
        issuers: Sequence[str],
        audiences: Sequence[str],
        organization_owners: frozenset[str],
        *,
        authority_host: str = "login.microsoftonline.com",
        session: requests.Session | None = None,
        clock: Callable[[], float] = time.time,
        managed_identity_audience: str | None = None,
    ) -> None:
        self._issuers = {issuer.rstrip("/"): _IssuerKeys(issuer.rstrip("/")) for issuer in issuers}
        self._authority = authority_host.strip().removeprefix("https://").rstrip("/").lower()
        self._tenant_issuers: dict[str, _IssuerKeys] = {}  # the served tenants' own, for their managed identities
        self._audiences = list(audiences)
        # a customer's managed identity asks for the app it consented to (APP_CLIENT_ID), whose principal is there
        self._managed_identity_audiences = [managed_identity_audience] if managed_identity_audience else self._audiences
        self._owners = organization_owners
        self._session = session or requests.Session()
        self._clock = clock
        self._lock = threading.Lock()

    def caller(self, authorization: str | None) -> Caller:
        """The caller an `Authorization` header names; Unauthenticated for anything less than a valid token."""
        claims = self._claims(_bearer(authorization), self._issuers.get)
        principal = claims.get("oid")
        if not isinstance(principal, str) or not is_guid(principal):
            raise _refused("it names no principal (oid)")
        name = next(
            (claims[c] for c in ("name", "preferred_username", "upn", "app_displayname") if claims.get(c)), None
        )
        return Caller(
            principal_id=principal.lower(),
            home_tenant_id=claims.get("tid"),
            name=str(name) if name else None,
            organization_owner=principal.lower() in self._owners,
        )

    def managed_identity(self, authorization: str | None, serves: Callable[[str], bool]) -> ManagedIdentity:
        """The Azure resource whose managed identity sent the token: one for this app's API, issued on the app's
        authority by the Entra tenant it names (`tid`), a tenant the app `serves`; Unauthenticated otherwise."""
        token = _bearer(authorization)
        try:
            tenant = str(jwt.decode(token, options={"verify_signature": False}).get("tid") or "")
        except jwt.PyJWTError:
            raise _refused("it is not a JSON Web Token") from None
        if not is_guid(tenant) or not serves(tenant):
            raise _refused("its tenant is not one this app serves")
        issuer = f"https://{self._authority}/{tenant}/v2.0"
        with self._lock:  # one issuer a served tenant: their number is the app's tenants'
            keys = self._tenant_issuers.setdefault(issuer, _IssuerKeys(issuer))
        claims = self._claims(token, {issuer: keys}.get, self._managed_identity_audiences)
        principal = claims.get("oid")
        if not isinstance(principal, str) or not is_guid(principal):
            raise _refused("it names no principal (oid)")
        if claims.get("idtyp") not in (None, "app") or claims.get("scp") is not None:
            raise _refused("it is no application's token (a person's has scp)")
        return ManagedIdentity(entra_tenant_id=tenant, principal_id=principal.lower())

    def _claims(
        self, token: str, trusted: Callable[[str], _IssuerKeys | None], audiences: list[str] | None = None
    ) -> dict[str, Any]:
        try:
            # header and claims in one parse; the signature is checked below, once the issuer's key is known
            parsed = jwt.decode_complete(token, options={"verify_signature": False})
            header, unverified = parsed["header"], parsed["payload"]
        except jwt.PyJWTError:
            raise _refused("it is not a JSON Web Token") from None
        if header.get("alg") not in ALGORITHMS:
            raise _refused(f"it is not signed with {', '.join(ALGORITHMS)}")
        issuer = str(unverified.get("iss", "")).rstrip("/")
        keys = trusted(issuer)
        if keys is None:
            raise _refused("its issuer is not trusted")
        key = self._key(keys, str(header.get("kid", "")))
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=ALGORITHMS,
                audience=audiences or self._audiences,
                issuer=str(unverified.get("iss")),
                leeway=LEEWAY_S,
                options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError:
            raise _refused("it has expired") from None
        except jwt.ImmatureSignatureError:
            raise _refused("it is not valid yet") from None
        except jwt.InvalidAudienceError:
            raise _refused("it is for another audience") from None
        except jwt.PyJWTError as exc:
            raise _refused(f"it is not valid ({type(exc).__name__})") from None
        return claims

    def _key(self, keys: _IssuerKeys, kid: str) -> Any:
        with self._lock:
            key = keys.keys.get(kid)
            stale = keys.fetched_at is None or self._clock() - keys.fetched_at >= REFETCH_AFTER_S
            if key is None and stale:
                keys.keys = self._fetch(keys.issuer)
                keys.fetched_at = self._clock()
                key = keys.keys.get(kid)
        if key is None:
            raise _refused("its signing key is not one the issuer publishes")
        return key

    def _fetch(self, issuer: str) -> dict[str, Any]:
        try:
            config = self._get(f"{issuer}/.well-known/openid-configuration")
            published = self._get(str(config["jwks_uri"]))
        except (requests.RequestException, KeyError, ValueError) as exc:
            log.warning("The signing keys of %s could not be read (%s)", issuer, type(exc).__name__)
            raise Unavailable(
                "The token issuer's signing keys cannot be read right now; try again shortly.",
                code="serviceUnavailable",
            ) from None
        keys = {}
        for jwk in published.get("keys", []):
            if jwk.get("kty") == "RSA" and jwk.get("kid") and jwk.get("use", "sig") == "sig":
                keys[str(jwk["kid"])] = RSAAlgorithm.from_jwk(json.dumps(jwk))
        log.info("Read %d signing keys of %s", len(keys), issuer)
        return keys

    def _get(self, url: str) -> dict[str, Any]:
        reply = self._session.get(url, timeout=(ENTRA_PATIENCE.connect_s, ENTRA_PATIENCE.read_s))
        reply.raise_for_status()
        body: dict[str, Any] = reply.json()
        return body
