"""Key Vault secrets in the emulator through the real SecretClient (challenge handshake included) and the adapter,
in RBAC mode: the app's identity does what its roles on the vault allow."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import pytest
from azure.core.credentials import AccessToken
from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ResourceExistsError,
    ResourceNotFoundError,
)
from azure.identity import ManagedIdentityCredential
from azure.keyvault.secrets import SecretClient

from azure_emulator.identity import HOME_TENANT_ID, MANAGED_IDENTITY_PRINCIPAL_ID
from azure_emulator.keyvault import HOME_SUBSCRIPTION_ID, VAULT_ID
from azure_emulator.launcher import APP_CLIENT_ID, EmulatorProcess
from shared.cloud.azure.credentials import AzureCredentials
from shared.cloud.azure.keyvault_secrets import KeyVaultSecretStore, vault_name
from shared.errors import NotFound
from shared.ports.cloud_errors import CloudError
from shared.settings import Settings
from tests.utils.arm_admin import ArmAdmin
from tests.utils.inprocess_emulator import inprocess_emulator


@pytest.fixture
def env(azure_emulator: EmulatorProcess, monkeypatch: pytest.MonkeyPatch) -> EmulatorProcess:
    for name, value in azure_emulator.app_settings().items():
        monkeypatch.setenv(name, value)
    return azure_emulator


@pytest.fixture
def client(env: EmulatorProcess) -> Iterator[SecretClient]:
    with SecretClient(f"{env.base_url}/keyvault", ManagedIdentityCredential()) as secret_client:
        yield secret_client


@pytest.fixture
def store(env: EmulatorProcess) -> Iterator[KeyVaultSecretStore]:
    settings = Settings(
        key_vault_url=f"{env.base_url}/keyvault",
        azure_authority_host=env.base_url.split("://", 1)[1],
        app_client_id=APP_CLIENT_ID,
    )
    credentials = AzureCredentials(settings, lambda tenant_id: None)
    secrets = KeyVaultSecretStore(settings, credentials)
    yield secrets
    secrets.close()
    credentials.close()


def test_secret_client_passes_the_challenge_and_sets_gets_and_versions(client: SecretClient):
    name = f"s-{uuid.uuid4().hex}"
    first = client.set_secret(name, "one")
    second = client.set_secret(name, "two")
    assert first.properties.version != second.properties.version
    assert client.get_secret(name).value == "two"
    assert client.get_secret(name, first.properties.version).value == "one"
    assert second.name == name


def test_a_deleted_secret_is_recoverable_purgeable_and_blocks_its_name(client: SecretClient):
    name = f"s-{uuid.uuid4().hex}"
    client.set_secret(name, "value")
    deleted = client.begin_delete_secret(name).result()
    assert deleted.recovery_id and deleted.deleted_date
    with pytest.raises(ResourceNotFoundError):
        client.get_secret(name)
    with pytest.raises(ResourceExistsError):
        client.set_secret(name, "again")
    client.begin_recover_deleted_secret(name).result()
    assert client.get_secret(name).value == "value"
    client.begin_delete_secret(name).result()
    client.purge_deleted_secret(name)
    client.set_secret(name, "fresh")
    assert client.get_secret(name).value == "fresh"


def test_a_token_for_another_tenant_is_refused(env: EmulatorProcess):
    class OtherTenant:
        def get_token(self, *scopes: str, **kwargs: object) -> AccessToken:
            with env.session() as session:
                body = session.post(
                    f"{env.base_url}/emulator/token",
                    json={"tenantId": str(uuid.uuid4()), "audience": scopes[0].removesuffix("/.default")},
                ).json()
            return AccessToken(body["access_token"], int(body["expires_on"]))

    with SecretClient(f"{env.base_url}/keyvault", OtherTenant()) as other, pytest.raises(ClientAuthenticationError):
        other.get_secret("anything")


def test_the_adapter_stores_reads_deletes_and_reuses_names(store: KeyVaultSecretStore):
    name = f"connection-{uuid.uuid4()}-{uuid.uuid4()}-adDomainPassword"
    store.set_secret(name, "P@ssw0rd!")
    assert store.get_secret(name) == "P@ssw0rd!"
    store.delete_secret(name)
    with pytest.raises(NotFound):
        store.get_secret(name)
    store.delete_secret(name)  # already gone
    store.set_secret(name, "N3w-P@ss")  # the soft-deleted name is recovered and overwritten
    assert store.get_secret(name) == "N3w-P@ss"


def test_app_names_become_valid_distinct_vault_names():
    assert vault_name("connection-abc-def-adDomainPassword") == "connection-abc-def-adDomainPassword"
    odd, other = vault_name("tenant_1/secret.name"), vault_name("tenant-1-secret-name")
    assert odd != other and odd.startswith("tenant-1-secret-name-")
    long_name = vault_name("x_" * 100)
    assert len(long_name) <= 127 and vault_name("x_" * 100) == long_name


def test_the_vault_is_rbac_mode_its_identity_acting_as_its_roles_allow(
    azure_emulator: EmulatorProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    with inprocess_emulator(azure_emulator, monkeypatch) as local:  # a vault of its own: roles change here
        admin = ArmAdmin(local.handle, HOME_TENANT_ID, HOME_SUBSCRIPTION_ID)  # the app's own subscription's owner
        with SecretClient(f"{local.base_url}/keyvault", ManagedIdentityCredential()) as client:
            client.set_secret("deployed", "as-the-template-grants-it")  # Key Vault Secrets Officer, deployed
            [officer] = admin._list(f"{VAULT_ID}/providers/Microsoft.Authorization/roleAssignments")
            admin.ok("DELETE", officer["id"])
            with pytest.raises(HttpResponseError) as refused:
                client.get_secret("deployed")
            assert refused.value.status_code == 403
            body = json.loads(str(refused.value.response.text()))["error"]  # type: ignore[union-attr]
            assert (body["code"], body["innererror"]["code"]) == ("Forbidden", "ForbiddenByRbac")
            assert "Action: 'Microsoft.KeyVault/vaults/secrets/getSecret/action'" in body["message"]
            reader = "/providers/Microsoft.Authorization/roleDefinitions/4633458b-17de-408a-b874-0445c86b69e6"
            admin.ok(
                "PUT",
                f"{VAULT_ID}/providers/Microsoft.Authorization/roleAssignments/{uuid.uuid4()}",
                {
                    "properties": {
                        "principalId": MANAGED_IDENTITY_PRINCIPAL_ID,
                        "principalType": "ServicePrincipal",
                        "roleDefinitionId": reader,
                    }
                },
            )  # Key Vault Secrets User: read, never write
            assert client.get_secret("deployed").value == "as-the-template-grants-it"
            with pytest.raises(HttpResponseError) as not_written:
                client.set_secret("deployed", "changed")
            assert "Action: 'Microsoft.KeyVault/vaults/secrets/setSecret/action'" in str(not_written.value.message)


def test_the_adapter_names_the_missing_role_when_the_vault_refuses(
    azure_emulator: EmulatorProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    with inprocess_emulator(azure_emulator, monkeypatch) as local:
        admin = ArmAdmin(local.handle, HOME_TENANT_ID, HOME_SUBSCRIPTION_ID)
        [officer] = admin._list(f"{VAULT_ID}/providers/Microsoft.Authorization/roleAssignments")
        admin.ok("DELETE", officer["id"])
        settings = Settings(
            key_vault_url=f"{local.base_url}/keyvault",
            azure_authority_host=local.base_url[8:],
            app_client_id=APP_CLIENT_ID,
        )
        credentials = AzureCredentials(settings, lambda tenant_id: None)
        secrets = KeyVaultSecretStore(settings, credentials)
        with pytest.raises(CloudError) as refused:
            secrets.set_secret("join-password", "P@ssw0rd-never-shown")
        assert refused.value.code == "ForbiddenByRbac" and "Key Vault Secrets Officer" in str(refused.value)
        assert "P@ssw0rd" not in str(refused.value)
        secrets.close()
        credentials.close()
