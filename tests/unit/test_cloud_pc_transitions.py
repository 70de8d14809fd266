"""The Cloud PC state machine: every (status, action) pair, what a move sets, and that nothing else writes status."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shared.errors import Conflict
from shared.models.cloud_pcs import CloudPc
from shared.services.cloud_pcs import cloud_pc_transitions as machine

T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
T1 = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)

WORKING = {"provisioned", "provisionedWithWarnings"}
# Written out by hand, independently of the module: the contract (API.md) and the seeds say these.
EXPECTED: dict[str, tuple[set[str], str | None]] = {
    # action: (allowed from, status after; None = unchanged)
    "begin": ({"pendingProvision", "provisioning"}, "provisioning"),
    "finish": ({"provisioning"}, "provisioned"),
    "fail": ({"pendingProvision", "provisioning"}, "failed"),
    "enterGrace": (WORKING, "inGracePeriod"),
    "restore": ({"inGracePeriod"}, "provisioned"),
    "deprovision": ({"inGracePeriod", "failed", "deprovisioning"}, "deprovisioning"),
    "endGracePeriod": ({"inGracePeriod"}, "deprovisioning"),
    "retry": ({"failed"}, "pendingProvision"),
    "reprovision": (WORKING | {"failed"}, "pendingProvision"),
    "resize": (WORKING, "resizing"),
    "finishResize": ({"resizing"}, "provisioned"),
    "failResize": ({"resizing"}, "provisioned"),
    "reboot": (WORKING, None),
    "powerOn": (WORKING, None),
    "powerOff": (WORKING, None),
    "sleep": (WORKING, None),
    "wake": (WORKING, None),
    "rename": ({str(s) for s in machine.STATUSES} - {"deprovisioning"}, None),
    "troubleshoot": (WORKING | {"inGracePeriod"}, None),
    "restoreSnapshot": (WORKING, None),  # Windows 365's own work follows through "mirror"
    "createSnapshot": (WORKING, None),
    "mirror": ({str(s) for s in machine.STATUSES}, None),  # to the status Windows 365 reported
}


def cloud_pc(status: str, **fields: object) -> CloudPc:
    return CloudPc.model_validate(
        {
            "id": "cpc-1",
            "tenantId": "t",
            "createdDateTime": T0,
            "lastModifiedDateTime": T0,
            "displayName": "Ann's PC",
            "userId": "ann",
            "userPrincipalName": "ann@contoso.com",
            "servicePlanId": "plan",
            "servicePlanName": "Plan",
            "provisioningPolicyId": "p",
            "provisioningPolicyName": "Policy",
            "status": status,
            "run": 2,
            "generation": 3,
            **fields,
        }
    )


def test_every_action_is_in_the_expected_table() -> None:
    assert set(EXPECTED) == set(machine.ACTIONS)


@pytest.mark.parametrize("action", machine.ACTIONS)
@pytest.mark.parametrize("status", machine.STATUSES)
def test_each_status_and_action_is_allowed_or_refused(status: str, action: machine.Action) -> None:
    allowed, after = EXPECTED[action]
    assert machine.allows(action, status) is (status in allowed)
    before = cloud_pc(status)
    if status not in allowed:
        with pytest.raises(Conflict) as refused:
            machine.move(before, action, T1)
        assert refused.value.code == "wrongStatus"
        assert status in refused.value.message and action in refused.value.message
        return
    moved = machine.move(before, action, T1)
    assert moved.cloud_pc.status == (after or status)
    assert moved.cloud_pc.last_modified_date_time == T1
    assert before.status == status  # the original is untouched


def test_a_refusal_names_the_cloud_pc_the_action_and_the_states_it_needs() -> None:
    with pytest.raises(Conflict) as refused:
        machine.check(cloud_pc("failed"), "endGracePeriod")
    assert (refused.value.code, refused.value.target, refused.value.message) == (
        "wrongStatus",
        "status",
        "Cannot end the grace period of Cloud PC 'Ann's PC': it is failed; endGracePeriod needs inGracePeriod.",
    )
    with pytest.raises(Conflict) as refused:
        machine.move(cloud_pc("deprovisioning"), "powerOff", T1)
    assert refused.value.message == (
        "Cannot power off Cloud PC 'Ann's PC': it is deprovisioning; powerOff needs provisioned or "
        "provisionedWithWarnings."
    )


def test_finish_with_warnings_and_its_line() -> None:
    moved = machine.move(
        cloud_pc("provisioning"), "finish", T1, with_warnings=True, line_attempt=2, attempt=2, message="m"
    )
    assert (moved.cloud_pc.status, moved.cloud_pc.attempt) == ("provisionedWithWarnings", 2)
    assert moved.event is not None
    assert (moved.event.name, moved.event.outcome, moved.event.attempt) == ("provisioned", "warning", 2)


def test_grace_remembers_the_status_it_returns_to() -> None:
    grace = machine.move(cloud_pc("provisionedWithWarnings"), "enterGrace", T1).cloud_pc
    assert grace.status_before == "provisionedWithWarnings"
    restored = machine.move(grace.model_copy(update={"grace_period_end_date_time": T1}), "restore", T1).cloud_pc
    assert (restored.status, restored.status_before, restored.grace_period_end_date_time) == (
        "provisionedWithWarnings",
        None,
        None,
    )


def test_a_resize_returns_to_the_status_it_left_either_way() -> None:
    resizing = machine.move(cloud_pc("provisionedWithWarnings"), "resize", T1).cloud_pc
    assert resizing.status == "resizing"
    ends: tuple[machine.Action, ...] = ("finishResize", "failResize")
    for end in ends:
        assert machine.move(resizing, end, T1).cloud_pc.status == "provisionedWithWarnings"


def test_a_retry_line_opens_the_new_run() -> None:
    moved = machine.move(cloud_pc("failed"), "retry", T1, run=3, attempt=0)
    assert moved.event is not None and moved.event.run == 3 and moved.event.name == "retryRequested"


def test_repeatable_lines_are_keyed_by_time_and_others_are_not() -> None:
    first = machine.move(cloud_pc("provisioned"), "enterGrace", T0).event
    second = machine.move(cloud_pc("provisioned"), "enterGrace", T1).event
    assert first is not None and second is not None and first.id != second.id
    once = machine.move(cloud_pc("failed"), "retry", T0).event
    again = machine.move(cloud_pc("failed"), "retry", T1).event
    assert once is not None and again is not None and once.id == again.id


def test_the_caller_cannot_set_the_status() -> None:
    with pytest.raises(ValueError, match="state machine"):
        machine.move(cloud_pc("failed"), "retry", T1, status="provisioned")


def test_a_cloud_pc_windows_365_provisions_follows_the_status_it_reports_with_a_line() -> None:
    moved = machine.follow(
        cloud_pc("provisioning"),
        "failed",
        T1,
        "Windows 365: intuneEnrollFailed",
        "intuneEnroll",
        key="provisioning.failed.1",
    )
    assert moved.cloud_pc.status == "failed"
    assert moved.event is not None and moved.event.name == "windows365StatusChanged"
    assert moved.event.outcome == "failed" and moved.event.code == "intuneEnroll"
    assert machine.follow(cloud_pc("failed"), "provisioned", T1, "back", key="k").event.outcome == "succeeded"  # type: ignore[union-attr]
    # the same report written again, later, is the same line; a status the app does not know leaves its own as it is
    again = machine.follow(cloud_pc("provisioning"), "failed", T0, "again", "intuneEnroll", key="provisioning.failed.1")
    assert again.event is not None and again.event.id == moved.event.id
    unknown = machine.follow(cloud_pc("provisioned"), None, T1, "Windows 365 reports preparingSomething", key="u")
    assert unknown.cloud_pc.status == "provisioned" and unknown.event is not None
