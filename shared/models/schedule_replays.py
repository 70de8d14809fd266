"""A schedule tried before it is saved: the proposed schedule with an optional load curve, and the replay's figures."""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import pairwise
from typing import Literal

from pydantic import AwareDatetime, Field, model_validator

from shared.models.base import ApiModel, InputModel
from shared.models.host_scaling import MAX_LICENSES, HostScaling
from shared.models.spot_schedules import FieldError, SpotGroupSchedule, refuse_fields

REPLAY_SPAN = timedelta(days=14)  # as far back as sessions are recorded, and as long as a curve may run
CURVE_STEP = timedelta(minutes=5)  # the finest a curve needs to be: the optimization runs every 5 minutes
MAX_LOAD_POINTS = REPLAY_SPAN // CURVE_STEP + 1
MAX_SESSIONS = MAX_LICENSES * 50  # the most hosts a group has, each with the most sessions a host takes


class LoadPoint(InputModel):
    """Users signed in from dateTime until the next point."""

    date_time: AwareDatetime
    sessions: int = Field(ge=0, le=MAX_SESSIONS)


class ScheduleTrial(SpotGroupSchedule):
    """A proposed schedule, replayed against loadCurve, or without one against the group's recorded sessions of the
    last 14 days; with scaling, the base, buffer, ceiling and delay proposed for the group's hosts (left out: the
    group's own, if it scales)."""

    scaling: HostScaling | None = None
    load_curve: list[LoadPoint] | None = Field(default=None, min_length=1, max_length=MAX_LOAD_POINTS)

    @model_validator(mode="after")
    def _curve_in_order_and_at_most_two_weeks(self) -> ScheduleTrial:
        points = self.load_curve or []
        errors: list[FieldError] = []
        for i, (before, point) in enumerate(pairwise(points), start=1):
            if point.date_time <= before.date_time:
                errors.append(
                    (
                        ("loadCurve", i, "dateTime"),
                        "notInOrder",
                        "must be after the point before it",
                        point.date_time.isoformat(),
                    )
                )
        if points and not errors and points[-1].date_time - points[0].date_time > REPLAY_SPAN:
            last = points[-1].date_time.isoformat()
            errors.append(
                (
                    ("loadCurve", len(points) - 1, "dateTime"),
                    "curveTooLong",
                    "a curve runs 14 days at most from its first point",
                    last,
                )
            )
        refuse_fields("ScheduleTrial", errors)
        return self

    def schedule(self) -> SpotGroupSchedule:
        return SpotGroupSchedule.model_validate(self.model_dump(exclude={"load_curve", "scaling"}))


class ReplayFigures(ApiModel):
    host_hours: float = Field(description="Hours the hosts ran, added up (a host being made runs).")
    disk_hours: float = Field(
        description="Hours the hosts existed, added up, running or not: each keeps its OS disk while it exists. A "
        "fixed set of hosts: the hosts times the span."
    )
    peak_hosts_running: int
    failed_sign_ins: int = Field(description="Sign-ins that found no host taking a session (tried every 5 minutes).")
    hosts_created: int = Field(description="Hosts the group's scaling made (0 for a fixed set of hosts).")
    hosts_deleted: int = Field(description="Hosts the group's scaling deleted, unneeded past its delay.")


class ReplayHour(ApiModel):
    start: datetime = Field(description="The hour (UTC) the figures are of.")
    peak_sessions: int = Field(description="The most users the curve has signed in during the hour.")
    proposed: ReplayFigures
    current: ReplayFigures


class ScheduleReplay(ApiModel):
    """The proposed schedule and the current one replayed over the same load: in total and hour by hour."""

    source: Literal["loadCurve", "recordedSessions"]
    from_date_time: datetime
    to_date_time: datetime  # the end of the last 5-minute step
    session_hosts: int
    max_sessions_per_host: int
    step_minutes: int
    start_delay_minutes: int
    create_delay_minutes: int = Field(description="How long a host made takes before it takes sessions.")
    current_is_default: bool
    proposed: ReplayFigures
    current: ReplayFigures
    hours: list[ReplayHour]
