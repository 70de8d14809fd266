"""Spot PC image sets: a marketplace image's line of versions, each built on a VM and captured into a gallery."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Literal, get_args

from pydantic import ConfigDict, Field, StrictBool, model_validator
from pydantic_core import PydanticCustomError

from shared.models.base import ApiModel, Description, DisplayName, InputModel, Resource
from shared.models.failures import StepDetail
from shared.models.images import ImageVersion
from shared.models.json_schema import status_subsets

Use = Literal["personal", "pooled"]
# building -> (awaitingCustomization) -> capturing -> (replicating, global only) -> ready, or failed; and
# deleting while its gallery image version is removed (a set: while its versions and definition are)
VersionStatus = Literal["building", "awaitingCustomization", "capturing", "replicating", "ready", "failed", "deleting"]
BUILDING = frozenset({"building", "awaitingCustomization", "capturing", "replicating"})  # the build's steps, in order
VERSION_UNDER_WAY = BUILDING | {"deleting"}  # Azure works on it: it is followed until it is ready or failed (or gone)
FIRST_VERSION = "0.0.0"
BUILD_VM_SIZE = "Standard_D4s_v5"  # a version's build VM (the admin customizes it before its capture)


class MarketplaceImage(ApiModel):
    id: str  # publisher_offer_sku
    display_name: str
    publisher: str
    offer: str
    sku: str
    multi_session: bool
    recommended_for: list[Use]


class MarketplaceImageList(ApiModel):
    value: list[MarketplaceImage]


class PlatformImage(ApiModel):
    """A marketplace image as Compute's VM image lists give it in a region: its newest version's facts."""

    publisher: str
    offer: str
    sku: str
    version: str
    hyper_v_generation: str | None = None  # V1 or V2, where the version says it
    os_disk_size_gb: int | None = None


class RegionImages(ApiModel):
    """A region's marketplace images as last read, and whose identity read them (a refresh reads with it again)."""

    region: str
    tenant_id: str
    subscription_id: str
    read_at: datetime
    images: list[PlatformImage]


Notes = Description  # the why of a change: the same characters and length as a description


class ImageSetCreate(InputModel):
    """In one site (siteId) or global (global: true, no siteId)."""

    model_config = ConfigDict(
        json_schema_extra={
            "if": {"properties": {"global": {"const": True}}, "required": ["global"]},
            "then": {"properties": {"siteId": {"type": "null"}}},
            "else": {"properties": {"siteId": {"type": "string"}}, "required": ["siteId"]},
        }
    )

    display_name: DisplayName
    description: Description | None = None
    site_id: str | None = Field(default=None, min_length=1, max_length=64)
    global_: StrictBool = Field(default=False, alias="global")
    source_image_id: str = Field(min_length=1, max_length=256, description="A marketplaceImages id.")
    notes: Notes | None = None

    @model_validator(mode="after")
    def _one_place(self) -> ImageSetCreate:
        if (self.site_id is None) == (not self.global_):
            raise ValueError("give a siteId or global: true, not both and not neither")
        return self


class ImageSetUpdate(InputModel):
    """Merge patch: the description and the notes; the name, place and source image never change."""

    description: Description | None = None  # null: clears it
    notes: Notes | None = None  # null: clears them


class ImageSet(Resource):
    tenant_id: str
    display_name: str
    description: str | None = None
    site_id: str | None = None  # the site it is built and kept in; None when global
    global_: bool = Field(default=False, alias="global")
    home_site_id: str  # where its build VMs run and its gallery is: its site, or for a global set the first site
    source_image_id: str
    notes: str | None = None
    latest_version: str = FIRST_VERSION
    status: VersionStatus = "building"  # its latest version's


# a version's scripts are kept in one Table Storage property, which holds at most 32 K characters
MAX_SCRIPTS_JSON = 30_000


class CustomizationScript(InputModel):
    name: str = Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9][A-Za-z0-9 ._-]*$")
    script: str = Field(min_length=1, max_length=MAX_SCRIPTS_JSON, description="PowerShell, run on the build VM.")


class ImageSetVersionCreate(InputModel):
    base_version: ImageVersion | None = None  # default: the newest ready version
    notes: Notes | None = None
    customization_scripts: list[CustomizationScript] = Field(
        default_factory=list,
        max_length=10,
        description=f"Run in turn on the build VM; at most {MAX_SCRIPTS_JSON:,} characters together, counted as "
        "JSON (scriptsTooLong). None: the build VM waits for the admin to customize it and ask for the capture.",
    )

    @model_validator(mode="after")
    def _fits(self) -> ImageSetVersionCreate:
        scripts = [s.model_dump(mode="json") for s in self.customization_scripts]
        if len(json.dumps(scripts)) > MAX_SCRIPTS_JSON:
            raise PydanticCustomError(
                "scriptsTooLong",
                "the scripts together must stay under {limit} characters as JSON",
                {"limit": f"{MAX_SCRIPTS_JSON:,}"},
            )
        return self


class ImageSetVersion(Resource):
    tenant_id: str
    image_set_id: str
    version: str
    status: VersionStatus = Field(
        default="building",
        json_schema_extra=status_subsets(get_args(VersionStatus), building=BUILDING, underWay=VERSION_UNDER_WAY),
    )
    notes: str | None = None
    base_version: str | None = None  # None: built straight from the marketplace image
    image_version_id: str | None = None  # the gallery image version, once captured
    regions: list[str] = Field(default_factory=list)  # where it is (to be) replicated
    customization_scripts: list[CustomizationScript] = Field(default_factory=list)
    status_detail: StepDetail | None = None


class ImageSetVersionList(ApiModel):
    """Every version of a set, oldest first (not paged: a set has a few dozen versions at most)."""

    value: list[ImageSetVersion]
