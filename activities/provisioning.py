"""Activities of Cloud PC provisioning: thin adapters over shared.services.provisioning."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import azure.durable_functions as df

from orchestrators import names
from shared.services import provisioning
from shared.services.engine_ports import EnginePorts


def blueprint(ports: EnginePorts) -> df.Blueprint:
    bp = df.Blueprint()

    @bp.activity_trigger(input_name="job", activity=names.BEGIN_PROVISIONING)
    def begin_provisioning(job: dict[str, Any]) -> dict[str, Any]:
        return asdict(provisioning.begin(ports, job["tenantId"], job["cloudPcId"], job["run"]))

    @bp.activity_trigger(input_name="job", activity=names.RUN_PROVISIONING_STEP)
    def run_provisioning_step(job: dict[str, Any]) -> dict[str, Any]:
        result = provisioning.run_step(
            ports, job["tenantId"], job["cloudPcId"], job["run"], job["attempt"], job["step"]
        )
        return {
            "done": result.done,
            "retryAfterSeconds": result.retry_after_s,
            "failed": result.failed,
            "code": result.code,
            "message": result.message,
        }

    @bp.activity_trigger(input_name="job", activity=names.CLEAN_UP_ATTEMPT)
    def clean_up_attempt(job: dict[str, Any]) -> None:
        provisioning.clean_up_attempt(
            ports, job["tenantId"], job["cloudPcId"], job["run"], job["attempt"], job["reason"]
        )

    @bp.activity_trigger(input_name="job", activity=names.FINISH_PROVISIONING)
    def finish_provisioning(job: dict[str, Any]) -> str:
        return provisioning.finish(
            ports, job["tenantId"], job["cloudPcId"], job["run"], job["attempt"], job["warnings"]
        )

    @bp.activity_trigger(input_name="job", activity=names.FAIL_PROVISIONING)
    def fail_provisioning(job: dict[str, Any]) -> str:
        return provisioning.fail(
            ports, job["tenantId"], job["cloudPcId"], job["run"], job["step"], job["code"], job["message"]
        )

    return bp
