"""Microsoft.Compute images, one family of types that refer to one another: managed images (admins PUT them, or
capture a generalized VM) and Compute Galleries.

A gallery, an image definition and an image version are each made by a long-running operation; a version's
replication to its target regions (`replicateImage`) takes the longest. A VM can only use a version replicated
to its own region, and a managed image in its own region. A version captured from a VM needs the VM in the
definition's OS state (generalized for a Generalized definition) and, for a Trusted Launch VM, a definition of
security type TrustedLaunch. Deleting a version is long-running too; a definition that still has versions
cannot be deleted (409 CannotDeleteResource, as Azure answers for nested resources).
"""

from __future__ import annotations

from typing import Any

from azure_emulator.arm import common, marketplace, operations, routing
from azure_emulator.server import ApiError, Context, Request, Response

NS = "Microsoft.Compute"
IMAGE = common.RG + r"/providers/Microsoft\.Compute/images/(?P<image>[^/]+)"
GALLERY = common.RG + r"/providers/Microsoft\.Compute/galleries/(?P<gallery>[^/]+)"
DEFINITION = GALLERY + r"/images/(?P<definition>[^/]+)"
VERSION = DEFINITION + r"/versions/(?P<version>[^/]+)"


def resolve(ctx: Context, reference: dict[str, Any], region: str) -> dict[str, Any]:
    """What a VM's imageReference points at: {osType, hyperVGeneration, diskSizeGB, osState, hibernation}; 400 when
    unusable. `hibernation`: a gallery image's definition says IsHibernateSupported; a managed image never supports
    it, and which marketplace images do is not modelled (none is taken)."""
    image_id = reference.get("id")
    if not image_id:
        if not all(reference.get(k) for k in ("publisher", "offer", "sku")):
            raise ApiError(400, "InvalidParameter", "imageReference needs an id, or publisher, offer and sku.")
        found = marketplace.require(
            ctx, reference["publisher"], reference["offer"], reference["sku"], str(reference.get("version") or "latest")
        )
        return {
            "osType": "Windows",
            "hyperVGeneration": found.hyper_v_generation,
            "diskSizeGB": found.disk_gb,
            "osState": "Generalized",
            "hibernation": False,
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
        return {
            "osType": disk["osType"],
            "hyperVGeneration": resource["properties"].get("hyperVGeneration", "V1"),
            "diskSizeGB": disk.get("diskSizeGB") or 127,
            "osState": disk["osState"],
            "hibernation": False,
        }
    regions = [r["name"].replace(" ", "").lower() for r in resource["properties"]["publishingProfile"]["targetRegions"]]
    if region not in regions or resource["properties"]["provisioningState"] != "Succeeded":
        raise ApiError(400, "InvalidParameter", f"The gallery image version {image_id} is not replicated to {region}.")
    definition = common.require(ctx, common.parent_of(resource["id"]), "gallery image")
    props = definition["resource"]["properties"]
    return {
        "osType": props["osType"],
        "hyperVGeneration": props.get("hyperVGeneration", "V1"),
        "diskSizeGB": resource["properties"]["storageProfile"]["osDiskImage"]["sizeInGB"],
        "osState": props["osState"],
        "hibernation": any(
            f.get("name") == "IsHibernateSupported" and str(f.get("value")).lower() == "true"
            for f in props.get("features") or []
        ),
    }


def latest_version(ctx: Context, definition_id: str) -> dict[str, Any] | None:
    versions = [
        v
        for v in common.children(ctx, definition_id, "versions")
        if not v["resource"]["properties"]["publishingProfile"].get("excludeFromLatest")
    ]
    versions.sort(key=lambda v: [int(p) if p.isdigit() else 0 for p in v["resource"]["name"].split(".")])
    return versions[-1] if versions else None


def register(ctx: Context) -> None:
    _register_managed_images(ctx)
    _register_galleries(ctx)


def _register_managed_images(ctx: Context) -> None:
    @routing.route(ctx, "PUT", IMAGE, operation="createImage", action="Microsoft.Compute/images/write", faults=False)
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
            storage = {
                "osDisk": {
                    "osType": "Windows",
                    "osState": "Generalized",
                    "diskSizeGB": disk["diskSizeGB"],
                    "storageAccountType": "Premium_LRS",
                },
                "dataDisks": [],
            }
            generation = "V2"
        else:
            requested: dict[str, Any] = props.get("storageProfile") or {}
            os_disk = requested.get("osDisk") or {}
            if os_disk.get("osType") not in ("Windows", "Linux") or os_disk.get("osState") not in (
                "Generalized",
                "Specialized",
            ):
                raise ApiError(400, "InvalidParameter", "storageProfile.osDisk needs osType and osState.")
            storage = {
                "osDisk": dict(os_disk),
                "dataDisks": list(requested.get("dataDisks") or []),
                "zoneResilient": bool(requested.get("zoneResilient", False)),
            }
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
            ctx,
            request,
            resource_id=image_id,
            action="create",
            names=(request.operation,),
            sync_status=201,
            location=location,
        )

    @routing.route(ctx, "GET", IMAGE, operation="getImage", action="Microsoft.Compute/images/read")
    def get_image(request: Request) -> Response:
        image_id = common.provider_id(
            request.params["sub"], request.params["rg"], NS, "images", request.params["image"]
        )
        return Response(200, common.shown(common.require(ctx, image_id, "image")))

    @routing.route(
        ctx, "DELETE", IMAGE, operation="deleteImage", action="Microsoft.Compute/images/delete", faults=False
    )
    def delete_image(request: Request) -> Response:
        image_id = common.provider_id(
            request.params["sub"], request.params["rg"], NS, "images", request.params["image"]
        )
        doc = common.get(ctx, image_id)
        if doc is None:
            return Response(204)
        return operations.respond(
            ctx,
            request,
            resource_id=doc["resource"]["id"],
            action="delete",
            names=("deleteImage",),
            sync_status=200,
            location=doc["resource"]["location"],
        )


