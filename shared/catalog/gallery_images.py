"""Gallery images: marketplace images a policy can use without importing anything, with Windows 365's word on each
(its gallery's support status and recommendation), and those it no longer supports."""

from __future__ import annotations

from typing import Literal

from shared.catalog.marketplace_images import marketplace_image
from shared.models.image_sets import MarketplaceImage
from shared.models.images import GalleryImage

Use = Literal["personal", "pooled"]


def _image(offer: str, sku: str, name: str, recommended_for: list[Use], status: str = "supported") -> GalleryImage:
    return GalleryImage.model_validate(
        {
            "id": f"microsoftwindowsdesktop_{offer}_{sku}",
            "displayName": name,
            "publisherName": "microsoftwindowsdesktop",
            "offerName": offer,
            "skuName": sku,
            "status": status,
            "recommendedFor": recommended_for,
        }
    )


M365 = " + Microsoft 365 Apps"
MULTI = "Windows 11 Enterprise multi-session"
GALLERY_IMAGES: tuple[GalleryImage, ...] = (
    _image("windows-ent-cpc", "win11-24h2-ent-cpc-m365", "Windows 11 Enterprise 24H2" + M365, ["personal"]),
    _image("windows-ent-cpc", "win11-24h2-ent-cpc", "Windows 11 Enterprise 24H2", ["personal"]),
    _image("windows-ent-cpc", "win11-23h2-ent-cpc-m365", "Windows 11 Enterprise 23H2" + M365, ["personal"]),
    _image(
        "windows-ent-cpc",
        "win10-22h2-ent-cpc-m365",
        "Windows 10 Enterprise 22H2" + M365,
        ["personal"],
        "supportedWithWarning",
    ),
    _image("office-365", "win11-24h2-avd-m365", MULTI + " 24H2" + M365, ["pooled"]),
    _image(
        "office-365",
        "win10-21h2-avd-m365",
        "Windows 10 Enterprise multi-session 21H2" + M365,
        ["pooled"],
        "notSupported",
    ),
    _image("windows-10", "win10-21h2-ent", "Windows 10 Enterprise 21H2", ["personal"], "notSupported"),
)
GALLERY_IMAGES_BY_ID = {image.id: image for image in GALLERY_IMAGES}


def gallery_image(image: MarketplaceImage) -> GalleryImage:
    """A marketplace image as a policy's gallery image: as Windows 365's gallery has it, else supported, for the
    hosts its Windows takes (one user, or many)."""
    known = GALLERY_IMAGES_BY_ID.get(image.id)
    if known is not None:
        return known
    return _image(image.offer, image.sku, image.display_name, ["pooled" if image.multi_session else "personal"])


def gallery_of(images: list[MarketplaceImage]) -> list[GalleryImage]:
    """The gallery of a marketplace's images, and the images Windows 365 no longer supports (named, so that a policy
    naming one is told why it is refused)."""
    listed = {image.id: gallery_image(image) for image in images}
    # Windows 365's gallery first, in its order (its Cloud PC images lead), then the others by name
    named = [image for image in GALLERY_IMAGES if image.id in listed or image.status == "notSupported"]
    others = sorted(
        (image for image in listed.values() if image.id not in GALLERY_IMAGES_BY_ID), key=lambda i: i.display_name
    )
    return named + others


def known_gallery_image(image_id: str) -> GalleryImage | None:
    """The gallery image an id names, whatever region: Windows 365's, or a marketplace image that suits."""
    image = marketplace_image(image_id)
    return GALLERY_IMAGES_BY_ID.get(image_id) or (gallery_image(image) if image is not None else None)
