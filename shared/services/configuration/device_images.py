"""Custom device images: the wizard's rules and the import that validates the source image, as the tenant's backend
does it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any, Protocol

from shared.errors import Conflict, ErrorDetail, ValidationFailed
from shared.models.images import DeviceImage, DeviceImageCreate, GalleryImage
from shared.models.orchestrations import ImageImport, PhasedStep
from shared.ports.access_stores import UniqueValueStore
from shared.ports.backend_choice import BackendChoice
from shared.ports.backend_facets import ConfigurationBackend
from shared.ports.cloud_errors import CloudError
from shared.ports.configuration_ports import GallerySourcePorts, ImageImportPorts
from shared.ports.image_sources import ManagedImage
from shared.ports.progress import Progress
from shared.ports.stores import PolicyStore, SiteStore
from shared.services.configuration.device_image_transitions import DEVICE_IMAGES
from shared.services.engine import phased

MAX_IMAGES_PER_TENANT = 20
MAX_OS_DISK_GB = 64
IMPORT_PHASES = ("validate",)  # an import is one phase, asked again while the backend still validates the image
IMPORT_TIMEOUT = timedelta(hours=1)
IMPORT_WAIT_S = 5.0  # between steps of an import the backend still validates
UNREADABLE = "internalServerError"


class GalleryPorts(GallerySourcePorts, Protocol):
    """The gallery images a tenant's backend offers."""

    @property
    def backends(self) -> BackendChoice[ConfigurationBackend]: ...


class DeviceImagePorts(ImageImportPorts, GalleryPorts, Protocol):
    """A tenant's device images: the wizard's rules, and the import by the tenant's backend."""

    @property
    def sites(self) -> SiteStore: ...
    @property
    def policies(self) -> PolicyStore: ...  # an image a policy uses stays

    @property
    def unique(self) -> UniqueValueStore: ...  # one image per name and version

    @property
    def new_id(self) -> Callable[[], str]: ...


def gallery(ports: GalleryPorts, tenant_id: str) -> list[GalleryImage]:
    """The gallery images a policy of the tenant may name, as its backend offers them."""
    return ports.backends.of(tenant_id).gallery(ports, tenant_id)


def with_usage(ports: DeviceImagePorts, images: list[DeviceImage]) -> list[DeviceImage]:
    if not images:
        return images
    used = {p.image_id for p in ports.policies.list_all_policies(images[0].tenant_id) if p.image_type == "custom"}
    return [image.model_copy(update={"in_use": image.id in used}) for image in images]


def get_image(ports: DeviceImagePorts, tenant_id: str, image_id: str) -> DeviceImage:
    return with_usage(ports, [ports.images.get_image(tenant_id, image_id)])[0]


def create_image(
    ports: DeviceImagePorts, tenant_id: str, data: DeviceImageCreate, *, dry_run: bool = False
) -> DeviceImage:
    if ports.sites.find_site(tenant_id, data.site_id) is None:
        raise ValidationFailed.of(
            ErrorDetail("referenceNotFound", f"Site '{data.site_id}' does not exist in this tenant.", "siteId")
        )
    ports.backends.of(tenant_id).check_image_source(data)
    existing = ports.images.list_all_images(tenant_id)
    if any(_name_of(i) == _name_of(data) for i in existing):
        raise _taken(data)
    if len(existing) >= MAX_IMAGES_PER_TENANT:
        raise Conflict(
            f"A tenant can have at most {MAX_IMAGES_PER_TENANT} device images; delete one first.",
            code="limitExceeded",
            target="deviceImages",
        )
    now = ports.clock()
    image = DeviceImage(
        id=ports.new_id(), tenant_id=tenant_id, created_date_time=now, last_modified_date_time=now, **data.model_dump()
    )
    if dry_run:
        return image

    def holds(owner_id: str) -> bool:
        owner = ports.images.find_image(tenant_id, owner_id)
        return owner is not None and _name_of(owner) == _name_of(data)

    # the check above answers the common case; the claim settles a race between two creates
    if ports.unique.claim(_scope(tenant_id), _name_of(data), image.id, holds=holds) != image.id:
        raise _taken(data)
    try:
        return ports.images.upsert_image(image, if_none_match=True)
    except Exception:
        ports.unique.release(_scope(tenant_id), _name_of(data), image.id)
        raise


def _scope(tenant_id: str) -> str:
    return f"deviceImageName_{tenant_id}"


def _name_of(image: DeviceImage | DeviceImageCreate) -> str:
    return f"{image.display_name.lower()}|{image.version}"


