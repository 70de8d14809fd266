"""Contract tests of AzureCloudPcOperations: the app's credentials and the real SDKs against the emulator, a Cloud PC's
VM made and joined by the provisioning adapters, and what the emulator received checked against what Azure documents.
Long-running operations and throttling come back as Progress (a throttled read as CloudThrottled), never as a wait."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from azure_emulator.launcher import EmulatorProcess
from shared.cloud.azure.arm_clients import ArmClients
from shared.cloud.azure.arm_compute import AzureProvisioningCompute
from shared.cloud.azure.arm_devices import AzureDevices
from shared.cloud.azure.arm_ids import vm_id
from shared.cloud.azure.arm_vm_operations import AzureCloudPcOperations
from shared.cloud.azure.credentials import AzureCredentials
from shared.cloud.azure.graph_client import GraphClients
from shared.cloud.azure.graph_devices import GraphDevices
from shared.models.failures import words_for
from shared.ports.cloud_errors import CloudError, CloudThrottled, refused_for_good
from shared.ports.cloud_pc_operations import VmInspection
from shared.ports.compute import Placement, VmSpec
from shared.ports.devices import DeviceRecord, JoinSpec
from shared.ports.progress import Progress
from shared.services.cloud_pcs.provisioning_steps import nic_name, vm_name
from shared.settings import Settings
from tests.utils.arm_admin import ArmAdmin, Controls
from tests.utils.graph_admin import GraphAdmin
from tests.utils.onboarding import grant_app
from tests.utils.progress import until_done

THROTTLED = "Azure Resource Manager said not now (TooManyRequests)"  # a 429's reason, for the timeline

APP_TENANT = "cloud-pc-actions"
REGION, RG = "westeurope", "rg-cloudpcs"
GALLERY_IMAGE = "microsoftwindowsdesktop_windows-ent-cpc_win11-24h2-ent-cpc-m365"
API_VERSION = re.compile(r"^\d{4}-\d{2}-\d{2}(-preview)?$")
READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"


class NoSecrets:
    """The secret store AzureDevices takes; an Entra join reads no secret."""

    def set_secret(self, name: str, value: str) -> None:
        raise NotImplementedError

    def get_secret(self, name: str) -> str:
        raise NotImplementedError

    def delete_secret(self, name: str) -> None:
        raise NotImplementedError


@dataclass
class Cloud:
    ops: AzureCloudPcOperations
    compute: AzureProvisioningCompute
    devices: AzureDevices
    admin: ArmAdmin
    graph: GraphAdmin
    controls: Controls
    placement: Placement

    def sent(self, operation: str) -> list[dict[str, Any]]:
        """What this test's subscription sent under `operation` (the emulator is shared by the session)."""
        return [e for e in self.controls.log(operation) if self.admin.subscription_id in e["path"]]

    def cloud_pc(self, joined: bool = False) -> tuple[str, str]:
        """A provisioned Cloud PC's VM (its name as provisioning names it) and its device name."""
        cloud_pc_id = str(uuid.uuid4())
        name, device = vm_name(cloud_pc_id, 1, 1), f"CPC-{cloud_pc_id[:8].upper()}"
        spec = VmSpec(
            name=name,
            nic_name=nic_name(cloud_pc_id, 1, 1),
            computer_name=device,
            placement=self.placement,
            vm_size="Standard_D2s_v5",
            image_type="gallery",
            image_id=GALLERY_IMAGE,
            os_disk_size_gb=128,
            subnet_id=None,
        )
        assert until_done(lambda op: self.compute.create_vm(APP_TENANT, spec, op)).done
        if joined:
            join = JoinSpec(device_name=device, join_type="azureADJoin")
            assert until_done(lambda op: self.devices.join_device(APP_TENANT, self.placement, name, join, op)).done
        return name, device

    def power_codes(self, name: str) -> list[str]:
        """The PowerState statuses of the VM's instance view, as an admin reads them."""
        vm = self.admin.vm(RG, name)
        assert vm is not None
        return [s["code"] for s in vm["properties"]["instanceView"]["statuses"] if s["code"].startswith("PowerState/")]


