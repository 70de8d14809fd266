"""A Cloud PC's timeline lines: one event-id scheme, so a repeated activity overwrites its line, never duplicates it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from shared.models.cloud_pcs import CloudPc, CloudPcEvent, Moved
from shared.ports.engine_ports import EnginePorts
from shared.services.cloud_pcs.provisioning_steps import ORDER, STAGE_OF

# milestones of one attempt, placed among its steps; other milestones belong to the run (lifecycle)
ATTEMPT_MILESTONES = {"provisioningStarted": 0, "attemptFailed": 90, "attemptCleanedUp": 91}
RUN_RESULTS = ("provisioned", "provisioningFailed")  # sort after every attempt of the run


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
) -> CloudPcEvent:
    """One timeline line. Its id is deterministic per (run, generation, attempt, name); a `repeatable`
    milestone (grace started or cancelled, which can happen several times a run) is keyed by its time too."""
    prefix = f"r{run:03d}.g{generation:03d}"
    if kind == "step" or name in ATTEMPT_MILESTONES:
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
            "stage": STAGE_OF.get(name, "lifecycle"),
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


def save(ports: EnginePorts, moved: Moved, *, if_match: str | None, line_first: bool = False) -> CloudPc:
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


def record(ports: EnginePorts, cloud_pc: CloudPc, name: str, **details: Any) -> None:
    """Write one milestone line of the Cloud PC's current run now."""
    event = timeline_event(cloud_pc.id, cloud_pc.run, cloud_pc.generation, name, ports.clock(), **details)
    ports.cloud_pcs.upsert_event(cloud_pc.tenant_id, event)
