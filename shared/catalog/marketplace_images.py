"""Azure Marketplace images an image set can start from: Windows desktop images narrowed to Spot PC's uses."""

from __future__ import annotations

from shared.models.image_sets import MarketplaceImage, Use


def _image(publisher: str, offer: str, sku: str, name: str, use: Use) -> MarketplaceImage:
    return MarketplaceImage(
        id=f"{publisher}_{offer}_{sku}",
        display_name=name,
        publisher=publisher,
        offer=offer,
        sku=sku,
        multi_session=use == "pooled",  # pooled hosts take many users at once: multi-session Windows
        recommended_for=[use],
    )


DESKTOP, M365 = "microsoftwindowsdesktop", " + Microsoft 365 Apps"
MARKETPLACE_IMAGES: tuple[MarketplaceImage, ...] = (
    # what the Spot PC documentation recommends: pooled hosts on multi-session images, personal on Enterprise
    _image(DESKTOP, "office-365", "win11-21h2-avd-m365", "Windows 11 Enterprise multi-session 21H2" + M365, "pooled"),
    _image(DESKTOP, "office-365", "win10-21h2-avd-m365", "Windows 10 Enterprise multi-session 21H2" + M365, "pooled"),
    _image(DESKTOP, "windows-10", "win10-21h2-avd", "Windows 10 Enterprise multi-session 21H2", "pooled"),
    _image(DESKTOP, "windows-10", "win10-21h2-ent", "Windows 10 Enterprise 21H2", "personal"),
    # and their current releases
    _image(DESKTOP, "office-365", "win11-24h2-avd-m365", "Windows 11 Enterprise multi-session 24H2" + M365, "pooled"),
    _image(DESKTOP, "windows-11", "win11-24h2-avd", "Windows 11 Enterprise multi-session 24H2", "pooled"),
    _image(DESKTOP, "windows-11", "win11-24h2-ent", "Windows 11 Enterprise 24H2", "personal"),
)
MARKETPLACE_IMAGES_BY_ID = {image.id: image for image in MARKETPLACE_IMAGES}