@pytest.fixture
def cloud(azure_environment: dict[str, str], azure_emulator: EmulatorProcess) -> Iterator[Cloud]:
    entra = str(uuid.uuid4())
    admin = ArmAdmin(azure_emulator, entra)
    admin.resource_group(RG)
    grant_app(azure_emulator, entra, admin.subscription_id)  # onboarded: consent, the custom role
    settings = Settings()  # the app's settings: the environment points them at the emulator
    credentials = AzureCredentials(settings, {APP_TENANT: entra}.get)
    arm, graph = ArmClients(credentials, settings.arm_endpoint), GraphClients(credentials, settings.graph_endpoint)
    compute = AzureProvisioningCompute(arm)
    graph_devices = GraphDevices(graph)
    yield Cloud(
        ops=AzureCloudPcOperations(arm, graph_devices),
        compute=compute,
        devices=AzureDevices(compute, graph_devices, NoSecrets()),
        admin=admin,
        graph=GraphAdmin(azure_emulator, entra),
        controls=Controls(azure_emulator, entra),
        placement=Placement(admin.subscription_id, RG, REGION),
    )
    arm.close()
    graph.close()
    credentials.close()


def test_each_power_action_is_azures_vm_action_and_changes_the_power_state(cloud: Cloud) -> None:
    name, _ = cloud.cloud_pc()
    ops, placement = cloud.ops, cloud.placement
    assert cloud.power_codes(name) == ["PowerState/running"]
    off = until_done(lambda op: ops.power_vm(APP_TENANT, placement, name, "deallocate", op))
    assert off == Progress(done=True, resource_id=vm_id(placement, name))
    assert cloud.power_codes(name) == ["PowerState/deallocated"]
    assert until_done(lambda op: ops.power_vm(APP_TENANT, placement, name, "start", op)).done
    assert cloud.power_codes(name) == ["PowerState/running"]
    assert until_done(lambda op: ops.power_vm(APP_TENANT, placement, name, "restart", op)).done
    assert cloud.power_codes(name) == ["PowerState/running"]
    for action in ("deallocate", "start", "restart"):
        [sent] = cloud.sent(f"{action}Vm")
        assert sent["method"] == "POST" and sent["path"] == f"/arm{vm_id(placement, name)}/{action}"
        assert API_VERSION.match(sent["query"]["api-version"])
    with pytest.raises(ValueError, match="powerOff"):
        ops.power_vm(APP_TENANT, placement, name, "powerOff")  # type: ignore[arg-type]


def test_a_slow_power_action_returns_at_once_and_its_operation_is_polled_to_done(cloud: Cloud) -> None:
    name, _ = cloud.cloud_pc()
    cloud.controls.latency("deallocateVm", 1)
    first = cloud.ops.power_vm(APP_TENANT, cloud.placement, name, "deallocate")
    assert not first.done and first.retry_after_s >= 1
    assert first.operation and first.operation.startswith("deallocate https://")
    polls = cloud.controls.count("pollOperation")
    done = until_done(lambda op: cloud.ops.power_vm(APP_TENANT, cloud.placement, name, "deallocate", op), first)
    assert done == Progress(done=True, resource_id=vm_id(cloud.placement, name))
    assert cloud.controls.count("pollOperation") > polls
    assert len(cloud.sent("deallocateVm")) == 1, "polled, never sent again"
    assert cloud.power_codes(name) == ["PowerState/deallocated"]


def test_a_vm_that_does_not_exist_is_vm_not_found_and_inspects_as_none(cloud: Cloud) -> None:
    ops, placement, missing = cloud.ops, cloud.placement, vm_name(str(uuid.uuid4()), 1, 1)
    calls: dict[str, Callable[[], Progress]] = {
        "powerVm": lambda: ops.power_vm(APP_TENANT, placement, missing, "start"),
        "resizeVm": lambda: ops.resize_vm(APP_TENANT, placement, missing, "Standard_D4s_v5"),
        "growOsDisk": lambda: ops.grow_os_disk(APP_TENANT, placement, missing, 256),
    }
    for step, call in calls.items():
        with pytest.raises(CloudError) as failed:
            call()
        assert (failed.value.step, failed.value.code) == (step, "vmNotFound")
    assert ops.inspect_vm(APP_TENANT, placement, missing) is None
    assert ops.has_sign_in_role(APP_TENANT, placement, missing, str(uuid.uuid4())) is False


def test_resize_patches_only_the_size_and_a_repeat_sends_nothing(cloud: Cloud) -> None:
    name, _ = cloud.cloud_pc()
    ops, placement = cloud.ops, cloud.placement
    resized = until_done(lambda op: ops.resize_vm(APP_TENANT, placement, name, "Standard_D4s_v5", op))
    assert resized == Progress(done=True, resource_id=vm_id(placement, name))
    inspection = ops.inspect_vm(APP_TENANT, placement, name)
    assert inspection is not None and inspection.vm_size == "Standard_D4s_v5"
    [patch] = cloud.sent("resizeVm")
    assert patch["method"] == "PATCH" and patch["path"] == f"/arm{vm_id(placement, name)}"
    assert patch["body"] == {"properties": {"hardwareProfile": {"vmSize": "Standard_D4s_v5"}}}
    assert API_VERSION.match(patch["query"]["api-version"])
    assert ops.resize_vm(APP_TENANT, placement, name, "standard_d4s_v5").done
    assert len(cloud.sent("resizeVm")) == 1 and cloud.sent("updateVm") == []
    with pytest.raises(CloudError) as unavailable:
        ops.resize_vm(APP_TENANT, placement, name, "Standard_X99")
    assert (unavailable.value.step, unavailable.value.code) == ("resizeVm", "SkuNotAvailable")


