"""Azure Marketplace VM images the emulator knows, with each one's Hyper-V generation and OS disk size; any other
publisher/offer/sku does not exist, and a VM made from it is refused as ARM refuses it.

Each entry says where its facts come from. Where Microsoft's answer for that very SKU was not found, the entry says
so: the size is then its family's confirmed size, not a measured one.
"""

from __future__ import annotations

from dataclasses import dataclass

from azure_emulator.server import ApiError

# Where the facts come from (the VM image API's `hyperVGeneration` and `osDiskImage.sizeInGb`):
W365_GALLERY = (
    "Windows 365 gallery image: learn.microsoft.com/windows-365/enterprise/device-images (the requirements the "
    "marketplace and custom images it uses meet: Generation 2, a 64 GB OS disk)"
)
WIN11_FAMILY = (
    "Windows 11 marketplace images are Generation 2 only (the AVD and Azure Local image lists name them '- Gen2'); "
    "127 GB is the answer quoted for windows-11/win11-21h2-pro ('...the corresponding disk in the VM image: 127 GB'); "
    "size not confirmed for this SKU"
)
WIN10_GEN1 = (
    "Generation 1: Microsoft publishes this image's Generation 2 build as the same SKU with '-g2' (e.g. "
    "office-365/win10-21h2-avd-m365-g2, listed '- Gen2' in the Azure Local trusted-launch image list); 127 GB is "
    "the Windows desktop images' size (see WIN11_FAMILY), not confirmed for this SKU"
)
WIN10_GEN2 = "the '-g2' build of a Windows 10 image (see WIN10_GEN1): Generation 2; size as WIN10_GEN1"
SERVER_2022 = (
    "the image API's answer for WindowsServer/2022-datacenter-azure-edition in Microsoft's Trusted Launch FAQ "
    "(learn.microsoft.com/azure/virtual-machines/trusted-launch-faq): hyperVGeneration V2, sizeInGb 127"
)
SERVER_G2 = "a Windows Server '-g2' SKU: Generation 2; 127 GB as SERVER_2022, not confirmed for this SKU"
SERVER_GEN1 = "a Windows Server SKU whose Gen2 build is its -g2 SKU: Generation 1; 127 GB as SERVER_2022"
SMALLDISK = (
    "a Windows Server 'smalldisk' SKU: Generation 2 as its azure-edition family (SERVER_2022); 30 GB is the size "
    "'smalldisk' images are published with, not confirmed from the image API for this SKU"
)


@dataclass(frozen=True)
class PlatformImage:
    publisher: str
    offer: str
    sku: str
    hyper_v_generation: str  # "V1" | "V2"
    disk_gb: int  # osDiskImage.sizeInGb: a VM's OS disk may not be smaller
    source: str


DESKTOP, SERVER = "microsoftwindowsdesktop", "microsoftwindowsserver"
IMAGES: tuple[PlatformImage, ...] = (
    # Windows 365's own gallery images (windows-ent-cpc): the 64 GB images Windows 365 sells 64 GB plans on
    PlatformImage(DESKTOP, "windows-ent-cpc", "win11-24h2-ent-cpc", "V2", 64, W365_GALLERY),
    PlatformImage(DESKTOP, "windows-ent-cpc", "win11-24h2-ent-cpc-m365", "V2", 64, W365_GALLERY),
    PlatformImage(DESKTOP, "windows-ent-cpc", "win11-23h2-ent-cpc-m365", "V2", 64, W365_GALLERY),
    PlatformImage(DESKTOP, "windows-ent-cpc", "win10-22h2-ent-cpc-m365", "V2", 64, W365_GALLERY),
    # Windows 11 (multi-session for AVD, and single-session Enterprise)
    PlatformImage(DESKTOP, "office-365", "win11-21h2-avd-m365", "V2", 127, WIN11_FAMILY),
    PlatformImage(DESKTOP, "office-365", "win11-24h2-avd-m365", "V2", 127, WIN11_FAMILY),
    PlatformImage(DESKTOP, "windows-11", "win11-21h2-avd", "V2", 127, WIN11_FAMILY),
    PlatformImage(DESKTOP, "windows-11", "win11-24h2-avd", "V2", 127, WIN11_FAMILY),
    PlatformImage(DESKTOP, "windows-11", "win11-24h2-ent", "V2", 127, WIN11_FAMILY),
    PlatformImage(DESKTOP, "windows-11", "win11-21h2-pro", "V2", 127, WIN11_FAMILY),
    # Windows 10: Generation 1 unless the SKU ends in -g2
    PlatformImage(DESKTOP, "office-365", "win10-21h2-avd-m365", "V1", 127, WIN10_GEN1),
    PlatformImage(DESKTOP, "office-365", "win10-21h2-avd-m365-g2", "V2", 127, WIN10_GEN2),
    PlatformImage(DESKTOP, "windows-10", "win10-21h2-avd", "V1", 127, WIN10_GEN1),
    PlatformImage(DESKTOP, "windows-10", "win10-21h2-avd-g2", "V2", 127, WIN10_GEN2),
    PlatformImage(DESKTOP, "windows-10", "win10-21h2-ent", "V1", 127, WIN10_GEN1),
    PlatformImage(DESKTOP, "windows-10", "win10-21h2-ent-g2", "V2", 127, WIN10_GEN2),
    # Windows Server (the app's network probe, admins' own VMs)
    PlatformImage(SERVER, "windowsserver", "2022-datacenter-azure-edition", "V2", 127, SERVER_2022),
    PlatformImage(SERVER, "windowsserver", "2022-datacenter-azure-edition-core-smalldisk", "V2", 30, SMALLDISK),
    PlatformImage(SERVER, "windowsserver", "2022-datacenter-g2", "V2", 127, SERVER_G2),
    PlatformImage(SERVER, "windowsserver", "2022-datacenter", "V1", 127, SERVER_GEN1),
    PlatformImage(SERVER, "windowsserver", "2019-datacenter", "V1", 127, SERVER_GEN1),
)
BY_NAME = {(i.publisher, i.offer, i.sku): i for i in IMAGES}


def find(publisher: str, offer: str, sku: str) -> PlatformImage | None:
    """The image, its names compared as ARM compares them (case-insensitively)."""
    return BY_NAME.get((publisher.lower(), offer.lower(), sku.lower()))


def require(publisher: str, offer: str, sku: str, version: str) -> PlatformImage:
    """The image, else ARM's refusal of a VM made from it: 404 PlatformImageNotFound on `imageReference` (the answer
    quoted in clear-code/firefox-support-common#31 and hashicorp/packer#10600)."""
    image = find(publisher, offer, sku)
    if image is None:
        raise ApiError(404, "PlatformImageNotFound", f"The platform image '{publisher}:{offer}:{sku}:{version}' is "
                       "not available. Verify that all fields in the storage profile are correct.",
                       target="imageReference")  # fmt: skip
    return image
