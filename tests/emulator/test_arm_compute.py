"""The emulated Microsoft.Compute VMs, driven by the unmodified SDK clients and their long-running-operation pollers."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError

from azure_emulator.launcher import EmulatorProcess
from tests.utils.arm_admin import ArmAdmin, Controls, Sdk
from tests.utils.graph_admin import GraphAdmin

REGION = "westeurope"
IMAGE = {
    "publisher": "microsoftwindowsdesktop",
    "offer": "windows-ent-cpc",
    "sku": "win11-24h2-ent-cpc",
    "version": "latest",
}


@pytest.fixture
def controls(azure_emulator: EmulatorProcess, admin: ArmAdmin) -> Controls:
    return Controls(azure_emulator, admin.tenant_id)


def make_nic(admin: ArmAdmin, sdk: Sdk, name: str = "nic1", subnet: str | None = None) -> dict[str, Any]:
    subnet_id = subnet or admin.virtual_network("rg", "vnet")
    body = {
        "location": REGION,
        "properties": {"ipConfigurations": [{"name": "ipconfig1", "properties": {"subnet": {"id": subnet_id}}}]},
    }
    return dict(sdk.network.network_interfaces.begin_create_or_update("rg", name, body).result())


def vm_body(nic_id: str, size: str = "Standard_D2s_v5", **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "location": REGION,
        "identity": {"type": "SystemAssigned"},
        "properties": {
            "hardwareProfile": {"vmSize": size},
            "storageProfile": {
                "imageReference": IMAGE,
                "osDisk": {"createOption": "FromImage", "diskSizeGB": 128, "deleteOption": "Delete"},
            },
            "osProfile": {
                "computerName": "CPC-TEST-01",
                "adminUsername": "cpcadmin",
                "adminPassword": "Xy7!" + "a1B2" * 4,
            },
            "networkProfile": {"networkInterfaces": [{"id": nic_id, "properties": {"deleteOption": "Delete"}}]},
        },
    }
    body.update(overrides)
    return body


def test_a_vm_is_created_with_its_disk_and_nic_and_shows_its_instance_view(admin: ArmAdmin, sdk: Sdk) -> None:
    nic = make_nic(admin, sdk)
    vm = sdk.compute.virtual_machines.begin_create_or_update("rg", "vm1", vm_body(nic["id"])).result()
    assert vm["properties"]["provisioningState"] == "Succeeded"
    assert vm["identity"]["type"] == "SystemAssigned" and vm["identity"]["principalId"]
    assert vm["identity"]["tenantId"] == admin.tenant_id
    assert "adminPassword" not in vm["properties"]["osProfile"]
    viewed = sdk.compute.virtual_machines.get("rg", "vm1", expand="instanceView")
    codes = [s["code"] for s in viewed["properties"]["instanceView"]["statuses"]]
    assert codes == ["ProvisioningState/succeeded", "PowerState/running"]
    assert viewed["properties"]["instanceView"]["computerName"] == "CPC-TEST-01"
    attached = sdk.network.network_interfaces.get("rg", "nic1")
    assert attached["properties"]["virtualMachine"]["id"] == vm["id"]
    [disk] = admin.disks("rg")
    assert disk["managedBy"] == vm["id"] and disk["properties"]["diskSizeGB"] == 128


def test_a_repeated_put_of_a_vm_creates_nothing_and_takes_no_throttle_token(
    admin: ArmAdmin, sdk: Sdk, controls: Controls
) -> None:
    nic = make_nic(admin, sdk)
    body = vm_body(nic["id"])
    first = sdk.compute.virtual_machines.begin_create_or_update("rg", "vm1", body).result()
    creates = controls.count("createVm")
    try:
        controls.throttle("createVm", 1, 1)  # the bucket is empty for any new VM from here on
        again = admin.call("PUT", first["id"], body)
        assert again.status_code == 200, again.text
        assert again.json()["properties"]["vmId"] == first["properties"]["vmId"]
        assert controls.count("createVm") == creates
        assert len(admin.vms("rg")) == 1 and len(admin.disks("rg")) == 1
    finally:
        controls.throttle("createVm", 500, 1500)


def test_vm_creates_beyond_the_burst_are_throttled_with_retry_after(
    admin: ArmAdmin, sdk: Sdk, controls: Controls
) -> None:
    nics = [make_nic(admin, sdk, f"nic{i}") for i in range(3)]
    try:
        controls.throttle("createVm", 6, 2)
        for index in range(2):
            sdk.compute.virtual_machines.begin_create_or_update("rg", f"vm{index}", vm_body(nics[index]["id"])).result()
        refused = admin.call(
            "PUT", admin.resource_id("rg", "Microsoft.Compute", "virtualMachines", "vm2"), vm_body(nics[2]["id"])
        )
        assert refused.status_code == 429
        assert int(refused.headers["Retry-After"]) >= 1
        assert len(admin.vms("rg")) == 2
    finally:
        controls.throttle("createVm", 500, 1500)


def test_with_latency_a_create_is_a_long_running_operation_the_poller_finishes(
    admin: ArmAdmin, sdk: Sdk, controls: Controls
) -> None:
    nic = make_nic(admin, sdk)
    controls.latency("createVm", 1)
    reply = admin.call(
        "PUT", admin.resource_id("rg", "Microsoft.Compute", "virtualMachines", "vm1"), vm_body(nic["id"])
    )
    assert reply.status_code == 201
    assert reply.json()["properties"]["provisioningState"] == "Creating"
    assert int(reply.headers["Retry-After"]) >= 1
    status = admin.session.get(reply.headers["Azure-AsyncOperation"], timeout=30).json()
    assert status["status"] == "InProgress"
    poller = sdk.compute.virtual_machines.begin_create_or_update(
        "rg", "vm2", vm_body(make_nic(admin, sdk, "nic2")["id"])
    )
    assert poller.result()["properties"]["provisioningState"] == "Succeeded"
    assert admin.vm("rg", "vm1")["properties"]["provisioningState"] == "Succeeded"  # type: ignore[index]


def test_a_faulted_create_ends_failed_with_the_code_and_leaves_a_failed_vm(
    admin: ArmAdmin, sdk: Sdk, controls: Controls
) -> None:
    nic = make_nic(admin, sdk)
    controls.fault("createVm", 1, "AllocationFailed")
    with pytest.raises(HttpResponseError) as failed:
        sdk.compute.virtual_machines.begin_create_or_update("rg", "vm1", vm_body(nic["id"])).result()
    assert failed.value.error is not None and failed.value.error.code == "AllocationFailed"
    vm = admin.vm("rg", "vm1")
    assert vm is not None and vm["properties"]["provisioningState"] == "Failed"
    codes = [s["code"] for s in vm["properties"]["instanceView"]["statuses"]]
    assert "ProvisioningState/failed/AllocationFailed" in codes


def test_delete_takes_the_disk_and_nic_with_delete_option_and_the_role_assignments(
    admin: ArmAdmin, sdk: Sdk, directory: GraphAdmin
) -> None:
    nic = make_nic(admin, sdk)
    vm = sdk.compute.virtual_machines.begin_create_or_update("rg", "vm1", vm_body(nic["id"])).result()
    role = (
        f"/subscriptions/{admin.subscription_id}/providers/Microsoft.Authorization/roleDefinitions/"
        "fb879df8-f326-4884-b1cf-06f3ad86be52"
    )
    sdk.authorization.role_assignments.create(
        vm["id"], str(uuid.uuid4()), {"properties": {"roleDefinitionId": role, "principalId": directory.create_user()}}
    )
    assert len(admin.role_assignments("rg")) == 1
    sdk.compute.virtual_machines.begin_delete("rg", "vm1").result()
    assert admin.vms("rg") == [] and admin.disks("rg") == [] and admin.nics("rg") == []
    assert admin.role_assignments("rg") == []
    subnet = sdk.network.subnets.get("rg", "vnet", "cloudpcs")
    assert not subnet["properties"].get("ipConfigurations")


def test_power_actions_and_a_resize(admin: ArmAdmin, sdk: Sdk) -> None:
    nic = make_nic(admin, sdk)
    sdk.compute.virtual_machines.begin_create_or_update("rg", "vm1", vm_body(nic["id"])).result()
    sdk.compute.virtual_machines.begin_deallocate("rg", "vm1").result()
    view = sdk.compute.virtual_machines.instance_view("rg", "vm1")
    assert "PowerState/deallocated" in [s["code"] for s in view["statuses"]]
    sdk.compute.virtual_machines.begin_start("rg", "vm1").result()
    sdk.compute.virtual_machines.begin_restart("rg", "vm1").result()
    resized = sdk.compute.virtual_machines.begin_create_or_update(
        "rg", "vm1", {"location": REGION, "properties": {"hardwareProfile": {"vmSize": "Standard_D4s_v5"}}}
    ).result()
    assert resized["properties"]["hardwareProfile"]["vmSize"] == "Standard_D4s_v5"
    usage = {u["name"]["value"]: u for u in sdk.compute.usage.list(REGION)}
    assert usage["standardDSv5Family"]["currentValue"] == 4 and usage["cores"]["currentValue"] == 4


def test_quota_and_sku_restrictions_refuse_a_create(admin: ArmAdmin, sdk: Sdk) -> None:
    admin.quota(REGION, "standardDSv5Family", 2)
    nic = make_nic(admin, sdk)
    with pytest.raises(HttpResponseError) as exceeded:
        sdk.compute.virtual_machines.begin_create_or_update("rg", "vm1", vm_body(nic["id"], "Standard_D4s_v5")).result()
    assert exceeded.value.error is not None and exceeded.value.error.code == "OperationNotAllowed"
    skus = list(sdk.compute.resource_skus.list(filter="location eq 'westcentralus'"))
    restricted = next(s for s in skus if s["name"] == "Standard_D16s_v5")
    assert restricted["restrictions"][0]["reasonCode"] == "NotAvailableForSubscription"
    assert {s["locations"][0] for s in skus} == {"westcentralus"}


def test_bad_requests_are_refused_as_arm_does(admin: ArmAdmin, sdk: Sdk) -> None:
    nic = make_nic(admin, sdk)
    no_group = admin.call(
        "PUT",
        f"/subscriptions/{admin.subscription_id}/resourceGroups/nope/providers/Microsoft.Compute/virtualMachines/vm1",
        vm_body(nic["id"]),
    )
    assert no_group.status_code == 404 and no_group.json()["error"]["code"] == "ResourceGroupNotFound"
    weak = vm_body(nic["id"])
    weak["properties"]["osProfile"]["adminPassword"] = "short"
    assert (
        admin.call("PUT", admin.resource_id("rg", "Microsoft.Compute", "virtualMachines", "vm1"), weak).status_code
        == 400
    )
    url = admin.url(admin.resource_id("rg", "Microsoft.Compute", "virtualMachines", "vm1")).split("?")[0]
    missing_version = admin.session.get(url, timeout=30)
    assert missing_version.status_code == 400
    assert missing_version.json()["error"]["code"] == "MissingApiVersionParameter"


def test_a_vm_makes_its_own_nic_from_a_configuration_and_takes_it_when_deleted(admin: ArmAdmin, sdk: Sdk) -> None:
    subnet = admin.virtual_network("rg", "vnet")
    own = {
        "name": "vm1-nic",
        "properties": {
            "deleteOption": "Delete",
            "ipConfigurations": [{"name": "ipconfig1", "properties": {"subnet": {"id": subnet}}}],
        },
    }
    body = vm_body("unused")
    body["properties"]["networkProfile"] = {"networkInterfaceConfigurations": [own]}
    with pytest.raises(HttpResponseError) as missing:  # the VM REST API: the NICs' API version is required
        sdk.compute.virtual_machines.begin_create_or_update("rg", "vm1", body).result()
    assert missing.value.status_code == 400 and "networkApiVersion" in str(missing.value)
    assert admin.nics("rg") == []
    body["properties"]["networkProfile"]["networkApiVersion"] = "2020-11-01"
    vm = sdk.compute.virtual_machines.begin_create_or_update("rg", "vm1", body).result()
    [nic] = admin.nics("rg")
    assert nic["name"] == "vm1-nic" and nic["properties"]["virtualMachine"]["id"] == vm["id"]
    assert nic["properties"]["ipConfigurations"][0]["properties"]["privateIPAddress"]
    assert vm["properties"]["networkProfile"]["networkInterfaces"] == [
        {"id": nic["id"], "properties": {"primary": True, "deleteOption": "Delete"}}
    ]
    sdk.compute.virtual_machines.begin_delete("rg", "vm1").result()
    assert admin.nics("rg") == []  # deleteOption Delete: the NIC went with its VM
