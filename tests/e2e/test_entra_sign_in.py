"""A caller signs in with the configuration the documentation gives and a token shaped exactly as Entra's v2.0 one."""

from __future__ import annotations

import uuid

import jwt
import requests

from azure_emulator.development_issuer import APP_CLIENT_ID, HOME_TENANT_ID
from devhost.host import DevHost
from tests.conftest import Tokens


def test_an_entra_v2_token_for_the_documented_audience_signs_in(
    app_host: DevHost, azure_environment: dict[str, str], tokens: Tokens
) -> None:
    # the documentation: `AUTH_AUDIENCE` is the API's client id, `AUTH_ISSUERS` the tenant's v2.0 issuer
    assert azure_environment["AUTH_AUDIENCE"] == APP_CLIENT_ID
    assert azure_environment["AUTH_ISSUERS"].endswith(f"/{HOME_TENANT_ID}/v2.0")
    # every claim the access-token claims reference lists for a v2.0 user token, and none else
    # (https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference)
    portal_client = str(uuid.uuid4())
    token = tokens.signed(
        "admin",
        audience=APP_CLIENT_ID,  # the client id, never api://<client id>
        claims={"azp": portal_client, "azpacr": "0", "ver": "2.0", "scp": "access_as_user"},
    )
    claims = jwt.decode(token, options={"verify_signature": False})
    assert set(claims) == {
        "aud",
        "iss",
        "iat",
        "nbf",
        "exp",
        "aio",
        "azp",
        "azpacr",
        "name",
        "oid",
        "preferred_username",
        "rh",
        "scp",
        "sub",
        "tid",
        "uti",
        "ver",
    }
    assert (claims["aud"], claims["ver"], claims["iss"]) == (APP_CLIENT_ID, "2.0", azure_environment["AUTH_ISSUERS"])
    me = requests.get(f"{app_host.base_url}/api/me", headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert me.status_code == 200, me.text
    assert me.json()["principalId"] == tokens.principal_id("admin")


def test_a_token_for_the_application_id_uri_is_not_what_entra_v2_issues_and_is_refused(
    app_host: DevHost, tokens: Tokens
) -> None:
    token = tokens.signed("admin", audience=f"api://{APP_CLIENT_ID}")
    me = requests.get(f"{app_host.base_url}/api/me", headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert me.status_code == 401
