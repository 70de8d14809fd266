"""The orchestrator that follows a windows365 tenant's Cloud PCs: reads Windows 365 until it is done working, as
phased work (shared/services/backends/windows365_mirror.py `follow`) taken by orchestrators/phases.py."""

from __future__ import annotations

from collections.abc import Generator
from datetime import timedelta
from typing import Any

import azure.durable_functions as df

from orchestrators import names
from orchestrators.phases import take_phases
from shared.models.orchestrations import PhasedStep, Windows365MirrorAnswer, Windows365MirrorRun

Orchestration = Generator[Any, Any, Any]


def mirror_windows365_cloud_pcs(context: df.DurableOrchestrationContext) -> Orchestration:
    """Input Windows365MirrorRun: read, and read again after the wait the read asks for, until nothing is in flight;
    `settled`."""
    run = Windows365MirrorRun.model_validate(context.get_input())

    def read(answer: Any) -> PhasedStep[Windows365MirrorRun]:
        if "inFlight" not in answer:
            return PhasedStep[Windows365MirrorRun].model_validate(answer)
        # an answer recorded before the follower was phased work: its history replays as it ran
        was = Windows365MirrorAnswer.model_validate(answer)
        read_on = run.model_copy(update={"audit_since": was.audit_since})
        at = context.current_utc_datetime + timedelta(seconds=was.wait_seconds)
        return PhasedStep(
            outcome=None if was.in_flight else "settled", run=read_on, wait_seconds=was.wait_seconds, resume_at=at
        )

    return (yield from take_phases(context, names.READ_WINDOWS365_CLOUD_PCS, run, read))


def blueprint() -> df.Blueprint:
    bp = df.Blueprint()
    bp.orchestration_trigger(context_name="context", orchestration=names.MIRROR_WINDOWS365_CLOUD_PCS)(
        mirror_windows365_cloud_pcs
    )
    return bp
