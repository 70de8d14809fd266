"""A Spot Group's rolling image updates: the rollout asked for, its maintenance window, and the update as it runs."""

from __future__ import annotations

from datetime import datetime
from typing import Literal, get_args

from pydantic import Field, model_validator

from shared.models.base import ApiModel, InputModel, Resource
from shared.models.failures import StepDetail
from shared.models.json_schema import status_subsets
from shared.models.spot_schedules import ClockTime, FieldError, TimeZoneName, Weekday, refuse_fields

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
        errors: list[FieldError] = [
            (("daysOfWeek", i), "duplicateDay", f"{day} is listed twice", day)
            for i, day in enumerate(days)
            if day in days[:i]
        ]
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
            message = (
                f"must be at least notifyMinutesBefore + drainTimeoutMinutes ({self.notify_minutes_before} + "
                f"{self.drain_timeout_minutes} = {delay}): a host's users are told, drained and logged off "
                "inside the window"
            )
            refuse_fields(
                "Rollout",
                [
                    (
                        ("maintenanceWindow", "durationMinutes"),
                        "windowShorterThanDrain",
                        message,
                        window.duration_minutes,
                    )
                ],
            )
        return self


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
