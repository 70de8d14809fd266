"""Contract tests of AzureVmMetrics: the app's credentials and the real SDK (MetricsClient) against the emulator's
metrics batch API, with the role the onboarding report asks for: two VMs' set profiles read back as their figures."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from azure_emulator.launcher import EmulatorProcess
from shared.cloud.azure.credentials import AzureCredentials
from shared.cloud.azure.monitor_metrics import AzureVmMetrics
from shared.ports.cloud_errors import CloudError
from shared.ports.vm_metrics import MeteredVm
from shared.settings import Settings
from tests.utils.arm_admin import ArmAdmin, Controls
from tests.utils.onboarding import grant_app

APP_TENANT = "metered"
REGION = "westeurope"
END = datetime(2026, 1, 15, tzinfo=UTC)
START = END - timedelta(days=14)


def vm(admin: ArmAdmin, rg: str) -> str:
    return str(admin.virtual_machine(rg, "vm", admin.virtual_network(rg, "vnet"))["id"])


@pytest.fixture
def metered(
    azure_environment: dict[str, str], azure_emulator: EmulatorProcess
) -> Iterator[tuple[AzureVmMetrics, ArmAdmin]]:
    entra = str(uuid.uuid4())
    admin = ArmAdmin(azure_emulator, entra)
    grant_app(azure_emulator, entra, admin.subscription_id)  # onboarded: consent, the custom role
    settings = Settings()  # the environment points METRICS_ENDPOINT at the emulator
    credentials = AzureCredentials(settings, {APP_TENANT: entra}.get)
    metrics = AzureVmMetrics(credentials, settings.metrics_endpoint)
    yield metrics, admin
    metrics.close()
    credentials.close()


def test_two_vms_profiles_are_read_as_their_figures_over_the_window(
    metered: tuple[AzureVmMetrics, ArmAdmin], azure_emulator: EmulatorProcess
) -> None:
    metrics, admin = metered
    busy, quiet = vm(admin, "rg-busy"), vm(admin, "rg-quiet")
    session = azure_emulator.session()
    made = {"timeCreated": (START - timedelta(days=1)).isoformat()}  # made before the window: all of it has data
    for vm_id, body in (
        (busy, {"cpuPercent": 92, "availableMemoryBytes": 400 * 2**20}),
        (quiet, {"cpuPercent": 6, "availableMemoryBytes": 6 * 2**30}),
    ):
        assert session.put(f"{azure_emulator.base_url}/emulator/metrics{vm_id}", json={**body, **made}, timeout=30).ok
    controls = Controls(azure_emulator, admin.tenant_id)
    sent_before = controls.count("getMetricsBatch", "POST")
    found = metrics.usage(APP_TENANT, [MeteredVm(busy, REGION), MeteredVm(quiet, REGION)], START, END)
    assert controls.count("getMetricsBatch", "POST") == sent_before + 1  # one batch: one subscription, one region
    assert set(found) == {busy.lower(), quiet.lower()}
    hot, cold = found[busy.lower()], found[quiet.lower()]
    assert hot.hours_with_data == 14 * 24
    assert (hot.cpu_average_percent, hot.cpu_p95_percent, hot.cpu_maximum_percent) == (92, 92, 92)
    assert hot.memory_available_minimum_bytes == 400 * 2**20
    assert (cold.cpu_p95_percent, cold.memory_available_average_bytes) == (6, 6 * 2**30)


def test_a_vm_that_is_off_has_no_figures(metered: tuple[AzureVmMetrics, ArmAdmin]) -> None:
    metrics, admin = metered
    vm_id = vm(admin, "rg")
    admin.finished(admin.call("POST", f"{vm_id}/deallocate"))
    assert metrics.usage(APP_TENANT, [MeteredVm(vm_id, REGION)], START, END) == {}


def test_without_the_role_the_read_is_refused_for_want_of_a_permission(
    azure_environment: dict[str, str], azure_emulator: EmulatorProcess
) -> None:
    entra = str(uuid.uuid4())
    admin = ArmAdmin(azure_emulator, entra)
    grant_app(azure_emulator, entra)  # consent, but no role in the subscription
    settings = Settings()
    credentials = AzureCredentials(settings, {APP_TENANT: entra}.get)
    metrics = AzureVmMetrics(credentials, settings.metrics_endpoint)
    try:
        with pytest.raises(CloudError) as refused:
            metrics.usage(APP_TENANT, [MeteredVm(vm(admin, "rg"), REGION)], START, END)
        assert refused.value.permission_denied
    finally:
        metrics.close()
        credentials.close()


def test_hours_before_a_vm_was_made_are_not_counted(
    metered: tuple[AzureVmMetrics, ArmAdmin], azure_emulator: EmulatorProcess
) -> None:
    metrics, admin = metered
    vm_id = vm(admin, "rg-new")
    made = START + timedelta(days=13, hours=14)  # ten hours before the window ends
    body: dict[str, Any] = {"cpuPercent": 50, "timeCreated": made.isoformat()}
    assert azure_emulator.session().put(f"{azure_emulator.base_url}/emulator/metrics{vm_id}", json=body, timeout=30).ok
    [usage] = metrics.usage(APP_TENANT, [MeteredVm(vm_id, REGION)], START, END).values()
    assert usage.hours_with_data == 10
