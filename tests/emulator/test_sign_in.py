"""The development issuer's sign-in for browser apps: Entra's authorization code flow with PKCE, over HTTPS, as a
single-page app's OpenID Connect client drives it (no redirect followed: each hop is checked)."""

from __future__ import annotations

import base64
import hashlib
import secrets
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
import requests

from azure_emulator.authorizations import CODE_LIFETIME_S, SESSION_LIFETIME_S, Authorizations, SignedIn
from azure_emulator.development_issuer import APP_API_AUDIENCE, APP_ID_URI, HOME_TENANT_ID, issuer_url, user_object_id
from azure_emulator.launcher import BOOTSTRAP_ADMIN, EmulatorProcess
from shared.cloud.azure.entra_tokens import EntraTokenValidator
from tests.emulator.test_development_issuer import openid_configuration, published_keys, verify
from tests.utils.arm_admin import Controls

CLIENT_ID = "0f3c6a9e-2b7d-4e61-8a45-5d9c1e2f7a10"  # the portal's registration, as a single-page app
REDIRECT_URI = "http://localhost:5173/auth/callback"
API_SCOPE = f"{APP_ID_URI}/access_as_user"  # a scope names the API by its Application ID URI
SCOPE = f"{API_SCOPE} openid profile offline_access"
TENANT = HOME_TENANT_ID


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def url(emu: EmulatorProcess, endpoint: str, tenant: str = TENANT) -> str:
    return f"{emu.base_url}/{tenant}/oauth2/v2.0/{endpoint}"


def query(location: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}


class Flow:
    """One sign-in: the authorize request's parameters and its PKCE verifier."""

    def __init__(self, emu: EmulatorProcess, http: requests.Session, tenant: str = TENANT, **params: str) -> None:
        self.emu, self.http, self.tenant = emu, http, tenant
        self.verifier, challenge = pkce()
        self.params = {
            "client_id": CLIENT_ID,
            "redirect_uri": REDIRECT_URI,
            "response_type": "code",
            "scope": SCOPE,
            "state": secrets.token_hex(8),
            "nonce": secrets.token_hex(8),
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            **params,
        }

    def page(self, **extra: str) -> requests.Response:
        params = {**self.params, **extra}
        return self.http.get(url(self.emu, "authorize", self.tenant), params=params, allow_redirects=False, timeout=30)

    def post(self, **fields: str) -> requests.Response:
        data = {**self.params, "username": "alice", **fields}
        return self.http.post(url(self.emu, "authorize", self.tenant), data=data, allow_redirects=False, timeout=30)

    def code(self, name: str = "alice") -> str:
        response = self.post(username=name)
        assert response.status_code == 302, response.text
        return query(response.headers["Location"])["code"]

    def redeem(self, code: str, tenant: str | None = None, **fields: str) -> requests.Response:
        data = {
            "grant_type": "authorization_code",
            "code": code,
            "client_id": CLIENT_ID,
            "redirect_uri": REDIRECT_URI,
            "code_verifier": self.verifier,
            **fields,
        }
        return self.http.post(url(self.emu, "token", tenant or self.tenant), data=data, timeout=30)

    def tokens(self, name: str = "alice") -> dict[str, Any]:
        response = self.redeem(self.code(name))
        assert response.status_code == 200, response.text
        return dict(response.json())


@pytest.fixture
def http(azure_emulator: EmulatorProcess) -> Iterator[requests.Session]:
    with azure_emulator.session() as session:
        yield session


@pytest.fixture
def flow(azure_emulator: EmulatorProcess, http: requests.Session) -> Flow:
    return Flow(azure_emulator, http)


def refused_grant(response: requests.Response, code: int) -> None:
    assert response.status_code == 400, response.text
    body = response.json()
    assert (body["error"], body["error_codes"]) == ("invalid_grant", [code])


