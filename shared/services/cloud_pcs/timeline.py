"""A Cloud PC's timeline lines: one event-id scheme, so a repeated activity overwrites its line, never duplicates it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from shared.errors import Conflict, PreconditionFailed
from shared.models.cloud_pcs import CloudPc, CloudPcEvent, Moved
from shared.models.provisioning import CloudPcJob
from shared.models.words import waited
from shared.ports.cloud_errors import NOT_ANSWERING, REQUEST_BUDGET, UNANSWERED
from shared.ports.cloud_pc_work_ports import TimelinePorts
from shared.services.cloud_pcs.provisioning_steps import ORDER, STAGE_OF
from shared.services.engine.updates import ATTEMPTS

# milestones of one attempt, placed among its steps; other milestones belong to the run (lifecycle)
ATTEMPT_MILESTONES = {"provisioningStarted": 0, "attemptFailed": 90, "attemptCleanedUp": 91}
RUN_RESULTS = ("provisioned", "provisioningFailed")  # sort after every attempt of the run
PACING_SAID_S = 30  # the app's own pacing shorter than this is no news on a Cloud PC's timeline
QUEUED_SAID_S = 30  # a step that waited this long for one of the app's threads says by what
WORKERS_BUSY = "workersBusy"  # a step waited for a thread, with no service silent meanwhile


def timeline_event(
    cloud_pc_id: str,
    run: int,
    generation: int,
    name: str,
    now: datetime,
    *,
    kind: str = "milestone",
    outcome: str = "info",
    attempt: int = 0,
    start: datetime | None = None,
    code: str | None = None,
    message: str | None = None,
    repeatable: bool = False,
    within: str | None = None,
    key: str | None = None,
) -> CloudPcEvent:
    """One timeline line. Its id is deterministic per (run, generation, attempt, name); a `repeatable`
    milestone (grace started or cancelled, which can happen several times a run) is keyed by its time too, or by
    `key` where what it tells is known before the line is written (written again, it is the same line), and a
    milestone `within` a step (Azure holding it) by that step and its code, beside the step's line."""
    prefix = f"r{run:03d}.g{generation:03d}"
    if key is not None:
        event_id = f"{prefix}.y.{name}.{key}"
    elif within is not None:
        event_id = f"{prefix}.a{attempt:02d}.{ORDER.get(within, 0):02d}.{within}.{name}.{code}"
    elif kind == "step" or name in ATTEMPT_MILESTONES:
        order = ORDER.get(name, 0) if kind == "step" else ATTEMPT_MILESTONES[name]
        event_id = f"{prefix}.a{attempt:02d}.{order:02d}.{name}"
    elif name in RUN_RESULTS:
        event_id = f"{prefix}.z.{name}"
    else:
        event_id = f"{prefix}.y.{now:%Y%m%dT%H%M%S%f}.{name}" if repeatable else f"{prefix}.y.{name}"
    return CloudPcEvent.model_validate(
        {
            "id": event_id,
            "cloud_pc_id": cloud_pc_id,
            "date_time": now,
            "kind": kind,
            "name": name,
            "stage": STAGE_OF.get(within or name, "lifecycle"),
            "outcome": outcome,
            "run": run,
            "generation": generation,
            "attempt": attempt,
            "start_date_time": start,
            "end_date_time": now if outcome != "running" else None,
            "code": code,
            "message": message,
        }
    )


