"""Windows 365's gallery images (https://learn.microsoft.com/graph/api/resources/cloudpcgalleryimage): the Windows
images Microsoft keeps for Cloud PCs, by `{publisherName_offerName_skuName}`. A policy's gallery imageId must name
one that is still offered: `notSupported` images are past their expirationDate, when "users are unable to provision
new Cloud PCs". The emulator's own list of them, a few of each status; nothing here comes from the app.
"""

from __future__ import annotations

from typing import Any

from azure_emulator.graph.common import GraphRoutes, odata_context
from azure_emulator.graph.common import select as project
from azure_emulator.graph.common import select_fields as selected
from azure_emulator.graph.windows365 import records
from azure_emulator.server import ApiError, Context, Request, Response

GALLERY_IMAGES = records.BASE + "/galleryImages"
M365 = " + Microsoft 365 Apps"


def _image(offer: str, sku: str, name: str, status: str, end: str, expiration: str) -> dict[str, Any]:
    return {
        "@odata.type": "#microsoft.graph.cloudPcGalleryImage",
        "id": f"microsoftwindowsdesktop_{offer}_{sku}",
        "displayName": name,
        "publisherName": "microsoftwindowsdesktop",
        "offerName": offer,
        "skuName": sku,
        "sizeInGB": 64,
        "status": status,
        "endDate": end,
        "expirationDate": expiration,
    }


IMAGES = (
    _image(
        "windows-ent-cpc",
        "win11-24h2-ent-cpc-m365",
        "Windows 11 Enterprise 24H2" + M365,
        "supported",
        "2027-10-12",
        "2028-04-12",
    ),
    _image(
        "windows-ent-cpc", "win11-24h2-ent-cpc", "Windows 11 Enterprise 24H2", "supported", "2027-10-12", "2028-04-12"
    ),
    _image(
        "windows-ent-cpc",
        "win11-23h2-ent-cpc-m365",
        "Windows 11 Enterprise 23H2" + M365,
        "supported",
        "2026-11-10",
        "2027-05-10",
    ),
    _image(
        "windows-ent-cpc",
        "win10-22h2-ent-cpc-m365",
        "Windows 10 Enterprise 22H2" + M365,
        "supportedWithWarning",
        "2025-10-14",
        "2026-10-14",
    ),
    _image(
        "windows-ent-cpc",
        "win10-21h2-ent-cpc-m365",
        "Windows 10 Enterprise 21H2" + M365,
        "notSupported",
        "2024-06-11",
        "2024-12-11",
    ),
)
BY_ID = {image["id"].lower(): image for image in IMAGES}


def offered(image_id: str) -> bool:
    """A gallery image a policy may still name."""
    image = BY_ID.get(image_id.lower())
    return image is not None and image["status"] != "notSupported"


def register(ctx: Context, routes: GraphRoutes) -> None:
    @routes.route("GET", GALLERY_IMAGES, "listCloudPcGalleryImages", service="intune")
    def list_images(request: Request) -> Response:
        context = odata_context(request, "deviceManagement/virtualEndpoint/galleryImages")
        return Response(200, {"@odata.context": context, "value": [project(i, selected(request)) for i in IMAGES]})

    @routes.route("GET", GALLERY_IMAGES + r"/(?P<id>[^/]+)", "getCloudPcGalleryImage", service="intune")
    def get_image(request: Request) -> Response:
        image = BY_ID.get(request.params["id"].lower())
        if image is None:
            raise ApiError(404, "ResourceNotFound", f"The gallery image '{request.params['id']}' was not found.")
        return Response(200, project(image, selected(request)))