def test_the_authorize_page_is_a_small_accessible_sign_in_form(flow: Flow):
    flow.params["state"] = '"><script>alert(1)</script>'
    response = flow.page(login_hint="bob@emulator.local")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    page = response.text
    assert "<h1>Sign in to the Azure emulator</h1>" in page
    assert "stands in for Microsoft Entra ID" in page
    assert f'<form method="post" action="/{TENANT}/oauth2/v2.0/authorize">' in page
    assert '<label for="username">User name</label>' in page
    assert '<input id="username" name="username" type="text" value="bob"' in page
    assert '<button type="submit">Sign in</button>' in page
    for name in ("admin", "alice", "bob"):
        assert f'name="principal" value="{name}"' in page
    assert "organization owner in the development settings" in page
    for key in ("client_id", "redirect_uri", "scope", "nonce", "code_challenge", "code_challenge_method"):
        assert f'<input type="hidden" name="{key}" value="{flow.params[key]}">' in page
    assert "<script>" not in page  # escaped, as everything the request brings is
    assert 'name="state" value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in page


def test_posting_the_form_redirects_back_with_a_code_and_the_state(flow: Flow):
    response = flow.post(username="alice")
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith(REDIRECT_URI + "?")
    found = query(location)
    assert set(found) == {"code", "state"}
    assert found["state"] == flow.params["state"]
    assert len(found["code"]) >= 32
    assert response.headers["Cache-Control"] == "no-store"


def test_the_code_redeems_for_the_users_tokens(azure_emulator: EmulatorProcess, flow: Flow):
    body = flow.tokens("alice")
    fields = {"token_type", "scope", "expires_in", "ext_expires_in", "access_token", "id_token", "refresh_token"}
    assert set(body) == fields
    assert (body["token_type"], body["scope"]) == ("Bearer", SCOPE)
    assert 3500 <= body["expires_in"] <= 3600
    issuer = issuer_url(azure_emulator.base_url, TENANT)
    access = verify(azure_emulator, body["access_token"])  # signature by the published key, iss, aud, exp, nbf
    assert (access["iss"], access["aud"], access["tid"]) == (issuer, APP_API_AUDIENCE, TENANT)
    assert (access["oid"], access["name"], access["scp"]) == (user_object_id("alice"), "alice", "access_as_user")
    assert access["azp"] == CLIENT_ID  # the app that asked, as Entra names it
    header = jwt.get_unverified_header(body["id_token"])
    assert header["alg"] == "RS256"
    key = published_keys(azure_emulator)[header["kid"]]
    identity = jwt.decode(
        body["id_token"],
        key=key.key,
        algorithms=["RS256"],
        audience=CLIENT_ID,
        issuer=issuer,
        options={"require": ["iss", "aud", "sub", "iat", "nbf", "exp"]},
    )
    assert identity["nonce"] == flow.params["nonce"]
    assert (identity["oid"], identity["tid"], identity["ver"]) == (user_object_id("alice"), TENANT, "2.0")
    assert (identity["name"], identity["preferred_username"]) == ("alice", "alice@emulator.local")
    assert identity["sub"] and identity["sub"] not in (identity["oid"], access["sub"])  # pairwise, per app
    assert "scp" not in identity


def test_the_access_token_is_accepted_like_a_make_token_one(azure_emulator: EmulatorProcess, flow: Flow):
    signed_in = jwt.decode(flow.tokens("bob")["access_token"], options={"verify_signature": False})
    made = jwt.decode(azure_emulator.user_token("bob"), options={"verify_signature": False})
    assert (signed_in["iss"], signed_in["aud"], signed_in["oid"]) == (made["iss"], made["aud"], made["oid"])
    settings = azure_emulator.app_settings()
    owner = flow.tokens(BOOTSTRAP_ADMIN)["access_token"]
    with azure_emulator.session() as session:
        validator = EntraTokenValidator(
            [settings["AUTH_ISSUERS"]],
            [settings["AUTH_AUDIENCE"]],
            frozenset({settings["AUTH_BOOTSTRAP_ADMINS"]}),
            session=session,
        )
        caller = validator.caller(f"Bearer {owner}")
    assert (caller.principal_id, caller.organization_owner) == (user_object_id(BOOTSTRAP_ADMIN), True)


def test_a_well_known_principals_button_signs_in_as_that_principal(flow: Flow):
    response = flow.post(username="", principal="admin")
    assert response.status_code == 302
    body = flow.redeem(query(response.headers["Location"])["code"]).json()
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["oid"] == user_object_id("admin")


def test_a_wrong_verifier_is_invalid_grant_and_spends_the_code(flow: Flow):
    code = flow.code()
    refused_grant(flow.redeem(code, code_verifier=pkce()[0]), 501481)
    refused_grant(flow.redeem(code), 54005)


