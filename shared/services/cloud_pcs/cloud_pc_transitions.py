"""The Cloud PC state machine: every action, the states it is allowed from, the status it leaves, its timeline line.

The table runs on the one mechanism (shared/services/engine/state_machines.py), which nothing else moves a Cloud PC
through. Services ask this module to `move` a Cloud PC; it is refused in the wrong state with `409 wrongStatus` (the
same answer for one Cloud PC or a bulk action's item), given its status and the fields the caller passes, and the
action's timeline line, so the names of the milestones live here too, with what only a Cloud PC keeps: the status
an interruption returns to, the request that moved it last. Actions that change no status (power, rename,
troubleshoot) are in the table as well: which states allow them is the same kind of rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, get_args

from shared.models.cloud_pcs import PROVISIONED, CloudPc, CloudPcEvent, CloudPcStatus, Moved, PowerState
from shared.services.cloud_pcs.timeline import timeline_event
from shared.services.engine.state_machines import StateMachine, Transition

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
    "sleep",  # its policy's power rules stop it while its user is away (cloud_pc_sleep.py)
    "wake",  # it runs again: its user's connection started it (Start VM on Connect), or someone did
    "rename",
    "troubleshoot",
    "restoreSnapshot",  # Windows 365 restores one of its Cloud PCs to a restore point
    "createSnapshot",  # Windows 365 takes a restore point now
    "mirror",  # Windows 365 reports a status of a Cloud PC it provisions: the app follows it, from any status
]
ACTIONS: tuple[Action, ...] = get_args(Action)
STATUSES: tuple[CloudPcStatus, ...] = get_args(CloudPcStatus)

SAME = "same"  # the action leaves the status as it is
BEFORE = "before"  # back to the status the Cloud PC had before (grace, resize)
SETTLED = "settled"  # provisioned, or provisionedWithWarnings when the caller says there were warnings
REPORTED = "reported"  # the status Windows 365 reported (the caller's `reported`); unchanged without one
INTERRUPTIONS = frozenset({"inGracePeriod", "resizing"})  # states a Cloud PC leaves for the one it had before


@dataclass(frozen=True)
class Milestone:
    """The timeline line an action writes."""

    name: str
    outcome: str = "info"
    repeatable: bool = False  # may happen several times in one run: its line is keyed by time too


# a line written once per run, and one that may come again in the same run
def _once(name: str, outcome: str = "info") -> Milestone:
    return Milestone(name, outcome)


def _again(name: str, outcome: str = "info") -> Milestone:
    return Milestone(name, outcome, repeatable=True)


TRANSITIONS: dict[Action, Transition[Milestone]] = {
    # action: (allowed from, status it leaves, "Cannot {verb} Cloud PC ...", its line)
    "begin": Transition(
        frozenset({"pendingProvision", "provisioning"}), "provisioning", "provision", _once("provisioningStarted")
    ),
    "finish": Transition(
        frozenset({"provisioning"}), SETTLED, "finish provisioning", _once("provisioned", "succeeded")
    ),
    "fail": Transition(
        frozenset({"pendingProvision", "provisioning"}), "failed", "fail", _once("provisioningFailed", "failed")
    ),
    "enterGrace": Transition(PROVISIONED, "inGracePeriod", "start the grace period of", _again("gracePeriodStarted")),
    "restore": Transition(frozenset({"inGracePeriod"}), BEFORE, "restore", _again("gracePeriodCancelled")),
    "deprovision": Transition(
        frozenset({"inGracePeriod", "failed", "deprovisioning"}),
        "deprovisioning",
        "deprovision",
        _once("deprovisioningStarted"),
    ),
    "endGracePeriod": Transition(
        frozenset({"inGracePeriod"}), "deprovisioning", "end the grace period of", _once("deprovisioningStarted")
    ),
    "retry": Transition(frozenset({"failed"}), "pendingProvision", "retry", _once("retryRequested")),
    "reprovision": Transition(
        PROVISIONED | {"failed"}, "pendingProvision", "reprovision", _once("reprovisionRequested")
    ),
    "resize": Transition(PROVISIONED, "resizing", "resize", _once("resizeRequested")),
    "finishResize": Transition(frozenset({"resizing"}), BEFORE, "finish resizing", _again("resized", "succeeded")),
    "failResize": Transition(frozenset({"resizing"}), BEFORE, "fail resizing", _again("resizeFailed", "failed")),
    "reboot": Transition(PROVISIONED, SAME, "reboot", _again("rebootRequested")),
    "powerOn": Transition(PROVISIONED, SAME, "power on", _again("powerOnRequested")),
    "powerOff": Transition(PROVISIONED, SAME, "power off", _again("powerOffRequested")),
    "sleep": Transition(PROVISIONED, SAME, "put to sleep", _again("sleepStarted")),
    "wake": Transition(PROVISIONED, SAME, "wake", _again("awake", "succeeded")),
    "rename": Transition(frozenset(STATUSES) - {"deprovisioning"}, SAME, "rename", _again("renamed")),
    "troubleshoot": Transition(PROVISIONED | {"inGracePeriod"}, SAME, "troubleshoot", _again("troubleshootStarted")),
    "restoreSnapshot": Transition(PROVISIONED, SAME, "restore", _again("restoreRequested")),
    "createSnapshot": Transition(PROVISIONED, SAME, "take a restore point of", _again("restorePointRequested")),
    "mirror": Transition(frozenset(STATUSES), REPORTED, "mirror", _again("windows365StatusChanged")),
}
CLOUD_PCS: StateMachine[CloudPc, Action] = StateMachine(
    "Cloud PC",
    STATUSES,
    TRANSITIONS,
    relative={
        SAME: lambda cloud_pc, _: cloud_pc.status,
        BEFORE: lambda cloud_pc, _: cloud_pc.status_before or "provisioned",
        SETTLED: lambda _, named: named or "provisioned",  # the caller names provisionedWithWarnings
        REPORTED: lambda cloud_pc, named: named or cloud_pc.status,
    },
    name_of=lambda cloud_pc: f"Cloud PC '{cloud_pc.display_name}'",
)
allows = CLOUD_PCS.allows
check = CLOUD_PCS.check

# the outcome of a line that follows Windows 365, by the status it reported
REPORTED_OUTCOMES = {"provisioned": "succeeded", "provisionedWithWarnings": "warning", "failed": "failed"}


# what a power action leaves the VM in, and so what is not worth offering again: powering on a running VM does
# nothing (Azure answers it as done), and the portal should not offer it as if it did
POWER_AFTER: dict[str, PowerState] = {
    "powerOn": "running",
    "reboot": "running",
    "powerOff": "poweredOff",
    "sleep": "poweredOff",
    "hibernate": "poweredOff",
}


def worth_offering(action: str, cloud_pc: CloudPc) -> bool:
    """An action its status allows that would change something: not power on a running VM, nor off a stopped one."""
    return not (action in ("powerOn", "powerOff") and POWER_AFTER[action] == cloud_pc.power_state)


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
    rule = TRANSITIONS[action]
    named = "provisionedWithWarnings" if with_warnings else reported
    update: dict[str, Any] = {**changes, "last_modified_date_time": now}
    if request_id is not None:  # kept until another request moves it: a repeated request finds it applied
        update["last_request_id"] = request_id
    if rule.to not in (SAME, BEFORE) and CLOUD_PCS.destination(cloud_pc, action, named) in INTERRUPTIONS:
        update["status_before"] = cloud_pc.status  # where it returns to when the interruption ends
    elif rule.to == BEFORE:
        update["status_before"] = None
    if action == "restore":
        update["grace_period_end_date_time"] = None
    moved = CLOUD_PCS.move(cloud_pc, action, named, **update)
    return Moved(
        moved,
        line(
            moved,
            action,
            now,
            with_warnings=with_warnings,
            attempt=line_attempt,
            code=code,
            message=message,
            key=line_key,
        ),
    )


def follow(
    cloud_pc: CloudPc,
    reported: CloudPcStatus | None,
    now: datetime,
    message: str,
    code: str | None = None,
    *,
    key: str,
    **changes: Any,
) -> Moved:
    """A Cloud PC Windows 365 provisions, moved to the status Windows 365 reported (kept as it is for a status this app
    does not know: None), with a line saying so, keyed by `key` (the report: written again, it is the same line)."""
    moved = move(cloud_pc, "mirror", now, reported=reported, message=message, code=code, line_key=key, **changes)
    outcome = REPORTED_OUTCOMES.get(reported or "", "info")
    event = moved.event.model_copy(update={"outcome": outcome}) if moved.event else None
    return Moved(moved.cloud_pc, event)


def line(
    cloud_pc: CloudPc,
    action: Action,
    at: datetime,
    *,
    with_warnings: bool = False,
    attempt: int = 0,
    code: str | None = None,
    message: str | None = None,
    key: str | None = None,
) -> CloudPcEvent | None:
    """The timeline line of `action` on the Cloud PC as it is after it (the same line when made again)."""
    milestone = TRANSITIONS[action].about
    if milestone is None:
        return None
    return timeline_event(
        cloud_pc.id,
        cloud_pc.run,
        cloud_pc.generation,
        milestone.name,
        at,
        outcome="warning" if with_warnings else milestone.outcome,
        attempt=attempt,
        code=code,
        message=message,
        repeatable=milestone.repeatable,
        key=key if milestone.repeatable else None,
    )
