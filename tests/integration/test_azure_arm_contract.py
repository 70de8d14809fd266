"""Contract tests of the ARM adapters: each runs against the emulator, and what the emulator received is checked
against what Azure documents (method, path, api-version, body essentials); secrets never show in what was sent
to the log. Long-running operations and throttling come back as Progress, never as a wait."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from azure_emulator.launcher import EmulatorProcess
from shared.cloud.azure.arm_capacity import USAGES_CACHE_S
from shared.cloud.azure.arm_clients import NEW_WORK_RESERVE, RESERVE, ArmClients
from shared.cloud.azure.arm_compute import AzureProvisioningCompute
from shared.cloud.azure.arm_devices import ADMIN_LOGIN, USER_LOGIN, AzureDevices
from shared.models.cloud_pcs import BuildSettings
from shared.ports.cloud_errors import REQUEST_BUDGET, CloudError, CloudThrottled
from shared.ports.compute import Placement, VmSpec
from shared.ports.devices import JoinSpec
from shared.ports.progress import Progress
from shared.services.cloud_pcs.provisioning_steps import POST_COMMAND, post_command, post_steps
from tests.utils.arm_admin import ArmAdmin, Controls, EmulatorCredentials, emulator_token
from tests.utils.graph_admin import GraphAdmin
from tests.utils.progress import until_done

REGION = "westeurope"
GALLERY_IMAGE = "microsoftwindowsdesktop_windows-ent-cpc_win11-24h2-ent-cpc-m365"
API_VERSION = re.compile(r"^\d{4}-\d{2}-\d{2}(-preview)?$")
PASSWORD = "Join-Secret-42!"
APP_TENANT = "contract-tenant"


class GraphFinder:
    """Reads devices from the emulator's Graph the way GraphDevices does (the Graph adapter has its own tests)."""

    def __init__(self, emulator: EmulatorProcess, entra_tenant: str) -> None:
        self._session = emulator.session()
        self._base = f"{emulator.base_url}/graph/v1.0"
        token = emulator_token(emulator, entra_tenant, "https://graph.microsoft.com")[0]
        self._session.headers["Authorization"] = f"Bearer {token}"

    def _first(self, path: str, field: str, name: str) -> str | None:
        reply = self._session.get(f"{self._base}/{path}", params={"$filter": f"{field} eq '{name}'"}, timeout=30)
        assert reply.status_code == 200, reply.text
        found = reply.json()["value"]
        return str(found[0]["id"]) if found else None

    def find_device(self, tenant_id: str, display_name: str) -> str | None:
        return self._first("devices", "displayName", display_name)

    def find_managed_device(self, tenant_id: str, device_name: str) -> str | None:
        return self._first("deviceManagement/managedDevices", "deviceName", device_name)

    def delete_device(self, tenant_id: str, device_name: str) -> Progress:
        raise NotImplementedError

    def delete_managed_device(self, tenant_id: str, device_name: str) -> Progress:
        raise NotImplementedError

    def set_primary_user(self, tenant_id: str, device_name: str, user_id: str) -> Progress:
        raise NotImplementedError


class Secrets:
    def __init__(self) -> None:
        self.values = {"join-password": PASSWORD}

    def set_secret(self, name: str, value: str) -> None:
        self.values[name] = value

    def get_secret(self, name: str) -> str:
        return self.values[name]

    def delete_secret(self, name: str) -> None:
        self.values.pop(name, None)


@dataclass
class Arm:
    emulator: EmulatorProcess
    admin: ArmAdmin
    controls: Controls
    compute: AzureProvisioningCompute
    devices: AzureDevices
    placement: Placement
    subnet_id: str

    def sent(self, operation: str) -> list[dict[str, Any]]:
        """What this test's subscription sent under `operation` (the emulator is shared by the session)."""
        return [e for e in self.controls.log(operation) if self.admin.subscription_id in e["path"]]

    def spec(
        self, name: str = "vm1", subnet: bool = True, image: str = GALLERY_IMAGE, size: str = "Standard_D2s_v5"
    ) -> VmSpec:
        return VmSpec(
            name=name,
            nic_name=f"{name}-nic",
            computer_name=f"CPC-{name.upper()}",
            placement=self.placement,
            vm_size=size,
            image_type="gallery" if not image.startswith("/") else "custom",
            image_id=image,
            os_disk_size_gb=128,
            subnet_id=self.subnet_id if subnet else None,
        )


