"""The orchestrators of image sets: building a version, and removing a version or a set from Azure."""

from __future__ import annotations

from collections.abc import Generator
from datetime import datetime
from typing import Any

import azure.durable_functions as df

from orchestrators import names
from orchestrators.provisioning import CALLS_PER_EXECUTION, MAX_CALLS, TRANSIENT, wait_until
from shared.models.orchestrations import ImageBuildRun, ImageBuildStep, ImageRemovalRun, ImageRemovalStep

Orchestration = Generator[Any, Any, Any]
Run = ImageBuildRun | ImageRemovalRun
Step = ImageBuildStep | ImageRemovalStep


def take_phases(
    context: df.DurableOrchestrationContext, activity: str, run: Run, step_model: type[Step]
) -> Orchestration:
    """Ask the activity to take the phases until the work is over, waiting on timers between; continue as new every
    few calls, so a long wait never builds a long history to replay."""
    for _ in range(CALLS_PER_EXECUTION):
        if run.calls >= MAX_CALLS:
            return "timedOut"
        answer = yield context.call_activity_with_retry(activity, TRANSIENT, run.model_dump(mode="json", by_alias=True))
        step = step_model.model_validate(answer)
        if step.outcome is not None:
            return step.outcome
        run = step.run.model_copy(update={"calls": run.calls + 1})
        if isinstance(step, ImageBuildStep) and isinstance(run, ImageBuildRun) and step.awaiting_capture:
            run = yield from await_capture(context, run, step.resume_at or context.current_utc_datetime)
            continue
        yield from wait_until(context, step.wait_seconds, step.resume_at)
    context.continue_as_new(run.model_dump(mode="json", by_alias=True))
    return None


def await_capture(context: df.DurableOrchestrationContext, run: ImageBuildRun, until: datetime) -> Orchestration:
    """The admin's capture event or the end of the customization window, whichever comes first."""
    capture = context.wait_for_external_event(names.CAPTURE_REQUESTED)
    window = context.create_timer(until)
    first = yield context.task_any([capture, window])
    if first == capture:
        window.cancel()
        return run
    return run.model_copy(update={"customization_expired": True})


def blueprint() -> df.Blueprint:
    bp = df.Blueprint()

    @bp.orchestration_trigger(context_name="context", orchestration=names.BUILD_IMAGE_VERSION)
    def build_image_version(context: df.DurableOrchestrationContext) -> Orchestration:
        """Input ImageBuildRun; the build's outcome: succeeded, failed or superseded."""
        run = ImageBuildRun.model_validate(context.get_input())
        return (yield from take_phases(context, names.ADVANCE_IMAGE_BUILD, run, ImageBuildStep))

    @bp.orchestration_trigger(context_name="context", orchestration=names.REMOVE_IMAGE_SET_RESOURCES)
    def remove_image_set_resources(context: df.DurableOrchestrationContext) -> Orchestration:
        """Input ImageRemovalRun; the removal's outcome: succeeded, failed or superseded."""
        run = ImageRemovalRun.model_validate(context.get_input())
        return (yield from take_phases(context, names.ADVANCE_IMAGE_REMOVAL, run, ImageRemovalStep))

    return bp
