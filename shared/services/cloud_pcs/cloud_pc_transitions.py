"""The Cloud PC state machine: every action, the states it is allowed from, the status it leaves, its timeline line.

This is the only module that assigns a Cloud PC's `status`. Services ask it to `move` a Cloud PC; it refuses
an action in the wrong state with `409 wrongStatus` (the same answer for one Cloud PC or a bulk action's
item), sets the status and the fields the caller passes, and makes the action's timeline line, so the
names of the milestones live here too. Actions that change no status (power, rename, troubleshoot) are
in the table as well: which states allow them is the same kind of rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, get_args

from shared.errors import Conflict
from shared.models.cloud_pcs import CloudPc, CloudPcEvent, CloudPcStatus, Moved, PowerState
from shared.services.cloud_pcs.timeline import timeline_event

Action = Literal[
    "begin",  # a run takes the Cloud PC (pendingProvision; again when the run's first call is repeated)
    "finish",  # a run's steps are all taken
    "fail",  # a run gives up (or cannot start)
    "enterGrace",  # no longer targeted or licensed
    "restore",  # targeted and licensed again within the grace period
    "deprovision",  # the grace period ended (or was ended), or a failed Cloud PC is no longer wanted
    "endGracePeriod",  # the admin ends a grace period now
    "retry",  # a failed Cloud PC gets a fresh run
    "reprovision",  # a new VM from the policy's current settings
    "resize",  # a new size; the VM is resized in place
    "finishResize",  # the VM has its new size
    "failResize",  # the resize could not be done: back as it was, with the reason
    "reboot",
    "powerOn",
    "powerOff",
    "rename",
    "troubleshoot",
    "restoreSnapshot",  # Windows 365 restores one of its Cloud PCs to a restore point
    "createSnapshot",  # Windows 365 takes a restore point now
    "mirror",  # Windows 365 reports a status of a Cloud PC it provisions: the app follows it, from any status
]
ACTIONS: tuple[Action, ...] = get_args(Action)
STATUSES: tuple[CloudPcStatus, ...] = get_args(CloudPcStatus)

WORKING = frozenset({"provisioned", "provisionedWithWarnings"})
SAME = "same"  # the action leaves the status as it is
BEFORE = "before"  # back to the status the Cloud PC had before (grace, resize)
SETTLED = "settled"  # provisioned, or provisionedWithWarnings when the caller says there were warnings
REPORTED = "reported"  # the status Windows 365 reported (the caller's `reported`); unchanged without one
INTERRUPTIONS = frozenset({"inGracePeriod", "resizing"})  # states a Cloud PC leaves for the one it had before


@dataclass(frozen=True)
class Transition:
    allowed_from: frozenset[str]
    to: str  # a status, or SAME, BEFORE or SETTLED
    verb: str  # "Cannot {verb} Cloud PC ..."
    milestone: str | None = None  # the timeline line it writes
    outcome: str = "info"
    repeatable: bool = False  # may happen several times in one run: its line is keyed by time too


TRANSITIONS: dict[Action, Transition] = {
    "begin": Transition(frozenset({"pendingProvision", "provisioning"}), "provisioning", "provision",
                        "provisioningStarted"),
    "finish": Transition(frozenset({"provisioning"}), SETTLED, "finish provisioning", "provisioned", "succeeded"),
    "fail": Transition(
        frozenset({"pendingProvision", "provisioning"}), "failed", "fail", "provisioningFailed", "failed"
    ),
    "enterGrace": Transition(WORKING, "inGracePeriod", "start the grace period of", "gracePeriodStarted",
                             repeatable=True),
    "restore": Transition(frozenset({"inGracePeriod"}), BEFORE, "restore", "gracePeriodCancelled", repeatable=True),
    "deprovision": Transition(
        frozenset({"inGracePeriod", "failed", "deprovisioning"}), "deprovisioning", "deprovision",
        "deprovisioningStarted",
    ),
    "endGracePeriod": Transition(
        frozenset({"inGracePeriod"}), "deprovisioning", "end the grace period of", "deprovisioningStarted"
    ),
    "retry": Transition(frozenset({"failed"}), "pendingProvision", "retry", "retryRequested"),
    "reprovision": Transition(
        WORKING | {"failed"}, "pendingProvision", "reprovision", "reprovisionRequested"
    ),
    "resize": Transition(WORKING, "resizing", "resize", "resizeRequested"),
    "finishResize": Transition(frozenset({"resizing"}), BEFORE, "finish resizing", "resized", "succeeded",
                               repeatable=True),
    "failResize": Transition(frozenset({"resizing"}), BEFORE, "fail resizing", "resizeFailed", "failed",
                             repeatable=True),
    "reboot": Transition(WORKING, SAME, "reboot", "rebootRequested", repeatable=True),
    "powerOn": Transition(WORKING, SAME, "power on", "powerOnRequested", repeatable=True),
    "powerOff": Transition(WORKING, SAME, "power off", "powerOffRequested", repeatable=True),
    "rename": Transition(frozenset(STATUSES) - {"deprovisioning"}, SAME, "rename", "renamed", repeatable=True),
    "troubleshoot": Transition(WORKING | {"inGracePeriod"}, SAME, "troubleshoot", "troubleshootStarted",
                               repeatable=True),
    "restoreSnapshot": Transition(WORKING, SAME, "restore", "restoreRequested", repeatable=True),
    "createSnapshot": Transition(WORKING, SAME, "take a restore point of", "restorePointRequested", repeatable=True),
    "mirror": Transition(frozenset(STATUSES), REPORTED, "mirror", "windows365StatusChanged", repeatable=True),
}  # fmt: skip
# the outcome of a line that follows Windows 365, by the status it reported
REPORTED_OUTCOMES = {"provisioned": "succeeded", "provisionedWithWarnings": "warning", "failed": "failed"}


def allows(action: Action, status: str) -> bool:
    return status in TRANSITIONS[action].allowed_from


# what a power action leaves the VM in, and so what is not worth offering again: powering on a running VM does
# nothing (Azure answers it as done), and the portal should not offer it as if it did
POWER_AFTER: dict[str, PowerState] = {"powerOn": "running", "reboot": "running", "powerOff": "poweredOff"}


def worth_offering(action: str, cloud_pc: CloudPc) -> bool:
    """An action its status allows that would change something: not power on a running VM, nor off a stopped one."""
    return not (action in ("powerOn", "powerOff") and POWER_AFTER[action] == cloud_pc.power_state)


def wrong_status(cloud_pc: CloudPc, action: Action) -> Conflict:
    rule = TRANSITIONS[action]
    return Conflict(
        f"Cannot {rule.verb} Cloud PC '{cloud_pc.display_name}': it is {cloud_pc.status}; "
        f"{action} needs {' or '.join(sorted(rule.allowed_from))}.",
        code="wrongStatus",
        target="status",
    )


def check(cloud_pc: CloudPc, action: Action) -> None:
    """Raise `409 wrongStatus` unless the action is allowed from the Cloud PC's status."""
    if not allows(action, cloud_pc.status):
        raise wrong_status(cloud_pc, action)