@pytest.fixture
def arm(azure_emulator: EmulatorProcess, monkeypatch: pytest.MonkeyPatch) -> Iterator[Arm]:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", azure_emulator.ca_bundle)
    entra = str(uuid.uuid4())
    admin = ArmAdmin(azure_emulator, entra)
    subnet = admin.virtual_network("rg-network", "vnet-hq", dns_servers=["10.0.0.4"])
    admin.resource_group("rg-cloudpcs")
    clients = ArmClients(EmulatorCredentials(azure_emulator, {APP_TENANT: entra}), f"{azure_emulator.base_url}/arm")
    compute = AzureProvisioningCompute(clients)
    devices = AzureDevices(compute, GraphFinder(azure_emulator, entra), Secrets())
    controls = Controls(azure_emulator, entra)
    # Azure's instant mode for this tenant: these tests read each call's first answer, what it sent and what it made
    # (a synchronous 200 or a 201 already Succeeded, as Azure answers a quick write); the polling path is tested
    # here with latency set where it is wanted (a slow create, a slow join), and everywhere else by default
    controls.latency("default", 0)
    yield Arm(
        azure_emulator,
        admin,
        controls,
        compute,
        devices,
        Placement(admin.subscription_id, "rg-cloudpcs", REGION),
        subnet,
    )
    clients.close()


def test_capacity_reads_skus_and_usages_and_refuses_what_azure_would(arm: Arm) -> None:
    assert arm.compute.allocate_capacity(APP_TENANT, arm.placement, "Standard_D2s_v5").done
    [skus] = arm.sent("listSkus")
    assert skus["method"] == "GET" and skus["path"].endswith("/providers/Microsoft.Compute/skus")
    assert skus["query"]["$filter"] == f"location eq '{REGION}'" and API_VERSION.match(skus["query"]["api-version"])
    [usages] = arm.sent("listUsages")
    assert usages["path"].endswith(f"/providers/Microsoft.Compute/locations/{REGION}/usages")
    with pytest.raises(CloudError) as unavailable:
        arm.compute.allocate_capacity(
            APP_TENANT, Placement(arm.placement.subscription_id, "rg", "westcentralus"), "Standard_D16s_v5"
        )
    assert unavailable.value.code == "SkuNotAvailable"
    now, read = [0.0], len(arm.sent("listUsages"))
    compute = AzureProvisioningCompute(arm.compute.clients, clock=lambda: now[0])
    assert compute.allocate_capacity(APP_TENANT, arm.placement, "Standard_D2s_v5").done
    arm.admin.quota(REGION, "standardDSv5Family", 1)
    assert compute.allocate_capacity(APP_TENANT, arm.placement, "Standard_D2s_v5").done, "usages read a moment ago"
    now[0] += USAGES_CACHE_S
    with pytest.raises(CloudError) as quota:
        compute.allocate_capacity(APP_TENANT, arm.placement, "Standard_D2s_v5")
    assert quota.value.code == "QuotaExceeded" and quota.value.step == "allocateCapacity"
    assert len(arm.sent("listUsages")) == read + 2


def test_capacity_for_a_spot_vm_reads_the_spot_pool_and_names_the_quota_that_ran_out(arm: Arm) -> None:
    arm.admin.quota(REGION, "standardDSv5Family", 1)  # the family and the total are full: Spot does not take from them
    arm.admin.quota(REGION, "cores", 1)
    now = [0.0]
    compute = AzureProvisioningCompute(arm.compute.clients, clock=lambda: now[0])
    assert compute.allocate_capacity(APP_TENANT, arm.placement, "Standard_D2s_v5", "Spot").done
    with pytest.raises(CloudError) as regular:
        compute.allocate_capacity(APP_TENANT, arm.placement, "Standard_D2s_v5", "Regular")
    assert (regular.value.code, str(regular.value)) == (
        "QuotaExceeded",
        f"Standard DSv5 Family vCPUs in {REGION}: 0 of 1 in use, 2 more needed for Standard_D2s_v5.",
    )
    arm.admin.quota(REGION, "lowPriorityCores", 1)
    now[0] += USAGES_CACHE_S
    with pytest.raises(CloudError) as spot:
        compute.allocate_capacity(APP_TENANT, arm.placement, "Standard_D2s_v5", "Spot")
    words = f"Total Regional Low-priority vCPUs in {REGION}: 0 of 1 in use, 2 more needed for Standard_D2s_v5."
    assert (spot.value.code, spot.value.step, str(spot.value)) == ("QuotaExceeded", "allocateCapacity", words)
    assert len(arm.sent("listUsages")) == 2, "the usages read again once their time is up"


