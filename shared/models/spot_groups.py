"""Spot Groups: pooled or personal session hosts on Azure Virtual Desktop, built from an image set's version.

Their scaling, hosts and image updates have modules of their own: host_scaling.py, session_hosts.py, image_updates.py.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal, get_args

from pydantic import AfterValidator, ConfigDict, Field, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

from shared.models.base import NOT_A_TRUTH_VALUE, ApiModel, Description, DisplayName, InputModel, Resource
from shared.models.failures import StepDetail
from shared.models.host_scaling import MAX_LICENSES, HostScaling
from shared.models.image_sets import Notes
from shared.models.image_updates import Rollout
from shared.models.images import ImageVersion
from shared.models.json_schema import JsonSchemaKeywords, ecma_pattern, omittable, status_subsets
from shared.models.policies import GroupId
from shared.models.session_hosts import SessionHostCounts
from shared.models.session_policies import PersonalPower, SessionLimits
from shared.models.spot_schedules import refuse_fields

UserType = Literal["pooled", "personal"]
SpotGroupStatus = Literal["deploying", "updating", "ready", "failed", "deleting"]
# the subsets of the statuses that rules name, each once (also in the document: the portal's vocabulary.js has them)
GROUP_SETTLED = frozenset({"ready", "failed"})  # no work under way: the admin may change or delete it
GROUP_BUSY = frozenset({"deploying", "updating", "deleting"})  # an orchestration is at work on it
NAME = re.compile(r"^[a-z0-9](?:[a-z0-9-]{1,22}[a-z0-9])$")
# \\server\share or \\server\share\folder: where FSLogix keeps the users' profile containers
PROFILE_PATH = re.compile(r"^\\\\[A-Za-z0-9.-]{1,253}(?:\\[^\\/:*?\"<>|\x00-\x1f]{1,255}){1,20}$")
VM_SIZE = re.compile(r"^Standard_[A-Za-z0-9_]{2,40}$")
DEFAULT_SESSIONS = 6  # the Spot PC documentation's example threshold: the next host starts at 6 sessions
DEFAULT_VM_SIZES = {"pooled": "Standard_D4s_v5", "personal": "Standard_D2s_v5"}  # when none is asked for


def _checked(pattern: re.Pattern[str], code: str, message: str) -> AfterValidator:
    def check(value: str) -> str:
        if not pattern.match(value):
            raise PydanticCustomError(code, message)
        return value

    return AfterValidator(check)


SpotGroupName = Annotated[
    str,
    _checked(NAME, "invalidName", "must be 3-24 lowercase letters, digits and hyphens, with no hyphen at either end"),
    JsonSchemaKeywords(pattern=ecma_pattern(NAME), description="3-24 lowercase letters, digits and inner hyphens."),
]
ProfilePath = Annotated[
    str,
    _checked(PROFILE_PATH, "invalidProfilePath", "must be a UNC path such as \\\\server\\share\\profiles"),
    JsonSchemaKeywords(pattern=ecma_pattern(PROFILE_PATH), description="A UNC path: \\\\server\\share[\\folder]."),
]
VmSize = Annotated[
    str,
    _checked(VM_SIZE, "invalidVmSize", "must be an Azure VM size such as Standard_D4s_v5"),
    JsonSchemaKeywords(pattern=ecma_pattern(VM_SIZE), description="An Azure VM size, e.g. Standard_D4s_v5."),
]


class SpotGroupCreate(InputModel):
    """maxSessionsPerHost and scaling are for pooled groups only (a personal host has one user), personalPower for
    personal ones."""

    model_config = ConfigDict(
        json_schema_extra={
            "if": {"properties": {"userType": {"const": "personal"}}},
            "then": {"properties": {"maxSessionsPerHost": {"type": "null"}, "scaling": {"type": "null"}}},
            "else": {"properties": {"personalPower": {"type": "null"}}},
        }
    )

    name: SpotGroupName
    friendly_name: DisplayName
    profile_path: ProfilePath
    user_type: UserType
    license_count: Annotated[int, Field(ge=1, le=MAX_LICENSES), NOT_A_TRUTH_VALUE]
    site_id: str = Field(min_length=1, max_length=64)
    group_ids: list[GroupId] = Field(min_length=1, max_length=20)
    image_set_id: str = Field(min_length=1, max_length=64)
    image_version: ImageVersion
    description: Description | None = None
    notes: Notes | None = None
    # the defaults the service applies are in the document, for a client to show (x-default-by-user-type)
    vm_size: VmSize | None = Field(
        default=None, json_schema_extra={"x-default-by-user-type": {k: v for k, v in DEFAULT_VM_SIZES.items()}}
    )
    max_sessions_per_host: Annotated[int, Field(ge=1, le=50), NOT_A_TRUTH_VALUE] | None = Field(
        default=None, json_schema_extra={"x-default-by-user-type": {"pooled": DEFAULT_SESSIONS}}
    )
    session_limits: SessionLimits | None = None
    personal_power: PersonalPower | None = None
    scaling: HostScaling | None = None  # None: a fixed set of hosts, enough for every licensed user

    @field_validator("personal_power")
    @classmethod
    def _power_for_personal_only(cls, value: PersonalPower | None, info: ValidationInfo) -> PersonalPower | None:
        if value is not None and info.data.get("user_type") == "pooled":
            raise PydanticCustomError(
                "notAllowed",
                "personalPower is for personal groups: pooled hosts are started and stopped by the optimization",
            )
        return value

    @model_validator(mode="after")
    def _sessions_for_pooled_only(self) -> SpotGroupCreate:
        if self.user_type == "personal" and self.max_sessions_per_host is not None:
            message = "maxSessionsPerHost is for pooled groups: a personal host has one user"
            raise PydanticCustomError("notAllowed", message)
        return self

    @model_validator(mode="after")
    def _scaling_within_the_licenses(self) -> SpotGroupCreate:
        scaling, sessions = self.scaling, self.max_sessions_per_host or DEFAULT_SESSIONS
        if scaling is not None:
            personal = self.user_type == "personal"
            refuse_fields(
                "SpotGroupCreate",
                scaling.refusals_for_personal()
                if personal
                else scaling.refusals(self.license_count, sessions, self.vm_size or DEFAULT_VM_SIZES[self.user_type]),
            )
        return self


class SpotGroupUpdate(InputModel):
    """Merge patch. friendlyName and groupIds go to the host pool; profilePath and sessionLimits to every host;
    personalPower to the host pool (Start VM on Connect) and the optimization; licenseCount adds or removes session
    hosts; imageVersion (with rollout, on its own) replaces every host in a rolling update. Fields left out stay;
    description, notes, sessionLimits and personalPower take null (cleared), the others not; a limit or power
    setting left out of sessionLimits or personalPower stays as it was. scaling (pooled groups only) is merged the
    same way and saved for the optimization, but it cannot be cleared: a group whose hosts scale keeps a fixed number
    with baseHosts equal to maxHosts."""

    friendly_name: DisplayName | None = omittable()
    description: Description | None = None
    notes: Notes | None = None
    group_ids: list[GroupId] | None = omittable(min_length=1, max_length=20)
    profile_path: ProfilePath | None = omittable()
    license_count: int | None = omittable(ge=1, le=MAX_LICENSES)
    image_version: ImageVersion | None = omittable()
    rollout: Rollout | None = None  # with imageVersion: how hosts are replaced (the defaults when left out)
    session_limits: SessionLimits | None = None
    personal_power: PersonalPower | None = None
    scaling: HostScaling | None = omittable()

    @model_validator(mode="after")
    def _no_nulls(self) -> SpotGroupUpdate:
        nulled = [name for name in REQUIRED_ON_UPDATE if name in self.model_fields_set and getattr(self, name) is None]
        if nulled:
            raise PydanticCustomError("notNullable", "{fields} cannot be null", {"fields": ", ".join(nulled)})
        return self


REQUIRED_ON_UPDATE = ("friendly_name", "group_ids", "profile_path", "license_count", "image_version", "scaling")


class SpotGroup(Resource):
    tenant_id: str
    name: str
    friendly_name: str
    profile_path: str
    user_type: UserType
    license_count: int
    site_id: str
    group_ids: list[str]
    image_set_id: str
    image_version: str
    image_version_id: str  # the gallery image version its hosts are built from
    description: str | None = None
    notes: str | None = None
    vm_size: str
    max_sessions_per_host: int
    host_pool_name: str
    session_limits: SessionLimits | None = None
    personal_power: PersonalPower | None = None
    scaling: HostScaling | None = None  # None: a fixed set of hosts, enough for every licensed user
    status: SpotGroupStatus = Field(
        default="deploying",
        json_schema_extra=status_subsets(get_args(SpotGroupStatus), settled=GROUP_SETTLED, busy=GROUP_BUSY),
    )
    status_detail: StepDetail | None = None
    revision: int = 0  # how many times Azure was asked to follow a change (create, update, delete)
    session_host_counts: SessionHostCounts = Field(default_factory=SessionHostCounts)
    assigned_user_count: int = 0
    spot_refused_date_time: datetime | None = Field(
        default=None,
        description="When Azure last refused one of its Spot hosts for want of Spot capacity or Spot "
        "quota (a create or a start); cleared once a Spot host is made. Meanwhile new hosts in Spot places are made "
        "on demand, and Spot is tried again an hour after the refusal.",
    )


class SpotGroupUser(ApiModel):
    id: str
    display_name: str | None = None


class SpotGroupMember(SpotGroupUser):
    """A member of the group's Entra groups: granted holds the desktop (one of licenseCount), waiting does not."""

    access: Literal["granted", "waiting"]


class SpotGroupMemberList(ApiModel):
    """The members of the group's Entra groups in the groups' order, each once, as the review lists them."""

    value: list[SpotGroupMember]


class SpotGroupReview(ApiModel):
    """What saving would build, and who would get access: the first licenseCount members of the groups."""

    host_pool_type: Literal["Pooled", "Personal"]
    session_host_count: int
    vm_size: str
    max_sessions_per_host: int
    image_version_id: str
    users_with_access: list[SpotGroupUser]
    users_without_access: list[SpotGroupUser]
    ceiling: int | None = None  # with scaling: the most hosts the group may have
    base_hosts: int | None = None  # with scaling: the hosts that always exist
