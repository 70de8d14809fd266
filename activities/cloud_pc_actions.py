"""Activities of Cloud PC VM actions: a thin adapter over shared.services.cloud_pcs.cloud_pc_actions."""

from __future__ import annotations

from typing import Any

import azure.durable_functions as df

from orchestrators import names
from shared import telemetry
from shared.models.orchestrations import VmActionRun
from shared.ports.engine_ports import EnginePorts
from shared.services.cloud_pcs import vm_actions


def blueprint(ports: EnginePorts) -> df.Blueprint:
    bp = df.Blueprint()

    @bp.activity_trigger(input_name="run", activity=names.ADVANCE_CLOUD_PC_ACTION)
    @telemetry.activity
    def advance_cloud_pc_action(run: dict[str, Any]) -> dict[str, Any]:
        """VmActionRun -> PhasedStep[VmActionRun]."""
        step = vm_actions.advance_vm_action(ports, VmActionRun.model_validate(run))
        return step.model_dump(mode="json", by_alias=True)

    return bp
