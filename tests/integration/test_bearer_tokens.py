"""Bearer tokens at the gate: anything less than a valid token of the trusted issuer is 401 and changes nothing.

Each refused token is sent to `POST /api/tenants` (which an accepted organization-owner token could use) and to
`GET /api/me`; the admin then checks that no tenant was made. Forged tokens are built from a real token of the
emulator's development issuer: its claims re-signed with another key, unsigned, with a doctored payload, etc.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from azure_emulator.development_issuer import HOME_TENANT_ID, issuer_url
from azure_emulator.launcher import EmulatorProcess
from tests.conftest import Tokens
from tests.utils.function_client import FunctionClient, Reply

SKEW_S = 120  # what the validator tolerates on exp and nbf; the cases below stay far outside it
FAR_S = 3600


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_json(value: dict[str, Any]) -> str:
    return _b64url(json.dumps(value, separators=(",", ":")).encode())


@dataclass(frozen=True)
class Issuer:
    """What the emulator's development issuer publishes: its key id and public key, and a way to get tokens."""

    tokens: Tokens
    kid: str
    public_key: Any
    url: str

    def valid(self, name: str = "bearer-forger") -> str:
        return self.tokens.signed(name)

    def claims(self, name: str = "bearer-forger") -> dict[str, Any]:
        token = self.valid(name)
        assert jwt.get_unverified_header(token)["kid"] == self.kid
        return dict(jwt.decode(token, options={"verify_signature": False}))


@pytest.fixture(scope="module")
def issuer(azure_emulator: EmulatorProcess, tokens: Tokens) -> Issuer:
    with azure_emulator.session() as session:
        reply = session.get(f"{azure_emulator.base_url}/{HOME_TENANT_ID}/discovery/v2.0/keys", timeout=30)
    reply.raise_for_status()
    (jwk,) = reply.json()["keys"]
    return Issuer(
        tokens, jwk["kid"], RSAAlgorithm.from_jwk(json.dumps(jwk)), issuer_url(azure_emulator.base_url, HOME_TENANT_ID)
    )


def _new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _expired(issuer: Issuer) -> str:
    now = int(time.time())
    return issuer.tokens.signed(
        "bearer-late", claims={"iat": now - 2 * FAR_S, "nbf": now - 2 * FAR_S, "exp": now - FAR_S}
    )


def _just_past_the_skew(issuer: Issuer) -> str:
    now = int(time.time())
    return issuer.tokens.signed("bearer-late", claims={"iat": now - FAR_S, "nbf": now - FAR_S, "exp": now - 3 * SKEW_S})


def _not_yet_valid(issuer: Issuer) -> str:
    now = int(time.time())
    return issuer.tokens.signed("bearer-early", claims={"iat": now, "nbf": now + FAR_S, "exp": now + 2 * FAR_S})


def _wrong_signature(issuer: Issuer) -> str:
    """The issuer's claims and key id, signed with a key that is not the issuer's."""
    return jwt.encode(issuer.claims(), _new_key(), algorithm="RS256", headers={"kid": issuer.kid, "typ": "JWT"})


def _unknown_key_id(issuer: Issuer) -> str:
    kid = f"forged-{uuid.uuid4().hex}"
    return jwt.encode(issuer.claims(), _new_key(), algorithm="RS256", headers={"kid": kid, "typ": "JWT"})


def _alg_none(issuer: Issuer) -> str:
    header = {"alg": "none", "typ": "JWT", "kid": issuer.kid}
    return f"{_b64url_json(header)}.{_b64url_json(issuer.claims())}."


def _hs256_with_the_public_key(issuer: Issuer) -> str:
    """The old algorithm-confusion attack: HMAC keyed with the issuer's public key, which anyone can read."""
    header = {"alg": "HS256", "typ": "JWT", "kid": issuer.kid}
    signing_input = f"{_b64url_json(header)}.{_b64url_json(issuer.claims())}"
    pem = issuer.public_key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    signature = hmac.new(pem, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64url(signature)}"


def _tampered_payload(issuer: Issuer) -> str:
    """A valid token whose payload now names the organization owner, its signature kept."""
    header, payload, signature = issuer.valid().split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims.update(oid=issuer.tokens.principal_id("admin"), name="admin")
    return f"{header}.{_b64url_json(claims)}.{signature}"


def _bearer(make: Callable[[Issuer], str]) -> Callable[[Issuer], str]:
    return lambda issuer: f"Bearer {make(issuer)}"


SIGN_IN = "Sign in"  # the answer to a request without a bearer token at all

