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
    # what the Spot PC documentation recommends: pooled hosts on multi-session images, personal on Enterprise.
    # Windows 10 as its Generation 2 builds (the "-g2" SKUs): the VMs are Trusted Launch, which Azure refuses on the
    # Generation 1 SKUs of the same name
    _image(DESKTOP, "office-365", "win11-21h2-avd-m365", "Windows 11 Enterprise multi-session 21H2" + M365, "pooled"),
    _image(
        DESKTOP, "office-365", "win10-21h2-avd-m365-g2", "Windows 10 Enterprise multi-session 21H2" + M365, "pooled"
    ),
    _image(DESKTOP, "windows-10", "win10-21h2-avd-g2", "Windows 10 Enterprise multi-session 21H2", "pooled"),
    _image(DESKTOP, "windows-10", "win10-21h2-ent-g2", "Windows 10 Enterprise 21H2", "personal"),
    # and their current releases
    _image(DESKTOP, "office-365", "win11-24h2-avd-m365", "Windows 11 Enterprise multi-session 24H2" + M365, "pooled"),
    _image(DESKTOP, "windows-11", "win11-24h2-avd", "Windows 11 Enterprise multi-session 24H2", "pooled"),
    _image(DESKTOP, "windows-11", "win11-24h2-ent", "Windows 11 Enterprise 24H2", "personal"),
    # Windows 365's own image, whose 64 GB disk a Windows 365 custom image must not exceed: the start of a set whose
    # versions are imported as device images (shared/services/configuration/device_images.py)
    _image(DESKTOP, "windows-ent-cpc", "win11-24h2-ent-cpc", "Windows 11 Enterprise 24H2 (Cloud PC)", "personal"),
)
MARKETPLACE_IMAGES_BY_ID = {image.id: image for image in MARKETPLACE_IMAGES}

# The OS disk of each catalogue image (this one's and the Windows 365 gallery's), as the VM image API gives it
# (`osDiskImage.sizeInGb`). The emulator's image list (azure_emulator/arm/marketplace.py) carries the same sizes with
# where each comes from, and a test keeps the two alike.
IMAGE_OS_DISK_GB = {
    f"{DESKTOP}_windows-ent-cpc_win11-24h2-ent-cpc-m365": 64, f"{DESKTOP}_windows-ent-cpc_win11-24h2-ent-cpc": 64,
    f"{DESKTOP}_windows-ent-cpc_win11-23h2-ent-cpc-m365": 64, f"{DESKTOP}_windows-ent-cpc_win10-22h2-ent-cpc-m365": 64,
    f"{DESKTOP}_office-365_win11-21h2-avd-m365": 127, f"{DESKTOP}_office-365_win10-21h2-avd-m365": 127,
    f"{DESKTOP}_windows-10_win10-21h2-avd-g2": 127, f"{DESKTOP}_windows-10_win10-21h2-ent": 127,
    f"{DESKTOP}_office-365_win10-21h2-avd-m365-g2": 127, f"{DESKTOP}_windows-10_win10-21h2-ent-g2": 127,
    f"{DESKTOP}_office-365_win11-24h2-avd-m365": 127, f"{DESKTOP}_windows-11_win11-24h2-avd": 127,
    f"{DESKTOP}_windows-11_win11-24h2-ent": 127,
}  # fmt: skip


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
