"""The orchestrator of a VM action on one Cloud PC (power, resize, troubleshoot): its phases, waited for on timers."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import azure.durable_functions as df

from orchestrators import names
from orchestrators.phases import take_phases
from shared.models.orchestrations import VmActionRun

Orchestration = Generator[Any, Any, Any]


def blueprint() -> df.Blueprint:
    bp = df.Blueprint()

    @bp.orchestration_trigger(context_name="context", orchestration=names.RUN_CLOUD_PC_ACTION)
    def run_cloud_pc_action(context: df.DurableOrchestrationContext) -> Orchestration:
        """Input VmActionRun; the action's outcome: succeeded, failed or superseded."""
        run = VmActionRun.model_validate(context.get_input())
        return (yield from take_phases(context, names.ADVANCE_CLOUD_PC_ACTION, run))

    return bp
