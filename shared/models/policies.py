"""Provisioning policies: network, image and settings for Cloud PCs, assigned to Entra groups."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, StrictBool, model_validator
from pydantic_core import PydanticCustomError

from shared.models.base import ApiModel, Description, DisplayName, InputModel, Resource
from shared.models.sites import RegionName

DomainJoinType = Literal["azureADJoin", "hybridAzureADJoin"]
ImageType = Literal["gallery", "custom"]
FORBIDDEN_NAME_CHARS = set('<>&|"^')
GROUP_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def _policy_name(value: str) -> str:
    bad = sorted(FORBIDDEN_NAME_CHARS & set(value))
    if bad:
        raise PydanticCustomError("invalidCharacters", "must not contain {chars}", {"chars": " ".join(bad)})
    return value


def _group_id(value: str) -> str:
    if not GROUP_ID.match(value):
        raise PydanticCustomError("invalidGroupId", "must be an Entra group id (letters, digits, - _ .)")
    return value


PolicyName = Annotated[DisplayName, AfterValidator(_policy_name)]
GroupId = Annotated[str, AfterValidator(_group_id)]


class DomainJoinConfiguration(InputModel):
    domain_join_type: DomainJoinType
    on_premises_connection_id: str | None = Field(default=None, min_length=1, max_length=64)
    region_name: RegionName | None = None

    @model_validator(mode="after")
    def _network_choice(self) -> DomainJoinConfiguration:
        if self.domain_join_type == "hybridAzureADJoin":
            if not self.on_premises_connection_id:
                raise PydanticCustomError("connectionRequired", "a hybrid Entra join needs an onPremisesConnectionId")
            if self.region_name:
                raise PydanticCustomError(
                    "regionNotAllowed",
                    "a hybrid Entra join takes its region from the connection, not regionName",
                )
        elif bool(self.on_premises_connection_id) == bool(self.region_name):
            raise PydanticCustomError(
                "connectionOrRegion",
                "an Entra join takes either an onPremisesConnectionId or a regionName "
                "(Microsoft-hosted network), never both",
            )
        return self


class WindowsSetting(InputModel):
    locale: str = Field(default="en-US", pattern=r"^[a-z]{2,3}-[A-Z]{2}$")


class PolicyFields(InputModel):
    display_name: PolicyName
    description: Description | None = None
    domain_join_configurations: list[DomainJoinConfiguration] = Field(min_length=1, max_length=5)
    image_type: ImageType
    image_id: str = Field(min_length=1, max_length=256)
    cloud_pc_naming_template: str | None = Field(default=None, max_length=64)
    local_admin_enabled: StrictBool = False
    enable_single_sign_on: StrictBool = False
    windows_setting: WindowsSetting | None = None


class ProvisioningPolicyCreate(PolicyFields):
    provisioning_type: Literal["dedicated"] = "dedicated"


class ProvisioningPolicyUpdate(InputModel):
    """Merge patch; edits apply to Cloud PCs provisioned from now on, not to existing ones."""

    display_name: PolicyName | None = None
    description: Description | None = None
    domain_join_configurations: list[DomainJoinConfiguration] | None = Field(default=None, min_length=1, max_length=5)
    image_type: ImageType | None = None
    image_id: str | None = Field(default=None, min_length=1, max_length=256)
    cloud_pc_naming_template: str | None = Field(default=None, max_length=64)
    local_admin_enabled: StrictBool | None = None
    enable_single_sign_on: StrictBool | None = None
    windows_setting: WindowsSetting | None = None


class AssignmentTarget(InputModel):
    group_id: GroupId


class AssignRequest(InputModel):
    assignments: list[AssignmentTarget] = Field(max_length=100)


class Assignment(ApiModel):
    id: str
    group_id: str
    assigned_date_time: datetime


class ProvisioningPolicy(Resource):
    tenant_id: str
    display_name: str
    description: str | None = None
    domain_join_configurations: list[DomainJoinConfiguration]
    image_type: ImageType
    image_id: str
    image_display_name: str = ""
    cloud_pc_naming_template: str
    local_admin_enabled: bool = False
    enable_single_sign_on: bool = False
    windows_setting: WindowsSetting = WindowsSetting()
    provisioning_type: Literal["dedicated"] = "dedicated"
    grace_period_in_hours: int = 168
    assignments: list[Assignment] = []

    @property
    def connection_ids(self) -> list[str]:
        return [c.on_premises_connection_id for c in self.domain_join_configurations if c.on_premises_connection_id]