def test_the_os_disk_grows_once_the_vm_is_deallocated_and_never_shrinks(cloud: Cloud) -> None:
    name, _ = cloud.cloud_pc()
    ops, placement = cloud.ops, cloud.placement
    with pytest.raises(CloudError) as running:  # Azure grows the disk of a deallocated VM only
        until_done(lambda op: ops.grow_os_disk(APP_TENANT, placement, name, 256, op))
    assert (running.value.step, running.value.code) == ("growOsDisk", "OperationNotAllowed")
    assert until_done(lambda op: ops.power_vm(APP_TENANT, placement, name, "deallocate", op)).done
    grown = until_done(lambda op: ops.grow_os_disk(APP_TENANT, placement, name, 256, op))
    assert grown == Progress(done=True, resource_id=vm_id(placement, name))
    [disk] = cloud.admin.disks(RG)
    assert disk["properties"]["diskSizeGB"] == 256
    inspection = ops.inspect_vm(APP_TENANT, placement, name)
    assert inspection is not None and inspection.os_disk_size_gb == 256
    patches = cloud.sent("updateDisk")
    assert [p["status"] for p in patches] == [409, 200]
    assert patches[-1]["method"] == "PATCH" and patches[-1]["path"] == f"/arm{disk['id']}"
    assert patches[-1]["body"] == {"properties": {"diskSizeGB": 256}}
    assert ops.grow_os_disk(APP_TENANT, placement, name, 200).done  # big enough already: nothing is sent
    assert ops.grow_os_disk(APP_TENANT, placement, name, 256).done
    assert len(cloud.sent("updateDisk")) == 2


def test_inspect_reads_state_size_disk_and_extensions_in_one_call(cloud: Cloud) -> None:
    name, _ = cloud.cloud_pc(joined=True)
    reads = len(cloud.sent("getVm"))
    inspection = cloud.ops.inspect_vm(APP_TENANT, cloud.placement, name)
    assert inspection == VmInspection(
        power_state="running",
        provisioning_state="Succeeded",
        vm_size="Standard_D2s_v5",
        os_disk_size_gb=128,
        extensions={"AADLoginForWindows": "Succeeded"},
    )
    sent = cloud.sent("getVm")[reads:]
    assert len(sent) == 1 and sent[0]["query"]["$expand"] == "instanceView"
    assert until_done(lambda op: cloud.ops.power_vm(APP_TENANT, cloud.placement, name, "deallocate", op)).done
    after = cloud.ops.inspect_vm(APP_TENANT, cloud.placement, name)
    assert after is not None and after.power_state == "deallocated"


def test_device_lookups_find_the_entra_and_intune_devices_and_miss_unknown_names(cloud: Cloud) -> None:
    _, device_name = cloud.cloud_pc(joined=True)
    [entra] = cloud.graph.devices(device_name)
    assert cloud.ops.find_device(APP_TENANT, device_name) == DeviceRecord(entra["id"], True, "AzureAd")
    [intune] = cloud.graph.managed_devices(device_name)
    managed = cloud.ops.find_managed_device(APP_TENANT, device_name)
    assert managed is not None and managed.id == intune["id"] and managed.primary_user_id is None
    user = cloud.graph.create_user()
    assert cloud.devices.set_primary_user(APP_TENANT, device_name, user).done
    assigned = cloud.ops.find_managed_device(APP_TENANT, device_name)
    assert assigned is not None and assigned.primary_user_id == user
    assert cloud.ops.find_device(APP_TENANT, "CPC-NOSUCH") is None
    assert cloud.ops.find_managed_device(APP_TENANT, "CPC-NOSUCH") is None


