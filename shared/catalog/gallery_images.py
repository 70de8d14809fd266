"""Windows 365 gallery images: marketplace images a policy can use without importing anything."""

from __future__ import annotations

from typing import Literal

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
        "windows-ent-cpc", "win10-22h2-ent-cpc-m365", "Windows 10 Enterprise 22H2" + M365, ["personal"],
        "supportedWithWarning",
    ),
    _image("office-365", "win11-24h2-avd-m365", MULTI + " 24H2" + M365, ["pooled"]),
    _image(
        "office-365", "win10-21h2-avd-m365", "Windows 10 Enterprise multi-session 21H2" + M365, ["pooled"],
        "notSupported",
    ),
    _image("windows-10", "win10-21h2-ent", "Windows 10 Enterprise 21H2", ["personal"], "notSupported"),
)  # fmt: skip
GALLERY_IMAGES_BY_ID = {image.id: image for image in GALLERY_IMAGES}
