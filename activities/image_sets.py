"""Activities of image-set builds and removals: a thin adapter over shared.services.spot_pc.image_builds."""

from __future__ import annotations

from typing import Any

import azure.durable_functions as df

from orchestrators import names
from shared import telemetry
from shared.models.orchestrations import ImageBuildRun, ImageRemovalRun
from shared.ports.bundles import ImageBuildPorts
from shared.services.spot_pc import image_builds


def blueprint(ports: ImageBuildPorts) -> df.Blueprint:
    bp = df.Blueprint()

    @bp.activity_trigger(input_name="run", activity=names.ADVANCE_IMAGE_BUILD)
    @telemetry.activity
    def advance_image_build(run: dict[str, Any]) -> dict[str, Any]:
        """ImageBuildRun -> PhasedStep[ImageBuildRun]."""
        step = image_builds.advance_build(ports, ImageBuildRun.model_validate(run))
        return step.model_dump(mode="json", by_alias=True)

    @bp.activity_trigger(input_name="run", activity=names.ADVANCE_IMAGE_REMOVAL)
    @telemetry.activity
    def advance_image_removal(run: dict[str, Any]) -> dict[str, Any]:
        """ImageRemovalRun -> PhasedStep[ImageRemovalRun]."""
        step = image_builds.advance_removal(ports, ImageRemovalRun.model_validate(run))
        return step.model_dump(mode="json", by_alias=True)

    return bp
