"""Microsoft.Compute images: managed images (admins PUT them, or capture a generalized VM) and gallery image versions.

A gallery image version's replication to its target regions is a long-running operation (`replicateImage`);
a VM can only use a version replicated to its own region, and a managed image in its own region.
"""

from __future__ import annotations

from typing import Any

from azure_emulator.arm import common, operations
from azure_emulator.server import ApiError, Context, Request, Response

NS = "Microsoft.Compute"
IMAGE = common.RG + r"/providers/Microsoft\.Compute/images/(?P<image>[^/]+)"
GALLERY = common.RG + r"/providers/Microsoft\.Compute/galleries/(?P<gallery>[^/]+)"
DEFINITION = GALLERY + r"/images/(?P<definition>[^/]+)"
VERSION = DEFINITION + r"/versions/(?P<version>[^/]+)"
MARKETPLACE_DISK_GB = 64


def resolve(ctx: Context, reference: dict[str, Any], region: str) -> dict[str, Any]:
    """What a VM's imageReference points at: {osType, hyperVGeneration, diskSizeGB, osState}; 400 when unusable."""
    image_id = reference.get("id")
    if not image_id:
        if not all(reference.get(k) for k in ("publisher", "offer", "sku")):
            raise ApiError(400, "InvalidParameter", "imageReference needs an id, or publisher, offer and sku.")
        return {
            "osType": "Windows",
            "hyperVGeneration": "V2",
            "diskSizeGB": MARKETPLACE_DISK_GB,
            "osState": "Generalized",
        }
    doc = common.get(ctx, image_id)
    if doc is None and "/galleries/" in image_id.lower() and "/versions/" not in image_id.lower():
        doc = latest_version(ctx, image_id)
    if doc is None:
        raise ApiError(404, "NotFound", f"The image {image_id} was not found.")
    resource = doc["resource"]
    if resource["type"] == "Microsoft.Compute/images":
        if resource["location"] != region:
            raise ApiError(400, "InvalidParameter", f"The image {image_id} is in {resource['location']}, not {region}.")
        disk = resource["properties"]["storageProfile"]["osDisk"]
        return {"osType": disk["osType"], "hyperVGeneration": resource["properties"].get("hyperVGeneration", "V1"),
                "diskSizeGB": disk.get("diskSizeGB") or 127, "osState": disk["osState"]}  # fmt: skip
    regions = [r["name"].replace(" ", "").lower() for r in resource["properties"]["publishingProfile"]["targetRegions"]]
    if region not in regions or resource["properties"]["provisioningState"] != "Succeeded":
        raise ApiError(400, "InvalidParameter", f"The gallery image version {image_id} is not replicated to {region}.")
    definition = common.require(ctx, common.parent_of(resource["id"]), "gallery image")
    props = definition["resource"]["properties"]
    return {"osType": props["osType"], "hyperVGeneration": props.get("hyperVGeneration", "V1"),
            "diskSizeGB": resource["properties"]["storageProfile"]["osDiskImage"]["sizeInGB"],
            "osState": props["osState"]}  # fmt: skip


def latest_version(ctx: Context, definition_id: str) -> dict[str, Any] | None:
    versions = [v for v in common.children(ctx, definition_id, "versions")
                if not v["resource"]["properties"]["publishingProfile"].get("excludeFromLatest")]  # fmt: skip
    versions.sort(key=lambda v: [int(p) if p.isdigit() else 0 for p in v["resource"]["name"].split(".")])
    return versions[-1] if versions else None


def register(ctx: Context) -> None:
    _register_managed_images(ctx)
    _register_galleries(ctx)