def test_create_vm_puts_the_vm_with_its_own_nic_as_azure_documents_and_a_repeat_creates_nothing(arm: Arm) -> None:
    spec = arm.spec()
    made = arm.compute.create_vm(APP_TENANT, spec)
    vm_id = arm.admin.resource_id("rg-cloudpcs", "Microsoft.Compute", "virtualMachines", "vm1")
    principal = arm.admin.call("GET", vm_id).json()["identity"]["principalId"]  # what its watcher's tokens name
    assert made == Progress(done=True, resource_id=vm_id, principal_id=principal)
    assert arm.sent("createNic") == []  # one ARM write: the VM makes its NIC
    [vm_put] = arm.sent("createVm")
    assert (
        vm_put["method"] == "PUT"
        and vm_put["path"] == f"/arm{vm_id}"
        and API_VERSION.match(vm_put["query"]["api-version"])
    )
    body = vm_put["body"]
    props = body["properties"]
    assert body["location"] == REGION and body["identity"] == {"type": "SystemAssigned"}
    assert props["hardwareProfile"] == {"vmSize": "Standard_D2s_v5"}
    assert props["storageProfile"]["imageReference"] == {
        "publisher": "microsoftwindowsdesktop",
        "offer": "windows-ent-cpc",
        "sku": "win11-24h2-ent-cpc-m365",
        "version": "latest",
    }
    assert props["storageProfile"]["osDisk"]["diskSizeGB"] == 128
    assert props["storageProfile"]["osDisk"]["deleteOption"] == "Delete"
    network = props["networkProfile"]
    assert API_VERSION.match(network["networkApiVersion"])
    [own] = network["networkInterfaceConfigurations"]
    assert (own["name"], own["properties"]["deleteOption"]) == ("vm1-nic", "Delete")
    assert own["properties"]["ipConfigurations"][0]["properties"]["subnet"]["id"] == arm.subnet_id
    assert props["osProfile"]["computerName"] == "CPC-VM1" and props["osProfile"]["adminPassword"] == "***"
    again = arm.compute.create_vm(APP_TENANT, spec)  # a repeated call: Azure refuses the new password, nothing changes
    assert again.done and again.resource_id == vm_id
    assert [put["status"] for put in arm.sent("createVm")] == [201, 409] and len(arm.admin.vms("rg-cloudpcs")) == 1
    attached = arm.compute.attached_nic(APP_TENANT, arm.placement, "vm1-nic")
    assert attached.done and attached.resource_id and attached.resource_id.endswith("/networkInterfaces/vm1-nic")
    with pytest.raises(CloudError) as missing:
        arm.compute.attached_nic(APP_TENANT, arm.placement, "no-such-nic")
    assert (missing.value.step, missing.value.code) == ("attachNetwork", "NetworkInterfaceNotFound")


def test_the_hosted_network_is_made_on_demand_and_custom_images_are_referenced_by_id(arm: Arm) -> None:
    image = arm.admin.managed_image("rg-images", "golden")
    assert arm.compute.create_vm(APP_TENANT, arm.spec("vm2", subnet=False, image=image)).done
    [vnet] = arm.admin.virtual_networks("rg-cloudpcs")
    assert vnet["name"] == f"vnet-cloudpcs-{REGION}" and vnet["properties"]["subnets"][0]["name"] == "cloudpcs"
    [vm_put] = arm.sent("createVm")
    assert vm_put["body"]["properties"]["storageProfile"]["imageReference"] == {"id": image}
    assert arm.compute.create_vm(APP_TENANT, arm.spec("vm3", subnet=False)).done
    assert len(arm.admin.virtual_networks("rg-cloudpcs")) == 1


