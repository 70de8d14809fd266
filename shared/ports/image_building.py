"""Azure Compute Gallery as image sets use it: a build VM captured into replicated image versions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from shared.ports.compute import Placement
from shared.ports.progress import Progress


@dataclass(frozen=True)
class GalleryImage:
    """Where an image set's versions live: an Azure Compute Gallery and one image definition in it."""

    placement: Placement  # the gallery's subscription, resource group and region
    gallery: str
    definition: str


class ImageBuilding(Protocol):
    """Azure Compute Gallery as image sets use it: a build VM captured into replicated image versions."""

    def ensure_image_definition(
        self, tenant_id: str, image: GalleryImage, source_image_id: str, operation: str | None = None
    ) -> Progress:
        """The gallery, then the image definition (Windows, generalized, Hyper-V Gen2, Trusted Launch as the VMs
        captured into it are, its publisher, offer and sku from the marketplace id `publisher_offer_sku` it starts
        from); done when both exist; resource_id: the definition's."""
        ...

    def generalize_vm(self, tenant_id: str, placement: Placement, vm_name: str) -> Progress:
        """Mark the sysprepped, deallocated VM generalized (Azure refuses a running VM)."""
        ...

    def create_image_version(
        self,
        tenant_id: str,
        image: GalleryImage,
        version: str,
        source_vm_id: str,
        regions: list[str],
        operation: str | None = None,
    ) -> Progress:
        """A version captured from the generalized VM and replicated to `regions` (the gallery's own first);
        done once replicated; resource_id: the version's."""
        ...

    def delete_image_version(
        self, tenant_id: str, image: GalleryImage, version: str, operation: str | None = None
    ) -> Progress:
        """Done when the version is gone (also when it never existed)."""
        ...

    def delete_image_definition(self, tenant_id: str, image: GalleryImage, operation: str | None = None) -> Progress:
        """Done when the definition is gone (the gallery stays: other image sets share it); CloudError while it
        still has versions."""
        ...
