"""The app's tables and queues with no account key: service URIs and a managed identity's token, against an Azurite
that speaks HTTPS and checks bearer tokens as Azure Storage does (`--oauth basic`)."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from azure_emulator.launcher import EmulatorProcess
from azure_emulator.tls import ensure_certificates
from devhost.azurite import Azurite
from shared.errors import Conflict, PreconditionFailed
from shared.events import QueueEventPublisher
from shared.models.base import utc_now
from shared.models.tenants import Tenant
from shared.settings import Settings
from shared.storage.account import StorageAccount, storage_account
from shared.storage.table_service import TableStorage
from shared.storage.tenants import TenantRepository
from tests.conftest import PROJECT_ROOT


@pytest.fixture(scope="module")
def oauth_azurite(azure_emulator: EmulatorProcess) -> Iterator[Azurite]:
    # the emulator's own CA and loopback certificate: the bundle the test trusts already names that CA
    certificates = ensure_certificates(Path(azure_emulator.ca_bundle).parent)
    azurite = Azurite(project_root=PROJECT_ROOT, oauth_tls=(certificates.cert, certificates.key)).start()
    try:
        yield azurite
    finally:
        azurite.stop()


@pytest.fixture
def account(oauth_azurite: Azurite, azure_emulator: EmulatorProcess, monkeypatch: pytest.MonkeyPatch) -> StorageAccount:
    """What the app builds from identity-based settings, its identity the emulator's App Service managed identity."""
    for name in ("IDENTITY_ENDPOINT", "IDENTITY_HEADER", "REQUESTS_CA_BUNDLE", "SSL_CERT_FILE"):
        monkeypatch.setenv(name, azure_emulator.app_settings()[name])
    settings = Settings(
        AzureWebJobsStorage="UseDevelopmentStorage=true",  # present but not used: service URIs win, as in the host
        AzureWebJobsStorage__tableServiceUri=oauth_azurite.service_uri("table"),
        AzureWebJobsStorage__queueServiceUri=oauth_azurite.service_uri("queue"),
        AzureWebJobsStorage__credential="managedidentity",
    )
    return storage_account(settings)


def test_a_repository_works_on_tables_reached_with_a_token(account: StorageAccount) -> None:
    tenants = TenantRepository(TableStorage(account.tables, f"t{uuid.uuid4().hex[:8]}"))
    now = utc_now()
    made = tenants.upsert_tenant(
        Tenant(id=str(uuid.uuid4()), display_name="Contoso", created_date_time=now, last_modified_date_time=now),
        if_none_match=True,
    )
    assert made.etag
    with pytest.raises(Conflict):  # create-only: the same id again is refused
        tenants.upsert_tenant(made, if_none_match=True)
    renamed = tenants.upsert_tenant(made.model_copy(update={"display_name": "Contoso Ltd"}), if_match=made.etag)
    with pytest.raises(PreconditionFailed):  # the etag guards a write made from a stale read
        tenants.upsert_tenant(made.model_copy(update={"display_name": "Stale"}), if_match=made.etag)
    assert tenants.get_tenant(made.id).display_name == "Contoso Ltd" and renamed.etag != made.etag
    page, _ = tenants.list_tenants()
    assert [t.id for t in page] == [made.id]


def test_a_queue_message_goes_and_comes_with_a_token(account: StorageAccount) -> None:
    name = f"events-{uuid.uuid4().hex[:8]}"
    tenant_id = str(uuid.uuid4())
    QueueEventPublisher(account.queue(name)).publish_directory_event(tenant_id, full=True)
    [message] = list(account.queue(name).receive_messages())
    assert json.loads(base64.b64decode(message.content)) == {"tenantId": tenant_id, "full": True}


def test_azurite_refuses_a_request_without_a_token(oauth_azurite: Azurite, azure_emulator: EmulatorProcess) -> None:
    """OAuth is on: the same endpoint, asked without a bearer token (or with a wrong one), answers 401/403."""
    url = f"{oauth_azurite.service_uri('queue')}?comp=list"
    assert requests.get(url, verify=azure_emulator.ca_bundle, timeout=10).status_code in (401, 403)
    forged = {"Authorization": "Bearer not-a-token", "x-ms-version": "2021-08-06"}
    assert requests.get(url, headers=forged, verify=azure_emulator.ca_bundle, timeout=10).status_code in (401, 403)