def test_a_slow_vm_create_returns_at_once_and_is_polled_to_done(arm: Arm) -> None:
    arm.controls.latency("createVm", 30)
    first = arm.compute.create_vm(APP_TENANT, arm.spec())
    assert not first.done and first.retry_after_s >= 1 and first.operation
    assert first.operation.startswith("vm:")  # the identity the PUT's first answer named rides with the poll
    polls = arm.controls.count("pollOperation")
    still = arm.compute.create_vm(APP_TENANT, arm.spec(), first.operation)
    assert not still.done and still.operation == first.operation
    assert arm.controls.count("pollOperation") == polls + 1
    assert len(arm.sent("createVm")) == 1
    arm.controls.latency("createVm", 0)
    arm.controls.latency("createNic", 1)
    done = until_done(lambda operation: arm.compute.create_vm(APP_TENANT, arm.spec("vm5"), operation))
    assert done.resource_id and done.resource_id.endswith("/virtualMachines/vm5")
    assert done.principal_id == arm.admin.call("GET", done.resource_id).json()["identity"]["principalId"]


def test_throttled_vm_creates_come_back_not_done_with_retry_after_and_make_no_duplicate(arm: Arm) -> None:
    try:
        arm.controls.throttle("createVm", 1, 1)
        assert arm.compute.create_vm(APP_TENANT, arm.spec("vm1")).done
        throttled = arm.compute.create_vm(APP_TENANT, arm.spec("vm2"))
        assert not throttled.done and throttled.retry_after_s >= 1
        again = arm.compute.create_vm(APP_TENANT, arm.spec("vm2"), throttled.operation)
        assert not again.done and 0 < again.retry_after_s <= throttled.retry_after_s
        newcomer = arm.compute.create_vm(APP_TENANT, arm.spec("vm3"))
        assert not newcomer.done and newcomer.retry_after_s > again.retry_after_s, "it queues behind vm2"
        assert [vm["name"] for vm in arm.admin.vms("rg-cloudpcs")] == ["vm1"]
        # before their turns neither calls Azure again: the client paces itself once throttled
        assert [e["status"] for e in arm.sent("createVm")] == [201, 429]
    finally:
        arm.controls.throttle("createVm", 500, 1500)


def test_a_throttled_create_retried_after_the_vm_was_made_meanwhile_adopts_it_as_it_is(arm: Arm) -> None:
    now = [1000.0]
    paced = AzureProvisioningCompute(arm.compute.clients, clock=lambda: now[0])
    try:
        arm.controls.throttle("createVm", 1, 1)
        assert paced.create_vm(APP_TENANT, arm.spec("vm1")).done
        throttled = paced.create_vm(APP_TENANT, arm.spec("vm2"))
        assert not throttled.done and throttled.operation
    finally:
        arm.controls.throttle("createVm", 500, 1500)
    # meanwhile the VM was made (another instance ran the same activity): a re-PUT would carry a new password
    assert AzureProvisioningCompute(arm.compute.clients).create_vm(APP_TENANT, arm.spec("vm2")).done
    now[0] += throttled.retry_after_s  # the caller's turn has come
    resumed = paced.create_vm(APP_TENANT, arm.spec("vm2"), throttled.operation)
    assert resumed.done and resumed.resource_id and resumed.resource_id.endswith("/virtualMachines/vm2")
    # its PUT's new password is refused for the existing VM, which changed nothing: the VM is read and adopted
    assert [e["status"] for e in arm.sent("createVm") if e["path"].endswith("/vm2")] == [429, 201, 409]


def test_a_failed_vm_create_raises_azures_error_code(arm: Arm) -> None:
    arm.controls.fault("createVm", 1, "AllocationFailed")
    with pytest.raises(CloudError) as failed:
        until_done(lambda operation: arm.compute.create_vm(APP_TENANT, arm.spec(), operation))
    assert (failed.value.step, failed.value.code) == ("createVm", "AllocationFailed")
    with pytest.raises(CloudError) as again:  # a new call finds the failed VM and says so
        arm.compute.create_vm(APP_TENANT, arm.spec())
    assert again.value.code == "AllocationFailed"
    assert until_done(lambda op: arm.compute.delete_vm(APP_TENANT, arm.placement, "vm1", op)).done
    assert until_done(lambda op: arm.compute.delete_nic(APP_TENANT, arm.placement, "vm1-nic", op)).done
    assert arm.admin.vms("rg-cloudpcs") == [] and arm.admin.nics("rg-cloudpcs") == []
    assert arm.admin.disks("rg-cloudpcs") == []