def test_a_code_works_once_and_its_replay_revokes_its_refresh_token(flow: Flow):
    code = flow.code()
    first = flow.redeem(code)
    assert first.status_code == 200
    refused_grant(flow.redeem(code), 54005)
    refreshed = flow.http.post(
        url(flow.emu, "token"),
        data={"grant_type": "refresh_token", "refresh_token": first.json()["refresh_token"], "client_id": CLIENT_ID},
        timeout=30,
    )
    refused_grant(refreshed, 700084)


@pytest.mark.parametrize(
    ("field", "value"),
    [("redirect_uri", "http://localhost:5173/other"), ("client_id", "someone-else")],
)
def test_a_code_redeems_only_for_its_client_and_redirect_uri(flow: Flow, field: str, value: str):
    refused_grant(flow.redeem(flow.code(), **{field: value}), 70000)


def test_a_code_redeems_only_in_its_tenant(flow: Flow):
    refused_grant(flow.redeem(flow.code(), tenant="11111111-2222-3333-4444-555555555555"), 50000)


def test_a_missing_parameter_is_invalid_request(flow: Flow):
    response = flow.redeem(flow.code(), code_verifier="")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert "code_verifier" in response.json()["error_description"]


def test_common_signs_in_to_the_home_tenant(azure_emulator: EmulatorProcess, http: requests.Session):
    body = Flow(azure_emulator, http, tenant="common").tokens()
    claims = verify(azure_emulator, body["access_token"])
    assert (claims["tid"], claims["iss"]) == (HOME_TENANT_ID, issuer_url(azure_emulator.base_url, HOME_TENANT_ID))


def test_a_refresh_token_gets_new_tokens_for_the_same_user(azure_emulator: EmulatorProcess, flow: Flow):
    first = flow.tokens("carol")
    refresh = {"grant_type": "refresh_token", "refresh_token": first["refresh_token"], "client_id": CLIENT_ID}
    response = flow.http.post(url(flow.emu, "token"), data=refresh, timeout=30)
    assert response.status_code == 200, response.text
    again = response.json()
    assert again["refresh_token"] != first["refresh_token"]
    assert verify(azure_emulator, again["access_token"])["oid"] == user_object_id("carol")
    old_identity = jwt.decode(first["id_token"], options={"verify_signature": False})
    new_identity = jwt.decode(again["id_token"], options={"verify_signature": False})
    assert new_identity["sub"] == old_identity["sub"]  # what oidc-client-ts checks on a refresh
    graph = flow.http.post(
        url(flow.emu, "token"), data={**refresh, "scope": "https://graph.microsoft.com/User.Read"}, timeout=30
    )
    assert jwt.decode(graph.json()["access_token"], options={"verify_signature": False})["aud"] == (
        "https://graph.microsoft.com"
    )
    refused_grant(flow.http.post(url(flow.emu, "token"), data={**refresh, "client_id": "other"}, timeout=30), 70000)


def test_no_refresh_token_without_offline_access(azure_emulator: EmulatorProcess, http: requests.Session):
    body = Flow(azure_emulator, http, scope=f"{API_SCOPE} openid").tokens()
    assert "refresh_token" not in body
    assert "id_token" in body


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "https://portal.example.com/auth/callback",
        "http://127.0.0.1.example.com/cb",
        "http://evil.example\\@127.0.0.1/cb",
        "http://user@localhost/cb",
        "//localhost/cb",
        "ftp://127.0.0.1/cb",
        "http://localhost:5173/cb#fragment",
        "/auth/callback",
    ],
)
@pytest.mark.parametrize("posted", [False, True])
def test_a_redirect_uri_off_loopback_gets_a_400_page_and_no_redirect(flow: Flow, redirect_uri: str, posted: bool):
    flow.params["redirect_uri"] = redirect_uri
    flow.params["response_type"] = "token"  # wrong as well: still no redirect, not even with an error
    response = flow.post() if posted else flow.page()
    assert response.status_code == 400
    assert "Location" not in response.headers
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "is not an absolute http(s) URL on a loopback host" in response.text


