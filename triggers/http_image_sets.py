"""HTTP routes of Spot PC image sets: the marketplace images, image sets, and their versions with builds."""

from __future__ import annotations

import logging
from typing import Any, cast

import azure.durable_functions as df

from orchestrators import names
from orchestrators.starting import start_image_work
from shared.models.base import Page, Review
from shared.models.image_sets import (
    ImageSet,
    ImageSetCreate,
    ImageSetUpdate,
    ImageSetVersion,
    ImageSetVersionCreate,
    ImageSetVersionList,
    MarketplaceImageList,
    Use,
)
from shared.models.orchestrations import ImageBuildRun
from shared.ports.admin_ports import AdminPorts
from shared.services.spot_pc import image_sets as service
from shared.services.spot_pc.marketplace_images import marketplace_images
from triggers.http_api import Api, created, page_of, updated
from triggers.http_request import PAGING, VALIDATE_ONLY, ApiRequest, QueryParam
from triggers.http_responses import ApiResponse

log = logging.getLogger(__name__)
SETS = "tenants/{tenantId}/imageSets"
SET = f"{SETS}/{{imageSetId}}"
VERSIONS = f"{SET}/versions"
VERSION = f"{VERSIONS}/{{version}}"
RECOMMENDED_FOR = QueryParam(
    "recommendedFor",
    "Only the images recommended for pooled or personal Spot Groups.",
    {"type": "string", "enum": ["pooled", "personal"]},
)


