"""Cloud PCs: one per (user, license), their status, the settings they were built with, their timeline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal, get_args

from pydantic import Field

from shared.models.base import ApiModel, Resource
from shared.models.cloud_pc_actions import TroubleshootResult
from shared.models.failures import CodedFailure, Explained
from shared.models.json_schema import status_subsets
from shared.models.languages import DEFAULT_LANGUAGE
from shared.models.usage import ConnectedTally

CloudPcStatus = Literal[
    "notProvisioned",
    "provisioning",
    "provisioned",
    "inGracePeriod",
    "deprovisioning",
    "failed",
    "provisionedWithWarnings",
    "resizing",
    "restoring",
    "pendingProvision",
    "movingRegion",
    "resizePendingLicense",
    "preparing",
]
# the subsets of the statuses that rules name, each once (also in the document: the portal's vocabulary.js has them)
PROVISIONED = frozenset({"provisioned", "provisionedWithWarnings"})  # the user has a working Cloud PC
# work under way that ends by itself (the app's or Windows 365's): whoever shows a Cloud PC in one reads it again
UNDER_WAY = frozenset(
    {
        "notProvisioned",
        "pendingProvision",
        "provisioning",
        "deprovisioning",
        "resizing",
        "restoring",
        "preparing",
        "movingRegion",
        "resizePendingLicense",
    }
)
# its device is in use: a clean-up leaves it alone, as a retry may be using its name again
LIVE = frozenset({"pendingProvision", "provisioning", "inGracePeriod", "resizing"}) | PROVISIONED
ATTENTION = frozenset({"failed", "inGracePeriod"})  # the admin is wanted: a failure, or a user about to lose it


class StatusDetail(CodedFailure):
    """Why a Cloud PC is where it is: the provider's code and message, with the catalogue's words."""


PowerState = Literal["running", "poweredOff"]


class BuildSettings(ApiModel):
    """What the policy said when this Cloud PC was (re)provisioned; later policy edits don't change it."""

    image_type: str
    image_id: str
    image_display_name: str
    domain_join_type: str
    on_premises_connection_id: str | None = None
    region_name: str
    subscription_id: str = ""
    resource_group: str = ""
    # the site (a region's resource group) it is built in, found once here so its VM's power records need not look
    # for it; None for a Cloud PC built before it was kept (found then by subscription and resource group)
    site_id: str | None = None
    subnet_id: str | None = None
    ad_domain_name: str | None = None
    ad_domain_username: str | None = None
    password_secret_name: str | None = None  # the connection's domain-join password, in the secret store
    organizational_unit: str | None = None
    vm_size: str
    os_disk_size_gb: int
    local_admin_enabled: bool = False
    naming_template: str
    locale: str = DEFAULT_LANGUAGE  # the Windows language and region (Cloud PCs built before it was kept: en-US)
    # made with hibernation enabled (its policy's power rules hibernate), where the size allows: only such a VM can
    # hibernate (https://learn.microsoft.com/azure/virtual-machines/hibernate-resume)
    hibernation: bool = False
    # which of its user's Cloud PCs of the policy this is (1 for the first): AVD gives a user at most one personal
    # desktop in a host pool, so the n-th goes in the policy's n-th pool of the site (desktop_brokering.host_pool_name)
    desktop_slot: int = 1


