"""Which storage the settings name: a connection string, or service URIs with an identity, as the host reads them."""

from __future__ import annotations

import pytest
from azure.core.credentials import AccessToken

from shared.settings import Settings, SettingsError, load_settings
from shared.storage.account import identity_credential, service_uris, storage_account


class NoToken:
    def get_token(self, *scopes: str, **kwargs: object) -> AccessToken:
        raise AssertionError("building the clients asks for no token")


def test_a_connection_string_alone_is_the_connection_string_form() -> None:
    settings = Settings(AzureWebJobsStorage="UseDevelopmentStorage=true")
    assert service_uris(settings) is None
    account = storage_account(settings)
    assert account.tables.url.startswith("http://127.0.0.1:10002/devstoreaccount1")
    assert account.queue("events").url == "http://127.0.0.1:10001/devstoreaccount1/events"


def test_an_account_name_gives_the_public_service_uris() -> None:
    settings = Settings(AzureWebJobsStorage__accountName="stcloudpcs")
    assert service_uris(settings) == (
        "https://stcloudpcs.table.core.windows.net",
        "https://stcloudpcs.queue.core.windows.net",
    )
    account = storage_account(settings, credential=NoToken())
    assert account.queue("events").url == "https://stcloudpcs.queue.core.windows.net/events"


def test_explicit_service_uris_win_over_the_account_name() -> None:
    settings = Settings(
        AzureWebJobsStorage__accountName="stcloudpcs",
        AzureWebJobsStorage__tableServiceUri="https://tables.example.net",
        AzureWebJobsStorage__queueServiceUri="https://queues.example.net",
    )
    assert service_uris(settings) == ("https://tables.example.net", "https://queues.example.net")


def test_half_an_identity_based_setting_is_refused_by_name() -> None:
    settings = Settings(AzureWebJobsStorage__tableServiceUri="https://tables.example.net")
    with pytest.raises(SettingsError, match="AzureWebJobsStorage__queueServiceUri"):
        service_uris(settings)


def test_a_service_uri_must_be_https() -> None:
    with pytest.raises(SettingsError, match="AzureWebJobsStorage__tableServiceUri"):
        load_settings(AzureWebJobsStorage__tableServiceUri="http://tables.example.net")


def test_the_credential_is_the_named_managed_identity_or_the_default_chain() -> None:
    managed = identity_credential(
        Settings(AzureWebJobsStorage__credential="managedidentity", AzureWebJobsStorage__clientId="1234")
    )
    assert type(managed).__name__ == "ManagedIdentityCredential"
    assert type(identity_credential(Settings())).__name__ == "DefaultAzureCredential"
