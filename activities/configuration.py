"""Activities of the configuration wizards: thin adapters over the connection and image services.

A health check, and the probe VM some checks run on, answer without waiting: still running comes back with
`waitSeconds` and the `operation` to pass back, and the orchestrator waits on a durable timer. The activity
bodies are plain functions of (ports, payload), so they can be driven without the Functions host.
"""

from __future__ import annotations

from typing import Any

import azure.durable_functions as df

from orchestrators import names
from shared import telemetry
from shared.cloud.ports import CloudError, Progress
from shared.models.connections import HealthCheck
from shared.models.orchestrations import (
    CheckAnswer,
    CheckCall,
    ConnectionRun,
    ImageImport,
    ImageImportFailure,
    ProbeAnswer,
    ProbeCall,
    ProbeError,
    RecordCall,
    RecordedCheck,
)
from shared.services import connections, device_images
from shared.services.admin_ports import AdminPorts
from shared.services.connections import CheckWait


def _progress(progress: Progress, probe: dict[str, str] | None = None) -> dict[str, Any]:
    answer = ProbeAnswer(
        done=progress.done, wait_seconds=progress.retry_after_s, operation=progress.operation, probe=probe
    )
    return answer.model_dump(mode="json", by_alias=True)


def run_health_check(ports: AdminPorts, payload: Any) -> dict[str, Any]:
    """CheckCall -> CheckAnswer: the HealthCheck, or (still running) the wait and what to pass back."""
    call = CheckCall.model_validate(payload)
    result = connections.run_check(
        ports, call.tenant_id, call.connection_id, call.run, call.check, call.operation, call.start_date_time
    )
    if isinstance(result, CheckWait):
        answer = CheckAnswer(
            name=result.name,
            wait_seconds=result.retry_after_s,
            operation=result.operation,
            start_date_time=result.started,
        )
    else:
        answer = CheckAnswer(name=result.name, result=result)
    return answer.model_dump(mode="json", by_alias=True)


def prepare_probe(ports: AdminPorts, payload: Any) -> dict[str, Any]:
    """ProbeCall -> ProbeAnswer: the probe's place travels on, for its removal."""
    call = ProbeCall.model_validate(payload)
    probe = call.probe or connections.probe_of(ports, call.tenant_id, call.connection_id, call.run)
    try:
        progress = connections.prepare_probe(ports, call.tenant_id, call.connection_id, call.run, call.operation)
    except CloudError as exc:
        failed = ProbeAnswer(done=True, probe=probe, error=ProbeError(code=exc.code, message=str(exc)[:300]))
        return failed.model_dump(mode="json", by_alias=True)
    return _progress(progress, probe)


def remove_probe(ports: AdminPorts, payload: Any) -> dict[str, Any]:
    """ProbeCall (with its probe) -> ProbeAnswer."""
    call = ProbeCall.model_validate(payload)
    if call.probe is None:
        raise ValueError("remove_health_check_probe needs the probe's place")
    return _progress(connections.remove_probe(ports, call.tenant_id, call.probe, call.operation))


def check_results(raw_results: list[Any]) -> list[HealthCheck]:
    """The orchestrator's RecordedChecks as HealthChecks; one without a result is a check that could not run."""
    recorded = [RecordedCheck.model_validate(raw) for raw in raw_results]
    return [
        check.result or connections.could_not_run(check.name, check.error_type or "internalServerError")
        for check in recorded
    ]


def blueprint(ports: AdminPorts) -> df.Blueprint:
    bp = df.Blueprint()

    @bp.activity_trigger(input_name="run", activity=names.MARK_HEALTH_CHECKS_RUNNING)
    @telemetry.activity
    def mark_health_checks_running(run: dict[str, Any]) -> bool:
        marking = ConnectionRun.model_validate(run)
        return connections.mark_checks_running(ports, marking.tenant_id, marking.connection_id, marking.run)

    @bp.activity_trigger(input_name="run", activity=names.RUN_HEALTH_CHECK)
    @telemetry.activity
    def run_health_check_activity(run: dict[str, Any]) -> dict[str, Any]:
        return run_health_check(ports, run)

    @bp.activity_trigger(input_name="run", activity=names.PREPARE_HEALTH_CHECK_PROBE)
    @telemetry.activity
    def prepare_health_check_probe(run: dict[str, Any]) -> dict[str, Any]:
        return prepare_probe(ports, run)

    @bp.activity_trigger(input_name="run", activity=names.REMOVE_HEALTH_CHECK_PROBE)
    @telemetry.activity
    def remove_health_check_probe(run: dict[str, Any]) -> dict[str, Any]:
        return remove_probe(ports, run)

    @bp.activity_trigger(input_name="run", activity=names.RECORD_HEALTH_CHECKS)
    @telemetry.activity
    def record_health_checks(run: dict[str, Any]) -> bool:
        record = RecordCall.model_validate(run)
        results = check_results(list(record.results))
        return connections.record_checks(ports, record.tenant_id, record.connection_id, record.run, results)

    @bp.activity_trigger(input_name="run", activity=names.PUSH_WINDOWS365_CONNECTION)
    @telemetry.activity
    def push_windows365_connection(run: dict[str, Any]) -> str:
        call = ConnectionRun.model_validate(run)
        return connections.push_to_windows365(ports, call.tenant_id, call.connection_id, call.run)

    @bp.activity_trigger(input_name="run", activity=names.MIRROR_WINDOWS365_CHECKS)
    @telemetry.activity
    def mirror_windows365_checks(run: dict[str, Any]) -> float | None:
        call = ConnectionRun.model_validate(run)
        return connections.mirror_windows365_checks(ports, call.tenant_id, call.connection_id, call.run)

    @bp.activity_trigger(input_name="image", activity=names.VALIDATE_DEVICE_IMAGE)
    @telemetry.activity
    def validate_device_image(image: dict[str, Any]) -> str:
        call = ImageImport.model_validate(image)
        settled = device_images.import_image(ports, call.tenant_id, call.image_id)
        return settled.status if settled else "deleted"

    @bp.activity_trigger(input_name="image", activity=names.FAIL_DEVICE_IMAGE)
    @telemetry.activity
    def fail_device_image(image: dict[str, Any]) -> str:
        failure = ImageImportFailure.model_validate(image)
        settled = device_images.fail_import(
            ports, failure.tenant_id, failure.image_id, failure.error_code, failure.details
        )
        return settled.status if settled else "deleted"

    return bp
