"""Spot Groups: pooled or personal session hosts on Azure Virtual Desktop, built from an image set's version."""

from __future__ import annotations

import math
import re
from datetime import datetime
from typing import Annotated, Literal, get_args

from pydantic import AfterValidator, ConfigDict, Field, StrictBool, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

from shared.models.base import ApiModel, Description, DisplayName, InputModel, Resource
from shared.models.failures import StepDetail
from shared.models.image_sets import Notes
from shared.models.images import ImageVersion
from shared.models.json_schema import JsonSchemaKeywords, ecma_pattern, omittable, status_subsets
from shared.models.policies import GroupId
from shared.models.session_policies import PersonalPower, SessionLimits
from shared.models.spot_schedules import ClockTime, FieldError, Message, TimeZoneName, Weekday, refuse_fields

UserType = Literal["pooled", "personal"]
SpotEviction = Literal["Deallocate", "Delete"]
HostPriority = Literal["Regular", "Spot"]
SpotGroupStatus = Literal["deploying", "updating", "ready", "failed", "deleting"]
HostStatus = Literal["creating", "running", "failed", "removing"]
# the subsets of the statuses that rules name, each once (also in the document: the portal's vocabulary.js has them)
GROUP_SETTLED = frozenset({"ready", "failed"})  # no work under way: the admin may change or delete it
GROUP_BUSY = frozenset({"deploying", "updating", "deleting"})  # an orchestration is at work on it
HOST_BUSY = frozenset({"creating", "removing"})  # Azure is making or removing the host
NAME = re.compile(r"^[a-z0-9](?:[a-z0-9-]{1,22}[a-z0-9])$")
# \\server\share or \\server\share\folder: where FSLogix keeps the users' profile containers
PROFILE_PATH = re.compile(r"^\\\\[A-Za-z0-9.-]{1,253}(?:\\[^\\/:*?\"<>|\x00-\x1f]{1,255}){1,20}$")
VM_SIZE = re.compile(r"^Standard_[A-Za-z0-9_]{2,40}$")
MAX_LICENSES = 500
DEFAULT_SESSIONS = 6  # the Spot PC documentation's example threshold: the next host starts at 6 sessions
EVICTION_MESSAGE = (
    "Azure is taking this desktop back: save your work now, it closes in 30 seconds. Sign in again to continue on "
    "another one."
)
DEFAULT_VM_SIZES = {"pooled": "Standard_D4s_v5", "personal": "Standard_D2s_v5"}  # when none is asked for
HOST_DISK_GB = 128  # each host's OS disk, as it is made and billed (and a pooled seat's share is priced)


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


# Sizes Azure runs no Spot VM on: the B-series and every Promo size ("Use Azure Spot Virtual Machines", Limitations,
# https://learn.microsoft.com/azure/virtual-machines/spot-vms); Azure refuses them AzureSpotIsNotSupportedForThisVMSize
SPOT_UNSUPPORTED = re.compile(r"^Standard_B\d|_Promo$", re.IGNORECASE)


def spot_supported(vm_size: str) -> bool:
    return SPOT_UNSUPPORTED.search(vm_size) is None


def license_bound(license_count: int, max_sessions_per_host: int) -> int:
    """Enough hosts for every licensed user at the session limit: a group never needs more."""
    return math.ceil(license_count / max_sessions_per_host)