def test_the_sign_in_role_is_the_users_own_login_role_on_the_vm_or_above(cloud: Cloud) -> None:
    name, _ = cloud.cloud_pc()
    ops, placement = cloud.ops, cloud.placement
    user, local_admin, reader, above, stranger = (cloud.graph.create_user() for _ in range(5))
    assert cloud.devices.assign_user(APP_TENANT, placement, name, user, administrator=False).done
    assert cloud.devices.assign_user(APP_TENANT, placement, name, local_admin, administrator=True).done
    role = f"/subscriptions/{placement.subscription_id}/providers/Microsoft.Authorization/roleDefinitions/"
    assignments = "providers/Microsoft.Authorization/roleAssignments"
    cloud.admin.ok(
        "PUT",
        f"{vm_id(placement, name)}/{assignments}/{uuid.uuid4()}",
        {"properties": {"roleDefinitionId": role + READER, "principalId": reader}},
    )
    login = "fb879df8-f326-4884-b1cf-06f3ad86be52"  # Virtual Machine User Login, at the resource group
    cloud.admin.ok(
        "PUT",
        f"{cloud.admin.group_id(RG)}/{assignments}/{uuid.uuid4()}",
        {"properties": {"roleDefinitionId": role + login, "principalId": above}},
    )
    assert ops.has_sign_in_role(APP_TENANT, placement, name, user)
    assert ops.has_sign_in_role(APP_TENANT, placement, name, local_admin)
    assert ops.has_sign_in_role(APP_TENANT, placement, name, above)
    assert not ops.has_sign_in_role(APP_TENANT, placement, name, reader), "Reader does not let one sign in"
    assert not ops.has_sign_in_role(APP_TENANT, placement, name, stranger)
    listed = cloud.sent("listRoleAssignments")[-1]
    assert listed["method"] == "GET" and listed["path"] == f"/arm{vm_id(placement, name)}/{assignments}"
    assert listed["query"]["$filter"] == f"principalId eq '{stranger}'"


def test_a_429_is_progress_not_done_with_azures_retry_after_and_a_throttled_read_says_when(cloud: Cloud) -> None:
    name, device_name = cloud.cloud_pc()
    ops, placement = cloud.ops, cloud.placement
    cloud.controls.throttle_next("getVm", 17)
    assert ops.resize_vm(APP_TENANT, placement, name, "Standard_D4s_v5") == Progress(
        done=False, retry_after_s=17.0, held="TooManyRequests", reason=THROTTLED
    )
    assert cloud.sent("resizeVm") == []
    cloud.controls.latency("deallocateVm", 30)
    started = ops.power_vm(APP_TENANT, placement, name, "deallocate")
    assert not started.done and started.operation
    cloud.controls.throttle_next("pollOperation", 23)
    polled = ops.power_vm(APP_TENANT, placement, name, "deallocate", started.operation)
    kept = Progress(
        done=False, retry_after_s=23.0, operation=started.operation, held="TooManyRequests", reason=THROTTLED
    )
    assert polled == kept, "the operation is kept"
    cloud.controls.throttle_next("getVm", 41)
    with pytest.raises(CloudThrottled) as read:
        ops.inspect_vm(APP_TENANT, placement, name)
    assert (read.value.step, read.value.code, read.value.retry_after_s) == ("inspectVm", "TooManyRequests", 41.0)
    cloud.controls.throttle_next("listRoleAssignments", 43)
    with pytest.raises(CloudThrottled) as roles:
        ops.has_sign_in_role(APP_TENANT, placement, name, str(uuid.uuid4()))
    assert roles.value.retry_after_s == 43.0
    cloud.controls.throttle_next("listDevices", 120)  # longer than Graph's in-process retries wait
    with pytest.raises(CloudThrottled) as graph:
        ops.find_device(APP_TENANT, device_name)
    assert (graph.value.step, graph.value.retry_after_s) == ("findDevice", 120.0)


@pytest.mark.parametrize("code", ["AllocationFailed", "ZonalAllocationFailed", "OverconstrainedAllocationRequest"])
def test_an_on_demand_create_azure_has_no_capacity_for_fails_worded_and_is_tried_again(cloud: Cloud, code: str) -> None:
    tenant = cloud.admin.tenant_id
    refusal: dict[str, Any] = {"available": False, "code": code, "priority": "Regular", "tenantId": tenant}
    control = f"{cloud.admin.emulator.base_url}/emulator/spot/capacity/{REGION}/Standard_D2s_v5"
    assert cloud.admin.session.put(control, json=refusal, timeout=30).status_code == 200
    with pytest.raises(CloudError) as failed:  # the create is taken; its long-running operation fails
        cloud.cloud_pc()
    assert (failed.value.step, failed.value.code) == ("createVm", code)
    assert not refused_for_good(code), "another attempt may land: provisioning tries again"
    words = words_for(code)
    assert words is not None and words.action.startswith("Retry later"), "the admin reads why, and what to do"
    cloud.admin.session.delete(f"{control}?tenantId={tenant}", timeout=30)
    assert cloud.cloud_pc()[0], "with capacity back the same create succeeds"
