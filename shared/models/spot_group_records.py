"""What a pooled Spot Group keeps beside its hosts: its saved schedule, the decisions on its timeline, its load."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from shared.models.base import ApiModel
from shared.models.failures import Worded
from shared.models.spot_schedules import PhaseName, SpotGroupSchedule

# spot_schedules.Action, for the API; the host pool's load balancing set to the phase's (host: the host pool);
# a personal host hibernated while its user is away (personal_power.py); an admin's cancel of an image update,
# once its run ended (host: the host pool); a host made or deleted as a scaling group's load asks (host_scaling.py);
# a Spot host Azure evicts (its users told, a replacement made); an unhealthy host drained and replaced (pooled), or
# repaired in place (personal: restarted, its agent reinstalled)
DecisionAction = Literal[
    "start", "deallocate", "drain", "notify", "logOff", "balanceLoad", "hibernate", "cancelImageUpdate", "create",
    "delete", "evict", "heal", "repair",
]
# done: Azure took it (a power action is followed to its end: host_power.py); failed: Azure refused it, or failed it
# when it ended (error says why), and the next run decides again
DecisionOutcome = Literal["done", "failed"]


class SavedSchedule(SpotGroupSchedule):
    """A Spot Group's schedule as read: the saved one, or the default (isDefault) while none is saved."""

    tenant_id: str
    spot_group_id: str
    is_default: bool = False
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
