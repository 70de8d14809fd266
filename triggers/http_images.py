"""HTTP routes of the image wizard: gallery images, and custom device images with their import."""

from __future__ import annotations

from typing import Any

import azure.durable_functions as df

from orchestrators import names
from orchestrators.starting import start_orchestration
from shared.models.base import ApiModel, Page
from shared.models.images import DeviceImage, DeviceImageCreate, GalleryImage
from shared.models.orchestrations import ImageImport
from shared.ports.admin_ports import AdminPorts
from shared.services.configuration import device_images as service
from triggers.http_api import Api, created, page_of
from triggers.http_request import PAGING, VALIDATE_ONLY, ApiRequest
from triggers.http_responses import ApiResponse

IMAGES = "tenants/{tenantId}/deviceImages"
IMAGE = "tenants/{tenantId}/deviceImages/{imageId}"


class GalleryImageList(ApiModel):
    value: list[GalleryImage]


def blueprint(api: Api, ports: AdminPorts) -> df.Blueprint:
    bp = df.Blueprint()
    routes = api.section(bp, "Images")

    @routes.get(
        "tenants/{tenantId}/galleryImages", "listGalleryImages", "Windows 365 gallery images", response=GalleryImageList
    )
    def list_gallery_images(req: ApiRequest) -> GalleryImageList:
        return GalleryImageList(value=service.gallery(ports, req.param("tenantId")))

    @routes.post(
        IMAGES,
        "createDeviceImage",
        "Import a custom image from a managed image",
        body=DeviceImageCreate,
        response=DeviceImage,
        status=201,
        query=(VALIDATE_ONLY,),
        durable=True,
    )
    async def create_device_image(req: ApiRequest) -> ApiResponse:
        tenant_id = req.param("tenantId")
        image = service.create_image(ports, tenant_id, req.body(DeviceImageCreate), dry_run=req.validate_only)
        if not req.validate_only:
            await start_orchestration(
                req.durable,
                names.IMPORT_DEVICE_IMAGE,
                names.image_import_instance_id(tenant_id, image.id),
                ImageImport(tenant_id=tenant_id, image_id=image.id),
            )
        return created(req, image, f"tenants/{tenant_id}/deviceImages/{image.id}")

    @routes.get(IMAGES, "listDeviceImages", "List device images", response=Page[DeviceImage], query=PAGING)
    def list_device_images(req: ApiRequest) -> dict[str, Any]:
        tenant_id = req.param("tenantId")
        items, token = ports.images.list_images(tenant_id, top=req.top, skip_token=req.skip_token)
        return page_of(req, service.with_usage(ports, items), token)

    @routes.get(IMAGE, "getDeviceImage", "Get a device image", response=DeviceImage)
    def get_device_image(req: ApiRequest) -> DeviceImage:
        return service.get_image(ports, req.param("tenantId"), req.param("imageId"))

    @routes.delete(IMAGE, "deleteDeviceImage", "Delete a device image no policy uses")
    def delete_device_image(req: ApiRequest) -> ApiResponse:
        service.delete_image(ports, req.param("tenantId"), req.param("imageId"), if_match=req.if_match)
        return ApiResponse(204)

    return bp
