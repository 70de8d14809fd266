"""The app's storage account (its tables and queues) in either form the Functions host reads AzureWebJobsStorage.

A connection string (Azurite's `UseDevelopmentStorage=true` included), or identity-based: the
`AzureWebJobsStorage__accountName` or `__tableServiceUri`/`__queueServiceUri` settings with a managed identity
(`__credential=managedidentity`, `__clientId` for a user-assigned one). The second is what a storage account with
shared-key access disabled needs; the app reads the same settings the host does, so one configuration serves both.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from azure.core.credentials import TokenCredential
from azure.data.tables import TableServiceClient
from azure.identity import DefaultAzureCredential, ManagedIdentityCredential
from azure.storage.queue import QueueClient, TextBase64EncodePolicy

from shared.cloud.azure.transport import http_transport
from shared.settings import Settings, SettingsError, setting_name
from shared.storage.table_service import RequestCounter, TableStorage

# Azurite's well-known development account (public and documented; not a secret).
_DEV_ACCOUNT = "devstoreaccount1"
_DEV_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


def resolve_connection_string(value: str) -> str:
    """Expand `UseDevelopmentStorage=true`, which azure-data-tables does not understand itself."""
    if value.replace(" ", "").lower().rstrip(";") != "usedevelopmentstorage=true":
        return value
    return (
        f"DefaultEndpointsProtocol=http;AccountName={_DEV_ACCOUNT};AccountKey={_DEV_KEY};"
        f"BlobEndpoint=http://127.0.0.1:10000/{_DEV_ACCOUNT};"
        f"QueueEndpoint=http://127.0.0.1:10001/{_DEV_ACCOUNT};"
        f"TableEndpoint=http://127.0.0.1:10002/{_DEV_ACCOUNT};"
    )


def client_options() -> dict[str, Any]:
    """Every storage client counts its requests, and sends them as the Azure clients do (shared/cloud/azure/
    transport.py): the environment's proxies and CA read once, not at each call (a fifth of each call's CPU)."""
    return {"raw_request_hook": RequestCounter.hook, "transport": http_transport(session_owner=False)}


@dataclass(frozen=True)
class StorageAccount:
    """The table service, and a queue client by name (base64 JSON messages, what the queue trigger reads)."""

    tables: TableServiceClient
    queue: Callable[[str], QueueClient]

    @classmethod
    def from_connection_string(cls, value: str) -> StorageAccount:
        connection_string = resolve_connection_string(value)

        def queue(name: str) -> QueueClient:
            return QueueClient.from_connection_string(
                connection_string, name, message_encode_policy=TextBase64EncodePolicy()
            )

        tables = TableServiceClient.from_connection_string(connection_string, **client_options())
        return cls(tables, queue)

    @classmethod
    def from_service_uris(cls, table_uri: str, queue_uri: str, credential: TokenCredential) -> StorageAccount:
        def queue(name: str) -> QueueClient:
            return QueueClient(queue_uri, name, credential=credential, message_encode_policy=TextBase64EncodePolicy())

        return cls(TableServiceClient(table_uri, credential=credential, **client_options()), queue)


def identity_credential(settings: Settings) -> TokenCredential:
    """The identity the host would use: the managed identity named by `__clientId`, or the default chain."""
    if (settings.storage_credential or "").lower() == "managedidentity":
        return ManagedIdentityCredential(client_id=settings.storage_client_id)
    return DefaultAzureCredential(managed_identity_client_id=settings.storage_client_id)


def service_uris(settings: Settings) -> tuple[str, str] | None:
    """The table and queue service URIs of the identity-based form, or None when the settings give a connection
    string. Explicit service URIs win over the account name, as in the host."""
    name = settings.storage_account_name
    table = settings.storage_table_service_uri or (name and f"https://{name}.table.core.windows.net")
    queue = settings.storage_queue_service_uri or (name and f"https://{name}.queue.core.windows.net")
    if not (table or queue):
        return None
    if not (table and queue):
        missing = "storage_queue_service_uri" if table else "storage_table_service_uri"
        raise SettingsError(
            f"Identity-based storage needs both the table and the queue service: set {setting_name(missing)} "
            f"or {setting_name('storage_account_name')}."
        )
    return table, queue


def storage_account(settings: Settings, credential: TokenCredential | None = None) -> StorageAccount:
    """The account the settings name; `credential` stands in for the identity (tests)."""
    uris = service_uris(settings)
    if uris is None:
        return StorageAccount.from_connection_string(settings.storage_connection_string)
    return StorageAccount.from_service_uris(*uris, credential or identity_credential(settings))


def table_storage(connection_string: str, prefix: str = "") -> TableStorage:
    """The tables of a connection string's account (tests, benches and tools that read the app's tables)."""
    return TableStorage(StorageAccount.from_connection_string(connection_string).tables, prefix)