def test_a_vm_refused_for_its_quota_leaves_no_nic_behind(arm: Arm) -> None:
    arm.admin.quota(REGION, "standardDSv5Family", 1)
    with pytest.raises(CloudError) as refused:
        arm.compute.create_vm(APP_TENANT, arm.spec())
    assert refused.value.code == "OperationNotAllowed" and refused.value.status == 409
    assert arm.admin.vms("rg-cloudpcs") == [] and arm.admin.nics("rg-cloudpcs") == []
    assert arm.compute.delete_nic(APP_TENANT, arm.placement, "vm1-nic").done  # the removal finds nothing to do


def test_run_commands_send_the_script_and_fail_with_the_code(arm: Arm) -> None:
    assert arm.compute.create_vm(APP_TENANT, arm.spec()).done
    script = ["reagentc.exe /disable"]
    assert arm.compute.run_command(APP_TENANT, arm.placement, "vm1", "disableWindowsReset", script).done
    [sent] = arm.sent("runCommand")
    assert sent["method"] == "PUT" and sent["path"].endswith("/virtualMachines/vm1/runCommands/disableWindowsReset")
    assert sent["body"]["properties"]["source"] == {"script": "reagentc.exe /disable"}
    assert sent["body"]["properties"]["treatFailureAsDeploymentFailure"] is True
    assert sent["body"]["location"] == REGION
    assert arm.compute.run_command(APP_TENANT, arm.placement, "vm1", "disableWindowsReset", script).done
    # post-provisioning scripts are idempotent: a repeat runs one again instead of every call reading first
    assert len(arm.sent("runCommand")) == 2
    assert arm.sent("getRunCommand") == []
    arm.controls.fault("setTeamsVdiMode", 1, "ScriptTimeout")
    with pytest.raises(CloudError) as failed:
        until_done(lambda op: arm.compute.run_command(APP_TENANT, arm.placement, "vm1", "setTeamsVdiMode", ["x"], op))
    assert (failed.value.step, failed.value.code) == ("setTeamsVdiMode", "ScriptTimeout")


def test_writes_are_held_back_before_arms_write_budget_refuses_them_and_new_work_first(
    azure_emulator: EmulatorProcess, arm: Arm
) -> None:
    entra = arm.admin.tenant_id
    clients = ArmClients(
        EmulatorCredentials(azure_emulator, {APP_TENANT: entra}),
        f"{azure_emulator.base_url}/arm",
        clock=lambda: 0.0,
        sleep=lambda seconds: None,
    )  # the budget's clock stands still
    compute = AzureProvisioningCompute(clients)
    arm.controls.throttle("armWrites", per_minute=6, burst=NEW_WORK_RESERVE + 2)  # near new work's reserve
    # one VM takes the Run Commands: its own update bucket (12 in Azure) is set out of the way of ARM's budget
    arm.controls.throttle("computeUpdateVM", per_minute=6000, burst=1000)
    try:
        for name in ("vm1", "vm2"):  # ARM answers 61 left, then 60
            spec = arm.spec(name)
            assert until_done(lambda op: compute.create_vm(APP_TENANT, spec, op)).done  # noqa: B023
        held = compute.create_vm(APP_TENANT, arm.spec("vm3"))  # new work: held back while 60 are left
        assert not held.done and held.held == REQUEST_BUDGET and held.retry_after_s > 0
        assert len(arm.sent("createVm")) == 2  # held back here: Azure never saw it, so refused nothing
        # the writes of work under way go on down to the reserve, and then are held too
        for n in range(NEW_WORK_RESERVE - RESERVE):
            compute.run_command(APP_TENANT, arm.placement, "vm1", f"probe{n}", ["exit 0"])
        with pytest.raises(CloudThrottled) as stopped:
            compute.run_command(APP_TENANT, arm.placement, "vm1", "probeLast", ["exit 0"])
        assert stopped.value.code == REQUEST_BUDGET and stopped.value.transient  # a wait, never a failed attempt
        assert len(arm.sent("runCommand")) == NEW_WORK_RESERVE - RESERVE
    finally:
        for name in ("armWrites", "computeUpdateVM"):
            arm.controls.session.delete(f"{arm.controls.base}/throttles/{name}", timeout=30)
        clients.close()