class HostScaling(InputModel):
    """A pooled group's hosts made and deleted as the load asks, not a fixed set. baseHosts always exist; beyond
    them the optimization makes hosts when the schedule wants more running than exist or the sessions in use and
    bufferSessions free ones need more, never above maxHosts (the ceiling; left out, the licenses at the sessions
    per host), and deletes a host deallocated or drained with no session for deleteAfterMinutes, never below the
    base. spotSharePercent of the hosts above the base run on Azure Spot VMs, at a fraction of the price, which
    Azure may take back (evict) when it needs the capacity: spotEvictionPolicy says whether an evicted VM is kept
    deallocated or deleted, and spotMaxPrice (US dollars an hour) whether Azure also evicts it once its price rises
    above that (left out: never for price, up to the on-demand price). A Spot host Azure evicts is drained at once,
    each user on it is shown evictionMessage (Azure gives 30 seconds' notice), and a replacement is made."""

    base_hosts: int = Field(default=1, ge=0, le=MAX_LICENSES)
    buffer_sessions: int = Field(default=0, ge=0, le=1000)
    max_hosts: int | None = Field(default=None, ge=1, le=MAX_LICENSES)
    delete_after_minutes: int = Field(default=30, ge=5, le=1440)
    spot_share_percent: int = Field(default=0, ge=0, le=100)
    spot_eviction_policy: SpotEviction = "Deallocate"
    spot_max_price: float | None = Field(default=None, ge=0)  # None: Azure's -1, evicted for capacity only
    eviction_message: Message = EVICTION_MESSAGE

    def ceiling(self, license_count: int, max_sessions_per_host: int) -> int:
        """The most hosts the group may have: maxHosts, or the licenses at the sessions per host."""
        bound = license_bound(license_count, max_sessions_per_host)
        return bound if self.max_hosts is None else min(self.max_hosts, bound)

    def refusals(self, license_count: int, max_sessions_per_host: int, vm_size: str) -> list[FieldError]:
        """What the group's licenses and size refuse (located under `scaling`): a ceiling above them, a base above
        it, a Spot share on a size without Spot."""
        bound = license_bound(license_count, max_sessions_per_host)
        ceiling = self.ceiling(license_count, max_sessions_per_host)
        errors: list[FieldError] = []
        if self.max_hosts is not None and self.max_hosts > bound:
            errors.append((("scaling", "maxHosts"), "aboveLicenses", f"must be at most {bound}: {license_count} "
                           f"licenses at {max_sessions_per_host} sessions per host fill no more hosts (the license "
                           "count is the cap)", self.max_hosts))  # fmt: skip
        if self.base_hosts > ceiling:
            errors.append((("scaling", "baseHosts"), "baseAboveCeiling", f"must be at most the ceiling, {ceiling} "
                           "hosts (maxHosts, or the licenses at the sessions per host)", self.base_hosts))  # fmt: skip
        if self.spot_share_percent > 0 and not spot_supported(vm_size):
            message = f"must be 0: Azure runs no Spot VM of size {vm_size} (B-series and Promo sizes)"
            share = self.spot_share_percent
            errors.append((("scaling", "spotSharePercent"), "spotNotSupportedForSize", message, share))
        return errors

    def refusals_for_personal(self) -> list[FieldError]:
        """Each field given refused (or `scaling` itself, given empty): a personal group has no scaling."""
        message = "scaling and Spot VMs are for pooled groups; a personal host is one user's desktop"
        given = [name for name in type(self).model_fields if name in self.model_fields_set]
        if not given:
            return [(("scaling",), "notAllowed", message, {})]
        return [(("scaling", type(self).model_fields[name].alias or name), "notAllowed", message,
                 getattr(self, name)) for name in given]  # fmt: skip


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
    license_count: int = Field(ge=1, le=MAX_LICENSES)
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
    max_sessions_per_host: int | None = Field(
        default=None, ge=1, le=50, json_schema_extra={"x-default-by-user-type": {"pooled": DEFAULT_SESSIONS}}
    )
    session_limits: SessionLimits | None = None
    personal_power: PersonalPower | None = None
    scaling: HostScaling | None = None  # None: a fixed set of hosts, enough for every licensed user

    @field_validator("personal_power")
    @classmethod
    def _power_for_personal_only(cls, value: PersonalPower | None, info: ValidationInfo) -> PersonalPower | None:
        if value is not None and info.data.get("user_type") == "pooled":
            raise PydanticCustomError("notAllowed", "personalPower is for personal groups: pooled hosts are "
                                      "started and stopped by the optimization")  # fmt: skip
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
            refuse_fields("SpotGroupCreate", scaling.refusals_for_personal() if personal
                          else scaling.refusals(self.license_count, sessions,
                                                self.vm_size or DEFAULT_VM_SIZES[self.user_type]))  # fmt: skip
        return self