def blueprint(api: Api, ports: AdminPorts) -> df.Blueprint:
    bp = df.Blueprint()
    routes = api.section(bp, "Image sets")

    async def start_build(req: ApiRequest, version: ImageSetVersion) -> None:
        run = ImageBuildRun(tenant_id=version.tenant_id, image_set_id=version.image_set_id, version=version.version)
        await start_image_work(req.durable, run)

    @routes.get(
        "tenants/{tenantId}/marketplaceImages",
        "listMarketplaceImages",
        "Images an image set can start from",
        response=MarketplaceImageList,
        query=(RECOMMENDED_FOR,),
    )
    def list_marketplace_images(req: ApiRequest) -> MarketplaceImageList:
        use = req.query("recommendedFor")
        return MarketplaceImageList(value=marketplace_images(ports, req.param("tenantId"), cast(Use | None, use)))

    @routes.post(
        SETS,
        "createImageSet",
        "Create an image set; its version 0.0.0 is built from the marketplace image",
        body=ImageSetCreate,
        response=ImageSet,
        status=201,
        query=(VALIDATE_ONLY,),
        durable=True,
    )
    async def create_image_set(req: ApiRequest) -> ApiResponse:
        tenant_id = req.param("tenantId")
        data = req.body(ImageSetCreate)
        image_set, first = service.create_image_set(ports, tenant_id, data, dry_run=req.validate_only)
        if not req.validate_only:
            await start_build(req, first)
        return created(req, image_set, f"{SETS.format(tenantId=tenant_id)}/{image_set.id}")

    @routes.get(SETS, "listImageSets", "List image sets", response=Page[ImageSet], query=PAGING)
    def list_image_sets(req: ApiRequest) -> dict[str, Any]:
        tenant_id = req.param("tenantId")
        return page_of(req, *ports.image_sets.list_image_sets(tenant_id, top=req.top, skip_token=req.skip_token))

    @routes.get(SET, "getImageSet", "Get an image set", response=ImageSet)
    def get_image_set(req: ApiRequest) -> ImageSet:
        return ports.image_sets.get_image_set(req.param("tenantId"), req.param("imageSetId"))

    @routes.patch(
        SET,
        "updateImageSet",
        "Update an image set's description and notes",
        body=ImageSetUpdate,
        response=ImageSet,
        query=(VALIDATE_ONLY,),
    )
    def update_image_set(req: ApiRequest) -> ApiResponse:
        patch = req.body(ImageSetUpdate)
        image_set = service.update_image_set(
            ports,
            req.param("tenantId"),
            req.param("imageSetId"),
            patch,
            if_match=req.if_match,
            dry_run=req.validate_only,
        )
        return updated(req, image_set)

    @routes.delete(
        SET,
        "deleteImageSet",
        "Delete an image set: its gallery image versions and definition, then the set",
        response=ImageSet,
        status=202,
        durable=True,
    )
    async def delete_image_set(req: ApiRequest) -> ApiResponse:
        tenant_id, image_set_id = req.param("tenantId"), req.param("imageSetId")
        image_set, removal = service.delete_image_set(ports, tenant_id, image_set_id, if_match=req.if_match)
        await start_image_work(req.durable, removal)
        location = req.url(SET.format(tenantId=tenant_id, imageSetId=image_set_id))
        return ApiResponse(202, image_set, {"Location": location})

    @routes.post(
        VERSIONS,
        "createImageSetVersion",
        "Build the set's next version, with scripts or for the admin to customize",
        body=ImageSetVersionCreate,
        response=ImageSetVersion,
        status=202,
        query=(VALIDATE_ONLY,),
        durable=True,
    )
    async def create_version(req: ApiRequest) -> ApiResponse:
        tenant_id, image_set_id = req.param("tenantId"), req.param("imageSetId")
        data = req.body(ImageSetVersionCreate)
        version = service.create_version(ports, tenant_id, image_set_id, data, dry_run=req.validate_only)
        if req.validate_only:
            return ApiResponse(200, Review[ImageSetVersion](summary=version))
        await start_build(req, version)
        location = req.url(f"{VERSIONS.format(tenantId=tenant_id, imageSetId=image_set_id)}/{version.version}")
        return ApiResponse(202, version, {"Location": location, "ETag": version.etag or ""})

    @routes.get(VERSIONS, "listImageSetVersions", "An image set's versions, oldest first", response=ImageSetVersionList)
    def list_versions(req: ApiRequest) -> ImageSetVersionList:
        tenant_id, image_set_id = req.param("tenantId"), req.param("imageSetId")
        ports.image_sets.get_image_set(tenant_id, image_set_id)
        return ImageSetVersionList(value=ports.image_sets.list_versions(tenant_id, image_set_id))

    @routes.get(VERSION, "getImageSetVersion", "Get an image set version", response=ImageSetVersion)
    def get_version(req: ApiRequest) -> ImageSetVersion:
        return ports.image_sets.get_version(req.param("tenantId"), req.param("imageSetId"), req.param("version"))

    @routes.post(
        f"{VERSION}/capture",
        "captureImageSetVersion",
        "Capture a version whose build VM the admin has customized",
        response=ImageSetVersion,
        status=202,
        durable=True,
    )
    async def capture(req: ApiRequest) -> ApiResponse:
        tenant_id, image_set_id, number = req.param("tenantId"), req.param("imageSetId"), req.param("version")
        version = service.request_capture(ports, tenant_id, image_set_id, number)
        instance = names.image_build_instance_id(tenant_id, image_set_id, number)
        try:
            await req.durable.raise_event(instance, names.CAPTURE_REQUESTED, None)
        except Exception:  # the capture is recorded: the quiet-work sweep starts the build again, which goes on
            log.warning("The build of %s %s was not running to hear its capture", image_set_id, number)
        return ApiResponse(202, version, {"ETag": version.etag or ""})

    @routes.delete(
        VERSION,
        "deleteImageSetVersion",
        "Delete a version (not the latest): its gallery image version, then it",
        response=ImageSetVersion,
        status=202,
        durable=True,
        responses={"204": {"description": "Deleted at once: the version never had a gallery image version."}},
    )
    async def delete_version(req: ApiRequest) -> ApiResponse:
        tenant_id, image_set_id, number = req.param("tenantId"), req.param("imageSetId"), req.param("version")
        version, removal = service.delete_version(ports, tenant_id, image_set_id, number, if_match=req.if_match)
        if removal is None:
            return ApiResponse(204)
        await start_image_work(req.durable, removal)
        location = req.url(f"{VERSIONS.format(tenantId=tenant_id, imageSetId=image_set_id)}/{number}")
        return ApiResponse(202, version, {"Location": location})

    return bp