def test_one_run_command_takes_several_steps_each_with_its_own_outcome(arm: Arm) -> None:
    assert arm.compute.create_vm(APP_TENANT, arm.spec()).done
    build = BuildSettings(
        image_type="gallery",
        image_id=GALLERY_IMAGE,
        image_display_name="Windows 11",
        domain_join_type="azureADJoin",
        region_name=REGION,
        vm_size="Standard_D2s_v5",
        os_disk_size_gb=128,
        naming_template="CPC-%RAND:5%",
        local_admin_enabled=True,
    )
    script, steps = post_command(build, "ann@contoso.com"), post_steps(build)
    arm.controls.latency(POST_COMMAND, 1)
    arm.controls.fault("setTeamsVdiMode", 1, "ScriptTimeout")

    calls: list[str] = []
    polled = arm.sent("pollOperation")

    def step(name: str) -> Progress:
        def call(op: str | None) -> Progress:
            calls.append(name)
            return arm.compute.run_steps(APP_TENANT, arm.placement, "vm1", POST_COMMAND, script, name, op)

        return until_done(call)

    for name in steps:
        if name == "setTeamsVdiMode":
            with pytest.raises(CloudError) as failed:
                step(name)
            assert (failed.value.step, failed.value.code) == ("setTeamsVdiMode", "ScriptTimeout")
        else:
            assert step(name).done
    [sent] = arm.sent("runCommand")  # one ARM write for every step; the others read its output
    # read before it was made, then at each of the first step's calls after (the command read, not its operation
    # polled), until it ended with the output: not once a step
    assert calls[: calls.count(steps[0])] == [steps[0]] * calls.count(steps[0]) and calls.count(steps[0]) >= 2
    assert len(arm.sent("getRunCommand")) == calls.count(steps[0])
    assert arm.sent("pollOperation") == polled, "the command is read, not its operation polled"
    assert sent["path"].endswith(f"/virtualMachines/vm1/runCommands/{POST_COMMAND}")
    assert all(f"Invoke-CloudPcStep '{name}'" in sent["body"]["properties"]["source"]["script"] for name in steps)


def test_a_run_command_that_fails_at_once_raises_azures_code_and_message(arm: Arm) -> None:
    assert arm.compute.create_vm(APP_TENANT, arm.spec()).done
    with pytest.raises(CloudError) as failed:  # enrolment of a VM not joined to Entra ID fails inside the VM
        until_done(
            lambda op: arm.compute.run_command(APP_TENANT, arm.placement, "vm1", "enrollIntune", ["AutoEnrollMDM"], op)
        )
    assert failed.value.code == "VMExtensionProvisioningError"
    assert "not joined to Microsoft Entra ID" in str(failed.value)


def test_entra_join_enrolment_and_sign_in_role(arm: Arm) -> None:
    assert arm.compute.create_vm(APP_TENANT, arm.spec()).done
    join = JoinSpec(device_name="CPC-VM1", join_type="azureADJoin")
    joined = until_done(lambda op: arm.devices.join_device(APP_TENANT, arm.placement, "vm1", join, op))
    assert joined.resource_id
    [ext] = arm.sent("joinEntra")
    assert ext["method"] == "PUT" and ext["path"].endswith("/virtualMachines/vm1/extensions/AADLoginForWindows")
    assert ext["body"]["properties"]["publisher"] == "Microsoft.Azure.ActiveDirectory"
    assert ext["body"]["properties"]["type"] == "AADLoginForWindows"
    # enrolled in Intune as it joins: the extension's mdmId setting; the enrolment step only waits for Intune
    assert ext["body"]["properties"]["settings"] == {"mdmId": "0000000a-0000-0000-c000-000000000000"}
    enrolled = until_done(lambda op: arm.devices.enroll_device(APP_TENANT, arm.placement, "vm1", join, op))
    assert enrolled.resource_id
    assert len(arm.sent("joinEntra")) == 1, "no second PUT of the extension"
    user = GraphAdmin(arm.emulator, arm.admin.tenant_id).create_user()  # a principal of the tenant, as ARM requires
    assigned = arm.devices.assign_user(APP_TENANT, arm.placement, "vm1", user, administrator=False)
    assert assigned.done and assigned.resource_id
    again = arm.devices.assign_user(APP_TENANT, arm.placement, "vm1", user, administrator=False)
    assert again == assigned
    admin_role = arm.devices.assign_user(APP_TENANT, arm.placement, "vm1", user, administrator=True)
    assert admin_role.done and admin_role.resource_id != assigned.resource_id
    puts = arm.sent("assignUser")
    assert puts[0]["path"] == f"/arm{assigned.resource_id}"
    assert puts[0]["query"]["api-version"] == "2022-04-01"
    assert puts[0]["body"]["properties"]["roleDefinitionId"].endswith(f"/roleDefinitions/{USER_LOGIN}")
    assert puts[0]["body"]["properties"]["principalId"] == user
    assert puts[2]["body"]["properties"]["roleDefinitionId"].endswith(f"/roleDefinitions/{ADMIN_LOGIN}")
    assert len(arm.admin.role_assignments("rg-cloudpcs")) == 2


