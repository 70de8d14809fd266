"""Activities of the configuration wizards: thin adapters over the health-check run and the image import.

Both are phased work (shared/services/engine/phased.py): a call takes phases until the work is over or a phase is still
running in Azure, and answers a PhasedStep the orchestrator waits on. The activity bodies are plain functions of
(ports, payload), so they can be driven without the Functions host.
"""

from __future__ import annotations

from typing import Any

import azure.durable_functions as df

from orchestrators import names
from shared import telemetry
from shared.models.orchestrations import HealthCheckRun, ImageImport, ImageImportFailure, UnfinishedChecks
from shared.ports.admin_ports import AdminPorts
from shared.services.configuration import device_images, health_check_runs


def advance_health_check(ports: AdminPorts, payload: Any) -> dict[str, Any]:
    """HealthCheckRun -> PhasedStep[HealthCheckRun]."""
    step = health_check_runs.advance(ports, HealthCheckRun.model_validate(payload))
    return step.model_dump(mode="json", by_alias=True)


def record_unfinished_health_checks(ports: AdminPorts, payload: Any) -> bool:
    """UnfinishedChecks -> whether the run was still the connection's to record."""
    run = UnfinishedChecks.model_validate(payload)
    return health_check_runs.record(ports, run, run.error_type)


def advance_image_import(ports: AdminPorts, payload: Any) -> dict[str, Any]:
    """ImageImport -> PhasedStep[ImageImport]."""
    step = device_images.advance_import(ports, ImageImport.model_validate(payload))
    return step.model_dump(mode="json", by_alias=True)


def fail_device_image(ports: AdminPorts, payload: Any) -> str:
    """ImageImportFailure -> the image's status after (or deleted)."""
    failure = ImageImportFailure.model_validate(payload)
    return device_images.give_up(ports, failure, failure.details, failure.error_code)


def blueprint(ports: AdminPorts) -> df.Blueprint:
    bp = df.Blueprint()

    @bp.activity_trigger(input_name="run", activity=names.ADVANCE_HEALTH_CHECK)
    @telemetry.activity
    def advance_health_check_activity(run: dict[str, Any]) -> dict[str, Any]:
        return advance_health_check(ports, run)

    @bp.activity_trigger(input_name="run", activity=names.RECORD_UNFINISHED_HEALTH_CHECKS)
    @telemetry.activity
    def record_unfinished_health_checks_activity(run: dict[str, Any]) -> bool:
        return record_unfinished_health_checks(ports, run)

    @bp.activity_trigger(input_name="run", activity=names.ADVANCE_IMAGE_IMPORT)
    @telemetry.activity
    def advance_image_import_activity(run: dict[str, Any]) -> dict[str, Any]:
        return advance_image_import(ports, run)

    @bp.activity_trigger(input_name="run", activity=names.FAIL_DEVICE_IMAGE)
    @telemetry.activity
    def fail_device_image_activity(run: dict[str, Any]) -> str:
        return fail_device_image(ports, run)

    return bp
