"""Activities of Cloud PC provisioning: thin adapters over shared.services.provisioning."""

from __future__ import annotations

from typing import Any

import azure.durable_functions as df

from orchestrators import names
from shared.services import provisioning
from shared.services.engine_ports import EnginePorts
from shared.services.provisioning import CloudPcJob


def blueprint(ports: EnginePorts) -> df.Blueprint:
    bp = df.Blueprint()

    @bp.activity_trigger(input_name="request", activity=names.BEGIN_PROVISIONING)
    def begin_provisioning(request: dict[str, Any]) -> dict[str, Any]:
        begun = provisioning.begin(ports, request["tenantId"], request["cloudPcId"], request["run"])
        return begun.model_dump(mode="json")

    @bp.activity_trigger(input_name="call", activity=names.RUN_PROVISIONING_STEPS)
    def run_provisioning_steps(call: dict[str, Any]) -> dict[str, Any]:
        result = provisioning.run_steps(
            ports,
            CloudPcJob.model_validate(call["job"]),
            call["attempt"],
            call["steps"],
            tolerated=set(call["tolerated"]),
            resume=call["resume"],
        )
        return result.model_dump(mode="json")

    @bp.activity_trigger(input_name="call", activity=names.CLEAN_UP_ATTEMPT)
    def clean_up_attempt(call: dict[str, Any]) -> None:
        provisioning.clean_up_attempt(ports, CloudPcJob.model_validate(call["job"]), call["attempt"], call["reason"])

    @bp.activity_trigger(input_name="call", activity=names.FINISH_PROVISIONING)
    def finish_provisioning(call: dict[str, Any]) -> str:
        return provisioning.finish(ports, CloudPcJob.model_validate(call["job"]), call["attempt"], call["warnings"])

    @bp.activity_trigger(input_name="request", activity=names.FAIL_PROVISIONING)
    def fail_provisioning(request: dict[str, Any]) -> str:
        return provisioning.fail(
            ports,
            request["tenantId"],
            request["cloudPcId"],
            request["run"],
            request["step"],
            request["code"],
            request["message"],
        )

    return bp
