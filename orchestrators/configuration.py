"""Orchestrators of the configuration wizards: connection health checks and device-image imports, each phased
work (shared/services/configuration/: health_check_runs.py, device_images.py) taken by orchestrators/phases.py."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import azure.durable_functions as df

from orchestrators import names
from orchestrators.phases import TIMED_OUT, take_phases
from shared.models.orchestrations import HealthCheckRun, ImageImport, ImageImportFailure, UnfinishedChecks
from shared.services.configuration.health_check_runs import COULD_NOT_RUN, RAN_TOO_LONG

Orchestration = Generator[Any, Any, Any]


def _wire(model: Any) -> dict[str, Any]:
    return model.model_dump(mode="json", by_alias=True)


def connection_health_check(context: df.DurableOrchestrationContext) -> Orchestration:
    """Input HealthCheckRun: `recorded`, `superseded` (a newer run took over) or `refused` (by Windows 365). A run
    that cannot go on records its checks as failed, never leaving the connection `running`."""
    run = HealthCheckRun.model_validate(context.get_input())
    try:
        outcome = yield from take_phases(context, names.ADVANCE_HEALTH_CHECK, run)
        if outcome != TIMED_OUT:
            return outcome
        error_type = RAN_TOO_LONG
    except Exception:  # the activity kept failing after its retries
        error_type = COULD_NOT_RUN
    unfinished = run.derive(UnfinishedChecks, error_type=error_type)
    recorded = yield context.call_activity(names.RECORD_UNFINISHED_HEALTH_CHECKS, _wire(unfinished))
    return "recorded" if recorded else "superseded"


def import_device_image(context: df.DurableOrchestrationContext) -> Orchestration:
    """Input ImageImport: the image's status once settled (`ready` or `failed`), or `deleted`. Where Windows 365
    validates it (a windows365 tenant) the image stays pending for minutes, read again until it is settled."""
    image = ImageImport.model_validate(context.get_input())
    try:
        outcome = yield from take_phases(context, names.ADVANCE_IMAGE_IMPORT, image)
        if outcome != TIMED_OUT:
            return outcome
        reason = "the import did not settle within its calls"
    except Exception as exc:
        reason = str(exc)
    failure = image.derive(ImageImportFailure, error_code="internalServerError", details=reason[:300])
    return str((yield context.call_activity(names.FAIL_DEVICE_IMAGE, _wire(failure))))


def blueprint() -> df.Blueprint:
    bp = df.Blueprint()
    # registered as are, so the orchestrators stay plain generator functions that tests can drive
    bp.orchestration_trigger(context_name="context", orchestration=names.CONNECTION_HEALTH_CHECK)(
        connection_health_check
    )
    bp.orchestration_trigger(context_name="context", orchestration=names.IMPORT_DEVICE_IMAGE)(import_device_image)
    return bp