def _register_managed_images(ctx: Context) -> None:
    @common.route(ctx, "PUT", IMAGE, operation="createImage", faults=False)
    def put_image(request: Request) -> Response:
        sub, rg, name = request.params["sub"], request.params["rg"], request.params["image"]
        common.require_group(ctx, sub, rg)
        body = common.body_object(request)
        props = common.properties(body)
        image_id = common.provider_id(sub, rg, NS, "images", name)
        if common.get(ctx, image_id) is not None:
            return Response(200, common.shown(common.require(ctx, image_id)))
        location = common.location_of(body)
        source = (props.get("sourceVirtualMachine") or {}).get("id")
        storage: dict[str, Any]
        if source:
            request.operation = "captureImage"
            vm = common.require(ctx, source, "virtual machine")
            if not vm["meta"].get("generalized"):
                raise ApiError(409, "OperationNotAllowed", f"The source virtual machine {source} must be generalized.")
            disk = vm["resource"]["properties"]["storageProfile"]["osDisk"]
            storage = {"osDisk": {"osType": "Windows", "osState": "Generalized", "diskSizeGB": disk["diskSizeGB"],
                                  "storageAccountType": "Premium_LRS"}, "dataDisks": []}  # fmt: skip
            generation = "V2"
        else:
            requested: dict[str, Any] = props.get("storageProfile") or {}
            os_disk = requested.get("osDisk") or {}
            if os_disk.get("osType") not in ("Windows", "Linux") or os_disk.get("osState") not in (
                "Generalized",
                "Specialized",
            ):
                raise ApiError(400, "InvalidParameter", "storageProfile.osDisk needs osType and osState.")
            storage = {"osDisk": dict(os_disk), "dataDisks": list(requested.get("dataDisks") or []),
                       "zoneResilient": bool(requested.get("zoneResilient", False))}  # fmt: skip
            generation = props.get("hyperVGeneration") or "V1"
        resource: dict[str, Any] = {
            "id": image_id,
            "name": name,
            "type": "Microsoft.Compute/images",
            "location": location,
            "tags": body.get("tags") or {},
            "properties": {"storageProfile": storage, "provisioningState": "Succeeded", "hyperVGeneration": generation},
        }
        if source:
            resource["properties"]["sourceVirtualMachine"] = {"id": source}
        common.put(ctx, {"resource": resource, "meta": {"tid": common.tid_of(request)}})
        return operations.respond(
            ctx, request, resource_id=image_id, action="create", names=(request.operation,), sync_status=201,
            location=location,
        )  # fmt: skip

    @common.route(ctx, "GET", IMAGE, operation="getImage")
    def get_image(request: Request) -> Response:
        image_id = common.provider_id(
            request.params["sub"], request.params["rg"], NS, "images", request.params["image"]
        )
        return Response(200, common.shown(common.require(ctx, image_id, "image")))

    @common.route(ctx, "GET", common.RG + r"/providers/Microsoft\.Compute/images", operation="listImages")
    def list_images(request: Request) -> Response:
        return common.listing(common.in_group(ctx, request.params["sub"], request.params["rg"], NS, "images"))

    @common.route(ctx, "DELETE", IMAGE, operation="deleteImage", faults=False)
    def delete_image(request: Request) -> Response:
        image_id = common.provider_id(
            request.params["sub"], request.params["rg"], NS, "images", request.params["image"]
        )
        doc = common.get(ctx, image_id)
        if doc is None:
            return Response(204)
        return operations.respond(
            ctx, request, resource_id=doc["resource"]["id"], action="delete", names=("deleteImage",), sync_status=200,
            location=doc["resource"]["location"],
        )  # fmt: skip


