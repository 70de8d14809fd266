"""A tenant nobody consented in: Entra's refusal of a token is kept a few seconds, so its writes ask Entra once, not
each; and an admin who consents and retries at once is served, the consent check forgetting the refusal."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import requests

from azure_emulator.launcher import EmulatorProcess
from shared.cloud.azure.arm_clients import ArmClients
from shared.cloud.azure.credentials import CONSENT_REFUSAL_KEPT_S, AzureCredentials
from shared.cloud.azure.graph_client import GraphClients
from shared.cloud.azure.tenant_access import AzureTenantAccess
from shared.ports.cloud_errors import NO_CONSENT, CloudError
from shared.settings import Settings
from tests.utils.onboarding import grant_app

APP_TENANT = "not-consented-yet"
WRITES = 6


@dataclass
class Tenant:
    entra: str
    graph: GraphClients
    access: AzureTenantAccess
    emulator: EmulatorProcess
    now: list[float]

    def read_users(self) -> None:
        list(self.graph.client(APP_TENANT).pages("users", step="readUsers"))

    def refused(self) -> bool:
        """Whether a read was refused for want of consent (any other failure fails the test)."""
        with pytest.raises(CloudError) as refused:
            self.read_users()
        return refused.value.code == NO_CONSENT

    def token_requests(self) -> int:
        """Entra's token requests so far (the emulator's count; this test is the only one running on it now)."""
        reply = requests.get(f"{self.emulator.base_url}/emulator/requests", timeout=10)
        reply.raise_for_status()
        return sum(row["count"] for row in reply.json()["value"] if row["operation"] == "acquireToken")


@pytest.fixture
def tenant(azure_environment: dict[str, str], azure_emulator: EmulatorProcess) -> Iterator[Tenant]:
    entra, now = str(uuid.uuid4()), [1000.0]
    settings = Settings()  # the environment points the app at the emulator
    credentials = AzureCredentials(settings, {APP_TENANT: entra}.get, clock=lambda: now[0])
    graph = GraphClients(credentials, settings.graph_endpoint)
    arm = ArmClients(credentials, settings.arm_endpoint)
    yield Tenant(entra, graph, AzureTenantAccess(credentials, arm, settings.graph_endpoint, graph), azure_emulator, now)
    graph.close()
    arm.close()
    credentials.close()


def test_the_writes_to_a_tenant_without_consent_ask_entra_once_while_the_refusal_stands(tenant: Tenant) -> None:
    before = tenant.token_requests()
    assert all(tenant.refused() for _ in range(WRITES))
    assert tenant.token_requests() - before == 1
    tenant.now[0] += CONSENT_REFUSAL_KEPT_S  # then Entra is asked again: consent may have come meanwhile
    assert tenant.refused()
    assert tenant.token_requests() - before == 2


def test_an_admin_who_consents_and_retries_at_once_is_served(tenant: Tenant) -> None:
    assert tenant.refused()
    grant_app(tenant.emulator, tenant.entra)  # the admin consents
    assert tenant.access.graph_permissions(tenant.entra)  # the onboarding report's consent check, read at once
    tenant.read_users()  # no wait for the remembered refusal to run out
