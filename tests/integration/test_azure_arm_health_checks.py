"""A connection's health-check run, end to end below the Functions host: the orchestrator (driven by a stand-in
durable context), the activities, the connection service and AzureNetworkChecks against the emulator."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any, cast

import pytest

from activities import configuration as activities
from azure_emulator.launcher import EmulatorProcess
from orchestrators import names
from orchestrators.configuration import connection_health_check
from shared.cloud.azure.arm_clients import ArmClients
from shared.cloud.azure.arm_network_checks import AzureNetworkChecks
from shared.models.connections import Connection, HealthCheck
from shared.ports.admin_ports import AdminPorts
from shared.services.backends.backend_choice import TenantBackends, configuration_of
from shared.services.configuration.health_checks import checks_for
from tests.utils.arm_admin import ArmAdmin, Controls, EmulatorCredentials
from tests.utils.orchestration import All, Call, Context

APP_TENANT = "checks-tenant"
PASSWORD = "Join-Secret-42!"
REGION = "westeurope"


class Connections:
    """The connection's row: the run marks it running and records its results on it."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def get_connection(self, tenant_id: str, connection_id: str) -> Connection:
        return self.connection

    find_connection = get_connection

    def upsert_connection(self, connection: Connection, if_match: str | None = None) -> Connection:
        self.connection = connection
        return connection


class Run:
    """One health-check run of one connection, with the orchestrator's activity calls answered in-process."""

    def __init__(
        self, emulator: EmulatorProcess, admin: ArmAdmin, connection: Connection, secrets: dict[str, str]
    ) -> None:
        clients = ArmClients(EmulatorCredentials(emulator, {APP_TENANT: admin.tenant_id}), f"{emulator.base_url}/arm")
        store = SimpleNamespace(get_secret=lambda name: secrets[name], set_secret=None, delete_secret=None)
        self.repo = Connections(connection)
        self.ports = cast(
            AdminPorts,
            SimpleNamespace(
                connections=self.repo,
                network=AzureNetworkChecks(clients, store),
                clock=lambda: datetime.now(UTC),
                sites=SimpleNamespace(find_site=lambda t, s: None),  # no site: the probe goes in the network's group
                backends=TenantBackends(cast(Any, None), configuration_of),  # a run names its backend: no tenant read
            ),
        )
        self.connection = connection
        self.calls: list[str] = []
        self.timers = 0

    def activity(self, call: Call) -> Any:
        self.calls.append(call.name)
        match call.name:
            case names.ADVANCE_HEALTH_CHECK:
                return activities.advance_health_check(self.ports, call.payload)
            case names.RECORD_UNFINISHED_HEALTH_CHECKS:
                return activities.record_unfinished_health_checks(self.ports, call.payload)
        raise AssertionError(call.name)

    def go(self) -> dict[str, HealthCheck]:
        checks = [c.name for c in checks_for(self.connection.connection_type)]
        payload: Any = {
            "tenantId": APP_TENANT,
            "connectionId": self.connection.id,
            "run": self.connection.health_check_run,
            "checks": checks,
        }
        while payload is not None:  # each execution until the run no longer continues as new
            context = Context(input=payload)
            outcome = self.execute(context)
            self.timers += context.timers
            payload = context.continued_with
        assert outcome == "recorded"
        return {c.name: c for c in self.repo.connection.health_check_status_detail.health_checks}

    def execute(self, context: Context) -> Any:
        orchestration = connection_health_check(context)
        value: Any = None
        while True:
            try:
                item = orchestration.send(value)
            except StopIteration as stop:
                return stop.value
            if isinstance(item, Call):
                value = self.activity(item)
            elif isinstance(item, All):
                value = [self.activity(c) for c in item.calls]
            else:
                context.timers += 1
                time.sleep(min((item.at - context.current_utc_datetime).total_seconds(), 1.0))
                context.current_utc_datetime = item.at
                value = None


@pytest.fixture
def setup(azure_emulator: EmulatorProcess, monkeypatch: pytest.MonkeyPatch) -> tuple[ArmAdmin, Controls]:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", azure_emulator.ca_bundle)
    admin = ArmAdmin(azure_emulator, str(uuid.uuid4()))
    return admin, Controls(azure_emulator, admin.tenant_id)


def connection_in(admin: ArmAdmin, subnet_id: str, kind: str = "hybridAzureADJoin") -> Connection:
    now = datetime.now(UTC)
    hybrid = kind == "hybridAzureADJoin"
    return Connection(
        id=uuid.uuid4().hex[:12],
        tenant_id=APP_TENANT,
        created_date_time=now,
        last_modified_date_time=now,
        display_name="HQ",
        site_id="site",
        connection_type=kind,
        ad_domain_name="corp.contoso.com" if hybrid else None,
        ad_domain_username="join@corp.contoso.com" if hybrid else None,
        organizational_unit="OU=CloudPCs,DC=corp,DC=contoso,DC=com" if hybrid else None,
        subscription_id=admin.subscription_id,
        resource_group_name="rg-network",
        region_name=REGION,
        virtual_network_id=subnet_id.rsplit("/subnets/", 1)[0],
        subnet_id=subnet_id,
    )