def move(
    cloud_pc: CloudPc,
    action: Action,
    now: datetime,
    *,
    with_warnings: bool = False,
    message: str | None = None,
    line_attempt: int = 0,
    code: str | None = None,
    request_id: str | None = None,
    reported: str | None = None,  # for `mirror`: one of STATUSES
    line_key: str | None = None,  # what makes a repeatable line one of its kind, rather than its time
    **changes: Any,
) -> Moved:
    """The Cloud PC after `action`, with `changes` (never `status`) applied, and the action's timeline line.

    The line belongs to the run and generation the Cloud PC has AFTER the action (a retry's line opens the
    new run), except for the line of a run's own end, which closes the run it ends.
    """
    check(cloud_pc, action)
    if "status" in changes:
        raise ValueError("the state machine decides the status")
    rule = TRANSITIONS[action]
    if reported is not None and reported not in STATUSES:
        raise ValueError(f"'{reported}' is no Cloud PC status")
    status = reported if rule.to == REPORTED and reported is not None else _next_status(cloud_pc, rule, with_warnings)
    update: dict[str, Any] = {**changes, "status": status, "last_modified_date_time": now}
    if request_id is not None:  # kept until another request moves it: a repeated request finds it applied
        update["last_request_id"] = request_id
    if rule.to not in (SAME, BEFORE) and status in INTERRUPTIONS:
        update["status_before"] = cloud_pc.status  # where it returns to when the interruption ends
    elif rule.to == BEFORE:
        update["status_before"] = None
    if action == "restore":
        update["grace_period_end_date_time"] = None
    moved = cloud_pc.model_copy(update=update)
    return Moved(moved, line(moved, action, now, with_warnings=with_warnings, attempt=line_attempt, code=code,
                             message=message, key=line_key))  # fmt: skip


def follow(cloud_pc: CloudPc, reported: CloudPcStatus | None, now: datetime, message: str, code: str | None = None,
           *, key: str, **changes: Any) -> Moved:  # fmt: skip
    """A Cloud PC Windows 365 provisions, moved to the status Windows 365 reported (kept as it is for a status this app
    does not know: None), with a line saying so, keyed by `key` (the report: written again, it is the same line)."""
    moved = move(cloud_pc, "mirror", now, reported=reported, message=message, code=code, line_key=key, **changes)
    outcome = REPORTED_OUTCOMES.get(reported or "", "info")
    event = moved.event.model_copy(update={"outcome": outcome}) if moved.event else None
    return Moved(moved.cloud_pc, event)


def line(
    cloud_pc: CloudPc, action: Action, at: datetime, *, with_warnings: bool = False, attempt: int = 0,
    code: str | None = None, message: str | None = None, key: str | None = None,
) -> CloudPcEvent | None:  # fmt: skip
    """The timeline line of `action` on the Cloud PC as it is after it (the same line when made again)."""
    rule = TRANSITIONS[action]
    if rule.milestone is None:
        return None
    return timeline_event(
        cloud_pc.id, cloud_pc.run, cloud_pc.generation, rule.milestone, at,
        outcome="warning" if with_warnings else rule.outcome, attempt=attempt, code=code, message=message,
        repeatable=rule.repeatable, key=key if rule.repeatable else None,
    )  # fmt: skip


def _next_status(cloud_pc: CloudPc, rule: Transition, with_warnings: bool) -> str:
    if rule.to == SAME:
        return cloud_pc.status
    if rule.to == SETTLED:
        return "provisionedWithWarnings" if with_warnings else "provisioned"
    if rule.to == BEFORE:
        return cloud_pc.status_before or "provisioned"
    if rule.to == REPORTED:
        return cloud_pc.status
    return rule.to