def test_no_client_id_gets_a_400_page(flow: Flow):
    del flow.params["client_id"]
    response = flow.page()
    assert (response.status_code, "Location" in response.headers) == (400, False)
    assert "The request has no client_id." in response.text


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"code_challenge": ""}, "invalid_request"),
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"code_challenge": "too-short"}, "invalid_request"),
        ({"response_mode": "form_post"}, "invalid_request"),
        ({"scope": ""}, "invalid_request"),
        ({"scope": f"{API_SCOPE} https://graph.microsoft.com/User.Read"}, "invalid_scope"),
    ],
)
@pytest.mark.parametrize("posted", [False, True])
def test_other_bad_parameters_redirect_back_with_an_oauth_error(
    flow: Flow, change: dict[str, str], error: str, posted: bool
):
    flow.params.update(change)
    response = flow.post() if posted else flow.page()
    assert response.status_code == 302
    found = query(response.headers["Location"])
    assert (found["error"], found["state"]) == (error, flow.params["state"])
    assert found["error_description"]
    assert "code" not in found


def test_prompt_none_answers_login_required(flow: Flow):
    response = flow.page(prompt="none")
    assert response.status_code == 302
    assert query(response.headers["Location"])["error"] == "login_required"


@pytest.mark.parametrize("name", ["not a name", "x" * 65, "<b>eve</b>", "alice@emulator.local"])
def test_a_bad_user_name_shows_the_page_again_with_the_message(flow: Flow, name: str):
    response = flow.post(username=name)
    assert response.status_code == 400
    assert "Location" not in response.headers
    page = response.text
    assert "Sign in to the Azure emulator" in page
    assert '<p id="username-error" class="error">A user name is 1 to 64 letters, digits, dots' in page
    assert 'aria-describedby="username-rule username-error" aria-invalid="true"' in page
    assert "<b>" not in page
    assert f'<input type="hidden" name="state" value="{flow.params["state"]}">' in page


CORS_PATHS = [
    ("POST", "/{tenant}/oauth2/v2.0/token"),
    ("GET", "/{tenant}/v2.0/.well-known/openid-configuration"),
    ("GET", "/{tenant}/.well-known/openid-configuration"),
    ("GET", "/{tenant}/discovery/v2.0/keys"),
]


@pytest.mark.parametrize(("method", "path"), CORS_PATHS)
@pytest.mark.parametrize("origin", ["http://localhost:5173", None])
def test_discovery_keys_and_token_answer_any_origin(
    azure_emulator: EmulatorProcess, http: requests.Session, method: str, path: str, origin: str | None
):
    headers = {"Origin": origin} if origin else {}
    target = azure_emulator.base_url + path.format(tenant=TENANT)
    form = {"grant_type": "nothing"} if method == "POST" else None
    response = http.request(method, target, headers=headers, data=form, timeout=30)
    assert response.status_code == (400 if method == "POST" else 200)  # an error is readable cross-origin too
    assert response.headers["Access-Control-Allow-Origin"] == (origin or "*")
    assert response.headers["Vary"] == "Origin"


@pytest.mark.parametrize(("method", "path"), CORS_PATHS)
def test_a_preflight_is_answered(azure_emulator: EmulatorProcess, http: requests.Session, method: str, path: str):
    asked = {
        "Origin": "http://localhost:5173",
        "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": "content-type, dpop",
    }
    response = http.options(azure_emulator.base_url + path.format(tenant=TENANT), headers=asked, timeout=30)
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == "http://localhost:5173"
    assert method in response.headers["Access-Control-Allow-Methods"].split(", ")
    assert response.headers["Access-Control-Allow-Headers"] == "content-type, dpop"
    assert int(response.headers["Access-Control-Max-Age"]) > 0
    assert "Origin" in response.headers["Vary"]
    assert response.content == b""


def test_no_cors_where_entra_has_none(azure_emulator: EmulatorProcess, http: requests.Session):
    preflight = http.options(
        f"{azure_emulator.base_url}/emulator/userTokens", headers={"Origin": "http://localhost:5173"}, timeout=30
    )
    assert preflight.status_code == 405
    assert "Access-Control-Allow-Origin" not in preflight.headers
    page = http.get(url(azure_emulator, "authorize"), headers={"Origin": "http://localhost:5173"}, timeout=30)
    assert "Access-Control-Allow-Origin" not in page.headers


