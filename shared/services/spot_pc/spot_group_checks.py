"""What a Spot Group's create or change is checked against: its image version, its region, its scaling."""

from __future__ import annotations

from typing import Any, Protocol

from shared.catalog.marketplace_images import marketplace_image
from shared.errors import Conflict, ErrorDetail, ValidationFailed
from shared.models.host_scaling import HostScaling
from shared.models.image_sets import ImageSetVersion
from shared.models.regions import AVD_METADATA_REGIONS
from shared.models.spot_groups import SpotGroup, SpotGroupUpdate, UserType
from shared.models.spot_schedules import FieldError
from shared.ports.spot_pc_stores import ImageSetStore


class ImageSetReads(Protocol):
    """The tenant's image sets, whose ready versions a group's hosts are built from."""

    @property
    def image_sets(self) -> ImageSetStore: ...


def refused(code: str, message: str, target: str) -> ValidationFailed:
    return ValidationFailed.of(ErrorDetail(code, message, target))


def ready_version(
    ports: ImageSetReads, tenant_id: str, image_set_id: str, number: str, user_type: UserType, region: str
) -> ImageSetVersion:
    """The ready image version hosts are built from, replicated to the site's region, for the group's user type."""
    image_set = ports.image_sets.find_image_set(tenant_id, image_set_id)
    if image_set is None:
        raise refused("referenceNotFound", f"Image set '{image_set_id}' does not exist.", "imageSetId")
    version = ports.image_sets.find_version(tenant_id, image_set.id, number)
    if version is None:
        raise refused("referenceNotFound", f"Version {number} is not in the image set.", "imageVersion")
    if version.status != "ready" or version.image_version_id is None:
        raise Conflict(
            f"Version {number} is {version.status}; a Spot Group needs a ready version.",
            code="wrongStatus",
            target="imageVersion",
        )
    if region not in version.regions:
        raise refused(
            "imageNotInRegion", f"Version {number} is not replicated to {region}, the site's region.", "imageVersion"
        )
    source = marketplace_image(image_set.source_image_id)
    if user_type == "pooled" and source is not None and not source.multi_session:
        raise refused(
            "imageNotMultiSession",
            f"'{source.display_name}' takes one user at a time; pooled hosts need a multi-session image.",
            "imageSetId",
        )
    return version


def check_metadata_region(region: str) -> None:
    """The group's host pool, application group and workspace are made in its site's region, so that region must be
    one where Azure Virtual Desktop keeps their metadata: refused here, before anything is deployed, rather than by
    ARM (LocationNotAvailableForResourceType) once the deployment has started."""
    if region.replace(" ", "").lower() not in AVD_METADATA_REGIONS:
        raise refused(
            "regionNotSupported",
            f"Azure Virtual Desktop cannot keep a host pool in {region}, the site's "
            f"region; choose a site in one of {', '.join(sorted(AVD_METADATA_REGIONS))}.",
            "siteId",
        )


def check_scaling(group: SpotGroup, patch: SpotGroupUpdate, changes: dict[str, Any]) -> None:
    """The create's checks of scaling (SpotGroupCreate) on the group as the patch leaves it: none on a personal
    group, and within its licenses, which a lower licenseCount may now refuse."""
    if patch.scaling is not None and group.user_type == "personal":
        errors = patch.scaling.refusals_for_personal()
    else:
        scaling: HostScaling | None = changes.get("scaling", group.scaling)
        licenses: int = changes.get("license_count", group.license_count)
        errors = scaling.refusals(licenses, group.max_sessions_per_host, group.vm_size) if scaling else []
    refuse_scaling(errors)


def refuse_scaling(errors: list[FieldError]) -> None:
    """400 with one detail at each field a scaling's check refused."""
    targets = [(".".join(map(str, loc)), code, message) for loc, code, message, _ in errors]
    if targets:
        raise ValidationFailed.of(
            *(ErrorDetail(code, f"{target}: {message}", target) for target, code, message in targets)
        )
