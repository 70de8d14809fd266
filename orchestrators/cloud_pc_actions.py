"""The orchestrator of a VM action on one Cloud PC (power, resize, troubleshoot): its phases, waited for on timers."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import azure.durable_functions as df

from orchestrators import names
from orchestrators.provisioning import CALLS_PER_EXECUTION, MAX_CALLS, TRANSIENT, wait_until
from shared.models.orchestrations import VmActionRun, VmActionStep

Orchestration = Generator[Any, Any, Any]


def run_action(context: df.DurableOrchestrationContext, run: VmActionRun) -> Orchestration:
    """Ask the activity to take the phases until the action is over; continue as new every few calls."""
    for _ in range(CALLS_PER_EXECUTION):
        if run.calls >= MAX_CALLS:
            return "timedOut"
        answer = yield context.call_activity_with_retry(
            names.ADVANCE_CLOUD_PC_ACTION, TRANSIENT, run.model_dump(mode="json", by_alias=True)
        )
        step = VmActionStep.model_validate(answer)
        if step.outcome is not None:
            return step.outcome
        run = step.run.model_copy(update={"calls": run.calls + 1})
        yield from wait_until(context, step.wait_seconds, step.resume_at)
    context.continue_as_new(run.model_dump(mode="json", by_alias=True))
    return None


def blueprint() -> df.Blueprint:
    bp = df.Blueprint()

    @bp.orchestration_trigger(context_name="context", orchestration=names.RUN_CLOUD_PC_ACTION)
    def run_cloud_pc_action(context: df.DurableOrchestrationContext) -> Orchestration:
        """Input VmActionRun; the action's outcome: succeeded, failed or superseded."""
        return (yield from run_action(context, VmActionRun.model_validate(context.get_input())))

    return bp
