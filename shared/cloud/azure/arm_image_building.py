"""ImageBuilding over ARM: a generalized build VM captured into an Azure Compute Gallery as replicated image versions.

The writes work as provisioning's do: a long-running operation is started with polling off and its status URL
handed back in `Progress.operation` (`"<phase> <url>"`), which the next call polls once; a 429 (or a busy
resource) is `Progress(done=False, retry_after_s=Retry-After)`. Each create reads first, so a repeat is free: an
existing gallery, definition or version is not put again, only waited for. Deletes are sent as they are: Azure
answers the delete of something already gone with 204. The image definition is of security type TrustedLaunch,
as the build VM is (arm_vm): Azure captures a Trusted Launch VM into no other kind of definition. The VM is named
in the version's `storageProfile.source.virtualMachineId`, the form GalleryRP documents for a VM source (api-version
2024-03-03 on, GalleryImageVersion_Create_WithVmAsSource.json) and the pinned SDK's GalleryArtifactVersionFullSource
carries; `source.id` is for images and other versions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from azure.core.exceptions import HttpResponseError
from azure.mgmt.compute import models as compute_models

from shared.cloud.azure import arm_lro, arm_vm
from shared.cloud.azure.arm_clients import ArmClients
from shared.cloud.azure.arm_ids import group_id, vm_id
from shared.ports.cloud_errors import CloudError
from shared.ports.compute import Placement
from shared.ports.image_building import GalleryImage
from shared.ports.progress import Progress

NOT_FOUND = {"ResourceNotFound", "NotFound", "ResourceGroupNotFound", "ParentResourceNotFound"}
NESTED_RESOURCES = "CannotDeleteResource"  # Azure's answer to deleting a definition that still has versions


class AzureImageBuilding:
    """The ImageBuilding port (shared.ports.image_building) on Microsoft.Compute galleries and virtual machines."""

    def __init__(self, clients: ArmClients) -> None:
        self.clients = clients

    @arm_lro.hand_back("ensureImageDefinition")
    def ensure_image_definition(
        self, tenant_id: str, image: GalleryImage, source_image_id: str, operation: str | None = None
    ) -> Progress:
        step, placement = "ensureImageDefinition", image.placement
        # the identifier is read as create_vm reads the same id, so it names the image the build VM started from
        reference = arm_vm.image_reference(source_image_id, step)
        if "publisher" not in reference:
            raise CloudError(step, "imageNotFound", f"'{source_image_id}' is not a marketplace publisher_offer_sku.")
        waiting, finished = self._poll(tenant_id, placement, operation, step)
        if waiting is not None:
            return waiting
        definition_id = _definition_id(image)
        if finished == "definition":
            return Progress(done=True, resource_id=definition_id)
        compute = self.clients.compute(tenant_id, placement.subscription_id)
        rg = placement.resource_group
        # the definition first: once it exists, so does its gallery, and a repeat costs this one read
        definition = arm_lro.found(lambda: compute.gallery_images.get(rg, image.gallery, image.definition), step)
        if definition is not None:
            return _settled(definition, definition_id, step)
        if finished != "gallery":
            gallery = arm_lro.found(lambda: compute.galleries.get(rg, image.gallery), step)
            if gallery is None:
                body = compute_models.Gallery({"location": placement.region_name})
                started = arm_lro.start(
                    lambda **kw: compute.galleries.begin_create_or_update(rg, image.gallery, body, **kw), step
                )
                if isinstance(started, arm_lro.Later):
                    return arm_lro.progress(started, "gallery")
            else:
                made = _settled(gallery, _gallery_id(image), step)
                if not made.done:
                    return made
        definition_body = compute_models.GalleryImage(_definition_body(placement.region_name, reference))
        started = arm_lro.start(
            lambda **kw: compute.gallery_images.begin_create_or_update(
                rg, image.gallery, image.definition, definition_body, **kw
            ),
            step,
        )
        if isinstance(started, arm_lro.Later):
            return arm_lro.progress(started, "definition")
        return Progress(done=True, resource_id=definition_id)

    @arm_lro.hand_back("generalizeVm")
    def generalize_vm(self, tenant_id: str, placement: Placement, vm_name: str) -> Progress:
        """Azure answers at once (no operation to poll); a generalized VM stays generalized, so a repeat is sent."""
        step = "generalizeVm"
        compute = self.clients.compute(tenant_id, placement.subscription_id)
        try:
            compute.virtual_machines.generalize(placement.resource_group, vm_name)
        except HttpResponseError as exc:
            if arm_lro.is_not_found(exc):
                raise CloudError(step, "vmNotFound", f"The VM {vm_name} does not exist.") from exc
            arm_lro.raise_for(exc, step)
        return Progress(done=True, resource_id=vm_id(placement, vm_name))

    @arm_lro.hand_back("createImageVersion")
    def create_image_version(
        self,
        tenant_id: str,
        image: GalleryImage,
        version: str,
        source_vm_id: str,
        regions: list[str],
        operation: str | None = None,
    ) -> Progress:
        step, placement = "createImageVersion", image.placement
        version_id = f"{_definition_id(image)}/versions/{version}"
        waiting, finished = self._poll(tenant_id, placement, operation, step)
        if waiting is not None:
            return waiting
        if finished:  # the operation succeeded: the version is replicated everywhere it was asked for
            return Progress(done=True, resource_id=version_id)
        versions = self.clients.compute(tenant_id, placement.subscription_id).gallery_image_versions
        rg = placement.resource_group
        existing = arm_lro.found(lambda: versions.get(rg, image.gallery, image.definition, version), step)
        if existing is not None:
            return _settled(existing, version_id, step)
        targets = [{"name": region, "regionalReplicaCount": 1} for region in _target_regions(placement, regions)]
        body = compute_models.GalleryImageVersion(
            {
                "location": placement.region_name,
                "properties": {
                    "storageProfile": {"source": {"virtualMachineId": source_vm_id}},
                    "publishingProfile": {"targetRegions": targets},
                },
            }
        )
        started = arm_lro.start(
            lambda **kw: versions.begin_create_or_update(rg, image.gallery, image.definition, version, body, **kw),
            step,
        )
        if isinstance(started, arm_lro.Later):
            return arm_lro.progress(started, "version")
        return Progress(done=True, resource_id=version_id)

    @arm_lro.hand_back("deleteImageVersion")
    def delete_image_version(
        self, tenant_id: str, image: GalleryImage, version: str, operation: str | None = None
    ) -> Progress:
        versions = self.clients.compute(tenant_id, image.placement.subscription_id).gallery_image_versions
        return self._delete(
            tenant_id,
            image.placement,
            operation,
            "deleteImageVersion",
            lambda **kw: versions.begin_delete(
                image.placement.resource_group, image.gallery, image.definition, version, **kw
            ),
        )

    @arm_lro.hand_back("deleteImageDefinition")
    def delete_image_definition(self, tenant_id: str, image: GalleryImage, operation: str | None = None) -> Progress:
        """A definition that still has versions is Azure's CloudError CannotDeleteResource. Azure also answers so
        for some seconds after its last version's delete finished: with no version left, that is not yet done."""
        step, rg = "deleteImageDefinition", image.placement.resource_group
        compute = self.clients.compute(tenant_id, image.placement.subscription_id)
        try:
            return self._delete(
                tenant_id,
                image.placement,
                operation,
                step,
                lambda **kw: compute.gallery_images.begin_delete(rg, image.gallery, image.definition, **kw),
            )
        except CloudError as exc:
            if exc.code != NESTED_RESOURCES or self._has_versions(tenant_id, image, step):
                raise
            return Progress(done=False, retry_after_s=arm_lro.DEFAULT_POLL_S, reason=arm_lro.RUNNING)

    def _has_versions(self, tenant_id: str, image: GalleryImage, step: str) -> bool:
        versions = self.clients.compute(tenant_id, image.placement.subscription_id).gallery_image_versions
        place = image.placement.resource_group
        listed = arm_lro.found(
            lambda: list(versions.list_by_gallery_image(place, image.gallery, image.definition)), step
        )
        return bool(listed)

    def _poll(
        self, tenant_id: str, placement: Placement, operation: str | None, step: str
    ) -> tuple[Progress | None, str | None]:
        """With an operation handed back, poll it once: (not done, None) while it runs, (None, its phase) once it
        succeeded. (None, None) without one, or when Azure has forgotten it (operations expire): the caller then
        reads what is there, as a first call does."""
        phase, url = arm_lro.decode(operation)
        if not url:
            return None, None
        polled = arm_lro.poll(self.clients, tenant_id, placement.subscription_id, url, step)
        if isinstance(polled, arm_lro.Later):
            return (arm_lro.progress(polled, phase or step) if polled.url else None), None
        return None, phase or step

    def _delete(
        self, tenant_id: str, placement: Placement, operation: str | None, step: str, call: Callable[..., Any]
    ) -> Progress:
        waiting, finished = self._poll(tenant_id, placement, operation, step)
        if waiting is not None:
            return waiting
        if finished:
            return Progress(done=True)
        try:
            started = arm_lro.start(call, step)
        except CloudError as exc:
            if exc.code in NOT_FOUND:  # its gallery or resource group is gone, and it with them
                return Progress(done=True)
            raise
        return arm_lro.progress(started, "delete") if isinstance(started, arm_lro.Later) else Progress(done=True)


