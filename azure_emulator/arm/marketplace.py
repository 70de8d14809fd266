"""Azure Marketplace VM images the emulator knows, with each one's Hyper-V generation and OS disk size; any other
publisher/offer/sku does not exist, and a VM made from it is refused as ARM refuses it.

Each entry says where its facts come from. Where Microsoft's answer for that very SKU was not found, the entry says
so: the size is then its family's confirmed size, not a measured one.

Compute's VM image list operations serve them in every region the emulator knows, as the REST specification has them
(azure-rest-api-specs, ComputeRP virtualMachineImage.json): VirtualMachineImages_ListPublishers, _ListOffers,
_ListSkus and _List (a bare JSON array of `{name, location, id}`; `$expand=properties` adds each version's
`hyperVGeneration` and `osDiskImage`, `$orderby=name desc` and `$top` pick the newest), and _Get of one version. Each
image has one version. They need `Microsoft.Compute/locations/publishers/artifacttypes/offers/skus/versions/read` and
draw on ARM's read buckets. A name that does not exist answers 404 NotFound "Artifact: VMImage was not found." (the
words the Azure CLI prints for an unknown image; not confirmed for every level of the list).

A test changes the data under `/emulator/marketplace`: `PUT .../<publisher>/<offer>/<sku>` `{hyperVGeneration,
osDiskSizeGb, version?}` publishes an image (or changes one), `DELETE` withdraws it, `GET /emulator/marketplace`
lists what is published now. The changes are kept with the emulator's state.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

from azure_emulator.arm import common, routing
from azure_emulator.arm.regions import REGIONS
from azure_emulator.server import ApiError, Context, Request, Response

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
    version: str = ""  # its one version; "" for the build its SKU's Windows release has (`_build`)


# the build number of each Windows release, as Microsoft numbers their versions (<build>.<update>.<yymmdd>)
BUILDS = {
    "win11-24h2": "26100",
    "win11-23h2": "22631",
    "win11-21h2": "22000",
    "win10-22h2": "19045",
    "win10-21h2": "19044",
    "2022": "20348",
    "2019": "17763",
}


def _build(sku: str) -> str:
    release = next((build for prefix, build in BUILDS.items() if sku.startswith(prefix)), "1")
    return f"{release}.4061.250512"


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
CHANGED = "marketplaceImage"  # the store's kind of a test's change: the image as published now, or withdrawn
NOT_FOUND = "Artifact: VMImage was not found."
ACTION = "Microsoft.Compute/locations/publishers/artifacttypes/offers/skus/versions/read"


def find(publisher: str, offer: str, sku: str) -> PlatformImage | None:
    """The image as the emulator starts with it, its names compared as ARM compares them (case-insensitively)."""
    return BY_NAME.get((publisher.lower(), offer.lower(), sku.lower()))


def published(ctx: Context) -> dict[tuple[str, str, str], PlatformImage]:
    """Every image published now: those the emulator starts with, as a test changed them."""
    images = dict(BY_NAME)
    for doc in ctx.store.scan(CHANGED, ""):
        name = (doc["publisher"], doc["offer"], doc["sku"])
        if doc.get("withdrawn"):
            images.pop(name, None)
        else:
            images[name] = PlatformImage(**{k: v for k, v in doc.items() if k != "withdrawn"})
    return {
        name: image if image.version else replace(image, version=_build(image.sku)) for name, image in images.items()
    }


def require(ctx: Context, publisher: str, offer: str, sku: str, version: str) -> PlatformImage:
    """The image, else ARM's refusal of a VM made from it: 404 PlatformImageNotFound on `imageReference` (the answer
    quoted in clear-code/firefox-support-common#31 and hashicorp/packer#10600)."""
    image = published(ctx).get((publisher.lower(), offer.lower(), sku.lower()))
    if image is None:
        raise ApiError(
            404,
            "PlatformImageNotFound",
            f"The platform image '{publisher}:{offer}:{sku}:{version}' is "
            "not available. Verify that all fields in the storage profile are correct.",
            target="imageReference",
        )
    return image


