"""Device images (custom, imported from managed images) and the gallery image catalog's shape."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, computed_field
from pydantic_core import PydanticCustomError

from shared.models.base import ApiModel, DisplayName, InputModel, Resource
from shared.models.failures import CodedFailure
from shared.models.json_schema import JsonSchemaKeywords, ecma_pattern

ImageStatus = Literal["pending", "ready", "failed"]
GalleryStatus = Literal["supported", "supportedWithWarning", "notSupported"]
ImageErrorCode = Literal[
    "internalServerError",
    "sourceImageNotFound",
    "osVersionNotSupported",
    "sourceImageInvalid",
    "sourceImageNotGeneralized",
    "vmAlreadyAzureAdJoined",
    "paidSourceImageNotSupport",
    "sourceImageNotSupportCustomizeVMName",
    "sourceImageSizeExceedsLimitation",
]
# a managed image, or an Azure Compute Gallery image version (an image set's ready version is one)
SOURCE_IMAGE_ID = re.compile(
    r"^/subscriptions/[0-9a-fA-F-]{36}/resourceGroups/[-\w._()]{1,90}/providers/Microsoft\.Compute/"
    r"(?:images/[-\w.]{1,80}|galleries/[\w.]{1,80}/images/[-\w.]{1,80}/versions/[0-9]{1,9}\.[0-9]{1,9}\.[0-9]{1,9})$",
    re.IGNORECASE,
)
VERSION = re.compile(r"^(0|[1-9]\d{0,8})\.(0|[1-9]\d{0,8})\.(0|[1-9]\d{0,8})$")


def _source_image_id(value: str) -> str:
    if not SOURCE_IMAGE_ID.match(value):
        raise PydanticCustomError(
            "invalidResourceId",
            "must be the ARM id of a managed image (/subscriptions/{id}/resourceGroups/{rg}/providers/"
            "Microsoft.Compute/images/{name}) or of a gallery image version (.../galleries/{gallery}/images/"
            "{definition}/versions/{version})",
        )
    return value


def _version(value: str) -> str:
    if not VERSION.match(value):
        raise PydanticCustomError("invalidVersion", "must be Major.Minor.Patch, such as 1.0.0")
    return value


SourceImageId = Annotated[
    str,
    AfterValidator(_source_image_id),
    JsonSchemaKeywords(
        pattern=ecma_pattern(SOURCE_IMAGE_ID),
        description="The ARM id of a managed image, or of a gallery image version (an image set's imageVersionId).",
    ),
]
ImageVersion = Annotated[
    str,
    AfterValidator(_version),
    JsonSchemaKeywords(pattern=ecma_pattern(VERSION), description="Major.Minor.Patch, such as 1.0.0."),
]


class DeviceImageCreate(InputModel):
    display_name: DisplayName
    site_id: str = Field(min_length=1, max_length=64)
    version: ImageVersion
    source_image_resource_id: SourceImageId


class DeviceImage(Resource):
    tenant_id: str
    display_name: str
    site_id: str
    version: str
    source_image_resource_id: str
    status: ImageStatus = "pending"
    error_code: ImageErrorCode | None = None
    status_details: str | None = None
    os_version: str | None = None
    in_use: bool = False
    windows365_id: str | None = Field(default=None, description="Its id in Windows 365 (Graph's cloudPcDeviceImage).")

    @computed_field  # type: ignore[prop-decorator]
    @property
    def failure(self) -> CodedFailure | None:
        """A failed upload's code and details with the catalogue's words for them."""
        if self.error_code is None:
            return None
        return CodedFailure(code=self.error_code, message=self.status_details or self.error_code)


class GalleryImage(ApiModel):
    id: str  # publisher_offer_sku
    display_name: str
    publisher_name: str
    offer_name: str
    sku_name: str
    status: GalleryStatus
    recommended_for: list[Literal["personal", "pooled"]]
