"""Windows 365's custom images (https://learn.microsoft.com/graph/api/resources/cloudpcdeviceimage): uploaded from a
managed image in the customer's Azure, `pending` for the latency of `cloudPcDeviceImageUpload`, then `ready`, or
`failed` with an errorCode. The upload is evaluated when the image is next read: no thread runs it.

What the upload checks, against what the emulator's ARM holds for the image's Entra tenant (the requirements of
https://learn.microsoft.com/windows-365/enterprise/device-images): Windows 365 reads the source as its own service
principal, which needs the Reader role on the image's subscription
(https://learn.microsoft.com/windows-365/enterprise/customer-permissions, "Add a custom image"; service_roles.py), so
without it the source is "inaccessible or not found" to Windows 365 (sourceImageNotFound: the errorCode the
cloudPcDeviceImage page gives for that; no errorCode of its own is published for a missing role). Then: the source
exists (sourceImageNotFound), is Windows (osVersionNotSupported), generalized (sourceImageNotGeneralized),
Generation 2 with no data disks (sourceImageInvalid) and an OS disk of at most 64 GB
(sourceImageSizeExceedsLimitation). A test arms `windows365.uploadDeviceImage` with an errorCode to fail an upload
otherwise good. Display name and version identify an image: a second upload of both is refused, and an image a policy
uses is not deleted. errorCode is an evolvable enum: the codes it lists after `unknownFutureValue` reach only a
request that prefers `include-unknown-enum-members`.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from azure_emulator.arm import common as arm
from azure_emulator.graph.common import GraphRoutes, bad_request, evolvable, odata_context
from azure_emulator.graph.common import select as project
from azure_emulator.graph.common import select_fields as selected
from azure_emulator.graph.windows365 import records, service_roles
from azure_emulator.graph.windows365.cloud_pc_service import iso_now
from azure_emulator.server import ApiError, Context, Request, Response

DEVICE_IMAGES = records.BASE + "/deviceImages"
IMAGE_TYPE = "#microsoft.graph.cloudPcDeviceImage"
UPLOAD = "cloudPcDeviceImageUpload"  # the latency control of one upload
WRITABLE = ("displayName", "version", "sourceImageResourceId")  # virtualendpoint-post-deviceimages: all required
VERSION = re.compile(r"^\d+\.\d+\.\d+$")  # "For example, 0.0.1 and 1.5.13"
SOURCE = re.compile(r"^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.Compute/images/[^/]+$", re.I)
MAX_OS_DISK_GB = 64
# cloudPcDeviceImageErrorCode's members after `unknownFutureValue` (https://learn.microsoft.com/graph/api/resources/cloudpcdeviceimage)
LATE_ERROR_CODES = frozenset(
    {
        "vmAlreadyAzureAdJoined",
        "paidSourceImageNotSupport",
        "sourceImageNotSupportCustomizeVMName",
        "sourceImageSizeExceedsLimitation",
    }
)


def _view(request: Request, doc: dict[str, Any], fields: list[str] | None) -> dict[str, Any]:
    return evolvable(request, project(doc, fields), {"errorCode": LATE_ERROR_CODES})


def _problem(ctx: Context, doc: dict[str, Any]) -> str | None:
    """The errorCode the upload ends with, or None when the source is usable."""
    subscription = "/subscriptions/" + doc["sourceImageResourceId"].split("/")[2]
    if not service_roles.holds(ctx, doc["_tenant"], service_roles.READER, subscription):
        return "sourceImageNotFound"
    source = arm.get(ctx, doc["sourceImageResourceId"])
    if source is None or source.get("meta", {}).get("tid") not in (None, doc["_tenant"]):
        return "sourceImageNotFound"
    props = source["resource"]["properties"]
    disk = props["storageProfile"]["osDisk"]
    if disk.get("osType") != "Windows":
        return "osVersionNotSupported"
    if disk.get("osState") != "Generalized":
        return "sourceImageNotGeneralized"
    if props.get("hyperVGeneration", "V1") != "V2" or props["storageProfile"].get("dataDisks"):
        return "sourceImageInvalid"
    if int(disk.get("diskSizeGB") or 127) > MAX_OS_DISK_GB:
        return "sourceImageSizeExceedsLimitation"
    return None


def _settled(ctx: Context, doc: dict[str, Any]) -> dict[str, Any]:
    if doc["status"] != "pending" or ctx.clock() < doc["_due"]:
        return doc
    fault = ctx.controls.take_fault("windows365.uploadDeviceImage")
    code = (fault.error_code or "internalServerError") if fault is not None else _problem(ctx, doc)
    if code is None:
        doc |= {
            "status": "ready",
            "operatingSystem": "Windows 11 Enterprise",
            "osBuildNumber": "24H2",
            "osStatus": "supported",
        }
    else:
        doc |= {"status": "failed", "errorCode": code}
    doc |= {"lastModifiedDateTime": iso_now(ctx)}
    ctx.store.put(records.DEVICE_IMAGE, records.key(doc["_tenant"], doc["id"]), doc)
    return doc


def register(ctx: Context, routes: GraphRoutes) -> None:
    store = ctx.store

    def all_of(tenant: str) -> list[dict[str, Any]]:
        return [_settled(ctx, doc) for doc in store.scan(records.DEVICE_IMAGE, f"{tenant}/")]

    def get(request: Request) -> dict[str, Any]:
        found = store.get(records.DEVICE_IMAGE, records.key(request.tenant, request.params["id"]))
        if found is None:
            raise ApiError(404, "ResourceNotFound", f"The device image '{request.params['id']}' was not found.")
        return _settled(ctx, found)

    @routes.route("GET", DEVICE_IMAGES, "listCloudPcDeviceImages", service="intune")
    def list_images(request: Request) -> Response:
        found = [_view(request, doc, selected(request)) for doc in all_of(request.tenant)]
        context = odata_context(request, "deviceManagement/virtualEndpoint/deviceImages")
        return Response(200, {"@odata.context": context, "value": found})

    @routes.route("GET", DEVICE_IMAGES + r"/(?P<id>[^/]+)", "getCloudPcDeviceImage", service="intune")
    def get_image(request: Request) -> Response:
        return Response(200, _view(request, get(request), selected(request)))

    @routes.route("POST", DEVICE_IMAGES, "createCloudPcDeviceImage", service="intune")
    def create_image(request: Request) -> Response:
        body = request.json()
        unknown = sorted(set(body) - {*WRITABLE, "@odata.type"})
        if unknown:
            raise bad_request(
                f"Property '{unknown[0]}' does not exist on type 'microsoft.graph.cloudPcDeviceImage' or "
                "cannot be written.",
                "BadRequest",
            )
        name, version, source = (str(body.get(k) or "").strip() for k in WRITABLE)
        if not name:
            raise bad_request("displayName is required.", "BadRequest")
        if not VERSION.match(version):
            raise bad_request("version must be three numbers, such as 0.0.1.", "BadRequest")
        if not SOURCE.match(source):
            raise bad_request(
                "sourceImageResourceId must be the ID of a managed image: /subscriptions/{id}"
                "/resourceGroups/{group}/providers/Microsoft.Compute/images/{name}.",
                "BadRequest",
            )
        if any(d["displayName"].lower() == name.lower() and d["version"] == version for d in all_of(request.tenant)):
            raise bad_request(f"A device image named {name} with version {version} already exists.", "BadRequest")
        image_id = str(uuid.uuid4())
        doc: dict[str, Any] = {
            "@odata.type": IMAGE_TYPE,
            "id": image_id,
            "displayName": name,
            "version": version,
            "sourceImageResourceId": source,
            "status": "pending",
            "errorCode": None,
            "operatingSystem": None,
            "osBuildNumber": None,
            "osStatus": None,
            "expirationDate": None,
            "lastModifiedDateTime": iso_now(ctx),
            "_tenant": request.tenant,
            "_due": ctx.clock() + ctx.controls.latency(UPLOAD),
        }
        store.put(records.DEVICE_IMAGE, records.key(request.tenant, image_id), doc)
        return Response(201, project(doc, None))

    @routes.route("DELETE", DEVICE_IMAGES + r"/(?P<id>[^/]+)", "deleteCloudPcDeviceImage", service="intune")
    def delete_image(request: Request) -> Response:
        doc = get(request)
        using = [
            p["displayName"]
            for p in store.scan(records.POLICY, f"{request.tenant}/")
            if p.get("imageType") == "custom" and str(p.get("imageId")).lower() == doc["id"].lower()
        ]
        if using:
            raise bad_request(f"The device image is used by provisioning policy {using[0]}.", "BadRequest")
        store.delete(records.DEVICE_IMAGE, records.key(request.tenant, doc["id"]))
        return Response(204)
