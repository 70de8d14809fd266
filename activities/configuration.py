"""Activities of the configuration wizards: thin adapters over the connection and image services.

A health check, and the probe VM some checks run on, answer without waiting: still running comes back with
`waitSeconds` and the `operation` to pass back, and the orchestrator waits on a durable timer. The activity
bodies are plain functions of (ports, input), so they can be driven without the Functions host.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import azure.durable_functions as df

from orchestrators import names
from shared.cloud.ports import CloudError, Progress
from shared.models.connections import HealthCheck
from shared.services import connections, device_images
from shared.services.connections import CheckWait
from shared.services.ports import AdminPorts


def _progress(progress: Progress) -> dict[str, Any]:
    return {"done": progress.done, "waitSeconds": progress.retry_after_s, "operation": progress.operation}


def run_health_check(ports: AdminPorts, run: dict[str, Any]) -> dict[str, Any]:
    """{..., check, operation?, startDateTime?} -> the HealthCheck, or {name, status: running, waitSeconds, ...}."""
    started = datetime.fromisoformat(run["startDateTime"]) if run.get("startDateTime") else None
    result = connections.run_check(
        ports, run["tenantId"], run["connectionId"], run["run"], run["check"], run.get("operation"), started
    )
    if isinstance(result, CheckWait):
        return {"name": result.name, "status": "running", "waitSeconds": result.retry_after_s,
                "operation": result.operation, "startDateTime": result.started.isoformat()}  # fmt: skip
    return result.model_dump(mode="json")


def prepare_probe(ports: AdminPorts, run: dict[str, Any]) -> dict[str, Any]:
    """-> {done, waitSeconds, operation, probe, error?}: the probe's place travels on, for its removal."""
    tenant, connection, number = run["tenantId"], run["connectionId"], run["run"]
    probe = run.get("probe") or connections.probe_of(ports, tenant, connection, number)
    try:
        progress = connections.prepare_probe(ports, tenant, connection, number, run.get("operation"))
    except CloudError as exc:
        return {"done": True, "probe": probe, "error": {"code": exc.code, "message": str(exc)[:300]}}
    return {**_progress(progress), "probe": probe}


def remove_probe(ports: AdminPorts, run: dict[str, Any]) -> dict[str, Any]:
    return _progress(connections.remove_probe(ports, run["tenantId"], run["probe"], run.get("operation")))


def check_results(raw_results: list[dict[str, Any]]) -> list[HealthCheck]:
    """The orchestrator's answers as HealthChecks; a stand-in (no displayName) is a check that could not run."""
    return [
        HealthCheck.model_validate(raw)
        if "displayName" in raw
        else connections.could_not_run(raw["name"], raw.get("errorType") or "internalServerError")
        for raw in raw_results
    ]


def blueprint(ports: AdminPorts) -> df.Blueprint:
    bp = df.Blueprint()

    @bp.activity_trigger(input_name="run", activity=names.MARK_HEALTH_CHECKS_RUNNING)
    def mark_health_checks_running(run: dict[str, Any]) -> bool:
        return connections.mark_checks_running(ports, run["tenantId"], run["connectionId"], run["run"])

    @bp.activity_trigger(input_name="run", activity=names.RUN_HEALTH_CHECK)
    def run_health_check_activity(run: dict[str, Any]) -> dict[str, Any]:
        return run_health_check(ports, run)

    @bp.activity_trigger(input_name="run", activity=names.PREPARE_HEALTH_CHECK_PROBE)
    def prepare_health_check_probe(run: dict[str, Any]) -> dict[str, Any]:
        return prepare_probe(ports, run)

    @bp.activity_trigger(input_name="run", activity=names.REMOVE_HEALTH_CHECK_PROBE)
    def remove_health_check_probe(run: dict[str, Any]) -> dict[str, Any]:
        return remove_probe(ports, run)

    @bp.activity_trigger(input_name="run", activity=names.RECORD_HEALTH_CHECKS)
    def record_health_checks(run: dict[str, Any]) -> bool:
        results = check_results(run["results"])
        return connections.record_checks(ports, run["tenantId"], run["connectionId"], run["run"], results)

    @bp.activity_trigger(input_name="image", activity=names.VALIDATE_DEVICE_IMAGE)
    def validate_device_image(image: dict[str, Any]) -> str:
        settled = device_images.import_image(ports, image["tenantId"], image["imageId"])
        return settled.status if settled else "deleted"

    @bp.activity_trigger(input_name="image", activity=names.FAIL_DEVICE_IMAGE)
    def fail_device_image(image: dict[str, Any]) -> str:
        settled = device_images.fail_import(
            ports, image["tenantId"], image["imageId"], image["errorCode"], image["details"]
        )
        return settled.status if settled else "deleted"

    return bp
