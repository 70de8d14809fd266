"""The orchestrator of a Spot Group's deployment or removal: its activity's phases, waited for on timers."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import azure.durable_functions as df

from orchestrators import names
from orchestrators.phases import take_phases
from shared.models.orchestrations import SpotGroupRun, SpotGroupStep

Orchestration = Generator[Any, Any, Any]


def blueprint() -> df.Blueprint:
    bp = df.Blueprint()

    @bp.orchestration_trigger(context_name="context", orchestration=names.RUN_SPOT_GROUP_WORK)
    def run_spot_group_work(context: df.DurableOrchestrationContext) -> Orchestration:
        """Input SpotGroupRun; the work's outcome: succeeded, failed or superseded."""
        run = SpotGroupRun.model_validate(context.get_input())
        return (yield from take_phases(context, names.ADVANCE_SPOT_GROUP, run, SpotGroupStep.model_validate))

    return bp
