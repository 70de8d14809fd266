"""Which image a policy may name and what a Cloud PC is built from: the one home of the image rules."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from shared.catalog.gallery_images import known_gallery_image
from shared.models.images import DeviceImage, GalleryImage


@dataclass(frozen=True)
class PolicyImage:
    source_id: str  # what VMs are built from: the gallery id, or the custom image's source resource id
    display_name: str


class ImageRefused(Exception):
    """The policy's image cannot be used; `code` is the contract's code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def resolve_image(
    find_image: Callable[[str, str], DeviceImage | None],
    tenant_id: str,
    image_type: str,
    image_id: str,
    gallery_images: Mapping[str, GalleryImage] | None = None,
) -> PolicyImage:
    """A gallery image still supported (of the gallery the tenant's backend offers; without it, any the app knows
    by its name), or a tenant's device image that is ready; else `ImageRefused`."""
    if image_type == "gallery":
        gallery = gallery_images.get(image_id) if gallery_images is not None else known_gallery_image(image_id)
        if gallery is None:
            raise ImageRefused("referenceNotFound", f"'{image_id}' is not a gallery image.")
        if gallery.status == "notSupported":
            raise ImageRefused("imageNotSupported", f"'{gallery.display_name}' is no longer supported.")
        return PolicyImage(gallery.id, gallery.display_name)
    image = find_image(tenant_id, image_id)
    if image is None:
        raise ImageRefused("referenceNotFound", f"Device image '{image_id}' does not exist.")
    if image.status != "ready":
        raise ImageRefused("imageNotReady", f"Device image '{image.display_name}' is {image.status}, not ready.")
    return PolicyImage(image.source_image_resource_id, f"{image.display_name} {image.version}")