def _gallery_id(image: GalleryImage) -> str:
    return f"{group_id(image.placement)}/providers/Microsoft.Compute/galleries/{image.gallery}"


def _definition_id(image: GalleryImage) -> str:
    return f"{_gallery_id(image)}/images/{image.definition}"


def _definition_body(region: str, reference: dict[str, Any]) -> dict[str, Any]:
    return {
        "location": region,
        "properties": {
            "osType": "Windows",
            "osState": "Generalized",
            "hyperVGeneration": "V2",
            "identifier": {key: reference[key] for key in ("publisher", "offer", "sku")},
            # a Gen2 definition that names no security type is TrustedLaunchSupported, which takes no VM source; a VM
            # with hibernation enabled (a personal Spot Group's host) is made only from a definition that says it
            # supports it (https://learn.microsoft.com/azure/virtual-machines/hibernate-resume)
            "features": [
                {"name": "SecurityType", "value": "TrustedLaunch"},
                {"name": "IsHibernateSupported", "value": "True"},
            ],
        },
    }


def _target_regions(placement: Placement, regions: list[str]) -> list[str]:
    """The gallery's own region first (the version lives there), then the others, each once however spelt."""
    ordered: dict[str, str] = {}
    for region in [placement.region_name, *regions]:
        ordered.setdefault(region.replace(" ", "").lower(), region)
    return list(ordered.values())


def _settled(resource: Any, resource_id: str, step: str) -> Progress:
    """A resource that exists: done once Succeeded, the step's CloudError once failed, else still being made."""
    state = str((resource.get("properties") or {}).get("provisioningState") or "").lower()
    if state == "succeeded":
        return Progress(done=True, resource_id=resource_id)
    if state in arm_lro.TERMINAL_FAILURES:
        raise CloudError(step, "ProvisioningFailed", f"{resource_id} ended {state}.")
    return Progress(done=False, retry_after_s=arm_lro.DEFAULT_POLL_S, reason=arm_lro.RUNNING)
