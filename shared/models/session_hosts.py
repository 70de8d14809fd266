"""A Spot Group's session hosts as the app keeps them, their counts, and a personal host's replacement."""

from __future__ import annotations

from datetime import datetime
from typing import Literal, get_args

from pydantic import Field, StrictBool

from shared.models.base import ApiModel, InputModel
from shared.models.failures import StepDetail
from shared.models.json_schema import status_subsets
from shared.models.session_policies import SessionLimits

HostPriority = Literal["Regular", "Spot"]
HostStatus = Literal["creating", "running", "failed", "removing"]
# the subset of the statuses that rules name (also in the document: the portal's vocabulary.js has it)
HOST_BUSY = frozenset({"creating", "removing"})  # Azure is making or removing the host
HOST_DISK_GB = 128  # each host's OS disk, as it is made and billed (and a pooled seat's share is priced)


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
        default=None,
        description="When the optimization first saw this personal host's user disconnected or "
        "signed out (Azure Virtual Desktop keeps no such time); cleared once they are active again.",
    )
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
        default=None,
        description="When the optimization first found this host unneeded (deallocated, or drained "
        "with no session); cleared once it is needed again. A group with scaling deletes it after deleteAfterMinutes.",
    )
    spot_refused: bool = Field(
        default=False,
        description="Made on demand because Azure had no Spot capacity or the Spot quota no room; "
        "tried as Spot again when it is next replaced.",
    )
    unhealthy_since: datetime | None = Field(
        default=None,
        description="When the optimization first found this host unhealthy while it should take "
        "sessions (its agent not Available, or the host gone from its pool); cleared once it is healthy again. A "
        "pooled host unhealthy for 15 minutes is drained, its users told, and replaced; a personal one is repaired.",
    )
    repairs: int = Field(
        default=0,
        description="A personal host's repairs while it stays unhealthy: 1 restarted, 2 its agent "
        "installed again; after both, it is replaced only with its user's consent (POST .../replace).",
    )
    replaces_eviction: str | None = Field(
        default=None,
        description="The eviction (its Scheduled Events EventId) this host was made to replace.",
    )

    @property
    def running(self) -> bool:
        """Deployed, and its VM running as the pool last said."""
        return self.status == "running" and self.power_state == "running"


class HostReplacement(InputModel):
    """A personal host rebuilt from its group's image, with its user's consent: their desktop's disk goes with it."""

    user_consented: StrictBool = Field(description="The host's user agreed to the replacement (required to be true).")
    reason: str | None = Field(default=None, max_length=500, description="Why, for the timeline (e.g. the ticket).")


class SessionHostList(ApiModel):
    value: list[SessionHost]
