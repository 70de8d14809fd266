"""The SecretStore port over Azure Key Vault (azure-keyvault-secrets), with the app's managed identity."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceNotFoundError
from azure.keyvault.secrets import SecretClient

from shared.cloud.azure.credentials import AzureCredentials
from shared.cloud.azure.transport import KEY_VAULT_PATIENCE, http_transport
from shared.errors import NotFound
from shared.ports.cloud_errors import CloudError
from shared.settings import Settings, SettingsError, setting_name

VALID_NAME = re.compile(r"^[0-9A-Za-z-]{1,127}$")
INVALID_CHARS = re.compile(r"[^0-9A-Za-z-]")
DELETE_WAIT_S = 60.0


def vault_name(name: str) -> str:
    """A Key Vault secret name (1-127 of letters, digits, hyphens) for an app secret name.

    Valid names are kept as they are; others get their invalid characters replaced and a hash of the original
    appended, so two app names never share a vault name.
    """
    if VALID_NAME.match(name):
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:16]
    return f"{INVALID_CHARS.sub('-', name)[: 127 - 17]}-{digest}"


@contextmanager
def _refusals() -> Iterator[None]:
    """The vault in RBAC mode refuses an identity without a data role on it: the deployment's to fix, not a retry's."""
    try:
        yield
    except HttpResponseError as exc:
        if exc.status_code != 403:
            raise
        raise CloudError(
            "secrets",
            "ForbiddenByRbac",
            "The app's Key Vault refused the app's identity: give the identity Key Vault "
            "Secrets Officer on the vault, as the deployment template does (infra/vault.bicep).",
        ) from exc


class KeyVaultSecretStore:
    """Write-only secrets (domain-join passwords) in the app's vault; values are never logged or cached."""

    def __init__(self, settings: Settings, credentials: AzureCredentials, **client_options: object) -> None:
        if not settings.key_vault_url:
            raise SettingsError(f"{setting_name('key_vault_url')} is not set: secrets need a Key Vault.")
        patience = KEY_VAULT_PATIENCE
        options = {"transport": http_transport(patience), **patience.retry_options(), **client_options}
        self._client = SecretClient(settings.key_vault_url, credentials.app_credential, **options)

    def set_secret(self, name: str, value: str) -> None:
        key = vault_name(name)
        with _refusals():
            try:
                self._client.set_secret(key, value, content_type="text/plain")
            except ResourceExistsError:
                # the name belongs to a soft-deleted secret (a connection deleted and made again with its name):
                # recovering needs no purge permission and works with purge protection on; the value is replaced
                self._client.begin_recover_deleted_secret(key).wait(DELETE_WAIT_S)
                self._client.set_secret(key, value, content_type="text/plain")

    def get_secret(self, name: str) -> str:
        try:
            with _refusals():
                value = self._client.get_secret(vault_name(name)).value
        except ResourceNotFoundError:
            value = None
        if value is None:
            raise NotFound(
                f"Secret '{name}' was not found; enter the password again.", code="notFound", target="secret"
            )
        return value

    def delete_secret(self, name: str) -> None:
        """Soft delete (the vault keeps it for its retention period); deleting a missing secret is fine."""
        try:
            with _refusals():
                self._client.begin_delete_secret(vault_name(name)).wait(DELETE_WAIT_S)
        except ResourceNotFoundError:
            return

    def close(self) -> None:
        self._client.close()


def app_key(store: KeyVaultSecretStore, name: str) -> bytes:
    """A key of the app's own (for signing), kept in the vault and made on first use. (Two instances making it in
    the same instant can each keep their own until restarted; a token one signed is then refused by the other,
    and the caller starts the list again.)"""
    try:
        return base64.urlsafe_b64decode(store.get_secret(name))
    except NotFound:
        store.set_secret(name, base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())
        return base64.urlsafe_b64decode(store.get_secret(name))