def _taken(data: DeviceImageCreate) -> Conflict:
    return Conflict(
        f"An image named '{data.display_name}' with version {data.version} already exists; use a new version.",
        code="alreadyExists",
        target="version",
    )


def delete_image(ports: DeviceImagePorts, tenant_id: str, image_id: str, *, if_match: str | None) -> None:
    image = get_image(ports, tenant_id, image_id)
    if image.in_use:
        raise Conflict(
            f"Device image '{image.display_name}' is used by a provisioning policy; change the policy first.",
            code="inUse",
            target="imageId",
        )
    ports.backends.of(tenant_id).image_deleted(ports, image)
    ports.images.delete_image(tenant_id, image_id, if_match=if_match or image.etag)
    ports.unique.release(_scope(tenant_id), _name_of(image), image.id)


def source_image_problem(image: ManagedImage | None) -> tuple[str, str] | None:
    """The Graph error code and a sentence for what makes a managed image unusable, if anything."""
    if image is None:
        return "sourceImageNotFound", "The managed image does not exist or cannot be read."
    if image.os_type.lower() != "windows":
        return "osVersionNotSupported", "Only Windows 10/11 Enterprise images are supported."
    if image.hyper_v_generation.upper() != "V2":
        return "sourceImageInvalid", "The image must be Generation 2 (Hyper-V generation V2)."
    if image.os_state.lower() != "generalized":
        return "sourceImageNotGeneralized", "The image must be generalized with Sysprep."
    if image.data_disk_count:
        return "sourceImageInvalid", "The image must not have data disks."
    if image.os_disk_size_gb > MAX_OS_DISK_GB:
        return "sourceImageSizeExceedsLimitation", f"The OS disk must be at most {MAX_OS_DISK_GB} GB."
    return None


def advance_import(ports: DeviceImagePorts, run: ImageImport) -> PhasedStep[ImageImport]:
    """The import as phased work: settled (its outcome the image's status, or deleted), or when to read again. A
    throttle or an outage raises, for the activity's retries; any other refusal, or an hour of validation, fails
    the image."""

    def take(now: ImageImport, phase: str) -> Progress | PhasedStep[ImageImport]:
        settled = import_image(ports, now.tenant_id, now.image_id)
        if settled is not None and settled.status == "pending":
            return Progress(done=False, retry_after_s=IMPORT_WAIT_S, operation=settled.windows365_id)
        return PhasedStep(outcome=settled.status if settled else "deleted", run=now)

    def failed(now: ImageImport, phase: str, exc: CloudError) -> PhasedStep[ImageImport]:
        return PhasedStep(outcome=give_up(ports, now, str(exc)), run=now)

    return phased.drive(run, IMPORT_PHASES, take, clock=ports.clock, limit=IMPORT_TIMEOUT, on_fail=failed)


def give_up(ports: ImageImportPorts, run: ImageImport, reason: str, error_code: str = UNREADABLE) -> str:
    """An import that could not go on fails the image: its status after (or deleted)."""
    failed = fail_import(
        ports, run.tenant_id, run.image_id, error_code, f"The source image could not be read: {reason[:300]}"
    )
    return failed.status if failed else "deleted"


def import_image(ports: DeviceImagePorts, tenant_id: str, image_id: str) -> DeviceImage | None:
    """One step of the import by the tenant's backend: the image after it (still `pending`: ask again), None when
    deleted. A cloud error propagates so the orchestrator can retry; `fail_import` settles it after the last try."""
    image = ports.images.find_image(tenant_id, image_id)
    if image is None or image.status != "pending":
        return image  # deleted meanwhile, or already settled by an earlier delivery
    return ports.backends.of(tenant_id).import_image(ports, image)


def imported(ports: ImageImportPorts, image: DeviceImage, **found: Any) -> DeviceImage:
    """The pending image settled `ready`, with what the import `found` out about it."""
    ready = DEVICE_IMAGES.move(image, "import", **found, last_modified_date_time=ports.clock())
    return ports.images.upsert_image(ready, if_match=image.etag)


def fail_import(
    ports: ImageImportPorts, tenant_id: str, image_id: str, error_code: str, details: str
) -> DeviceImage | None:
    image = ports.images.find_image(tenant_id, image_id)
    if image is None or image.status != "pending":
        return image
    failed = DEVICE_IMAGES.move(
        image, "fail", error_code=error_code, status_details=details, last_modified_date_time=ports.clock()
    )
    return ports.images.upsert_image(failed, if_match=image.etag)
