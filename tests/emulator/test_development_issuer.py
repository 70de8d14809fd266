"""The development issuer: user tokens for the app's API that verify, like Entra's, against the published JWKS."""

from __future__ import annotations

import stat
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import jwt
import pytest
import requests

from azure_emulator.development_issuer import (
    APP_API_AUDIENCE,
    HOME_TENANT_ID,
    KEY_FILE_NAME,
    DevelopmentIssuer,
    issuer_url,
    user_object_id,
)
from azure_emulator.launcher import ENDPOINT_FILE_NAME, EmulatorProcess

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def openid_configuration(emu: EmulatorProcess, tenant: str = HOME_TENANT_ID) -> dict[str, Any]:
    with emu.session() as session:
        response = session.get(f"{emu.base_url}/{tenant}/v2.0/.well-known/openid-configuration", timeout=30)
    response.raise_for_status()
    return dict(response.json())


def published_keys(emu: EmulatorProcess, tenant: str = HOME_TENANT_ID) -> jwt.PyJWKSet:
    """The keys at the tenant's jwks_uri, found as an app finds them: through the OpenID configuration."""
    with emu.session() as session:
        response = session.get(openid_configuration(emu, tenant)["jwks_uri"], timeout=30)
    response.raise_for_status()
    return jwt.PyJWKSet.from_dict(response.json())


def verify(emu: EmulatorProcess, token: str, *, tenant: str = HOME_TENANT_ID, audience: str = APP_API_AUDIENCE):
    """What the app does with a bearer token: the key by kid from the JWKS, then signature, aud, iss, exp, nbf."""
    kid = jwt.get_unverified_header(token)["kid"]
    key = published_keys(emu, tenant)[str(kid)]
    return jwt.decode(
        token,
        key=key.key,
        algorithms=["RS256"],
        audience=audience,
        issuer=openid_configuration(emu, tenant)["issuer"],
        options={"require": ["exp", "nbf", "iat", "iss", "aud"]},
    )


def post_user_token(emu: EmulatorProcess, body: Any) -> requests.Response:
    with emu.session() as session:
        return session.post(f"{emu.base_url}/emulator/userTokens", json=body, timeout=30)


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "azure_emulator", "token", *args]
    return subprocess.run(command, capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=60, check=False)


def test_jwks_is_published_for_every_tenant_with_one_rs256_key(azure_emulator: EmulatorProcess):
    with azure_emulator.session() as session:
        raw = session.get(f"{azure_emulator.base_url}/{HOME_TENANT_ID}/discovery/v2.0/keys", timeout=30).json()
    assert [sorted(key) for key in raw["keys"]] == [["alg", "e", "kid", "kty", "n", "use"]]  # the public half only
    keys = published_keys(azure_emulator).keys
    assert (keys[0].key_type, keys[0].algorithm_name, keys[0].public_key_use) == ("RSA", "RS256", "sig")
    assert keys[0].key_id == raw["keys"][0]["kid"]
    other = published_keys(azure_emulator, str(uuid.uuid4())).keys
    assert [k.key_id for k in other] == [keys[0].key_id]


def test_a_user_token_verifies_against_the_published_keys_like_entras(azure_emulator: EmulatorProcess):
    response = post_user_token(azure_emulator, {"name": "alice"})
    assert response.status_code == 200, response.text
    answer = response.json()
    header = jwt.get_unverified_header(answer["accessToken"])
    assert (header["alg"], header["typ"]) == ("RS256", "JWT")
    claims = verify(azure_emulator, answer["accessToken"])
    assert claims["iss"] == issuer_url(azure_emulator.base_url, HOME_TENANT_ID) == answer["issuer"]
    assert claims["aud"] == APP_API_AUDIENCE
    assert claims["oid"] == user_object_id("alice") == answer["principalId"]
    assert claims["tid"] == HOME_TENANT_ID == answer["tenantId"]
    assert (claims["name"], claims["preferred_username"]) == ("alice", "alice@emulator.local")
    assert (claims["scp"], claims["ver"]) == ("access_as_user", "2.0")
    assert claims["sub"] and claims["sub"] != claims["oid"]  # pairwise, as Entra's
    assert claims["exp"] == answer["expiresOn"]
    assert claims["exp"] - claims["iat"] == 3600
    assert abs(claims["iat"] - time.time()) < 60


def test_user_token_in_another_tenant_with_its_lifetime(azure_emulator: EmulatorProcess):
    tenant = str(uuid.uuid4())
    token = azure_emulator.user_token("bob", tenant_id=tenant, lifetime_seconds=120)
    claims = verify(azure_emulator, token, tenant=tenant)
    assert claims["tid"] == tenant
    assert claims["iss"] == issuer_url(azure_emulator.base_url, tenant)
    assert claims["exp"] - claims["iat"] == 120
    assert claims["oid"] == user_object_id("bob")  # one principal name, one object id
    with pytest.raises(jwt.InvalidIssuerError):
        verify(azure_emulator, token)  # the home tenant's issuer does not accept another tenant's token