def test_a_slow_join_is_polled_and_a_failed_one_raises_its_code(arm: Arm) -> None:
    assert arm.compute.create_vm(APP_TENANT, arm.spec()).done
    join = JoinSpec(device_name="CPC-VM1", join_type="azureADJoin")
    arm.controls.latency("joinEntra", 30)
    first = arm.devices.join_device(APP_TENANT, arm.placement, "vm1", join)
    assert not first.done and first.operation and first.retry_after_s >= 1
    arm.controls.latency("joinEntra", 0)
    assert arm.compute.create_vm(APP_TENANT, arm.spec("vm2")).done
    arm.controls.fault("joinEntra", 1, "AADJoinFailed")
    with pytest.raises(CloudError) as failed:
        until_done(lambda op: arm.devices.join_device(APP_TENANT, arm.placement, "vm2", join, op))
    assert (failed.value.step, failed.value.code) == ("joinEntra", "AADJoinFailed")


def test_hybrid_join_enrolment_and_disabling_the_computer_account(arm: Arm) -> None:
    domain = f"d{uuid.uuid4().hex[:8]}.contoso.com"
    assert arm.compute.create_vm(APP_TENANT, arm.spec()).done
    join = JoinSpec(
        device_name="CPC-VM1",
        join_type="hybridAzureADJoin",
        domain_name=domain,
        organizational_unit="OU=CloudPCs,DC=contoso,DC=com",
        domain_username="join@contoso.com",
        password_secret_name="join-password",
    )
    assert until_done(lambda op: arm.devices.join_device(APP_TENANT, arm.placement, "vm1", join, op)).done
    [ext] = arm.sent("joinEntra")
    assert ext["path"].endswith("/virtualMachines/vm1/extensions/JsonADDomainExtension")
    assert ext["body"]["properties"]["publisher"] == "Microsoft.Compute"
    assert ext["body"]["properties"]["settings"] == {
        "Name": domain,
        "OUPath": "OU=CloudPCs,DC=contoso,DC=com",
        "User": "join@contoso.com",
        "Restart": "true",
        "Options": "3",
    }
    assert ext["body"]["properties"]["protectedSettings"] == "***"
    assert until_done(lambda op: arm.devices.enroll_device(APP_TENANT, arm.placement, "vm1", join, op)).done
    assert "AutoEnrollMDM" in arm.sent("runCommand")[0]["body"]["properties"]["source"]["script"]
    disabled = until_done(
        lambda op: arm.devices.disable_computer_account(APP_TENANT, arm.placement, join, arm.subnet_id, op)
    )
    assert disabled.done
    command = arm.sent("runCommand")[-1]
    assert "Disable-ADComputer -Identity CPC-VM1" in command["body"]["properties"]["source"]["script"]
    assert command["body"]["properties"]["protectedParameters"] == [{"name": "Password", "value": "***"}]
    [probe] = [e for e in arm.sent("createVm") if "probe-" in e["path"]]
    [own] = probe["body"]["properties"]["networkProfile"]["networkInterfaceConfigurations"]
    assert own["properties"]["ipConfigurations"][0]["properties"]["subnet"]["id"] == arm.subnet_id
    assert [vm["name"] for vm in arm.admin.vms("rg-cloudpcs")] == ["vm1"]  # the probe is gone again
    computers = arm.emulator.session().get(f"{arm.emulator.base_url}/emulator/activeDirectory/computers").json()
    assert [c["enabled"] for c in computers["value"] if c["domain"] == domain] == [False]
    assert PASSWORD not in str(arm.controls.log())


