"""The orchestrators of image sets: building a version, and removing a version or a set from Azure."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import azure.durable_functions as df

from orchestrators import names
from orchestrators.phases import take_phases
from shared.models.orchestrations import ImageBuildRun, ImageRemovalRun, PhasedStep

Orchestration = Generator[Any, Any, Any]


def await_capture(context: df.DurableOrchestrationContext, run: Any, step: Any) -> Orchestration | None:
    """While a version awaits customization: the admin's capture event or the end of the window, first come."""
    if not (isinstance(step, PhasedStep) and step.awaiting_capture and isinstance(run, ImageBuildRun)):
        return None
    return _capture_or_expiry(context, run, step)


def _capture_or_expiry(
    context: df.DurableOrchestrationContext, run: ImageBuildRun, step: PhasedStep[ImageBuildRun]
) -> Orchestration:
    capture = context.wait_for_external_event(names.CAPTURE_REQUESTED)
    window = context.create_timer(step.resume_at or context.current_utc_datetime)
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
        return (yield from take_phases(context, names.ADVANCE_IMAGE_BUILD, run, pause=await_capture))

    @bp.orchestration_trigger(context_name="context", orchestration=names.REMOVE_IMAGE_SET_RESOURCES)
    def remove_image_set_resources(context: df.DurableOrchestrationContext) -> Orchestration:
        """Input ImageRemovalRun; the removal's outcome: succeeded, failed or superseded."""
        run = ImageRemovalRun.model_validate(context.get_input())
        return (yield from take_phases(context, names.ADVANCE_IMAGE_REMOVAL, run))

    return bp