def test_the_openid_configuration_names_the_code_flow(azure_emulator: EmulatorProcess):
    config = openid_configuration(azure_emulator)
    assert config["code_challenge_methods_supported"] == ["S256"]
    assert {"authorization_code", "refresh_token", "client_credentials"} <= set(config["grant_types_supported"])
    assert config["authorization_endpoint"] == url(azure_emulator, "authorize")
    assert config["end_session_endpoint"] == url(azure_emulator, "logout")


def test_logout_goes_back_to_a_loopback_address_with_the_state(azure_emulator: EmulatorProcess, http: requests.Session):
    back = "http://localhost:5173/signed-out"
    response = http.get(
        url(azure_emulator, "logout"),
        params={"post_logout_redirect_uri": back, "state": "s1", "id_token_hint": "x"},
        allow_redirects=False,
        timeout=30,
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"{back}?state=s1"
    params = {"post_logout_redirect_uri": back}
    bare = http.get(url(azure_emulator, "logout"), params=params, allow_redirects=False, timeout=30)
    assert bare.headers["Location"] == back


@pytest.mark.parametrize("target", [None, "https://portal.example.com/"])
def test_logout_without_a_loopback_return_shows_the_signed_out_page(
    azure_emulator: EmulatorProcess, http: requests.Session, target: str | None
):
    params = {"post_logout_redirect_uri": target} if target else {}
    response = http.get(url(azure_emulator, "logout"), params=params, allow_redirects=False, timeout=30)
    assert response.status_code == 200
    assert "Location" not in response.headers
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "You are signed out" in response.text
    assert ("did not go back to" in response.text) == bool(target)


def test_client_credentials_are_unchanged_and_unknown_grants_named(
    azure_emulator: EmulatorProcess, http: requests.Session
):
    tenant = str(uuid.uuid4())  # a tenant of its own: consent is the tenant's, and a new one grants nothing
    form = {"grant_type": "client_credentials", "client_id": "app", "client_secret": "s", "scope": "x/.default"}
    refused = http.post(url(azure_emulator, "token", tenant), data=form, timeout=30)
    assert (refused.status_code, refused.json()["error_codes"]) == (400, [700016])
    Controls(azure_emulator, tenant).app_access("app", consented=True)
    assert http.post(url(azure_emulator, "token", tenant), data=form, timeout=30).status_code == 200
    common = http.post(url(azure_emulator, "token", "common"), data=form, timeout=30)
    assert (common.status_code, common.json()["error_codes"]) == (400, [90009])
    unknown = http.post(url(azure_emulator, "token", tenant), data={**form, "grant_type": "password"}, timeout=30)
    assert (unknown.json()["error"], unknown.json()["error_codes"]) == ("unsupported_grant_type", [70003])
    assert "authorization_code" in unknown.json()["error_description"]


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


def refusal(found: SignedIn | tuple[int, str]) -> int | None:
    return found[0] if isinstance(found, tuple) else None


def test_a_code_expires_after_ten_minutes():
    clock = Clock()
    kept = Authorizations(clock)
    verifier, challenge = pkce()
    sign_in = SignedIn("alice", TENANT, CLIENT_ID, SCOPE, "", clock.now, "session-1")
    ask = {"tenant_id": TENANT, "client_id": CLIENT_ID, "redirect_uri": REDIRECT_URI, "verifier": verifier}
    fresh = kept.new_code(sign_in, REDIRECT_URI, challenge)
    stale = kept.new_code(sign_in, REDIRECT_URI, challenge)
    clock.now += CODE_LIFETIME_S
    assert refusal(kept.redeem_code(fresh, **ask)) is None
    clock.now += 1
    assert refusal(kept.redeem_code(stale, **ask)) == 70008


def test_refresh_tokens_end_a_day_after_sign_in_however_often_renewed():
    clock = Clock()
    kept = Authorizations(clock)
    sign_in = SignedIn("alice", TENANT, CLIENT_ID, SCOPE, "", clock.now, "session-1")
    first = kept.new_refresh_token(sign_in)
    clock.now += SESSION_LIFETIME_S - 1
    renewed = kept.new_refresh_token(sign_in)
    assert refusal(kept.redeem_refresh_token(first, tenant_id=TENANT, client_id=CLIENT_ID)) is None
    clock.now += 2
    for token in (first, renewed):
        assert refusal(kept.redeem_refresh_token(token, tenant_id=TENANT, client_id=CLIENT_ID)) == 700084