# a day's window closes an hour at least before the next day's opens (a daylight-saving day takes an hour of the
# two), so windows never run into each other
MAX_WINDOW_MINUTES = 22 * 60


class MaintenanceWindow(InputModel):
    """When an image update may drain hosts: from startTime (local time in timeZone) on each of daysOfWeek, for
    durationMinutes of elapsed time; a window may run past midnight into the next day."""

    days_of_week: list[Weekday] = Field(min_length=1, max_length=7, json_schema_extra={"uniqueItems": True})
    start_time: ClockTime
    duration_minutes: int = Field(ge=30, le=MAX_WINDOW_MINUTES)
    time_zone: TimeZoneName

    @model_validator(mode="after")
    def _each_day_once(self) -> MaintenanceWindow:
        days = self.days_of_week
        errors: list[FieldError] = [(("daysOfWeek", i), "duplicateDay", f"{day} is listed twice", day)
                                    for i, day in enumerate(days) if day in days[:i]]  # fmt: skip
        refuse_fields("MaintenanceWindow", errors)
        return self


class Rollout(InputModel):
    """How an image update replaces hosts: the canary first (all of it back on the old image if one fails), then
    maxUnavailable at a time; each host is drained and its users have drainTimeoutMinutes to sign out.

    With a maintenanceWindow, a host is drained only inside it, and only where its users' drainTimeoutMinutes end
    inside it too; users on a host are told notifyMinutesBefore ahead (0: no message), before the window opens if
    need be. A host reached inside a window with no warning yet is warned, drained notifyMinutesBefore later, and
    its users logged off drainTimeoutMinutes after that: so the window must be at least notifyMinutesBefore +
    drainTimeoutMinutes long, or a host reached as it opens could never be drained in it. Without a window hosts
    are drained as they are reached, with no message."""

    canary_count: int = Field(default=1, ge=0, le=10)
    max_unavailable: int = Field(default=1, ge=1, le=50)
    drain_timeout_minutes: int = Field(default=60, ge=0, le=1440)
    notify_minutes_before: int = Field(default=15, ge=0, le=240)
    maintenance_window: MaintenanceWindow | None = None

    @model_validator(mode="after")
    def _drain_fits_the_window(self) -> Rollout:
        window, delay = self.maintenance_window, self.notify_minutes_before + self.drain_timeout_minutes
        if window is not None and window.duration_minutes < delay:
            message = (f"must be at least notifyMinutesBefore + drainTimeoutMinutes ({self.notify_minutes_before} + "
                       f"{self.drain_timeout_minutes} = {delay}): a host's users are told, drained and logged off "
                       "inside the window")  # fmt: skip
            refuse_fields("Rollout", [(("maintenanceWindow", "durationMinutes"), "windowShorterThanDrain", message,
                                       window.duration_minutes)])  # fmt: skip
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
# waitingForWindow: the hosts left wait for the rollout's next maintenance window
# cancelling: the admin cancelled it; the hosts being replaced finish, the others stay, then it is cancelled
ImageUpdateStatus = Literal[
    "running", "waitingForWindow", "cancelling", "succeeded", "failed", "rolledBack", "cancelled"
]
UPDATE_RUNNING = frozenset({"running", "waitingForWindow"})  # it drains hosts as their turns come: it may be cancelled
UPDATE_UNDER_WAY = UPDATE_RUNNING | {"cancelling"}  # not yet ended


class ImageUpdate(Resource):
    """A rolling image update of a Spot Group; replaced and remaining are counted from its hosts when read."""

    tenant_id: str
    spot_group_id: str
    from_version: str
    to_version: str
    from_image_version_id: str
    to_image_version_id: str
    status: ImageUpdateStatus = Field(
        default="running",
        json_schema_extra=status_subsets(
            get_args(ImageUpdateStatus), running=UPDATE_RUNNING, underWay=UPDATE_UNDER_WAY
        ),
    )
    rollout: Rollout
    canary: list[str]  # the hosts replaced first
    replaced: int = 0
    remaining: int = 0
    status_detail: StepDetail | None = None
    next_window_date_time: datetime | None = Field(
        default=None, description="While waitingForWindow: when the maintenance window its hosts wait for opens."
    )


