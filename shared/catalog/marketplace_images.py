"""Azure Marketplace images an image set can start from: which Windows desktop images suit Cloud PCs and session
hosts, their names, and the ones Spot PC recommends."""

from __future__ import annotations

import re

from shared.models.image_sets import MarketplaceImage, PlatformImage, Use

DESKTOP = "microsoftwindowsdesktop"
# Windows 11 and 10 Enterprise, their multi-session editions (with Microsoft 365 Apps in office-365), and Windows
# 365's own Cloud PC images (windows-ent-cpc)
OFFERS = ("windows-11", "windows-10", "office-365", "windows-ent-cpc")
# Enterprise (ent), multi-session (avd; evd before 20H2), Cloud PC (ent-cpc), with Microsoft 365 Apps (m365), as
# Generation 2 builds (g2, for Windows 10); Pro, N, LTSC and the other editions are not for Cloud PCs or session hosts
SKU = re.compile(r"^win1[01]-\d{2}h\d-(?P<edition>avd|evd|ent)(?P<cpc>-cpc)?(?P<m365>-m365)?(-g2)?$")

# What the Spot PC documentation recommends: pooled hosts on multi-session images, personal on Enterprise. Windows 10
# as its Generation 2 builds (the "-g2" SKUs): the VMs are Trusted Launch, which Azure refuses on the Generation 1
# SKUs of the same name. Then their current releases, and Windows 365's own image, whose 64 GB disk a Windows 365
# custom image must not exceed: the start of a set whose versions are imported as device images
# (shared/services/configuration/device_images.py).
RECOMMENDED: dict[str, Use] = {
    f"{DESKTOP}_office-365_win11-21h2-avd-m365": "pooled",
    f"{DESKTOP}_office-365_win10-21h2-avd-m365-g2": "pooled",
    f"{DESKTOP}_windows-10_win10-21h2-avd-g2": "pooled",
    f"{DESKTOP}_windows-10_win10-21h2-ent-g2": "personal",
    f"{DESKTOP}_office-365_win11-24h2-avd-m365": "pooled",
    f"{DESKTOP}_windows-11_win11-24h2-avd": "pooled",
    f"{DESKTOP}_windows-11_win11-24h2-ent": "personal",
    f"{DESKTOP}_windows-ent-cpc_win11-24h2-ent-cpc": "personal",
}


def suits(offer: str, sku: str) -> bool:
    """Whether an image of the desktop publisher's `offer` may start an image set, by its names alone."""
    return offer.lower() in OFFERS and SKU.match(sku.lower()) is not None


def offered(image: PlatformImage) -> bool:
    """Whether a region's image may start an image set: suits it by name, and not Generation 1 where its version
    says so (the app's VMs are Trusted Launch, which takes Generation 2 images only)."""
    return image.publisher.lower() == DESKTOP and suits(image.offer, image.sku) and image.hyper_v_generation != "V1"


def marketplace_image(image_id: str) -> MarketplaceImage | None:
    """The image an id `publisher_offer_sku` names, as the list shows it; None when the id names none that suits."""
    publisher, _, rest = image_id.lower().partition("_")
    offer, _, sku = rest.partition("_")
    found = SKU.match(sku)
    if publisher != DESKTOP or offer not in OFFERS or found is None:
        return None
    windows = f"Windows {sku[3:5]} Enterprise"
    multi_session = found["edition"] != "ent"
    name = f"{windows}{' multi-session' if multi_session else ''} {sku[6:10].upper()}"
    name += " (Cloud PC)" if found["cpc"] else ""
    name += " + Microsoft 365 Apps" if found["m365"] else ""
    use = RECOMMENDED.get(image_id.lower())
    return MarketplaceImage(
        id=image_id.lower(),
        display_name=name,
        publisher=publisher,
        offer=offer,
        sku=sku,
        multi_session=multi_session,
        recommended_for=[use] if use else [],
    )


# The OS disk of each catalogue image (this one's and the Windows 365 gallery's), as the VM image API gives it
# (`osDiskImage.sizeInGb`). The emulator's image list (azure_emulator/arm/marketplace.py) carries the same sizes with
# where each comes from, and a test keeps the two alike.
IMAGE_OS_DISK_GB = {
    f"{DESKTOP}_windows-ent-cpc_win11-24h2-ent-cpc-m365": 64,
    f"{DESKTOP}_windows-ent-cpc_win11-24h2-ent-cpc": 64,
    f"{DESKTOP}_windows-ent-cpc_win11-23h2-ent-cpc-m365": 64,
    f"{DESKTOP}_windows-ent-cpc_win10-22h2-ent-cpc-m365": 64,
    f"{DESKTOP}_office-365_win11-21h2-avd-m365": 127,
    f"{DESKTOP}_office-365_win10-21h2-avd-m365": 127,
    f"{DESKTOP}_windows-10_win10-21h2-avd-g2": 127,
    f"{DESKTOP}_windows-10_win10-21h2-ent": 127,
    f"{DESKTOP}_office-365_win10-21h2-avd-m365-g2": 127,
    f"{DESKTOP}_windows-10_win10-21h2-ent-g2": 127,
    f"{DESKTOP}_office-365_win11-24h2-avd-m365": 127,
    f"{DESKTOP}_windows-11_win11-24h2-avd": 127,
    f"{DESKTOP}_windows-11_win11-24h2-ent": 127,
}


def os_disk_size_gb(image_id: str, wanted_gb: int) -> int:
    """The OS disk to ask Azure for: `wanted_gb`, or the image's own size when that is larger.

    Azure refuses an OS disk smaller than its image's (409 OperationNotAllowed). Windows 365 sells 64 GB plans and
    makes those Cloud PCs from its own 64 GB images (windows-ent-cpc); this service, in the customer's subscription,
    may be asked for a 64 GB plan on a 127 GB image (the multi-session and Windows 10 images). It then gives the disk
    the image's size rather than fail or pick another image: the Cloud PC gets at least what its plan says, never a
    different Windows, and its build records the size it really has. A custom image (an ARM id) is sized by its
    import rules (64 GB at most), so the plan's size fits it.
    """
    return max(wanted_gb, IMAGE_OS_DISK_GB.get(image_id.lower(), 0))
