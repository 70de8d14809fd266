"""The activity that reads a windows365 tenant's Cloud PCs into the app: a thin adapter over windows365_mirror."""

from __future__ import annotations

from typing import Any

import azure.durable_functions as df

from orchestrators import names
from shared import telemetry
from shared.models.orchestrations import Windows365MirrorRun
from shared.ports.engine_ports import EnginePorts
from shared.services.backends import windows365_mirror


def blueprint(ports: EnginePorts) -> df.Blueprint:
    bp = df.Blueprint()

    @bp.activity_trigger(input_name="run", activity=names.READ_WINDOWS365_CLOUD_PCS)
    @telemetry.activity
    def read_windows365_cloud_pcs(run: dict[str, Any]) -> dict[str, Any]:
        """Windows365MirrorRun -> PhasedStep[Windows365MirrorRun] (a refusal for want of a permission settles: it is
        kept as the tenant's refused work until the admin grants it)."""
        step = windows365_mirror.follow(ports, Windows365MirrorRun.model_validate(run))
        return step.model_dump(mode="json", by_alias=True)

    return bp