def _register_galleries(ctx: Context) -> None:
    def ids(request: Request) -> tuple[str, str, str]:
        p = request.params
        gallery = common.provider_id(p["sub"], p["rg"], NS, "galleries", p["gallery"])
        definition = f"{gallery}/images/{p.get('definition', '')}"
        return gallery, definition, f"{definition}/versions/{p.get('version', '')}"

    @routing.route(
        ctx, "PUT", GALLERY, operation="createGallery", action="Microsoft.Compute/galleries/write", faults=False
    )
    def put_gallery(request: Request) -> Response:
        common.require_group(ctx, request.params["sub"], request.params["rg"])
        body = common.body_object(request)
        gallery_id = ids(request)[0]
        existing = common.get(ctx, gallery_id)
        if existing is not None:
            return Response(200, common.shown(existing))
        doc: dict[str, Any] = {
            "resource": {
                "id": gallery_id,
                "name": request.params["gallery"],
                "type": "Microsoft.Compute/galleries",
                "location": common.location_of(body),
                "tags": body.get("tags") or {},
                "properties": {
                    "provisioningState": "Succeeded",
                    "identifier": {"uniqueName": f"{request.params['sub']}-{request.params['gallery']}"},
                },
            },
            "meta": {"tid": common.tid_of(request)},
        }
        common.put(ctx, doc)
        return operations.respond(
            ctx,
            request,
            resource_id=gallery_id,
            action="create",
            names=("createGallery",),
            sync_status=201,
            location=doc["resource"]["location"],
        )

    @routing.route(ctx, "GET", GALLERY, operation="getGallery", action="Microsoft.Compute/galleries/read")
    def get_gallery(request: Request) -> Response:
        return Response(200, common.shown(common.require(ctx, ids(request)[0], "gallery")))

    @routing.route(
        ctx,
        "PUT",
        DEFINITION,
        operation="createGalleryImage",
        action="Microsoft.Compute/galleries/images/write",
        faults=False,
    )
    def put_definition(request: Request) -> Response:
        gallery_id, definition_id, _ = ids(request)
        common.require(ctx, gallery_id, "gallery")
        body = common.body_object(request)
        props = common.properties(body)
        if props.get("osType") not in ("Windows", "Linux") or not props.get("identifier"):
            raise ApiError(400, "InvalidParameter", "A gallery image needs osType, osState and identifier.")
        existing = common.get(ctx, definition_id)
        doc: dict[str, Any] = {
            "resource": {
                "id": definition_id,
                "name": request.params["definition"],
                "type": "Microsoft.Compute/galleries/images",
                "location": common.location_of(body),
                "tags": body.get("tags") or {},
                "properties": {
                    "osType": props["osType"],
                    "osState": props.get("osState", "Generalized"),
                    "hyperVGeneration": props.get("hyperVGeneration", "V1"),
                    "features": list(props.get("features") or []),
                    "identifier": props["identifier"],
                    "provisioningState": "Succeeded",
                },
            },
            "meta": {"tid": common.tid_of(request)},
        }
        common.put(ctx, doc)
        if existing is not None:
            return Response(200, common.shown(doc))
        return operations.respond(
            ctx,
            request,
            resource_id=definition_id,
            action="create",
            names=("createGalleryImage",),
            sync_status=201,
            location=doc["resource"]["location"],
        )

    @routing.route(
        ctx, "GET", DEFINITION, operation="getGalleryImage", action="Microsoft.Compute/galleries/images/read"
    )
    def get_definition(request: Request) -> Response:
        return Response(200, common.shown(common.require(ctx, ids(request)[1], "gallery image")))

    @routing.route(
        ctx,
        "GET",
        GALLERY + r"/images",
        operation="listGalleryImages",
        action="Microsoft.Compute/galleries/images/read",
    )
    def list_definitions(request: Request) -> Response:
        # "Gallery Images - List By Gallery" (https://learn.microsoft.com/rest/api/compute/gallery-images/list-by-gallery):
        # a gallery's image definitions, paged; a gallery that does not exist is a 404
        gallery_id = ids(request)[0]
        common.require(ctx, gallery_id, "gallery")
        return common.listing(ctx, request, common.children(ctx, gallery_id, "images"))

    @routing.route(
        ctx,
        "PUT",
        VERSION,
        operation="replicateImage",
        action="Microsoft.Compute/galleries/images/versions/write",
        faults=False,
    )
    def put_version(request: Request) -> Response:
        _, definition_id, version_id = ids(request)
        definition = common.require(ctx, definition_id, "gallery image")
        if common.get(ctx, version_id) is not None:
            return Response(200, common.shown(common.require(ctx, version_id)))
        body = common.body_object(request)
        props = common.properties(body)
        location = common.location_of(body)
        publishing = dict(props.get("publishingProfile") or {})
        publishing["targetRegions"] = publishing.get("targetRegions") or [{"name": location, "regionalReplicaCount": 1}]
        publishing["publishedDate"] = common.now_iso(ctx.clock)
        sent_source, source_id = _version_source(props)
        source = common.require(ctx, source_id, "image source") if source_id else None
        size = 127
        if source is not None and source["resource"]["type"] == "Microsoft.Compute/images":
            size = source["resource"]["properties"]["storageProfile"]["osDisk"].get("diskSizeGB") or 127
        elif source is not None and source["resource"]["type"] == "Microsoft.Compute/virtualMachines":
            _check_vm_source(source, definition["resource"])
            size = source["resource"]["properties"]["storageProfile"]["osDisk"]["diskSizeGB"]
        doc = {
            "resource": {
                "id": version_id,
                "name": request.params["version"],
                "type": "Microsoft.Compute/galleries/images/versions",
                "location": location,
                "tags": body.get("tags") or {},
                "properties": {
                    "publishingProfile": publishing,
                    "provisioningState": "Creating",
                    "storageProfile": {
                        "source": sent_source,
                        "osDiskImage": {"sizeInGB": size, "hostCaching": "ReadWrite"},
                        "dataDiskImages": [],
                    },
                },
            },
            "meta": {"tid": common.tid_of(request)},
        }
        common.put(ctx, doc)
        return operations.respond(
            ctx,
            request,
            resource_id=version_id,
            action="create",
            names=("replicateImage",),
            sync_status=201,
            location=location,
        )

    @routing.route(
        ctx,
        "GET",
        VERSION,
        operation="getGalleryImageVersion",
        action="Microsoft.Compute/galleries/images/versions/read",
    )
    def get_version(request: Request) -> Response:
        doc = common.require(ctx, ids(request)[2], "gallery image version")
        shown = common.shown(doc)
        if (request.q("$expand") or "").lower() == "replicationstatus":
            regions = shown["properties"]["publishingProfile"]["targetRegions"]
            state = "Completed" if shown["properties"]["provisioningState"] == "Succeeded" else "Replicating"
            shown["properties"]["replicationStatus"] = {
                "aggregatedState": state,
                "summary": [
                    {"region": r["name"], "state": state, "progress": 100 if state == "Completed" else 50}
                    for r in regions
                ],
            }
        return Response(200, shown)

    @routing.route(
        ctx,
        "GET",
        DEFINITION + r"/versions",
        operation="listGalleryImageVersions",
        action="Microsoft.Compute/galleries/images/versions/read",
    )
    def list_versions(request: Request) -> Response:
        return common.listing(ctx, request, common.children(ctx, ids(request)[1], "versions"))

    @routing.route(
        ctx,
        "DELETE",
        VERSION,
        operation="deleteGalleryImageVersion",
        action="Microsoft.Compute/galleries/images/versions/delete",
        faults=False,
    )
    def delete_version(request: Request) -> Response:
        doc = common.get(ctx, ids(request)[2])
        if doc is None:
            return Response(204)
        return operations.respond(
            ctx,
            request,
            resource_id=doc["resource"]["id"],
            action="delete",
            names=("deleteGalleryImageVersion",),
            sync_status=200,
            location=doc["resource"]["location"],
        )

    @routing.route(
        ctx,
        "DELETE",
        DEFINITION,
        operation="deleteGalleryImage",
        action="Microsoft.Compute/galleries/images/delete",
        faults=False,
    )
    def delete_definition(request: Request) -> Response:
        doc = common.get(ctx, ids(request)[1])
        if doc is None:
            return Response(204)
        nested = common.children(ctx, doc["resource"]["id"], "versions")
        if nested:  # a version being deleted still counts until its deletion has finished, as in Azure
            names = ", ".join(v["resource"]["id"].split("/providers/", 1)[1] for v in nested)
            raise ApiError(
                409,
                "CannotDeleteResource",
                "Cannot delete resource while nested resources exist. Some "
                f"existing nested resource IDs include: '{names}'. Please delete all nested resources "
                "before deleting this resource.",
            )
        return operations.respond(
            ctx,
            request,
            resource_id=doc["resource"]["id"],
            action="delete",
            names=("deleteGalleryImage",),
            sync_status=200,
            location=doc["resource"]["location"],
        )