class ImageUpdateList(ApiModel):
    value: list[ImageUpdate]


class SessionHostCounts(ApiModel):
    total: int = 0
    running: int = 0
    stopped: int = 0
    draining: int = 0
    failed: int = 0


class SessionHost(ApiModel):
    """A session host as the app keeps it; status and sessions are read live from the host pool when listed."""

    name: str  # the VM's name, which is also its computer name
    index: int
    status: HostStatus = Field(
        default="creating", json_schema_extra=status_subsets(get_args(HostStatus), busy=HOST_BUSY)
    )
    power_state: str = "unknown"
    image_version: str
    profile_path: str | None = None  # the profile path it was configured with
    session_limits: SessionLimits | None = None  # the session time limits it was configured with
    user_away_since: datetime | None = Field(
        default=None, description="When the optimization first saw this personal host's user disconnected or "
        "signed out (Azure Virtual Desktop keeps no such time); cleared once they are active again.",
    )  # fmt: skip
    assigned_user_id: str | None = None
    session_count: int = 0
    allow_new_session: bool = True
    status_detail: StepDetail | None = None
    # the hours it ran, which the cost view reads: each run from its start to its deallocation (or its VM's delete)
    running_since: datetime | None = None  # when its VM started (None: not running)
    hours_accumulated: float = 0.0  # the runs that ended
    hours_run: float | None = None  # in a list only: hoursAccumulated and the current run up to now; never stored
    drained_at: datetime | None = None  # when its group's schedule drained it (None: the schedule did not)
    notified_at: datetime | None = None  # when its users were told they are to be logged off
    priority: HostPriority = "Regular"  # Spot: an Azure Spot VM, which Azure may evict
    # its VM's system-assigned identity (object id): a token's `oid` when its eviction watcher calls the app
    principal_id: str | None = None
    unneeded_since: datetime | None = Field(
        default=None, description="When the optimization first found this host unneeded (deallocated, or drained "
        "with no session); cleared once it is needed again. A group with scaling deletes it after deleteAfterMinutes.",
    )  # fmt: skip
    spot_refused: bool = Field(
        default=False, description="Made on demand because Azure had no Spot capacity or the Spot quota no room; "
        "tried as Spot again when it is next replaced.",
    )  # fmt: skip
    unhealthy_since: datetime | None = Field(
        default=None, description="When the optimization first found this host unhealthy while it should take "
        "sessions (its agent not Available, or the host gone from its pool); cleared once it is healthy again. A "
        "pooled host unhealthy for 15 minutes is drained, its users told, and replaced; a personal one is repaired.",
    )  # fmt: skip
    repairs: int = Field(
        default=0, description="A personal host's repairs while it stays unhealthy: 1 restarted, 2 its agent "
        "installed again; after both, it is replaced only with its user's consent (POST .../replace).",
    )  # fmt: skip
    replaces_eviction: str | None = Field(
        default=None, description="The eviction (its Scheduled Events EventId) this host was made to replace.",
    )  # fmt: skip

    @property
    def running(self) -> bool:
        """Deployed, and its VM running as the pool last said."""
        return self.status == "running" and self.power_state == "running"


class HostReplacement(InputModel):
    """A personal host rebuilt from its group's image, with its user's consent: their desktop's disk goes with it."""

    user_consented: StrictBool = Field(description="The host's user agreed to the replacement (required to be true).")
    reason: str | None = Field(default=None, max_length=500, description="Why, for the timeline (e.g. the ticket).")


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
        default=None, description="When Azure last refused one of its Spot hosts for want of Spot capacity or Spot "
        "quota (a create or a start); cleared once a Spot host is made. Meanwhile new hosts in Spot places are made "
        "on demand, and Spot is tried again an hour after the refusal.",
    )  # fmt: skip


class SessionHostList(ApiModel):
    value: list[SessionHost]


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
