"""Sites: the Azure subscription, resource group and region where a tenant's VMs and images live."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, Field, model_validator
from pydantic_core import PydanticCustomError

from shared.models.base import ApiModel, DisplayName, Guid, InputModel, Resource
from shared.models.json_schema import JsonSchemaKeywords, ecma_pattern, omittable
from shared.models.regions import REGION_NAMES

RESOURCE_GROUP = re.compile(r"^[-\w._()]{1,90}$")
VNET_ID = re.compile(
    r"^/subscriptions/(?P<sub>[0-9a-fA-F-]{36})/resourceGroups/(?P<rg>[-\w._()]{1,90})"
    r"/providers/Microsoft\.Network/virtualNetworks/(?P<vnet>[-\w.]{2,64})$",
    re.IGNORECASE,
)
SUBNET_ID = re.compile(VNET_ID.pattern[:-1] + r"/subnets/(?P<subnet>[-\w.]{1,80})$", re.IGNORECASE)
# RESOURCE_GROUP and the no-trailing-period rule in one regex, for the document
RESOURCE_GROUP_RULE = re.compile(r"^[-\w._()]{0,89}[-\w_()]$")


def _region(value: str) -> str:
    name = value.strip().lower().replace(" ", "")
    if name not in REGION_NAMES:
        raise PydanticCustomError(
            "unsupportedRegion",
            "'{region}' is not an Azure region Windows 365 supports; use a name such as westeurope or eastus",
            {"region": value},
        )
    return name


def _resource_group(value: str) -> str:
    if not RESOURCE_GROUP.match(value) or value.endswith("."):
        raise PydanticCustomError(
            "invalidResourceGroupName",
            "must be 1-90 letters, digits, underscores, hyphens, periods or parentheses, not ending in a period",
        )
    return value


def _arm_id(pattern: re.Pattern[str], kind: str, example: str) -> AfterValidator:
    def check(value: str) -> str:
        if not pattern.match(value):
            raise PydanticCustomError(
                "invalidResourceId",
                "must be the ARM id of a {kind}, such as {example}",
                {"kind": kind, "example": example},
            )
        return value

    return AfterValidator(check)


RegionName = Annotated[
    str,
    AfterValidator(_region),
    JsonSchemaKeywords(enum=sorted(REGION_NAMES), description="An Azure region Windows 365 supports."),
]
ResourceGroupName = Annotated[
    str,
    AfterValidator(_resource_group),
    JsonSchemaKeywords(
        pattern=ecma_pattern(RESOURCE_GROUP_RULE),
        description="1-90 letters, digits, underscores, hyphens, periods or parentheses, not ending in a period.",
    ),
]
VirtualNetworkId = Annotated[
    str,
    _arm_id(
        VNET_ID,
        "virtual network",
        "/subscriptions/{id}/resourceGroups/{rg}/providers/Microsoft.Network/virtualNetworks/{name}",
    ),
    JsonSchemaKeywords(pattern=ecma_pattern(VNET_ID), description="The ARM id of a virtual network."),
]
SubnetId = Annotated[
    str,
    _arm_id(
        SUBNET_ID,
        "subnet",
        "/subscriptions/{id}/resourceGroups/{rg}/providers/Microsoft.Network/virtualNetworks/{name}/subnets/{subnet}",
    ),
    JsonSchemaKeywords(pattern=ecma_pattern(SUBNET_ID), description="The ARM id of a subnet."),
]


class SiteFields(InputModel):
    """Checks that need more than one field, shared by create and the merged result of a patch."""

    @model_validator(mode="after")
    def _subnet_in_network(self) -> SiteFields:
        vnet = getattr(self, "virtual_network_id", None)
        subnet = getattr(self, "subnet_id", None)
        if vnet and subnet and not subnet.lower().startswith(vnet.lower() + "/subnets/"):
            raise PydanticCustomError("subnetNotInVirtualNetwork", "subnetId must be a subnet of virtualNetworkId")
        return self


class SiteCreate(SiteFields):
    display_name: DisplayName
    region_name: RegionName
    subscription_id: Guid
    resource_group_name: ResourceGroupName
    virtual_network_id: VirtualNetworkId | None = None
    subnet_id: SubnetId | None = Field(
        default=None, description="When given alone, its virtual network is derived from it."
    )

    @model_validator(mode="after")
    def _network_consistent(self) -> SiteCreate:
        if self.subnet_id and not self.virtual_network_id:
            self.virtual_network_id = self.subnet_id.rsplit("/subnets/", 1)[0]
        vnet, subnet = self.virtual_network_id, self.subnet_id
        if vnet and subnet and not subnet.lower().startswith(vnet.lower() + "/subnets/"):
            raise PydanticCustomError("subnetNotInVirtualNetwork", "subnetId must be a subnet of virtualNetworkId")
        return self


class SiteUpdate(InputModel):
    """Merge patch: only the fields present change; the result is checked as a SiteCreate."""

    display_name: DisplayName | None = omittable()
    region_name: RegionName | None = omittable()
    subscription_id: Guid | None = omittable()
    resource_group_name: ResourceGroupName | None = omittable()
    virtual_network_id: VirtualNetworkId | None = None  # null: derived from the subnet, if there is one
    subnet_id: SubnetId | None = None  # null: no subnet


class Site(Resource):
    tenant_id: str
    display_name: str
    region_name: str
    subscription_id: str
    resource_group_name: str
    virtual_network_id: str | None = None
    subnet_id: str | None = None
    windows365_roles_granted_date_time: datetime | None = Field(
        default=None,
        description="On a windows365 tenant: when the onboarding's one-step grant last gave Windows 365 its roles at "
        "the site's subscription, resource group and virtual network (read-only).",
    )


class SiteSubnet(ApiModel):
    """A subnet of the site's subscription, in the site's region, that a connection can use."""

    id: str
    name: str
    virtual_network_name: str
    resource_group_name: str
    region_name: str
    address_prefix: str | None = None
    free_addresses: int | None = Field(default=None, description="Addresses left once Azure's 5 and those in use.")


class SiteImage(ApiModel):
    """A managed image or a gallery image version of the site's subscription that a device image can come from."""

    id: str
    name: str
    kind: str = Field(description="managedImage or galleryImageVersion.")
    resource_group_name: str
    hyper_v_generation: str | None = None


class SiteVmSize(ApiModel):
    """A VM size a Spot Group's session hosts can have in the site: offered there, and booting the image."""

    name: str
    vcpus: int
    memory_gb: float = Field(description="Memory in GiB, as Azure's SKU list gives it.")


class AzureSubscription(ApiModel):
    """A subscription the tenant's app identity sees: one it holds a role in, at the subscription or below."""

    subscription_id: str
    display_name: str
    state: str = Field(description="Enabled, Warned, PastDue, Disabled or Deleted, as Azure says.")


class AzureResourceGroup(ApiModel):
    name: str
    region_name: str


class Region(ApiModel):
    """An Azure region Windows 365 supports, as a person picks it: by its display name, within its geography."""

    name: str
    display_name: str
    geography: str


class RegionList(ApiModel):
    value: list[Region]
