"""The orchestrator that builds one image-set version: its activity's phases, waited for on timers."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import azure.durable_functions as df

from orchestrators import names
from orchestrators.provisioning import CALLS_PER_EXECUTION, MAX_CALLS, TRANSIENT, wait_until
from shared.models.orchestrations import ImageBuildRun, ImageBuildStep

Orchestration = Generator[Any, Any, Any]


def build(context: df.DurableOrchestrationContext, run: ImageBuildRun) -> Orchestration:
    """Ask the activity to take the phases until the build is over; continue as new every few calls.

    While the version waits for the admin's customization, the orchestration waits for the capture event or the
    end of the customization window, whichever comes first, and then asks the activity again.
    """
    for _ in range(CALLS_PER_EXECUTION):
        if run.calls >= MAX_CALLS:
            return "timedOut"
        answer = yield context.call_activity_with_retry(
            names.ADVANCE_IMAGE_BUILD, TRANSIENT, run.model_dump(mode="json", by_alias=True)
        )
        step = ImageBuildStep.model_validate(answer)
        if step.outcome is not None:
            return step.outcome
        run = step.run.model_copy(update={"calls": run.calls + 1})
        if step.awaiting_capture and step.resume_at is not None:
            capture = context.wait_for_external_event(names.CAPTURE_REQUESTED)
            window = context.create_timer(step.resume_at)
            first = yield context.task_any([capture, window])
            if first == capture:
                window.cancel()
            else:
                run = run.model_copy(update={"customization_expired": True})
            continue
        yield from wait_until(context, step.wait_seconds, step.resume_at)
    context.continue_as_new(run.model_dump(mode="json", by_alias=True))
    return None


def blueprint() -> df.Blueprint:
    bp = df.Blueprint()

    @bp.orchestration_trigger(context_name="context", orchestration=names.BUILD_IMAGE_VERSION)
    def build_image_version(context: df.DurableOrchestrationContext) -> Orchestration:
        """Input ImageBuildRun; the build's outcome: succeeded, failed or superseded."""
        return (yield from build(context, ImageBuildRun.model_validate(context.get_input())))

    return bp
