"""The emulator's Entra endpoints through the real azure-identity credentials, and the app's AzureCredentials."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import jwt
import pytest
from azure.core.exceptions import ClientAuthenticationError
from azure.identity import ClientAssertionCredential, ClientSecretCredential, ManagedIdentityCredential

from azure_emulator.identity import HOME_TENANT_ID, MANAGED_IDENTITY_CLIENT_ID
from azure_emulator.launcher import EmulatorProcess
from shared.cloud.azure.credentials import AzureCredentials, check_credentials, is_known_authority
from shared.ports.cloud_errors import CloudError
from shared.settings import Settings
from tests.utils.arm_admin import Controls

GRAPH_SCOPE = "https://graph.microsoft.com/.default"


def claims(token: str) -> dict[str, object]:
    return dict(jwt.decode(token, options={"verify_signature": False}))


@pytest.fixture
def emulator_env(azure_emulator: EmulatorProcess, monkeypatch: pytest.MonkeyPatch) -> EmulatorProcess:
    for name, value in azure_emulator.app_settings().items():
        monkeypatch.setenv(name, value)
    for name in ("AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "AZURE_TENANT_ID", "AZURE_FEDERATED_TOKEN_FILE"):
        monkeypatch.delenv(name, raising=False)
    return azure_emulator


def authority(emu: EmulatorProcess) -> str:
    return emu.base_url.split("://", 1)[1]


def consent(emu: EmulatorProcess, tenant: str, app: str) -> None:
    """The tenant's admin consents to the app (a new tenant grants no app anything)."""
    Controls(emu, tenant).app_access(app, consented=True)


@contextmanager
def consented(emu: EmulatorProcess, tenant: str, app: str) -> Iterator[None]:
    """Consent for the test's length in a tenant other tests share (the home tenant); its earlier grant after."""
    url = f"{emu.base_url}/emulator/tenants/{tenant}/apps/{app}"
    with emu.session() as session:
        earlier = session.get(url, timeout=30).json()
    consent(emu, tenant, app)
    try:
        yield
    finally:
        restored = {"consented": earlier["consented"], "graphPermissions": earlier["graphPermissions"]}
        Controls(emu, tenant).app_access(app, **restored)


def test_managed_identity_credential_gets_a_token_from_the_app_service_endpoint(emulator_env: EmulatorProcess):
    token = ManagedIdentityCredential().get_token("https://management.azure.com/.default")
    found = claims(token.token)
    assert found["tid"] == HOME_TENANT_ID
    assert found["aud"] == "https://management.azure.com"
    assert found["appid"] == MANAGED_IDENTITY_CLIENT_ID
    assert token.expires_on > 0


def test_managed_identity_endpoint_refuses_a_wrong_identity_header(
    emulator_env: EmulatorProcess, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("IDENTITY_HEADER", "not-the-header")
    with pytest.raises(ClientAuthenticationError):
        ManagedIdentityCredential().get_token("https://management.azure.com/.default")


def test_client_secret_credential_uses_the_emulator_as_authority(emulator_env: EmulatorProcess):
    tenant = str(uuid.uuid4())
    consent(emulator_env, tenant, "app-client")
    credential = ClientSecretCredential(
        tenant, "app-client", "a-secret", authority=authority(emulator_env), disable_instance_discovery=True
    )
    found = claims(credential.get_token(GRAPH_SCOPE).token)
    assert (found["tid"], found["aud"], found["appid"]) == (tenant, "https://graph.microsoft.com", "app-client")


def test_client_assertion_credential_needs_a_token_exchange_assertion(emulator_env: EmulatorProcess):
    tenant = str(uuid.uuid4())
    consent(emulator_env, tenant, "app-client")
    mi = ManagedIdentityCredential()

    def assertion() -> str:
        return mi.get_token("api://AzureADTokenExchange/.default").token

    credential = ClientAssertionCredential(tenant, "app-client", assertion, authority=authority(emulator_env))
    assert claims(credential.get_token(GRAPH_SCOPE).token)["tid"] == tenant

    def wrong_audience() -> str:
        return mi.get_token("https://management.azure.com/.default").token

    refused = ClientAssertionCredential(tenant, "app-client", wrong_audience, authority=authority(emulator_env))
    with pytest.raises(ClientAuthenticationError, match="AADSTS700211"):
        refused.get_token(GRAPH_SCOPE)


def test_openid_configuration_names_tenant_endpoints(emulator_env: EmulatorProcess):
    tenant = str(uuid.uuid4())
    with emulator_env.session() as session:
        config = session.get(f"{emulator_env.base_url}/{tenant}/v2.0/.well-known/openid-configuration").json()
    assert config["token_endpoint"] == f"{emulator_env.base_url}/{tenant}/oauth2/v2.0/token"
    assert config["issuer"].endswith(f"/{tenant}/v2.0")


@pytest.mark.parametrize("with_secret", [True, False])
def test_app_credentials_act_in_the_customer_tenant(emulator_env: EmulatorProcess, with_secret: bool):
    entra = str(uuid.uuid4())
    settings = Settings(
        azure_authority_host=authority(emulator_env),
        app_client_id="6a4a0c2e-5f0b-4c1e-9d55-0c1d2e3f4a5b",
        app_client_secret="s3cret" if with_secret else None,
    )
    assert settings.app_client_id is not None
    consent(emulator_env, entra, settings.app_client_id)
    credentials = AzureCredentials(settings, {"app-tenant": entra}.get)
    try:
        credential = credentials.for_tenant("app-tenant")
        assert credentials.for_tenant("app-tenant") is credential  # one per Entra tenant
        kind = ClientSecretCredential if with_secret else ClientAssertionCredential
        assert isinstance(credential.inner, kind)  # type: ignore[attr-defined]
        found = claims(credential.get_token(GRAPH_SCOPE).token)
        assert (found["tid"], found["appid"]) == (entra, settings.app_client_id)
        with consented(emulator_env, HOME_TENANT_ID, settings.app_client_id):  # the app's own tenant
            assert claims(credentials.app_credential.get_token(GRAPH_SCOPE).token)["tid"] == HOME_TENANT_ID
        with pytest.raises(CloudError) as raised:
            credentials.for_tenant("unlinked")
        assert raised.value.code == "tenantNotLinked"
    finally:
        credentials.close()


def test_known_authorities_keep_instance_discovery():
    assert is_known_authority("login.microsoftonline.com")
    assert is_known_authority("https://login.microsoftonline.us/")
    assert not is_known_authority("127.0.0.1:8443")


def test_check_credentials_names_what_is_missing():
    settings = Settings(app_client_id=None, key_vault_url=None)
    missing = check_credentials(settings, {})
    assert len(missing) == 3
    assert any("APP_CLIENT_ID" in m for m in missing)
    assert any("KEY_VAULT_URL" in m for m in missing)
    ready = Settings(app_client_id="x", key_vault_url="https://vault.example")
    assert check_credentials(ready, {"IDENTITY_ENDPOINT": "http://x", "IDENTITY_HEADER": "h"}) == []
    assert check_credentials(ready, {"AZURE_FEDERATED_TOKEN_FILE": "/t"}) == []