def register(ctx: Context) -> None:
    compute = common.SUB + r"/providers/Microsoft\.Compute/locations/(?P<loc>[^/]+)/publishers"
    offers = compute + r"/(?P<publisher>[^/]+)/artifacttypes/vmimage/offers"
    skus = offers + r"/(?P<offer>[^/]+)/skus"
    versions = skus + r"/(?P<sku>[^/]+)/versions"

    def listed(request: Request, depth: int) -> list[PlatformImage]:
        """The images under the request's names, down to `depth` of publisher, offer, sku; 404 when none is."""
        wanted = [request.params[n].lower() for n in ("publisher", "offer", "sku")[:depth]]
        found = [i for name, i in sorted(published(ctx).items()) if list(name[:depth]) == wanted]
        if request.params["loc"].lower() not in REGIONS or (depth and not found):
            raise ApiError(404, "NotFound", NOT_FOUND)
        return found

    def rows(request: Request, names: list[str], prefix: str) -> list[dict[str, Any]]:
        location = request.params["loc"].lower()
        base = f"/Subscriptions/{request.params['sub']}/Providers/Microsoft.Compute/Locations/{location}"
        return [{"location": location, "name": name, "id": f"{base}{prefix}/{name}"} for name in dict.fromkeys(names)]

    def path_of(image: PlatformImage) -> str:
        return f"/Publishers/{image.publisher}/ArtifactTypes/VMImage/Offers/{image.offer}/Skus/{image.sku}/Versions"

    def with_properties(row: dict[str, Any], image: PlatformImage) -> dict[str, Any]:
        return {
            **row,
            "properties": {
                "hyperVGeneration": image.hyper_v_generation,
                "architecture": "x64",
                "osDiskImage": {"operatingSystem": "Windows", "sizeInGb": image.disk_gb},
                "dataDiskImages": [],
                "automaticOSUpgradeProperties": {"automaticOSUpgradeSupported": False},
                "imageDeprecationStatus": {"imageState": "Active"},
            },
        }

    @routing.route(ctx, "GET", compute, operation="listVmImagePublishers", action=ACTION)
    def list_publishers(request: Request) -> Response:
        return Response(200, rows(request, [i.publisher for i in listed(request, 0)], "/Publishers"))

    @routing.route(ctx, "GET", offers, operation="listVmImageOffers", action=ACTION)
    def list_offers(request: Request) -> Response:
        prefix = f"/Publishers/{request.params['publisher']}/ArtifactTypes/VMImage/Offers"
        return Response(200, rows(request, [i.offer for i in listed(request, 1)], prefix))

    @routing.route(ctx, "GET", skus, operation="listVmImageSkus", action=ACTION)
    def list_skus(request: Request) -> Response:
        p = request.params
        prefix = f"/Publishers/{p['publisher']}/ArtifactTypes/VMImage/Offers/{p['offer']}/Skus"
        return Response(200, rows(request, [i.sku for i in listed(request, 2)], prefix))

    @routing.route(ctx, "GET", versions, operation="listVmImageVersions", action=ACTION)
    def list_versions(request: Request) -> Response:
        image = listed(request, 3)[0]
        found = rows(request, [image.version], path_of(image))
        top = request.q("$top")
        if top is not None and top.isdigit():
            found = found[: int(top)]
        if (request.q("$expand") or "").lower() == "properties":
            found = [with_properties(row, image) for row in found]
        return Response(200, found)

    @routing.route(ctx, "GET", versions + r"/(?P<version>[^/]+)", operation="getVmImage", action=ACTION)
    def get_version(request: Request) -> Response:
        image = listed(request, 3)[0]
        wanted = request.params["version"]
        if wanted.lower() != image.version:
            raise ApiError(404, "NotFound", NOT_FOUND)
        return Response(200, with_properties(rows(request, [image.version], path_of(image))[0], image))

    control = r"/emulator/marketplace"
    one = control + r"/(?P<publisher>[^/]+)/(?P<offer>[^/]+)/(?P<sku>[^/]+)"

    def shown(image: PlatformImage) -> dict[str, Any]:
        return {
            "publisher": image.publisher,
            "offer": image.offer,
            "sku": image.sku,
            "version": image.version,
            "hyperVGeneration": image.hyper_v_generation,
            "osDiskSizeGb": image.disk_gb,
        }

    def names(request: Request) -> tuple[str, str, str]:
        return request.params["publisher"].lower(), request.params["offer"].lower(), request.params["sku"].lower()

    @ctx.router.route("GET", control, operation="emulatorControl", api="emulator", auth=False)
    def get_published(request: Request) -> Response:
        with ctx.store.transaction():
            return Response(200, {"value": [shown(i) for _, i in sorted(published(ctx).items())]})

    @ctx.router.route("PUT", one, operation="emulatorControl", api="emulator", auth=False)
    def put_published(request: Request) -> Response:
        body = request.json()
        generation, disk, version = body.get("hyperVGeneration"), body.get("osDiskSizeGb"), body.get("version") or ""
        if generation not in ("V1", "V2"):
            raise ApiError(400, "InvalidRequestContent", "'hyperVGeneration' must be V1 or V2.")
        if not isinstance(disk, int) or isinstance(disk, bool) or not 1 <= disk <= 4095:
            raise ApiError(400, "InvalidRequestContent", "'osDiskSizeGb' must be a whole number 1-4095.")
        if not isinstance(version, str):
            raise ApiError(400, "InvalidRequestContent", "'version' must be a string.")
        publisher, offer, sku = names(request)
        image = PlatformImage(
            publisher, offer, sku, generation, disk, "a test's change (/emulator/marketplace)", version.lower()
        )
        with ctx.store.transaction():
            ctx.store.put(CHANGED, "/".join(names(request)), asdict(image))
            return Response(200, shown(published(ctx)[names(request)]))

    @ctx.router.route("DELETE", one, operation="emulatorControl", api="emulator", auth=False)
    def delete_published(request: Request) -> Response:
        publisher, offer, sku = names(request)
        with ctx.store.transaction():
            if names(request) not in published(ctx):
                raise ApiError(404, "NotFound", NOT_FOUND)
            ctx.store.put(
                CHANGED,
                "/".join(names(request)),
                {"publisher": publisher, "offer": offer, "sku": sku, "withdrawn": True},
            )
            return Response(204)