class CloudPc(Resource):
    tenant_id: str
    display_name: str
    managed_device_name: str | None = None
    user_id: str
    user_principal_name: str
    service_plan_id: str
    service_plan_name: str
    slot_index: int = Field(default=0, description="Which of the user's licenses of this plan it serves (0-based).")
    provisioning_policy_id: str
    provisioning_policy_name: str
    target_group_id: str | None = None
    image_display_name: str | None = None
    status: CloudPcStatus = Field(
        default="pendingProvision",
        json_schema_extra=status_subsets(
            get_args(CloudPcStatus), provisioned=PROVISIONED, underWay=UNDER_WAY, live=LIVE, attention=ATTENTION
        ),
    )
    status_detail: StatusDetail | None = None
    grace_period_end_date_time: datetime | None = None
    status_before: CloudPcStatus | None = Field(
        default=None, description="The status a grace period or a resize returns to when it ends."
    )
    provisioned_date_time: datetime | None = None
    power_state: PowerState | None = Field(
        default=None, description="running or poweredOff as the app last left its VM; absent when not known."
    )
    last_connected_date_time: datetime | None = Field(
        default=None,
        description="When its user was last seen connected to it; absent: never, as far as the app has seen.",
    )
    user_away_since: datetime | None = Field(
        default=None,
        description="Since when its user has been seen disconnected or signed out while it runs (its policy's power "
        "rules count from this); absent while they are connected or it is asleep.",
    )
    connected_today: ConnectedTally | None = Field(
        default=None,
        description="The azure backend's use watch: its user's connected time on the day it last counted, and that "
        "count's time (the usage API reports the days).",
    )
    reclaim_announced_date_time: datetime | None = Field(
        default=None,
        description="When the tenant's reclaim rule announced it unused: it enters its grace period the rule's days "
        "later unless its user connects first; absent when not announced.",
    )
    run: int = Field(default=1, description="Bumped by retry and reprovision: the orchestration run that owns it.")
    attempt: int = 0
    generation: int = Field(default=1, description="Bumped by reprovision: each generation gets new resources.")
    build: BuildSettings | None = None
    virtual_machine_id: str | None = None
    network_interface_id: str | None = None
    warnings: list[str] = []
    last_request_id: str | None = Field(
        default=None, description="The request (an action's or a bulk action's) that last changed it."
    )
    resize_from_service_plan_id: str | None = Field(default=None, description="While resizing: the plan it leaves.")
    last_troubleshoot_result: TroubleshootResult | None = None
    recheck_when_settled: bool = Field(
        default=False, description="Targeting changed while it was provisioning: reconcile its user once it settles."
    )
    windows365_id: str | None = Field(
        default=None, description="Its id in Windows 365, for a Cloud PC Windows 365 provisions (and this app mirrors)."
    )
    windows365_status: str | None = Field(
        default=None,
        description="The status Windows 365 last reported, in its words: also one this app does not know yet, while "
        "`status` keeps the last one it knows and the Cloud PC is taken as in progress.",
    )


class CloudPcEvent(Explained):
    """One line of a Cloud PC's timeline: a stage/step of an attempt, or a lifecycle milestone."""

    id: str
    cloud_pc_id: str
    date_time: datetime
    kind: Literal["milestone", "step"]
    name: str  # the step (createVm, ...) or milestone (provisioningStarted, attemptFailed, provisioned, ...)
    stage: Literal["core", "postProvisioning", "assignment", "lifecycle"] = "lifecycle"
    outcome: Literal["running", "succeeded", "failed", "warning", "info"] = "info"
    run: int = 1
    generation: int = 1
    attempt: int = 0
    start_date_time: datetime | None = None
    end_date_time: datetime | None = None
    code: str | None = None
    message: str | None = None


class RestorePoint(ApiModel):
    """A restore point Windows 365 took of one of its Cloud PCs (Graph's cloudPcSnapshot)."""

    id: str
    created_date_time: datetime
    snapshot_type: str  # automatic | manual (Graph may add members)
    status: str
    expiration_date_time: datetime | None = None
    last_restored_date_time: datetime | None = None


class RestorePointList(ApiModel):
    value: list[RestorePoint]


class CloudPcLaunchInfo(ApiModel):
    """Where a Cloud PC's user connects to it, on either backend."""

    cloud_pc_id: str
    feed_url: str = Field(
        description="Where the Windows App and the Remote Desktop clients subscribe to the user's feed, which lists "
        "this Cloud PC."
    )
    web_client_url: str = Field(description="Where the user connects from a browser.")
    host_pool_id: str | None = Field(
        description="The Azure Virtual Desktop personal host pool the Cloud PC is a session host of (an Azure "
        "resource id); null where Windows 365 hosts it."
    )
    workspace_id: str | None = Field(
        description="The host pool's workspace (an Azure resource id); null where Windows 365 hosts it."
    )
    application_group_id: str | None = Field(
        description="The host pool's desktop application group, which assigns the desktop to its user (an Azure "
        "resource id); null where Windows 365 hosts it."
    )
    starts_on_connect: bool = Field(
        description="Whether the user's connection starts the Cloud PC when it is asleep or powered off (Azure "
        "Virtual Desktop's Start VM on Connect, on in the host pool of every Cloud PC the app provisions itself; it "
        "works once Azure Virtual Desktop holds the role the onboarding report lists). false for Windows 365 "
        "Enterprise Cloud PCs, which do not sleep."
    )


@dataclass(frozen=True)
class Moved:
    """A Cloud PC after a state machine's action (not yet saved) and the timeline line that records it."""

    cloud_pc: CloudPc
    event: CloudPcEvent | None