def _version_source(props: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    """The source a new gallery image version is made from, as sent, and the id of the resource it names.

    GalleryRP's GalleryArtifactVersionFullSource (specification/compute/resource-manager/Microsoft.Compute/GalleryRP/
    stable/2024-03-03, examples GalleryImageVersion_Create*.json) names a VM in `virtualMachineId`
    (..._WithVmAsSource.json), a managed image or another version in `id`, a community image in
    `communityGalleryImageId`; snapshots and VHDs are named per disk instead (`osDiskImage.source`, which the
    emulator does not make versions from). Older api-versions named a captured VM in `id` too; whether Azure still
    takes a VM there is not confirmed, so the emulator takes it. A version with no source at all is refused: the code
    (InvalidParameter) and the target are Compute's usual ones for a missing parameter; ARM's exact message for this
    case is not confirmed.
    """
    storage = props.get("storageProfile") or {}
    source = storage.get("source") or {}
    if not isinstance(source, dict):
        raise ApiError(
            400,
            "InvalidParameter",
            "storageProfile.source must be an object.",
            target="galleryImageVersion.properties.storageProfile.source",
        )
    named = source.get("virtualMachineId") or source.get("id") or source.get("communityGalleryImageId")
    disk_sources = [d.get("source") for d in [storage.get("osDiskImage") or {}, *(storage.get("dataDiskImages") or [])]]
    if not named and not any(disk_sources):
        raise ApiError(
            400,
            "InvalidParameter",
            "Required parameter 'storageProfile.source' is missing (null): a "
            "gallery image version needs a source (a virtual machine, an image or disk snapshots).",
            target="galleryImageVersion.properties.storageProfile.source",
        )
    if source.get("virtualMachineId") and "/providers/microsoft.compute/virtualmachines/" not in (
        source["virtualMachineId"].lower()
    ):
        raise ApiError(
            400,
            "InvalidParameter",
            f"'{source['virtualMachineId']}' is not a virtual machine id.",
            target="galleryImageVersion.properties.storageProfile.source.virtualMachineId",
        )
    if source.get("communityGalleryImageId"):
        named = None  # a community image lives outside this emulator: nothing here to read
    return dict(source), named


def _check_vm_source(vm: dict[str, Any], definition: dict[str, Any]) -> None:
    """Azure captures a VM only into a definition of its OS state, and a Trusted Launch VM only into a definition
    of security type TrustedLaunch (a Gen2 definition that names none is TrustedLaunchSupported, which takes no VM)."""
    props = definition["properties"]
    vm_state = "Generalized" if vm["meta"].get("generalized") else "Specialized"
    if vm_state != props["osState"]:
        raise ApiError(
            400,
            "BadRequest",
            f"The resource with id '{vm['resource']['id']}' has a different OS state "
            f"['{vm_state}'] than the parent gallery image OS state ['{props['osState']}'].",
        )
    vm_security = ((vm["resource"]["properties"].get("securityProfile") or {}).get("securityType")) or "Standard"
    default = "TrustedLaunchSupported" if props.get("hyperVGeneration") == "V2" else "Standard"
    image_security = next(
        (f.get("value") for f in props.get("features") or [] if f.get("name") == "SecurityType"), default
    )
    if vm_security == "TrustedLaunch" and image_security != "TrustedLaunch":
        raise ApiError(
            400,
            "InvalidParameter",
            f"The security type '{image_security}' is not supported for the source id '{vm['resource']['id']}'.",
        )