# each refused request: its Authorization header (None: no header at all) and why the answer says it was refused
REFUSED: dict[str, tuple[Callable[[Issuer], str | None], str]] = {
    "expired": (_bearer(_expired), "it has expired"),
    "expired just past the clock skew": (_bearer(_just_past_the_skew), "it has expired"),
    "not yet valid": (_bearer(_not_yet_valid), "it is not valid yet"),
    "wrong audience": (
        _bearer(lambda i: i.tokens.signed("bearer-aud", audience=f"api://{uuid.uuid4()}")),
        "it is for another audience",
    ),
    "wrong issuer": (
        _bearer(
            lambda i: i.tokens.signed(
                "bearer-iss", claims={"iss": f"https://login.microsoftonline.com/{uuid.uuid4()}/v2.0"}
            )
        ),
        "its issuer is not trusted",
    ),
    "another tenant of the issuer": (
        _bearer(lambda i: i.tokens.signed("bearer-tid", tenant_id=str(uuid.uuid4()))),
        "its issuer is not trusted",
    ),
    "wrong signature": (_bearer(_wrong_signature), "InvalidSignatureError"),
    "alg none": (_bearer(_alg_none), "it is not signed with RS256"),
    "HS256 keyed with the public key": (_bearer(_hs256_with_the_public_key), "it is not signed with RS256"),
    "key id the issuer does not publish": (_bearer(_unknown_key_id), "not one the issuer publishes"),
    "tampered payload": (_bearer(_tampered_payload), "InvalidSignatureError"),
    "no oid claim": (
        _bearer(lambda i: i.tokens.signed("bearer-no-oid", claims={"oid": None})),
        "it names no principal",
    ),
    "oid not a GUID": (
        _bearer(lambda i: i.tokens.signed("bearer-bad-oid", claims={"oid": "admin"})),
        "it names no principal",
    ),
    "no exp claim": (
        _bearer(lambda i: i.tokens.signed("bearer-no-exp", claims={"exp": None})),
        "MissingRequiredClaimError",
    ),
    "not a JWT": (lambda i: "Bearer not-a-jwt", "it is not a JSON Web Token"),
    "no Authorization header": (lambda i: None, SIGN_IN),
    "Basic scheme": (lambda i: "Basic xyz", SIGN_IN),
    "Bearer with nothing": (lambda i: "Bearer ", SIGN_IN),
}


def _anonymous(client: FunctionClient) -> FunctionClient:
    clone = copy.copy(client)
    clone.token = None
    return clone


def _unauthenticated(reply: Reply, *, invalid_token: bool) -> None:
    assert reply.status == 401, reply.text
    assert reply.error_code == "unauthenticated"
    challenge = reply.headers.get("WWW-Authenticate", "")
    assert challenge.startswith("Bearer"), reply.headers
    # RFC 6750: a request without credentials gets the bare challenge, a refused token `invalid_token`
    assert ('error="invalid_token"' in challenge) is invalid_token, challenge


def _secret_parts(authorization: str | None) -> list[str]:
    """What must never be logged: the token, and its signature on its own."""
    token = (authorization or "").partition(" ")[2].strip()
    parts = [token, token.rpartition(".")[2]] if len(token) > 16 else []
    return [part for part in parts if len(part) > 16]


@pytest.mark.parametrize("case", list(REFUSED))
def test_refused_tokens_are_401_and_change_nothing(
    client: FunctionClient, issuer: Issuer, case: str, caplog: pytest.LogCaptureFixture
) -> None:
    make, reason = REFUSED[case]
    authorization = make(issuer)
    headers = {} if authorization is None else {"Authorization": authorization}
    display_name = f"Forged {case} {uuid.uuid4().hex[:8]}"
    caller = _anonymous(client)

    with caplog.at_level(logging.DEBUG):
        created = caller.post("/api/tenants", {"displayName": display_name}, headers=headers)
        me = caller.get("/api/me", headers=headers)
        listed = client.get("/api/tenants")

    for reply in (created, me):
        _unauthenticated(reply, invalid_token=reason != SIGN_IN)
        assert reason in reply.json()["error"]["message"], f"refused for another reason: {reply.text}"
    assert listed.status == 200, listed.text
    assert display_name not in {t["displayName"] for t in listed.json()["value"]}, "a refused token made a tenant"

    logged = caplog.text + "\n".join(record.getMessage() for record in caplog.records)
    for secret in _secret_parts(authorization):
        assert secret not in logged, f"the token of '{case}' was logged"
        assert secret not in created.text + me.text, f"the token of '{case}' was echoed in the answer"


def test_a_valid_token_of_a_new_principal_is_accepted(
    client: FunctionClient, tokens: Tokens, caplog: pytest.LogCaptureFixture
) -> None:
    name = f"bearer-newcomer-{uuid.uuid4().hex[:8]}"
    token = tokens.signed(name)
    caller = _anonymous(client)

    with caplog.at_level(logging.DEBUG):
        reply = caller.get("/api/me", headers={"Authorization": f"Bearer {token}"})
        listed = caller.get("/api/tenants", headers={"Authorization": f"Bearer {token}"})

    assert reply.status == 200, reply.text
    me = reply.json()
    assert me["principalId"] == tokens.principal_id(name)
    assert me["name"] == name
    assert me["homeTenantId"] == HOME_TENANT_ID
    assert me["organizationOwner"] is False
    assert me["tenants"] == []
    assert listed.status == 200, listed.text
    assert listed.json()["value"] == []
    assert token not in caplog.text + "\n".join(record.getMessage() for record in caplog.records)


def test_the_scheme_name_is_case_insensitive(client: FunctionClient, tokens: Tokens) -> None:
    """RFC 7235: auth-scheme names are case-insensitive."""
    reply = _anonymous(client).get("/api/me", headers={"Authorization": f"bearer {tokens('bearer-lowercase')}"})
    assert reply.status == 200, reply.text
    assert reply.json()["principalId"] == tokens.principal_id("bearer-lowercase")
