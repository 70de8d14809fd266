"""Compute's limits on each VM in the emulator (learn.microsoft.com/azure/virtual-machines/compute-throttling-limits):
a bucket per VM and per subscription for each policy, said on every answer, and 429 OperationNotAllowed with
Retry-After, the request not made, once the VM's bucket is empty."""

from __future__ import annotations

from typing import Any

import requests

from azure_emulator.launcher import EmulatorProcess
from tests.emulator.test_arm_compute import make_nic, vm_body
from tests.utils.arm_admin import ArmAdmin, Controls, Sdk

HEADER = "x-ms-ratelimit-remaining-resource"


def left(reply: requests.Response) -> dict[str, int]:
    """`Microsoft.Compute/UpdateVMResource;11,...` -> {"UpdateVMResource": 11, ...}"""
    entries = [entry.strip().split(";") for entry in reply.headers[HEADER].split(",")]
    return {name.removeprefix("Microsoft.Compute/"): int(count) for name, count in entries}


def make_vm(admin: ArmAdmin, sdk: Sdk, name: str) -> str:
    nic = make_nic(admin, sdk, f"{name}-nic")
    body = vm_body(nic["id"])
    body["properties"]["osProfile"]["computerName"] = name.upper()
    sdk.compute.virtual_machines.begin_create_or_update("rg", name, body).result()
    return admin.resource_id("rg", "Microsoft.Compute", "virtualMachines", name)


def first_refused(
    admin: ArmAdmin, method: str, path: str, limit: int, body: Any = None
) -> tuple[int, requests.Response]:
    """Send the request until it is refused (at most `limit` + 1 times): how many went through, and the refusal."""
    for sent in range(limit + 1):
        reply = admin.call(method, path, body)
        if reply.status_code == 429:
            return sent, reply
        assert reply.status_code < 300, reply.text
    raise AssertionError(f"{limit + 1} of {method} {path} all went through")


def test_each_answer_says_what_the_vm_and_the_subscription_have_left_of_its_policy(admin: ArmAdmin, sdk: Sdk) -> None:
    vm = make_vm(admin, sdk, "vm1")
    before = left(admin.call("GET", vm))
    after = left(admin.call("GET", vm))
    assert set(after) == {"LowCostGetResource", "LowCostGetSubscription"}
    assert after["LowCostGetResource"] == before["LowCostGetResource"] - 1 < 36  # the page's 36 a VM
    assert 24_000 - 10 < after["LowCostGetSubscription"] < 24_000  # and 24,000 a subscription
    restarted = admin.call("POST", f"{vm}/restart")
    assert restarted.status_code == 202 and left(restarted)["UpdateVMResource"] == 11  # 12 a VM
    assert left(admin.call("POST", f"{vm}/deallocate"))["DeleteVMResource"] == 11  # a policy of its own
    status = admin.session.get(restarted.headers["Azure-AsyncOperation"], timeout=30)
    assert set(left(status)) == {"GetOperationResource", "GetOperationSubscription"}
    again = admin.session.get(restarted.headers["Azure-AsyncOperation"], timeout=30)
    assert left(again)["GetOperationResource"] == left(status)["GetOperationResource"] - 1 < 45  # 45 a VM (its
    # create's polls took some)
    listed = admin.call("GET", admin.resource_id("rg", "Microsoft.Compute", "virtualMachines"))
    assert set(left(listed)) == {"HighCostGetSubscription"}  # a list has the subscription's bucket only
    assert HEADER not in admin.call("GET", admin.group_id("rg")).headers  # not Compute's
    assert HEADER not in admin.call("GET", f"{vm}/providers/Microsoft.Authorization/roleAssignments").headers


def test_a_vm_read_past_its_bucket_is_refused_and_the_other_vm_is_not(
    azure_emulator: EmulatorProcess, admin: ArmAdmin, sdk: Sdk
) -> None:
    vm, other = make_vm(admin, sdk, "vm1"), make_vm(admin, sdk, "vm2")
    sent, refused = first_refused(admin, "GET", f"{vm}/instanceView", 36)
    assert sent <= 36
    error = refused.json()["error"]
    assert error["code"] == "OperationNotAllowed"
    assert error["details"][0]["target"] == "LowCostGetResource"
    assert left(refused)["LowCostGetResource"] == 0
    assert 1 <= int(refused.headers["Retry-After"]) <= 5  # 12 a minute: one every 5 s
    assert admin.call("GET", other).status_code == 200  # each VM has its own bucket
    counted = (
        Controls(azure_emulator, admin.tenant_id)
        .session.get(f"{azure_emulator.base_url}/emulator/requests", timeout=30)
        .json()["value"]
    )
    assert any(r["operation"] == "getVm" and r["throttled"] >= 1 for r in counted), "the counts say how many were 429"


def test_power_actions_and_run_commands_share_the_vm_update_bucket(
    azure_emulator: EmulatorProcess, admin: ArmAdmin, sdk: Sdk
) -> None:
    vm = make_vm(admin, sdk, "vm1")
    command = {"location": "westeurope", "properties": {"source": {"script": "Write-Output ok"}}}
    assert admin.call("PUT", f"{vm}/runCommands/first", command).status_code in (200, 201)
    sent, refused = first_refused(admin, "POST", f"{vm}/restart", 12)
    assert sent == 11, "the Run Command took the twelfth token"
    assert refused.json()["error"]["details"][0]["target"] == "UpdateVMResource"
    assert 1 <= int(refused.headers["Retry-After"]) <= 15  # 4 a minute
    assert admin.call("PUT", f"{vm}/runCommands/second", command).status_code == 429
    assert admin.call("POST", f"{vm}/deallocate").status_code == 202  # Delete VM is a policy of its own


def test_polling_one_vm_s_operation_past_its_bucket_is_refused(
    azure_emulator: EmulatorProcess, admin: ArmAdmin, sdk: Sdk
) -> None:
    vm = make_vm(admin, sdk, "vm1")
    Controls(azure_emulator, admin.tenant_id).latency("restartVm", 600)
    started = admin.call("POST", f"{vm}/restart")
    url = started.headers["Azure-AsyncOperation"]
    for _ in range(45):
        polled = admin.session.get(url, timeout=30)
        if polled.status_code == 429:
            break
    assert polled.status_code == 429, "45 polls a VM, then 15 a minute"
    assert polled.json()["error"]["details"][0]["target"] == "GetOperationResource"
    assert 1 <= int(polled.headers["Retry-After"]) <= 4
