"""The emulated updates of an existing VM, through the unmodified SDK clients: a PATCH of its size, the growth of its
managed OS disk (refused unless the VM is deallocated, as Azure refuses it), and a throttled answer's Retry-After."""

from __future__ import annotations

from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError

from azure_emulator.launcher import EmulatorProcess
from tests.emulator.test_arm_compute import make_nic, vm_body
from tests.utils.arm_admin import ArmAdmin, Controls, Sdk


def make_vm(admin: ArmAdmin, sdk: Sdk) -> dict[str, Any]:
    nic = make_nic(admin, sdk)
    return dict(sdk.compute.virtual_machines.begin_create_or_update("rg", "vm1", vm_body(nic["id"])).result())


def disk_name(vm: dict[str, Any]) -> str:
    return str(vm["properties"]["storageProfile"]["osDisk"]["name"])


def test_a_patch_resizes_the_vm_and_a_patch_of_its_own_size_changes_nothing(admin: ArmAdmin, sdk: Sdk) -> None:
    make_vm(admin, sdk)
    update = {"properties": {"hardwareProfile": {"vmSize": "Standard_D4s_v5"}}}
    resized = sdk.compute.virtual_machines.begin_update("rg", "vm1", update).result()
    assert resized["properties"]["hardwareProfile"]["vmSize"] == "Standard_D4s_v5"
    assert resized["properties"]["osProfile"]["computerName"] == "CPC-TEST-01", "the rest of the VM is kept"
    usage = {u["name"]["value"]: u for u in sdk.compute.usage.list("westeurope")}
    assert usage["standardDSv5Family"]["currentValue"] == 4
    again = sdk.compute.virtual_machines.begin_update("rg", "vm1", update).result()
    assert again["properties"]["hardwareProfile"]["vmSize"] == "Standard_D4s_v5"
    with pytest.raises(HttpResponseError) as unknown:
        sdk.compute.virtual_machines.begin_update("rg", "vm1", {"properties": {"hardwareProfile": {"vmSize": "X"}}})
    assert unknown.value.error is not None and unknown.value.error.code == "SkuNotAvailable"
    missing = admin.call("PATCH", admin.resource_id("rg", "Microsoft.Compute", "virtualMachines", "nope"), update)
    assert missing.status_code == 404


def test_the_os_disk_grows_only_while_its_vm_is_deallocated_and_never_shrinks(admin: ArmAdmin, sdk: Sdk) -> None:
    vm = make_vm(admin, sdk)
    name = disk_name(vm)
    running = admin.call(
        "PATCH", admin.resource_id("rg", "Microsoft.Compute", "disks", name), {"properties": {"diskSizeGB": 256}}
    )
    assert running.status_code == 409 and running.json()["error"]["code"] == "OperationNotAllowed"
    sdk.compute.virtual_machines.begin_power_off("rg", "vm1").result()
    with pytest.raises(HttpResponseError) as stopped:  # stopped is still allocated: Azure refuses it too
        sdk.compute.disks.begin_update("rg", name, {"properties": {"diskSizeGB": 256}}).result()
    assert stopped.value.status_code == 409
    assert sdk.compute.disks.get("rg", name)["properties"]["diskSizeGB"] == 128
    sdk.compute.virtual_machines.begin_deallocate("rg", "vm1").result()
    grown = sdk.compute.disks.begin_update("rg", name, {"properties": {"diskSizeGB": 256}}).result()
    assert grown["properties"]["diskSizeGB"] == 256 and grown["properties"]["provisioningState"] == "Succeeded"
    shown = sdk.compute.virtual_machines.get("rg", "vm1")
    assert shown["properties"]["storageProfile"]["osDisk"]["diskSizeGB"] == 256, "the VM shows its disk's size"
    with pytest.raises(HttpResponseError) as shrink:
        sdk.compute.disks.begin_update("rg", name, {"properties": {"diskSizeGB": 128}}).result()
    assert shrink.value.status_code == 400
    assert sdk.compute.disks.get("rg", name)["properties"]["diskSizeGB"] == 256


def test_a_slow_disk_update_is_a_long_running_operation(
    azure_emulator: EmulatorProcess, admin: ArmAdmin, sdk: Sdk
) -> None:
    name = disk_name(make_vm(admin, sdk))
    sdk.compute.virtual_machines.begin_deallocate("rg", "vm1").result()
    controls = Controls(azure_emulator, admin.tenant_id)
    controls.latency("updateDisk", 1)
    reply = admin.call(
        "PATCH", admin.resource_id("rg", "Microsoft.Compute", "disks", name), {"properties": {"diskSizeGB": 200}}
    )
    assert reply.status_code == 200 and reply.json()["properties"]["provisioningState"] == "Updating"
    assert reply.headers["Azure-AsyncOperation"] and int(reply.headers["Retry-After"]) >= 1


def test_an_injected_429_says_when_to_come_back(azure_emulator: EmulatorProcess, admin: ArmAdmin, sdk: Sdk) -> None:
    make_vm(admin, sdk)
    controls = Controls(azure_emulator, admin.tenant_id)
    url = admin.resource_id("rg", "Microsoft.Compute", "virtualMachines", "vm1")
    for retry_after, expected in ((7, "7"), (None, "1")):
        body: dict[str, Any] = {"count": 1, "status": 429, "errorCode": "TooManyRequests", "tenantId": admin.tenant_id}
        if retry_after is not None:
            body["retryAfter"] = retry_after
        assert controls.session.put(f"{controls.base}/faults/getVm", json=body, timeout=30).status_code == 200
        throttled = admin.call("GET", url)
        assert throttled.status_code == 429 and throttled.headers["Retry-After"] == expected
    assert admin.call("GET", url).status_code == 200


@pytest.mark.parametrize(
    ("change", "refused"),
    [
        (lambda body: body["properties"]["osProfile"].update(adminPassword="Zq9!" + "c3D4" * 4), "adminPassword"),
        (lambda body: body["properties"]["osProfile"].update(computerName="CPC-OTHER-02"), "osProfile.computerName"),
        (lambda body: body["properties"]["osProfile"].update(adminUsername="otheradmin"), "osProfile.adminUsername"),
        (
            lambda body: body["properties"]["storageProfile"]["osDisk"].update(createOption="Attach"),
            "storageProfile.osDisk.createOption",
        ),
    ],
)
def test_a_second_put_may_not_change_what_is_fixed_once_the_vm_exists(
    admin: ArmAdmin, sdk: Sdk, change: Any, refused: str
) -> None:
    vm = make_vm(admin, sdk)
    nic_id = vm["properties"]["networkProfile"]["networkInterfaces"][0]["id"]
    same = admin.call("PUT", vm["id"], vm_body(nic_id))
    assert same.status_code == 200, "the same body again (its password included) is no change"
    body = vm_body(nic_id)
    change(body)
    reply = admin.call("PUT", vm["id"], body)
    assert reply.status_code == 409, reply.text
    assert reply.json()["error"]["code"] == "PropertyChangeNotAllowed"
    assert reply.json()["error"]["target"] == refused
    kept = sdk.compute.virtual_machines.get("rg", "vm1")["properties"]["osProfile"]
    assert kept["computerName"] == "CPC-TEST-01" and kept["adminUsername"] == "cpcadmin"
