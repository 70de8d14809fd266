"""The development issuer: RS256 user access tokens for the app's own API, shaped like Entra ID v2.0 access tokens.

The app validates them exactly as it validates Entra's: signature against the keys published at the tenant's
`jwks_uri` (`/{tenant}/discovery/v2.0/keys`), then `iss`, `aud`, `exp` and `nbf`. Nothing in the app knows the
tokens are not Entra's; only the issuer URL in its settings differs.

This module imports nothing else of the emulator, so the launcher (outside the emulator process) and the identity
routes (inside it) can both use its names without an import cycle.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import time
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

APP_CLIENT_ID = "6a4a0c2e-5f0b-4c1e-9d55-0c1d2e3f4a5b"  # the app registration the emulator knows the app as
# A v2.0 access token's `aud` is the API's client id, never its Application ID URI (the `aud` row of
# https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference); the URI only names scopes
APP_API_AUDIENCE = APP_CLIENT_ID
APP_ID_URI = f"api://{APP_CLIENT_ID}"  # the app registration's Application ID URI, as a scope names the API
HOME_TENANT_ID = "7e0e0a5e-3d1c-4c4f-9a7e-000000000001"  # the emulator's own tenant: its managed identity's home
KEY_FILE_NAME = "development-issuer-key.pem"
LIFETIME_S = 3600  # Entra gives user access tokens 60-90 minutes
SCOPE = "access_as_user"
USERNAME_DOMAIN = "emulator.local"


def user_object_id(name: str) -> str:
    """The object id (`oid`) of the principal called `name`: the same on every run, so the app's data about a user
    (an admin bootstrapped by id, a Cloud PC's owner) survives an emulator restart."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{HOME_TENANT_ID}/users/{name}"))


def issuer_url(base_url: str, tenant_id: str) -> str:
    """The `iss` of a v2.0 token for `tenant_id`: what the tenant's OpenID configuration names as `issuer`."""
    return f"{base_url}/{tenant_id}/v2.0"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_uint(value: int) -> str:
    return _b64url(value.to_bytes((value.bit_length() + 7) // 8 or 1, "big"))


def _load_or_make_key(key_file: Path | None) -> rsa.RSAPrivateKey:
    """The key in `key_file`, made there (readable by its owner only) on first use; a fresh one without a file."""
    if key_file is None:
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if not key_file.exists():
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        key_file.parent.mkdir(parents=True, exist_ok=True)
        # created 0600 and exclusively: the private key is never readable by others, not even for a moment, and
        # of two emulators starting on one folder the second reads the first one's key instead of replacing it
        try:
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "wb") as out:
                out.write(pem)
            return key
    loaded = serialization.load_pem_private_key(key_file.read_bytes(), password=None)
    if not isinstance(loaded, rsa.RSAPrivateKey):
        raise ValueError(f"{key_file} does not hold an RSA private key")
    return loaded


class DevelopmentIssuer:
    """Signs user access tokens with an RSA 2048 key kept in the state folder (so tokens, and the keys apps have
    cached, outlive a restart) or, with no folder (`--in-memory`), in memory only."""

    def __init__(self, state_dir: Path | None, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._key = _load_or_make_key(state_dir / KEY_FILE_NAME if state_dir else None)
        numbers = self._key.public_key().public_numbers()
        self._n, self._e = _b64url_uint(numbers.n), _b64url_uint(numbers.e)
        # RFC 7638 thumbprint: derived from the public key alone, so it is stable for as long as the key is
        required = json.dumps({"e": self._e, "kty": "RSA", "n": self._n}, separators=(",", ":"), sort_keys=True)
        self.kid = _b64url(hashlib.sha256(required.encode("ascii")).digest())

    def jwks(self) -> dict[str, Any]:
        """The public keys, as Entra publishes them at `/{tenant}/discovery/v2.0/keys`."""
        return {"keys": [{"kty": "RSA", "use": "sig", "kid": self.kid, "n": self._n, "e": self._e, "alg": "RS256"}]}

    def claims_for(
        self,
        name: str,
        *,
        base_url: str,
        tenant_id: str = HOME_TENANT_ID,
        audience: str = APP_API_AUDIENCE,
        lifetime_s: int = LIFETIME_S,
        claims: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """The claims of `name`'s access token; `claims` is merged last and a claim set to None is left out."""
        now = int(self._clock())
        object_id = user_object_id(name)
        found: dict[str, Any] = {
            "aud": audience,
            "iss": issuer_url(base_url, tenant_id),
            # `aio` and `rh` are opaque claims Entra puts in every v2.0 access token (access-token claims reference)
            "aio": _b64url(secrets.token_bytes(24)),
            "iat": now,
            "nbf": now,
            "exp": now + lifetime_s,
            "azp": APP_CLIENT_ID,
            "azpacr": "0",
            "name": name,
            "oid": object_id,
            "preferred_username": f"{name}@{USERNAME_DOMAIN}",
            "rh": f"0.{_b64url(secrets.token_bytes(24))}.",
            "scp": SCOPE,
            # Entra's `sub` is pairwise (per user and app) and differs from `oid`: an app that keys users by `sub`
            # instead of tid+oid shows up here as it would in Azure
            "sub": _b64url(hashlib.sha256(f"{object_id}/{audience}".encode()).digest()),
            "tid": tenant_id,
            "uti": _b64url(secrets.token_bytes(16)),
            "ver": "2.0",
        }
        found.update(claims or {})
        return {key: value for key, value in found.items() if value is not None}

    def sign(self, claims: Mapping[str, Any]) -> str:
        """A compact JWS of `claims`, RS256, its header naming the key that verifies it."""
        return jwt.encode(dict(claims), self._key, algorithm="RS256", headers={"kid": self.kid, "typ": "JWT"})

    def verify(self, token: str, audiences: list[str]) -> dict[str, Any] | None:
        """The claims of a token this issuer signed for one of `audiences` that has not expired; None otherwise."""
        try:
            claims: dict[str, Any] = jwt.decode(
                token, self._key.public_key(), algorithms=["RS256"], audience=audiences, leeway=30
            )
        except jwt.PyJWTError:
            return None
        return claims

    def issue(
        self,
        name: str,
        *,
        base_url: str,
        tenant_id: str = HOME_TENANT_ID,
        audience: str = APP_API_AUDIENCE,
        lifetime_s: int = LIFETIME_S,
        claims: Mapping[str, Any] | None = None,
    ) -> tuple[str, dict[str, Any]]:
        """`name`'s signed access token and its claims (after the overrides)."""
        found = self.claims_for(
            name, base_url=base_url, tenant_id=tenant_id, audience=audience, lifetime_s=lifetime_s, claims=claims
        )
        return self.sign(found), found