def test_a_hybrid_connection_passes_every_check_and_its_probe_is_removed(
    azure_emulator: EmulatorProcess, setup: tuple[ArmAdmin, Controls]
) -> None:
    admin, controls = setup
    subnet = admin.virtual_network("rg-network", "vnet-hq")
    connection = connection_in(admin, subnet)
    controls.latency("dnsResolution", 1)  # one check keeps running for a while: it is asked again after a timer
    run = Run(azure_emulator, admin, connection, {connection.password_secret_name: PASSWORD})
    results = run.go()
    assert {name: c.status for name, c in results.items()} == {
        c.name: "passed" for c in checks_for(connection.connection_type)
    }
    assert all(c.start_date_time and c.end_date_time for c in results.values())
    assert run.timers > 0 and run.calls.count(names.ADVANCE_HEALTH_CHECK) > 1  # dnsResolution was asked again
    sent = [e for e in controls.log("runCommand") if admin.subscription_id in e["path"]]
    by_name = {e["path"].rsplit("/", 1)[-1]: e["body"]["properties"] for e in sent}
    assert set(by_name) == {"dnsResolution", "adDomainJoin", "endpointConnectivity", "entraDeviceSync"}
    assert "Resolve-DnsName" in by_name["dnsResolution"]["source"]["script"]
    assert {"name": "Domain", "value": "corp.contoso.com"} in by_name["adDomainJoin"]["parameters"]
    assert by_name["adDomainJoin"]["protectedParameters"] == [{"name": "Password", "value": "***"}]
    assert PASSWORD not in str(controls.log())
    assert all("/virtualMachines/probe-" in e["path"] for e in sent)
    assert admin.vms("rg-network") == [] and admin.nics("rg-network") == []  # the probe is gone
    reads = {e["operation"] for e in controls.log() if admin.subscription_id in e["path"]}
    assert {"getVirtualNetwork", "listVirtualNetworkUsage", "listPermissions"} <= reads


def test_faults_fail_their_checks_with_the_error_type_and_advice(
    azure_emulator: EmulatorProcess, setup: tuple[ArmAdmin, Controls]
) -> None:
    admin, controls = setup
    subnet = admin.virtual_network("rg-network", "vnet-hq")
    connection = connection_in(admin, subnet)
    controls.fault("adDomainJoin", 1, "adJoinCheckIncorrectCredentials")
    controls.fault("subnetIpUsage", 1, "resourceAvailabilityCheckNoSubnetIP")
    controls.fault("entraDeviceSync", 1, "azureAdDeviceSyncCheckDeviceNotFound")
    results = Run(azure_emulator, admin, connection, {connection.password_secret_name: PASSWORD}).go()
    join = results["adDomainJoin"]
    assert (join.status, join.error_type) == ("failed", "adJoinCheckIncorrectCredentials") and join.recommended_action
    assert (results["subnetIpUsage"].status, results["subnetIpUsage"].error_type) == (
        "failed",
        "resourceAvailabilityCheckNoSubnetIP",
    )
    assert results["entraDeviceSync"].status == "warning"  # only warns
    assert results["dnsResolution"].status == "passed" and results["endpointConnectivity"].status == "passed"
    assert admin.vms("rg-network") == []


def test_a_full_subnet_fails_the_address_check_and_the_checks_that_need_a_probe(
    azure_emulator: EmulatorProcess, setup: tuple[ArmAdmin, Controls]
) -> None:
    admin, _ = setup
    subnet = admin.virtual_network("rg-network", "vnet-hq", subnets={"tiny": "10.0.9.0/29"})
    for index in range(3):  # a /29 has three usable addresses
        body = {
            "location": REGION,
            "properties": {"ipConfigurations": [{"name": "ip", "properties": {"subnet": {"id": subnet}}}]},
        }
        admin.ok("PUT", admin.resource_id("rg-network", "Microsoft.Network", "networkInterfaces", f"nic{index}"), body)
    connection = connection_in(admin, subnet, "azureADJoin")
    results = Run(azure_emulator, admin, connection, {}).go()
    assert results["subnetIpUsage"].error_type == "resourceAvailabilityCheckNoSubnetIP"
    assert (results["endpointConnectivity"].status, results["endpointConnectivity"].error_type) == (
        "failed",
        "internalServerErrorAllocateResourceFailed",
    )
    assert results["virtualNetworkReadiness"].status == "passed"
    assert "adDomainJoin" not in results


def test_a_missing_password_or_network_fails_as_azure_would(
    azure_emulator: EmulatorProcess, setup: tuple[ArmAdmin, Controls]
) -> None:
    admin, _ = setup
    subnet = admin.virtual_network("rg-network", "vnet-hq")
    connection = connection_in(admin, subnet)
    results = Run(azure_emulator, admin, connection, {}).go()  # the secret is gone
    assert results["adDomainJoin"].error_type == "adJoinCheckIncorrectCredentials"
    elsewhere = connection.model_copy(update={"region_name": "eastus"})
    moved = Run(azure_emulator, admin, elsewhere, {elsewhere.password_secret_name: PASSWORD}).go()
    assert moved["virtualNetworkReadiness"].error_type == "resourceAvailabilityCheckVNetInvalid"
