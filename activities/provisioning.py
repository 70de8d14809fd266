"""Activities of Cloud PC provisioning: thin adapters over shared.services.provisioning."""

from __future__ import annotations

from typing import Any

import azure.durable_functions as df

from orchestrators import names
from shared.models.provisioning import RunState
from shared.services import provisioning
from shared.services.engine_ports import EnginePorts


def blueprint(ports: EnginePorts) -> df.Blueprint:
    bp = df.Blueprint()

    @bp.activity_trigger(input_name="call", activity=names.ADVANCE_PROVISIONING)
    def advance_provisioning(call: dict[str, Any]) -> dict[str, Any]:
        state = call["state"]
        advanced = provisioning.advance(
            ports,
            call["tenantId"],
            call["cloudPcId"],
            call["run"],
            int(call["maxAttempts"]),
            None if state is None else RunState.model_validate(state),
        )
        return advanced.model_dump(mode="json", by_alias=True)

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