def test_deleting_the_vm_takes_its_disk_and_nic_and_deleting_again_is_done(arm: Arm) -> None:
    assert arm.compute.create_vm(APP_TENANT, arm.spec()).done
    arm.controls.latency("deleteVm", 1)
    first = arm.compute.delete_vm(APP_TENANT, arm.placement, "vm1")
    assert not first.done and first.operation
    assert until_done(lambda op: arm.compute.delete_vm(APP_TENANT, arm.placement, "vm1", op or first.operation)).done
    [sent] = [e for e in arm.sent("deleteVm") if e["method"] == "DELETE"]
    assert sent["path"].endswith("/virtualMachines/vm1")
    assert arm.admin.vms("rg-cloudpcs") == [] and arm.admin.nics("rg-cloudpcs") == []
    assert arm.admin.disks("rg-cloudpcs") == []
    assert arm.compute.delete_vm(APP_TENANT, arm.placement, "vm1").done
    assert arm.compute.delete_nic(APP_TENANT, arm.placement, "vm1-nic").done


def test_source_images_are_read_from_managed_images_and_gallery_versions(arm: Arm) -> None:
    from shared.cloud.azure.arm_images import AzureImages

    images = AzureImages(arm.compute.clients)
    managed = arm.admin.managed_image("rg-images", "golden", generation="V1", data_disks=1, disk_gb=128)
    image = images.get_managed_image(APP_TENANT, managed)
    assert image is not None
    assert (image.os_type, image.hyper_v_generation, image.os_state) == ("Windows", "V1", "Generalized")
    assert (image.os_disk_size_gb, image.data_disk_count) == (128, 1)
    [read] = arm.sent("getImage")
    assert (
        read["method"] == "GET" and read["path"] == f"/arm{managed}" and API_VERSION.match(read["query"]["api-version"])
    )
    admin = arm.admin
    admin.ok("PUT", admin.resource_id("rg-images", "Microsoft.Compute", "galleries", "gal"), {"location": REGION})
    definition = admin.resource_id("rg-images", "Microsoft.Compute", "galleries", "gal", "images", "win11")
    admin.ok(
        "PUT",
        definition,
        {
            "location": REGION,
            "properties": {
                "osType": "Windows",
                "osState": "Generalized",
                "hyperVGeneration": "V2",
                "identifier": {"publisher": "contoso", "offer": "win11", "sku": "golden"},
            },
        },
    )
    source = arm.admin.managed_image("rg-images", "golden2")
    version = admin.ok(
        "PUT",
        f"{definition}/versions/1.2.0",
        {
            "location": REGION,
            "properties": {
                "publishingProfile": {"targetRegions": [{"name": REGION}]},
                "storageProfile": {"source": {"id": source}},
            },
        },
    )
    from_gallery = images.get_managed_image(APP_TENANT, version["id"])
    assert from_gallery is not None and (from_gallery.hyper_v_generation, from_gallery.os_disk_size_gb) == ("V2", 64)
    latest = images.get_managed_image(APP_TENANT, definition)
    assert latest is not None and latest.details["version"] == "1.2.0"
    assert images.get_managed_image(APP_TENANT, managed + "-missing") is None
    assert (
        images.get_managed_image(APP_TENANT, "/subscriptions/x/resourceGroups/y/providers/Microsoft.Network/z/w")
        is None
    )
    arm.controls.fault("getImage", 1, "InternalError")
    with pytest.raises(CloudError) as failed:
        images.get_managed_image(APP_TENANT, managed)
    assert failed.value.code == "InternalError"


def test_an_unknown_operation_or_one_on_another_endpoint_is_read_from_the_resource(arm: Arm) -> None:
    base = f"{arm.emulator.base_url}/arm/subscriptions/{arm.admin.subscription_id}/providers/Microsoft.Compute"
    forgotten = f"vm {base}/locations/{REGION}/operations/{uuid.uuid4()}?api-version=2024-07-01"
    lost = arm.compute.create_vm(APP_TENANT, arm.spec(), forgotten)
    assert not lost.done and lost.operation is None  # the next call finds out from the VM itself
    assert arm.compute.create_vm(APP_TENANT, arm.spec(), lost.operation).done
    # recorded before the app was pointed elsewhere (an emulator restarted on another port): never called, since
    # the token goes to the ARM endpoint only; the VM itself says how its delete stands
    moved = arm.compute.delete_vm(APP_TENANT, arm.placement, "vm1", "deleteVm https://127.0.0.1:1/arm/operations/x")
    assert not moved.done and moved.operation is None and moved.held is None
    assert until_done(lambda operation: arm.compute.delete_vm(APP_TENANT, arm.placement, "vm1", operation)).done
    assert arm.admin.vms("rg-cloudpcs") == []
