"""Activities of Cloud PC provisioning: thin adapters over shared.services.cloud_pcs.provisioning."""

from __future__ import annotations

from typing import Any

import azure.durable_functions as df

from orchestrators import names
from shared import telemetry
from shared.models.orchestrations import FailCall, ProvisionInput
from shared.ports.engine_ports import EnginePorts
from shared.services.cloud_pcs import provisioning


def blueprint(ports: EnginePorts) -> df.Blueprint:
    bp = df.Blueprint()

    @bp.activity_trigger(input_name="call", activity=names.ADVANCE_PROVISIONING)
    @telemetry.activity
    def advance_provisioning(call: dict[str, Any]) -> dict[str, Any]:
        """ProvisionInput -> Advanced. Max attempts come from the app's settings (via the ports), never the input."""
        advance = ProvisionInput.model_validate(call)
        advanced = provisioning.advance(
            ports,
            advance.tenant_id,
            advance.cloud_pc_id,
            advance.run,
            ports.max_attempts,
            advance.state,
            advance.asked_at,
        )
        return advanced.model_dump(mode="json", by_alias=True)

    @bp.activity_trigger(input_name="request", activity=names.FAIL_PROVISIONING)
    @telemetry.activity
    def fail_provisioning(request: dict[str, Any]) -> str:
        """FailCall -> the Cloud PC's status afterwards."""
        failure = FailCall.model_validate(request)
        return provisioning.fail(
            ports, failure.tenant_id, failure.cloud_pc_id, failure.run, failure.step, failure.code, failure.message
        )

    return bp
