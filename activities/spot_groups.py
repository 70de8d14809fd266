"""Activities of Spot Groups: a thin adapter over shared.services.spot_pc.spot_group_deployments and host_power."""

from __future__ import annotations

from typing import Any

import azure.durable_functions as df

from orchestrators import names
from shared import telemetry
from shared.models.orchestrations import HostPowerRun, SpotGroupRun
from shared.ports.bundles import SpotGroupPorts
from shared.services.spot_pc import host_power, spot_group_deployments


def blueprint(ports: SpotGroupPorts) -> df.Blueprint:
    bp = df.Blueprint()

    @bp.activity_trigger(input_name="run", activity=names.ADVANCE_SPOT_GROUP)
    @telemetry.activity
    def advance_spot_group(run: dict[str, Any]) -> dict[str, Any]:
        """SpotGroupRun -> PhasedStep[SpotGroupRun]."""
        step = spot_group_deployments.advance(ports, SpotGroupRun.model_validate(run))
        return step.model_dump(mode="json", by_alias=True)

    @bp.activity_trigger(input_name="run", activity=names.ADVANCE_HOST_POWER)
    @telemetry.activity
    def advance_host_power(run: dict[str, Any]) -> dict[str, Any]:
        """HostPowerRun -> PhasedStep[HostPowerRun]."""
        step = host_power.follow(ports, HostPowerRun.model_validate(run))
        return step.model_dump(mode="json", by_alias=True)

    return bp
