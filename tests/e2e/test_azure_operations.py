"""Long-running Azure operations and throttling end to end: an activity never waits for Azure, creates are paced."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from orchestrators import names
from tests.e2e.test_provisioning import PLAN, settled_cloud_pcs
from tests.utils.api_client import ApiClient
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
    polls = [
        entry for entry in tenant.controls.log("pollOperation")
        if tenant.arm.subscription_id in entry["path"]
    ]  # fmt: skip
    assert 1 <= len(polls) <= 30 // 1 + 1, polls
    creates = [e for e in tenant.controls.log("createVm") if tenant.arm.subscription_id in e["path"]]
    assert len(creates) == 1, "the VM was created once and then only polled"
    # ... and no activity sat waiting: each call started or polled the operation and returned
    durations = [int(m.group(1)) for line in app_logs.lines[first_line:] if (m := ACTIVITY_DONE.search(line))]
    assert len(durations) >= 2, "the run needed a call to start the create and another after the wait"
    # a call that waited for the create would last its 30 s; half of that tells the two apart on a loaded machine
    assert max(durations) < 30_000 / 2, durations
    create_line = next(e for e in api.get(f"{tenant.path}/cloudPCs/{cloud_pc['id']}/events").json()["value"]
                       if e["name"] == "createVm")  # fmt: skip
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
        e for e in tenant.controls.log("createVm")
        if tenant.arm.subscription_id in e["path"] and e["status"] == 429
    ]  # fmt: skip
    assert throttled, "some creates went beyond the burst and were told to come back later"
    vms = tenant.arm.vms(CLOUD_PC_RG)
    assert len(vms) == len(users)
    assert len({vm["name"] for vm in vms}) == len(users)
    assert sorted(vm["id"].lower() for vm in vms) == sorted(c["virtualMachineId"].lower() for c in cloud_pcs)