def queued_line(
    job: CloudPcJob, attempt: int, step: str, asked_at: datetime, now: datetime, silent: list[str]
) -> CloudPcEvent | None:
    """The line of a step whose call waited long for one of the app's threads (asked at `asked_at`, taken `now`):
    the threads wait on their own calls, so it names the services that left calls unanswered meanwhile (`silent`),
    keyed as the step's own line of a service not answering, so a stall is said once. None for a short wait."""
    queued_s = (now - asked_at).total_seconds()
    if queued_s < QUEUED_SAID_S:
        return None
    if silent:
        name, code, what = (
            "heldByAzure",
            NOT_ANSWERING,
            f"{' and '.join(silent)} did not answer, and the app's calls to it held every worker",
        )
    else:
        name, code, what = "heldByApp", WORKERS_BUSY, "every one of the app's workers was busy with other work"
    return timeline_event(
        job.cloud_pc_id,
        job.run,
        job.generation,
        name,
        now,
        attempt=attempt,
        within=step,
        code=code,
        message=f"{step}: {what}, so the step waited {waited(queued_s)} for one; it goes on by itself, spending no "
        "attempt.",
    )


def held_line(
    job: CloudPcJob, attempt: int, step: str, code: str, wait_s: float, now: datetime, reason: str | None = None
) -> CloudPcEvent | None:
    """The one line of a step that Azure holds (a throttle, a busy resource, an outage, a service not answering): what
    held it (the adapter's `reason`, naming the service), and that the wait spends no attempt. Keyed by the step and
    code, so the same hold again within the attempt rewrites its line. The app's own pacing under the subscription's
    request limit is said only when it is long: a short one is part of a healthy provisioning."""
    if code.casefold() == REQUEST_BUDGET.casefold():  # the app's own hold, before Azure would refuse
        if wait_s < PACING_SAID_S:
            return None
        what = "waiting its turn under the subscription's Azure request limit, so that Azure need not refuse"
    else:
        what = reason or (
            "Azure did not answer" if code.casefold() == UNANSWERED.casefold() else f"Azure said not now ({code})"
        )
    return timeline_event(
        job.cloud_pc_id,
        job.run,
        job.generation,
        "heldByAzure",
        now,
        attempt=attempt,
        within=step,
        code=code,
        message=f"{step}: {what}; the app asks again in {waited(wait_s)} and goes on by itself, spending no attempt.",
    )


def save(ports: TimelinePorts, moved: Moved, *, if_match: str | None, line_first: bool = False) -> CloudPc:
    """Write a state-machine move: the row (etag-checked) and its timeline line.

    `line_first` when a crash between the two must leave the line (it repeats under the same id) rather
    than a status nothing explains.
    """
    if line_first and moved.event is not None:
        ports.cloud_pcs.upsert_event(moved.cloud_pc.tenant_id, moved.event)
    saved = ports.cloud_pcs.upsert_cloud_pc(moved.cloud_pc, if_match=if_match)
    if not line_first and moved.event is not None:
        ports.cloud_pcs.upsert_event(saved.tenant_id, moved.event)
    return saved


def save_move(ports: TimelinePorts, cloud_pc: CloudPc, make: Callable[[CloudPc], Moved], *, doing: str) -> CloudPc:
    """Write the move `make` makes of the Cloud PC as read. The app's own work may write the row meanwhile (an
    action's orchestration notes the power state): the move is then made again from the row as it is now, the state
    machine's checks included, since no caller asked for the row as it was; a row that keeps changing is a 409 that
    says so, never a 412 naming an If-Match nobody sent."""
    for _ in range(ATTEMPTS):
        try:
            return save(ports, make(cloud_pc), if_match=cloud_pc.etag)
        except PreconditionFailed:
            cloud_pc = ports.cloud_pcs.get_cloud_pc(cloud_pc.tenant_id, cloud_pc.id)
    raise Conflict(
        f"Cloud PC '{cloud_pc.display_name}' kept changing while {doing} was being applied: work on it is under way "
        f"(status {cloud_pc.status}); try again shortly.",
        code="concurrentChange",
        target="status",
    )


def record(ports: TimelinePorts, cloud_pc: CloudPc, name: str, **details: Any) -> None:
    """Write one milestone line of the Cloud PC's current run now."""
    event = timeline_event(cloud_pc.id, cloud_pc.run, cloud_pc.generation, name, ports.clock(), **details)
    ports.cloud_pcs.upsert_event(cloud_pc.tenant_id, event)
