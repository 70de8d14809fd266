"""Activities of the configuration wizards: thin adapters over the connection and image services."""

from __future__ import annotations

from typing import Any

import azure.durable_functions as df

from orchestrators import names
from shared.models.connections import HealthCheck
from shared.services import connections, device_images
from shared.services.health_checks import CHECKS_BY_NAME
from shared.services.ports import AdminPorts


def blueprint(ports: AdminPorts) -> df.Blueprint:
    bp = df.Blueprint()

    @bp.activity_trigger(input_name="run", activity=names.MARK_HEALTH_CHECKS_RUNNING)
    def mark_health_checks_running(run: dict[str, Any]) -> bool:
        return connections.mark_checks_running(ports, run["tenantId"], run["connectionId"], run["run"])

    @bp.activity_trigger(input_name="run", activity=names.RUN_HEALTH_CHECK)
    def run_health_check(run: dict[str, Any]) -> dict[str, Any]:
        result = connections.run_check(ports, run["tenantId"], run["connectionId"], run["check"])
        return result.model_dump(mode="json")

    @bp.activity_trigger(input_name="run", activity=names.RECORD_HEALTH_CHECKS)
    def record_health_checks(run: dict[str, Any]) -> bool:
        results = []
        for raw in run["results"]:
            if "displayName" not in raw:  # the orchestrator's stand-in for a check that could not run
                spec = CHECKS_BY_NAME[raw["name"]]
                raw = {**raw, "displayName": spec.display_name, "recommendedAction": "Run the health checks again."}
                raw.pop("reason", None)
            results.append(HealthCheck.model_validate(raw))
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