def test_claims_override_makes_tokens_the_app_must_refuse(azure_emulator: EmulatorProcess):
    now = int(time.time())
    expired = azure_emulator.user_token("carol", claims={"iat": now - 7200, "nbf": now - 7200, "exp": now - 3600})
    with pytest.raises(jwt.ExpiredSignatureError):
        verify(azure_emulator, expired)
    early = azure_emulator.user_token("carol", claims={"nbf": now + 3600})
    with pytest.raises(jwt.ImmatureSignatureError):
        verify(azure_emulator, early)
    other_api = azure_emulator.user_token("carol", audience="api://someone-else")
    with pytest.raises(jwt.InvalidAudienceError):
        verify(azure_emulator, other_api)
    assert verify(azure_emulator, other_api, audience="api://someone-else")["aud"] == "api://someone-else"
    no_scope = azure_emulator.user_token("carol", claims={"scp": None, "roles": ["Admin"]})
    claims = verify(azure_emulator, no_scope)
    assert "scp" not in claims
    assert claims["roles"] == ["Admin"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "'name' is required"),
        ({"name": ""}, "'name' is required"),
        ({"name": "x" * 65}, "'name' is required"),
        ({"name": 7}, "'name' is required"),
        ([], "JSON object"),
        ({"name": "a", "tenantId": "contoso"}, "'tenantId' must be a GUID"),
        ({"name": "a", "audience": ""}, "'audience'"),
        ({"name": "a", "lifetimeSeconds": 0}, "'lifetimeSeconds'"),
        ({"name": "a", "lifetimeSeconds": "60"}, "'lifetimeSeconds'"),
        ({"name": "a", "lifetimeSeconds": True}, "'lifetimeSeconds'"),
        ({"name": "a", "claims": ["exp"]}, "'claims' must be an object"),
        ({"name": "a", "lifetime": 60}, "Unknown field(s) 'lifetime'"),
    ],
)
def test_a_bad_body_is_a_400_that_says_what_is_wrong(azure_emulator: EmulatorProcess, body: Any, message: str):
    response = post_user_token(azure_emulator, body)
    assert response.status_code == 400
    assert message in response.json()["error"]["message"]


def test_a_body_that_is_not_json_is_a_400(azure_emulator: EmulatorProcess):
    with azure_emulator.session() as session:
        response = session.post(f"{azure_emulator.base_url}/emulator/userTokens", data=b"{name", timeout=30)
    assert response.status_code == 400


def test_app_settings_accept_the_development_issuers_tokens(azure_emulator: EmulatorProcess):
    settings = azure_emulator.app_settings()
    assert settings["AUTH_AUDIENCE"] == APP_API_AUDIENCE
    assert settings["AUTH_ISSUERS"] == openid_configuration(azure_emulator)["issuer"]
    assert settings["AUTH_BOOTSTRAP_ADMINS"] == user_object_id("admin")
    claims = verify(azure_emulator, azure_emulator.user_token("admin"), audience=settings["AUTH_AUDIENCE"])
    assert (claims["iss"], claims["oid"]) == (settings["AUTH_ISSUERS"], settings["AUTH_BOOTSTRAP_ADMINS"])


def test_the_key_is_kept_in_the_state_folder_readable_by_its_owner_only(tmp_path: Path):
    first = DevelopmentIssuer(tmp_path)
    key_file = tmp_path / KEY_FILE_NAME
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert DevelopmentIssuer(tmp_path).kid == first.kid
    assert DevelopmentIssuer(None).kid != first.kid  # in memory: a fresh key, and nothing written
    assert [p.name for p in tmp_path.iterdir()] == [KEY_FILE_NAME]


def test_the_key_outlives_an_emulator_restart_on_the_same_state_folder(tmp_path: Path):
    first = EmulatorProcess(state_dir=tmp_path, in_memory=False).start()
    try:
        kid = str(published_keys(first).keys[0].key_id)
        token = first.user_token("dave")
    finally:
        first.stop()
    assert stat.S_IMODE((tmp_path / KEY_FILE_NAME).stat().st_mode) == 0o600
    second = EmulatorProcess(state_dir=tmp_path, in_memory=False).start()
    try:
        assert published_keys(second).keys[0].key_id == kid
        # a token issued before the restart still verifies: iss names the port, so check the signature alone
        key = published_keys(second)[kid]
        claims = jwt.decode(token, key=key.key, algorithms=["RS256"], audience=APP_API_AUDIENCE)
        assert claims["oid"] == user_object_id("dave")
    finally:
        second.stop()


def test_the_cli_prints_a_token_from_the_emulator_running_on_the_state_folder(tmp_path: Path):
    emulator = EmulatorProcess(state_dir=tmp_path, in_memory=False).start()
    try:
        assert (tmp_path / ENDPOINT_FILE_NAME).read_text(encoding="utf-8").strip() == emulator.base_url
        found = run_cli("erin", "--state-dir", str(tmp_path), "--lifetime-seconds", "600")
        assert found.returncode == 0, found.stderr
        token = found.stdout.strip()
        assert found.stdout == token + "\n"  # the token alone, for `TOKEN=$(make token)`
        claims = verify(emulator, token)
        assert (claims["name"], claims["exp"] - claims["iat"]) == ("erin", 600)
    finally:
        emulator.stop()
    assert not (tmp_path / ENDPOINT_FILE_NAME).exists()
    stopped = run_cli("erin", "--state-dir", str(tmp_path))
    assert stopped.returncode == 2
    assert stopped.stdout == ""
    assert "start `make run` first" in stopped.stderr
    assert len(stopped.stderr.strip().splitlines()) == 1


def test_the_cli_exits_2_when_the_recorded_emulator_was_killed(tmp_path: Path):
    emulator = EmulatorProcess(state_dir=tmp_path, in_memory=False).start()
    assert emulator.process is not None
    emulator.process.kill()  # no chance to forget its endpoint
    emulator.process.wait(10)
    emulator.stop()
    assert (tmp_path / ENDPOINT_FILE_NAME).exists()
    found = run_cli("--state-dir", str(tmp_path))
    assert found.returncode == 2
    assert "start `make run` first" in found.stderr


def test_an_in_memory_emulator_records_no_endpoint(tmp_path: Path):
    emulator = EmulatorProcess(state_dir=tmp_path, in_memory=True).start()
    try:
        assert not (tmp_path / ENDPOINT_FILE_NAME).exists()
        assert not (tmp_path / KEY_FILE_NAME).exists()
    finally:
        emulator.stop()
