"""What a pooled Spot Group keeps beside its hosts: schedule, timeline, load, evictions (and the notice of one)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StringConstraints
from pydantic.alias_generators import to_pascal

from shared.models.base import ApiModel
from shared.models.failures import Worded
from shared.models.spot_schedules import PhaseName, SpotGroupSchedule

# spot_schedules.Action, for the API; the host pool's load balancing set to the phase's (host: the host pool);
# a personal host hibernated while its user is away (personal_power.py); an admin's cancel of an image update,
# once its run ended (host: the host pool); a host made or deleted as a scaling group's load asks (host_scaling.py);
# a Spot host Azure evicts (its users told, a replacement made); an unhealthy host drained and replaced (pooled), or
# repaired in place (personal: restarted, its agent reinstalled)
DecisionAction = Literal[
    "start",
    "deallocate",
    "drain",
    "notify",
    "logOff",
    "balanceLoad",
    "hibernate",
    "cancelImageUpdate",
    "create",
    "delete",
    "evict",
    "heal",
    "repair",
]
# done: Azure took it (a power action is followed to its end: host_power.py); failed: Azure refused it, or failed it
# when it ended (error says why), and the next run decides again
DecisionOutcome = Literal["done", "failed"]


class SavedSchedule(SpotGroupSchedule):
    """A Spot Group's schedule as read: the saved one, or the default (isDefault) while none is saved."""

    tenant_id: str
    spot_group_id: str
    is_default: StrictBool = False
    last_modified_date_time: datetime | None = None  # None: the default, never saved
    etag: str | None = Field(default=None, description="Pass back in If-Match to update safely.")


class SpotGroupEvent(Worded):
    """A line of a Spot Group's timeline: one decision of the schedule's rule (or, in a personal group, of its
    personal power), what was done, and why."""

    id: str = Field(description="The run's 5-minute slot, the host and the action: a repeated run writes it again.")
    date_time: datetime
    host: str
    action: DecisionAction
    phase: PhaseName | None = None  # the schedule's phase; none for a personal group's
    reason: str
    outcome: DecisionOutcome
    error: str | None = None  # a failed one: Azure's error code

    def _failure_code(self) -> str | None:
        return self.error


class LoadSample(ApiModel):
    """What the optimization found at one of its runs: the sessions on the group's hosts and the hosts running."""

    date_time: datetime
    sessions: int
    running_hosts: int


class HostEviction(ApiModel):
    """A Spot host Azure evicted, as the app heard of it from the host's Scheduled Events: when the notice came and
    when Azure takes the VM, who was on it and how many were told, and the replacement with how long it took to
    take sessions (null until it has)."""

    id: str = Field(description="The Preempt event's EventId: one record per eviction, however often it is posted.")
    host: str
    policy: Literal["Deallocate", "Delete"]  # what Azure does with the VM: the group's spotEvictionPolicy
    notice_date_time: datetime  # when the app heard of it
    evicts_at_date_time: datetime  # the event's NotBefore
    users: list[str] = Field(default_factory=list, description="The user principal names signed in on the host.")
    users_told: int = 0  # how many of their sessions were shown the group's evictionMessage
    replacement_host: str | None = None
    replacement_took_sessions_date_time: datetime | None = None
    seconds_to_replacement: float | None = None  # from the notice to the replacement taking sessions


class HostEvictions(ApiModel):
    value: list[HostEviction]


class ScheduledEvent(BaseModel):
    """One event of Azure's Scheduled Events document, in its own field names (IMDS api-version 2020-07-01)."""

    model_config = ConfigDict(alias_generator=to_pascal, populate_by_name=True, extra="ignore")

    event_id: str = Field(min_length=1, max_length=100)
    event_type: str = Field(max_length=50)  # Preempt: a Spot VM's eviction; Reboot, Redeploy, Freeze, ...
    resource_type: str = Field(default="VirtualMachine", max_length=50)
    resources: list[Annotated[str, StringConstraints(max_length=100)]] = Field(max_length=1000)  # the VMs' names
    event_status: str = Field(default="Scheduled", max_length=50)
    not_before: str = Field(default="", max_length=100)  # an RFC 1123 date; empty once the event has started


class ScheduledEvents(BaseModel):
    """The Scheduled Events document a Spot host's watcher posts, as IMDS gives it."""

    model_config = ConfigDict(alias_generator=to_pascal, populate_by_name=True, extra="ignore")

    document_incarnation: int
    events: list[ScheduledEvent] = Field(max_length=100)