def _register_galleries(ctx: Context) -> None:
    def ids(request: Request) -> tuple[str, str, str]:
        p = request.params
        gallery = common.provider_id(p["sub"], p["rg"], NS, "galleries", p["gallery"])
        definition = f"{gallery}/images/{p.get('definition', '')}"
        return gallery, definition, f"{definition}/versions/{p.get('version', '')}"

    @common.route(ctx, "PUT", GALLERY, operation="createGallery")
    def put_gallery(request: Request) -> Response:
        common.require_group(ctx, request.params["sub"], request.params["rg"])
        body = common.body_object(request)
        gallery_id = ids(request)[0]
        existing = common.get(ctx, gallery_id)
        doc = existing or {
            "resource": {
                "id": gallery_id, "name": request.params["gallery"], "type": "Microsoft.Compute/galleries",
                "location": common.location_of(body), "tags": body.get("tags") or {},
                "properties": {"provisioningState": "Succeeded",
                               "identifier": {"uniqueName": f"{request.params['sub']}-{request.params['gallery']}"}},
            },
            "meta": {"tid": common.tid_of(request)},
        }  # fmt: skip
        common.put(ctx, doc)
        return Response(200 if existing else 201, common.shown(doc))

    @common.route(ctx, "GET", GALLERY, operation="getGallery")
    def get_gallery(request: Request) -> Response:
        return Response(200, common.shown(common.require(ctx, ids(request)[0], "gallery")))

    @common.route(ctx, "PUT", DEFINITION, operation="createGalleryImage")
    def put_definition(request: Request) -> Response:
        gallery_id, definition_id, _ = ids(request)
        common.require(ctx, gallery_id, "gallery")
        body = common.body_object(request)
        props = common.properties(body)
        if props.get("osType") not in ("Windows", "Linux") or not props.get("identifier"):
            raise ApiError(400, "InvalidParameter", "A gallery image needs osType, osState and identifier.")
        existing = common.get(ctx, definition_id)
        doc = {
            "resource": {
                "id": definition_id, "name": request.params["definition"], "type": "Microsoft.Compute/galleries/images",
                "location": common.location_of(body), "tags": body.get("tags") or {},
                "properties": {"osType": props["osType"], "osState": props.get("osState", "Generalized"),
                               "hyperVGeneration": props.get("hyperVGeneration", "V1"),
                               "identifier": props["identifier"], "provisioningState": "Succeeded"},
            },
            "meta": {"tid": common.tid_of(request)},
        }  # fmt: skip
        common.put(ctx, doc)
        return Response(200 if existing else 201, common.shown(doc))

    @common.route(ctx, "GET", DEFINITION, operation="getGalleryImage")
    def get_definition(request: Request) -> Response:
        return Response(200, common.shown(common.require(ctx, ids(request)[1], "gallery image")))

    @common.route(ctx, "PUT", VERSION, operation="replicateImage", faults=False)
    def put_version(request: Request) -> Response:
        _, definition_id, version_id = ids(request)
        common.require(ctx, definition_id, "gallery image")
        if common.get(ctx, version_id) is not None:
            return Response(200, common.shown(common.require(ctx, version_id)))
        body = common.body_object(request)
        props = common.properties(body)
        location = common.location_of(body)
        publishing = dict(props.get("publishingProfile") or {})
        publishing["targetRegions"] = publishing.get("targetRegions") or [{"name": location, "regionalReplicaCount": 1}]
        publishing["publishedDate"] = common.now_iso(ctx.clock)
        source_id = ((props.get("storageProfile") or {}).get("source") or {}).get("id")
        source = common.require(ctx, source_id, "image source") if source_id else None
        size = 127
        if source is not None and source["resource"]["type"] == "Microsoft.Compute/images":
            size = source["resource"]["properties"]["storageProfile"]["osDisk"].get("diskSizeGB") or 127
        elif source is not None and source["resource"]["type"] == "Microsoft.Compute/virtualMachines":
            size = source["resource"]["properties"]["storageProfile"]["osDisk"]["diskSizeGB"]
        doc = {
            "resource": {
                "id": version_id, "name": request.params["version"],
                "type": "Microsoft.Compute/galleries/images/versions", "location": location,
                "tags": body.get("tags") or {},
                "properties": {"publishingProfile": publishing, "provisioningState": "Creating",
                               "storageProfile": {"source": {"id": source_id} if source_id else {},
                                                  "osDiskImage": {"sizeInGB": size, "hostCaching": "ReadWrite"},
                                                  "dataDiskImages": []}},
            },
            "meta": {"tid": common.tid_of(request)},
        }  # fmt: skip
        common.put(ctx, doc)
        return operations.respond(
            ctx, request, resource_id=version_id, action="create", names=("replicateImage",), sync_status=201,
            location=location,
        )  # fmt: skip

    @common.route(ctx, "GET", VERSION, operation="getGalleryImageVersion")
    def get_version(request: Request) -> Response:
        doc = common.require(ctx, ids(request)[2], "gallery image version")
        shown = common.shown(doc)
        if (request.q("$expand") or "").lower() == "replicationstatus":
            regions = shown["properties"]["publishingProfile"]["targetRegions"]
            state = "Completed" if shown["properties"]["provisioningState"] == "Succeeded" else "Replicating"
            shown["properties"]["replicationStatus"] = {
                "aggregatedState": state,
                "summary": [{"region": r["name"], "state": state, "progress": 100 if state == "Completed" else 50}
                            for r in regions],
            }  # fmt: skip
        return Response(200, shown)

    @common.route(ctx, "GET", DEFINITION + r"/versions", operation="listGalleryImageVersions")
    def list_versions(request: Request) -> Response:
        return common.listing(common.children(ctx, ids(request)[1], "versions"))
