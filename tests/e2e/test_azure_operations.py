"""Long-running Azure operations and throttling end to end: an activity never waits for Azure, creates are paced, and
so is each VM's work by its own limits."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from orchestrators import names
from tests.e2e.test_provisioning import PLAN, settled_cloud_pcs
from tests.utils.api_client import ApiClient, eventually
from tests.utils.app_stack import Collected
from tests.utils.wizard import CLOUD_PC_RG, Tenant

ACTIVITY_DONE = re.compile(rf"Executed 'Functions\.{names.ADVANCE_PROVISIONING}' \(\w+, Id=[^,]+, Duration=(\d+)ms\)")


def test_a_30_second_vm_create_is_waited_for_on_timers_and_polled_as_retry_after_says(
    api: ApiClient, app_logs: Collected
) -> None:
    tenant = Tenant(api)
    tenant.latency("createVm", 30)
    first_line = len(app_logs.lines)
    tenant.user("ann", [PLAN])
    tenant.group("pilot", ["ann"])
    tenant.assign(tenant.policy(), "pilot")
    [cloud_pc] = settled_cloud_pcs(api, tenant, 1)
    assert cloud_pc["status"] == "provisioned"

    # the create's operation was polled when Retry-After said, never in a loop
    polls = [entry for entry in tenant.controls.log("pollOperation") if tenant.arm.subscription_id in entry["path"]]
    assert 1 <= len(polls) <= 30 // 1 + 1, polls
    creates = [e for e in tenant.controls.log("createVm") if tenant.arm.subscription_id in e["path"]]
    assert len(creates) == 1, "the VM was created once and then only polled"
    # ... and no activity sat waiting: each call started or polled the operation and returned
    durations = [int(m.group(1)) for line in app_logs.lines[first_line:] if (m := ACTIVITY_DONE.search(line))]
    assert len(durations) >= 2, "the run needed a call to start the create and another after the wait"
    # a call that waited for the create would last its 30 s; half of that tells the two apart on a loaded machine
    assert max(durations) < 30_000 / 2, durations
    create_line = next(
        e for e in api.get(f"{tenant.path}/cloudPCs/{cloud_pc['id']}/events").json()["value"] if e["name"] == "createVm"
    )
    assert create_line["outcome"] == "succeeded"


@pytest.fixture
def paced_vm_creates(api: ApiClient) -> Iterator[Tenant]:
    """VM creates limited to a burst of 2, then one a second (the limit is per subscription and region)."""
    tenant = Tenant(api)
    tenant.controls.throttle("createVm", per_minute=60, burst=2)
    yield tenant
    tenant.controls.throttle("createVm", per_minute=500, burst=1500)  # Azure's figures, the emulator's default


def test_vm_creates_beyond_the_limit_are_retried_after_retry_after_with_none_lost_or_duplicated(
    api: ApiClient, paced_vm_creates: Tenant
) -> None:
    tenant = paced_vm_creates
    users = [f"user{i}" for i in range(6)]
    for user in users:
        tenant.user(user, [PLAN])
    tenant.group("pilot", users)
    tenant.assign(tenant.policy(), "pilot")
    cloud_pcs = settled_cloud_pcs(api, tenant, len(users))
    assert {c["status"] for c in cloud_pcs} == {"provisioned"}
    assert all(c["attempt"] == 1 for c in cloud_pcs), "throttling is waited out, never counted as a failure"
    throttled = [
        e for e in tenant.controls.log("createVm") if tenant.arm.subscription_id in e["path"] and e["status"] == 429
    ]
    assert throttled, "some creates went beyond the burst and were told to come back later"
    vms = tenant.arm.vms(CLOUD_PC_RG)
    assert len(vms) == len(users)
    assert len({vm["name"] for vm in vms}) == len(users)
    assert sorted(vm["id"].lower() for vm in vms) == sorted(c["virtualMachineId"].lower() for c in cloud_pcs)


@pytest.fixture
def one_update_a_vm(api: ApiClient) -> Iterator[Tenant]:
    """Compute's update bucket of each VM cut to one token, refilled as Azure refills it (4 a minute): a VM's join
    extension, its post-provisioning Run Command and a reboot each find it empty unless the app waits for it."""
    tenant = Tenant(api)
    tenant.controls.throttle("computeUpdateVM", per_minute=4, burst=1)
    yield tenant
    tenant.controls.session.delete(f"{tenant.controls.base}/throttles/computeUpdateVM", timeout=30)


def test_a_vm_s_run_commands_and_a_bulk_reboot_wait_for_its_bucket_and_spend_no_429(
    api: ApiClient, one_update_a_vm: Tenant
) -> None:
    tenant = one_update_a_vm
    users = ["ann", "bob", "cy"]
    for user in users:
        tenant.user(user, [PLAN])
    tenant.group("pilot", users)
    tenant.assign(tenant.policy(), "pilot")
    cloud_pcs = settled_cloud_pcs(api, tenant, len(users))
    assert {c["status"] for c in cloud_pcs} == {"provisioned"}, "a wait for the bucket is no failed Run Command"
    held = [
        e
        for c in cloud_pcs
        for e in api.get(f"{tenant.path}/cloudPCs/{c['id']}/events").json()["value"]
        if e["name"] == "heldByAzure"
    ]
    assert held and {e["code"] for e in held} == {"TooManyRequests"}, "the app waited, and the timeline says why"

    started = api.post(f"{tenant.path}/bulkActions", {"action": "reboot", "cloudPcIds": [c["id"] for c in cloud_pcs]})
    assert started.status_code == 202, started.text

    def rebooted(cloud_pc: dict[str, Any]) -> None:
        lines = api.get(f"{tenant.path}/cloudPCs/{cloud_pc['id']}/events").json()["value"]
        assert any(e["name"] == "rebooted" and e["outcome"] == "succeeded" for e in lines), [e["name"] for e in lines]

    for cloud_pc in cloud_pcs:
        eventually(lambda: rebooted(cloud_pc), timeout_s=120)  # noqa: B023 (called at once)
    refused = [
        (operation, entry["path"])
        for operation in ("putExtension", "runCommand", "restartVm", "pollOperation")
        for entry in tenant.controls.log(operation)
        if tenant.arm.subscription_id in entry["path"] and entry["status"] == 429
    ]
    assert refused == [], "the app paced itself by the VM's bucket: Azure refused none of its requests"
    restarts = [e for e in tenant.controls.log("restartVm") if tenant.arm.subscription_id in e["path"]]
    assert len(restarts) == len(users), "each VM restarted once, when its bucket had the token"
