"""The simulated provisioning cloud against a real Azurite: idempotency, faults, latency, throttling, listings."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

import function_app
from shared.bootstrap import Services
from shared.cloud.ports import CloudError, Progress, VmSpec
from shared.cloud.simulated.simulator import Simulator
from shared.storage.tables import TableStorage
from tests.utils.factories import unique_table_prefix
from tests.utils.function_client import FunctionClient

TENANT = "tenant-a"
SUBNET = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/cloudpcs"
IMAGE = "microsoftwindowsdesktop_windows-ent-cpc_win11-24h2-ent-cpc"


class FakeClock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class NoEvents:
    def publish_directory_event(
        self,
        tenant_id: str,
        *,
        user_ids: list[str] | None = None,
        group_ids: list[str] | None = None,
        full: bool = False,
    ) -> None:
        return None


@pytest.fixture
def storage(storage_connection_string: str) -> TableStorage:
    return TableStorage.from_connection_string(storage_connection_string, unique_table_prefix())


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def make_simulator(storage: TableStorage, clock: FakeClock, **options: Any) -> Simulator:
    return Simulator.create(storage, NoEvents(), clock=clock, **options)


@pytest.fixture
def sim(storage: TableStorage, clock: FakeClock) -> Simulator:
    return make_simulator(storage, clock)


def spec(name: str = "cpc-alice-1", **overrides: Any) -> VmSpec:
    values: dict[str, Any] = {
        "name": name,
        "region_name": "westeurope",
        "vm_size": "Standard_D2ds_v5",
        "image_type": "gallery",
        "image_id": IMAGE,
        "os_disk_size_gb": 128,
        **overrides,
    }
    return VmSpec(**values)


def provision(sim: Simulator, name: str = "cpc-alice-1", subnet: str | None = SUBNET) -> None:
    assert sim.provisioning_compute.allocate_capacity(TENANT, "westeurope", "Standard_D2ds_v5", name).done
    assert sim.provisioning_compute.create_vm(TENANT, spec(name)).done
    assert sim.provisioning_network.attach_nic(TENANT, f"{name}-nic", name, subnet).done
    assert sim.devices.join_device(TENANT, name, "hybridAzureADJoin", "contoso.local", "OU=CloudPCs").done
    assert sim.intune.enroll_device(TENANT, name).done


def test_capacity_and_vm_are_created_once_and_deleted_idempotently(sim: Simulator) -> None:
    compute = sim.provisioning_compute
    reserved = compute.allocate_capacity(TENANT, "westeurope", "Standard_D2ds_v5", "cpc-alice-1")
    assert compute.allocate_capacity(TENANT, "westeurope", "Standard_D2ds_v5", "cpc-alice-1") == reserved

    first = compute.create_vm(TENANT, spec())
    again = compute.create_vm(TENANT, spec())
    assert first.done and again == first
    assert first.resource_id and first.resource_id.endswith("/providers/Microsoft.Compute/virtualMachines/cpc-alice-1")
    assert first.resource_id.startswith("/subscriptions/")
    [vm] = compute.list_vms(TENANT)
    assert (vm.name, vm.vm_size, vm.image_id, vm.os_disk_size_gb) == ("cpc-alice-1", "Standard_D2ds_v5", IMAGE, 128)
    assert len(compute.list_reservations(TENANT)) == 1

    assert compute.delete_vm(TENANT, "cpc-alice-1") == Progress(done=True)
    assert compute.delete_vm(TENANT, "cpc-alice-1") == Progress(done=True)
    assert compute.list_vms(TENANT) == [] and compute.list_reservations(TENANT) == []

    compute.create_vm(TENANT, spec())
    [recreated] = compute.list_vms(TENANT)
    assert recreated.vm_id != vm.vm_id  # a new VM, as Azure would make


def test_vm_name_reused_with_another_size_is_refused(sim: Simulator) -> None:
    sim.provisioning_compute.create_vm(TENANT, spec())
    with pytest.raises(CloudError) as failure:
        sim.provisioning_compute.create_vm(TENANT, spec(vm_size="Standard_D8ds_v5"))
    assert (failure.value.step, failure.value.code) == ("createVm", "PropertyChangeNotAllowed")


def test_armed_faults_fail_the_next_calls_then_the_step_succeeds(sim: Simulator) -> None:
    sim.faults.set_fault(TENANT, "createVm", 2, "AllocationFailed")
    for _ in range(2):
        with pytest.raises(CloudError) as failure:
            sim.provisioning_compute.create_vm(TENANT, spec())
        assert (failure.value.step, failure.value.code) == ("createVm", "AllocationFailed")
        assert sim.provisioning_compute.list_vms(TENANT) == []  # the fault comes before any change
    assert sim.provisioning_compute.create_vm(TENANT, spec()).done
    assert len(sim.provisioning_compute.list_vms(TENANT)) == 1


def test_faults_of_one_tenant_or_step_leave_the_others_alone(sim: Simulator) -> None:
    sim.faults.set_fault(TENANT, "joinEntra", 1, None)
    assert sim.provisioning_compute.create_vm(TENANT, spec()).done
    assert sim.devices.join_device("tenant-b", "cpc-bob-1", "azureADJoin", None, None).done
    with pytest.raises(CloudError) as failure:
        sim.devices.join_device(TENANT, "cpc-alice-1", "azureADJoin", None, None)
    assert failure.value.code == "simulatedFailure"


def test_latency_is_answered_by_polling_and_survives_a_restart(
    storage: TableStorage, clock: FakeClock, sim: Simulator
) -> None:
    sim.latency.set_latency(TENANT, "createVm", 30)
    started = sim.provisioning_compute.create_vm(TENANT, spec())
    assert started == Progress(done=False, retry_after_s=30)
    clock.advance(10)

    restarted = make_simulator(storage, clock)  # a new app instance on the same tables
    assert restarted.provisioning_compute.create_vm(TENANT, spec()) == Progress(done=False, retry_after_s=20)
    assert restarted.provisioning_compute.list_vms(TENANT) == []
    clock.advance(20)
    finished = restarted.provisioning_compute.create_vm(TENANT, spec())
    assert finished.done and finished.resource_id
    assert restarted.provisioning_compute.create_vm(TENANT, spec()) == finished


def test_default_latency_applies_to_every_step_until_a_tenant_sets_its_own(
    storage: TableStorage, clock: FakeClock
) -> None:
    sim = make_simulator(storage, clock, step_latency=timedelta(seconds=5))
    assert sim.provisioning_compute.allocate_capacity(TENANT, "westeurope", "D2", "cpc-1").retry_after_s == 5
    sim.latency.set_latency(TENANT, "joinEntra", 0)
    assert sim.devices.join_device(TENANT, "cpc-1", "azureADJoin", None, None).done
    sim.latency.clear_latency(TENANT, "joinEntra")
    assert sim.devices.delete_device(TENANT, "cpc-1") == Progress(done=False, retry_after_s=5)


def test_vm_creates_are_throttled_when_the_bucket_is_empty(storage: TableStorage, clock: FakeClock) -> None:
    sim = make_simulator(storage, clock, vm_creates_per_minute=60, vm_create_bucket=3)
    for n in range(3):
        assert sim.provisioning_compute.create_vm(TENANT, spec(f"cpc-{n}")).done
    throttled = sim.provisioning_compute.create_vm(TENANT, spec("cpc-3"))
    assert not throttled.done and 0 < throttled.retry_after_s <= 1
    assert len(sim.provisioning_compute.list_vms(TENANT)) == 3
    assert sim.provisioning_compute.create_vm(TENANT, spec("cpc-0")).done  # existing VMs cost nothing
    assert sim.provisioning_compute.create_vm("tenant-b", spec("cpc-3")).done  # each tenant has its own bucket

    clock.advance(throttled.retry_after_s)
    assert sim.provisioning_compute.create_vm(TENANT, spec("cpc-3")).done
    assert not sim.provisioning_compute.create_vm(TENANT, spec("cpc-4")).done


def test_waiting_creates_get_turns_one_refill_apart(storage: TableStorage, clock: FakeClock) -> None:
    sim = make_simulator(storage, clock, vm_creates_per_minute=60, vm_create_bucket=1)
    compute = sim.provisioning_compute
    assert compute.create_vm(TENANT, spec("cpc-0")).done
    first, second = compute.create_vm(TENANT, spec("cpc-1")), compute.create_vm(TENANT, spec("cpc-2"))
    assert (first.retry_after_s, second.retry_after_s) == (1, 2)
    assert compute.create_vm(TENANT, spec("cpc-1")).retry_after_s == 1  # asking again keeps the same turn
    clock.advance(1)
    assert compute.create_vm(TENANT, spec("cpc-1")).done
    assert compute.create_vm(TENANT, spec("cpc-2")).retry_after_s == 1


def test_concurrent_creates_cannot_overspend_the_bucket(storage: TableStorage, clock: FakeClock) -> None:
    sim = make_simulator(storage, clock, vm_creates_per_minute=1, vm_create_bucket=4)
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda n: sim.provisioning_compute.create_vm(TENANT, spec(f"cpc-{n}")), range(8)))
    assert sum(r.done for r in results) == 4
    assert len(sim.provisioning_compute.list_vms(TENANT)) == 4


def test_nics_get_addresses_and_share_a_security_group_that_outlives_them(sim: Simulator) -> None:
    network = sim.provisioning_network
    for name in ("cpc-1", "cpc-2", "cpc-3"):
        sim.provisioning_compute.create_vm(TENANT, spec(name))
    first = network.attach_nic(TENANT, "cpc-1-nic", "cpc-1", SUBNET)
    assert network.attach_nic(TENANT, "cpc-1-nic", "cpc-1", SUBNET) == first
    assert network.attach_nic(TENANT, "cpc-2-nic", "cpc-2", SUBNET).done
    assert network.attach_nic(TENANT, "cpc-3-nic", "cpc-3", None).done
    nics = {n.name: n for n in network.list_nics(TENANT)}
    assert nics["cpc-1-nic"].id == first.resource_id and nics["cpc-1-nic"].vm_name == "cpc-1"
    assert nics["cpc-1-nic"].private_ip_address != nics["cpc-2-nic"].private_ip_address
    assert nics["cpc-1-nic"].network_security_group_id == nics["cpc-2-nic"].network_security_group_id
    assert nics["cpc-3-nic"].network_security_group_id != nics["cpc-1-nic"].network_security_group_id
    assert len(network.list_nsgs(TENANT)) == 2

    for name in ("cpc-1-nic", "cpc-2-nic", "cpc-3-nic", "cpc-3-nic"):
        assert network.delete_nic(TENANT, name) == Progress(done=True)
    assert network.list_nics(TENANT) == []
    assert len(network.list_nsgs(TENANT)) == 2


def test_a_nic_needs_its_vm(sim: Simulator) -> None:
    with pytest.raises(CloudError) as failure:
        sim.provisioning_network.attach_nic(TENANT, "cpc-9-nic", "cpc-9", SUBNET)
    assert (failure.value.step, failure.value.code) == ("attachNetwork", "VmNotFound")


def test_hybrid_join_makes_an_ad_account_that_is_disabled_never_deleted(sim: Simulator) -> None:
    joined = sim.devices.join_device(TENANT, "cpc-1", "hybridAzureADJoin", "contoso.local", "OU=CloudPCs")
    assert sim.devices.join_device(TENANT, "cpc-1", "hybridAzureADJoin", "contoso.local", "OU=CloudPCs") == joined
    assert sim.devices.join_device(TENANT, "cpc-2", "azureADJoin", None, None).done
    [device_1] = [d for d in sim.devices.list_devices(TENANT) if d.display_name == "cpc-1"]
    assert device_1.id == joined.resource_id and device_1.trust_type == "ServerAd"
    assert [(a.name, a.enabled) for a in sim.devices.list_computer_accounts(TENANT)] == [("cpc-1", True)]

    for name in ("cpc-1", "cpc-1", "cpc-2"):
        assert sim.devices.delete_device(TENANT, name).done
        assert sim.devices.disable_computer_account(TENANT, name).done
    assert sim.devices.list_devices(TENANT) == []
    assert [(a.name, a.enabled) for a in sim.devices.list_computer_accounts(TENANT)] == [("cpc-1", False)]


def test_intune_enrolment_settings_and_users(sim: Simulator) -> None:
    with pytest.raises(CloudError) as failure:
        sim.intune.enroll_device(TENANT, "cpc-1")
    assert failure.value.code == "DeviceNotJoined"
    sim.devices.join_device(TENANT, "cpc-1", "azureADJoin", None, None)
    enrolled = sim.intune.enroll_device(TENANT, "cpc-1")
    assert sim.intune.enroll_device(TENANT, "cpc-1") == enrolled
    assert sim.intune.set_primary_user(TENANT, "cpc-1", "alice").done
    assert sim.intune.assign_user(TENANT, "cpc-1", "alice").done
    steps = {"hideStartMenuPowerIcons": "true", "disableWindowsReset": "true", "resizeOsDisk": "256"}
    with ThreadPoolExecutor(max_workers=3) as pool:  # steps run in parallel and must not lose each other
        assert all(pool.map(lambda s: sim.intune.configure(TENANT, "cpc-1", s, steps[s]).done, steps))
    [device] = sim.intune.list_managed_devices(TENANT)
    assert (device.primary_user_id, device.assigned_user_id, device.settings) == ("alice", "alice", steps)
    with pytest.raises(CloudError):
        sim.intune.configure(TENANT, "cpc-1", "formatDisk", "true")

    assert sim.intune.delete_managed_device(TENANT, "cpc-1").done
    assert sim.intune.delete_managed_device(TENANT, "cpc-1").done
    assert sim.intune.list_managed_devices(TENANT) == []
    with pytest.raises(CloudError) as failure:
        sim.intune.assign_user(TENANT, "cpc-1", "alice")
    assert (failure.value.step, failure.value.code) == ("assignUser", "DeviceNotEnrolled")


def test_resources_list_what_provisioning_made(sim: Simulator) -> None:
    provision(sim)
    sim.intune.set_primary_user(TENANT, "cpc-alice-1", "alice")
    sim.intune.configure(TENANT, "cpc-alice-1", "setTeamsVdiMode", "true")
    found = sim.resources(TENANT)
    [vm] = found["virtualMachines"]
    [nic] = found["networkInterfaces"]
    [nsg] = found["networkSecurityGroups"]
    [entra] = found["entraDevices"]
    [intune] = found["intuneDevices"]
    assert (vm["name"], vm["vmSize"], vm["imageId"]) == ("cpc-alice-1", "Standard_D2ds_v5", IMAGE)
    assert vm["vmId"] and vm["networkInterfaces"] == [nic["id"]]
    assert nic["vmName"] == "cpc-alice-1" and nic["privateIpAddress"].startswith("10.")
    assert nic["networkSecurityGroupId"] == nsg["id"] and nsg["subnetId"] == SUBNET
    assert entra["displayName"] == "cpc-alice-1"
    assert intune["azureAdDeviceId"] == entra["deviceId"]
    assert (intune["primaryUserId"], intune["settings"]) == ("alice", {"setTeamsVdiMode": "true"})
    assert found["adComputerAccounts"] == [
        {"name": "cpc-alice-1", "enabled": True, "domainName": "contoso.local", "organizationalUnit": "OU=CloudPCs"}
    ]
    assert found["managedImages"] == []
    assert sim.resources("tenant-b")["virtualMachines"] == []


def test_latency_routes(services: Services) -> None:
    client = FunctionClient(function_app.create_app(services))
    assert services.simulator is not None
    base = f"/api/sim/tenants/{TENANT}/latency"

    reply = client.request("PUT", f"{base}/createVm", json_body={"seconds": 120})
    assert reply.status == 200, reply.text
    assert reply.json() == {"step": "createVm", "seconds": 120}
    assert client.get(base).json() == {"value": [{"step": "createVm", "seconds": 120}]}
    assert not services.simulator.provisioning_compute.create_vm(TENANT, spec()).done

    assert client.request("PUT", f"{base}/dnsResolution", json_body={"seconds": 1}).error_code == "validationFailed"
    assert client.request("PUT", f"{base}/createVm", json_body={"seconds": -1}).status == 400
    assert client.delete(f"{base}/createVm").status == 204
    assert client.get(base).json() == {"value": []}

    resources = client.get(f"/api/sim/tenants/{TENANT}/resources").json()
    assert resources["virtualMachines"] == [] and resources["adComputerAccounts"] == []


def test_a_group_of_thousands_is_stored_member_by_member(sim: Simulator) -> None:
    from shared.cloud.simulated.models import SimGroupInput

    members = [f"user{i:05d}" for i in range(6000)]  # far past what one 64 KiB property could hold
    sim.directory.put_group(TENANT, "everyone", SimGroupInput(display_name="Everyone", members=members))
    assert sorted(sim.directory.list_group_members(TENANT, "everyone") or []) == members
    sim.directory.put_group(TENANT, "everyone", SimGroupInput(display_name="Everyone", members=members[:10]))
    assert sorted(sim.directory.list_group_members(TENANT, "everyone") or []) == members[:10]
    assert sim.directory.list_group_members(TENANT, "nobody") is None
    assert sim.directory.member_groups(TENANT, "user00003", ["nobody", "everyone"]) == ["everyone"]
    assert sim.directory.member_groups(TENANT, "user00042", ["everyone"]) == []
