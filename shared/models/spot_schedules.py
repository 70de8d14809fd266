"""A pooled Spot Group's schedule: weekday sets of four phases, exception days and pre-staging, as AVD scaling plans."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from itertools import pairwise
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
    ValidationError,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from shared.models.base import Description, DisplayName, InputModel
from shared.models.json_schema import JsonSchemaKeywords, ecma_pattern

Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
WEEKDAYS: tuple[Weekday, ...] = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
PhaseName = Literal["rampUp", "peak", "rampDown", "offPeak"]
PHASES: tuple[PhaseName, ...] = ("rampUp", "peak", "rampDown", "offPeak")  # in the order of a day
LoadBalancing = Literal["breadthFirst", "depthFirst"]
LogOffPolicy = Literal["waitForSignOut", "notifyThenLogOff"]
HH_MM = re.compile(r"^(?:[01][0-9]|2[0-3]):[0-5][0-9]$")
ZONE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_+-]*(?:/[A-Za-z0-9_+-]+){0,2}$")
# files of a zoneinfo folder that are no zone a schedule can be in: the server's own zone and tzcode's placeholders
NOT_ZONES = {"localtime", "posixrules", "Factory"}
MAX_EXCEPTIONS = 100


def _clock_time(value: object) -> dt.time:
    if not (isinstance(value, str) and HH_MM.match(value)):
        raise PydanticCustomError("invalidTime", "must be a local time HH:MM, such as 07:30")
    return dt.time.fromisoformat(value)


def _zone(value: str) -> str:
    try:
        if ZONE_NAME.match(value) and value not in NOT_ZONES:
            ZoneInfo(value)
            return value
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a folder of zones, such as "Europe"
        pass
    raise PydanticCustomError("unknownTimeZone", "must be an IANA time zone such as Europe/Amsterdam")


ClockTime = Annotated[
    dt.time,
    BeforeValidator(_clock_time),
    PlainSerializer(lambda value: value.strftime("%H:%M"), return_type=str),
    WithJsonSchema({"type": "string", "pattern": ecma_pattern(HH_MM), "description": "A local time, HH:MM."}),
]


def _zone_names() -> list[str]:
    """The zones `_zone` takes, as the server's tz database has them: the document's enum, so generated requests
    name real zones."""
    return sorted(name for name in available_timezones() if ZONE_NAME.match(name) and name not in NOT_ZONES)


TimeZoneName = Annotated[
    str,
    StringConstraints(max_length=64),
    AfterValidator(_zone),
    JsonSchemaKeywords("TimeZoneName", enum=_zone_names, description="An IANA time zone, e.g. Europe/Amsterdam."),
]
Message = Annotated[Description, StringConstraints(min_length=1)]
FieldError = tuple[tuple[str | int, ...], str, str, object]  # location below the model, code, message, input


def refuse_fields(title: str, errors: Iterable[FieldError]) -> None:
    """Raise the errors as one ValidationError, each at its own field: pydantic puts the model's location in
    front, so the API answers one detail per field (a PydanticCustomError would name the whole model)."""
    details = [
        InitErrorDetails(type=PydanticCustomError(code, message), loc=loc, input=value)
        for loc, code, message, value in errors
    ]
    if details:
        raise ValidationError.from_exception_data(title, details)


class Phase(InputModel):
    """From `start` (local time) until the next phase starts. The running hosts are at least minimumHostsPercent of
    the group's; the next host starts when the sessions reach capacityThresholdPercent of the running hosts'
    capacity (so one runs at least, for the next user to sign in); bufferPercent of the hosts (rounded up) are kept
    running beyond those the sessions fill."""

    start: ClockTime
    load_balancing: LoadBalancing = "breadthFirst"
    minimum_hosts_percent: int = Field(ge=0, le=100)
    capacity_threshold_percent: int = Field(ge=1, le=100)
    buffer_percent: int = Field(default=0, ge=0, le=100)


class OffPeakPhase(Phase):
    load_balancing: LoadBalancing = "depthFirst"  # users packed on few hosts, so the others can go


class LogOff(InputModel):
    """What ramp-down does with the users of a host it drains: waits for them to sign out, or notifies them and
    logs them off delayMinutes later."""

    model_config = ConfigDict(
        json_schema_extra={
            "if": {"properties": {"policy": {"const": "notifyThenLogOff"}}, "required": ["policy"]},
            # given, and not null: null is what the other policies take
            "then": {
                "required": ["delayMinutes", "message"],
                "properties": {"delayMinutes": {"type": "integer"}, "message": {"type": "string"}},
            },
            "else": {"properties": {"delayMinutes": {"type": "null"}, "message": {"type": "null"}}},
        }
    )

    policy: LogOffPolicy = "waitForSignOut"
    delay_minutes: int | None = Field(default=None, ge=1, le=1440)
    message: Message | None = None

    @model_validator(mode="after")
    def _fields_of_the_policy(self) -> LogOff:
        notify = self.policy == "notifyThenLogOff"
        errors: list[FieldError] = []
        for field, value in (("delayMinutes", self.delay_minutes), ("message", self.message)):
            if notify and value is None:
                errors.append(((field,), "missing", "is required with policy notifyThenLogOff", value))
            elif not notify and value is not None:
                errors.append(((field,), "notAllowed", "is for policy notifyThenLogOff only", value))
        refuse_fields("LogOff", errors)
        return self


class RampDownPhase(OffPeakPhase):
    log_off: LogOff = Field(default_factory=LogOff)


class WeekdaySet(InputModel):
    """The days that share one day's phases: ramp-up, peak, ramp-down, then off-peak until the next ramp-up."""

    days: list[Weekday] = Field(min_length=1, max_length=7)
    ramp_up: Phase
    peak: Phase
    ramp_down: RampDownPhase
    off_peak: OffPeakPhase

    def phases(self) -> list[tuple[PhaseName, Phase]]:
        return list(zip(PHASES, (self.ramp_up, self.peak, self.ramp_down, self.off_peak), strict=True))

    def phase(self, name: PhaseName) -> Phase:
        return dict(self.phases())[name]

    @model_validator(mode="after")
    def _phases_in_order(self) -> WeekdaySet:
        errors: list[FieldError] = []
        for i, day in enumerate(self.days):
            if day in self.days[:i]:
                errors.append((("days", i), "duplicateDay", f"{day} is listed twice", day))
        for (before, earlier), (name, phase) in pairwise(self.phases()):
            if phase.start <= earlier.start:
                message = f"must be after {before}'s start ({earlier.start:%H:%M}): a day runs {', '.join(PHASES)}"
                errors.append(((name, "start"), "phasesOverlap", message, f"{phase.start:%H:%M}"))
        refuse_fields("WeekdaySet", errors)
        return self


class ScheduleException(InputModel):
    """A date (in the schedule's time zone) spent in one phase from midnight to midnight, such as a holiday."""

    date: dt.date
    phase: PhaseName = "offPeak"
    name: DisplayName | None = None


class PreStaging(InputModel):
    """hosts running from minutesBefore a ramp-up, so the first users find them started."""

    hosts: int = Field(ge=1, le=500)
    minutes_before: int = Field(ge=1, le=240)


class SpotGroupSchedule(InputModel):
    """A day in no weekday set is off-peak all day: the off-peak of the last day before it that is in one goes on.
    With no weekday set at all, every moment is off-peak under the built-in rule (OPTIMIZER_PHASE)."""

    time_zone: TimeZoneName
    weekday_sets: list[WeekdaySet] = Field(default_factory=list, max_length=7)
    exceptions: list[ScheduleException] = Field(default_factory=list, max_length=MAX_EXCEPTIONS)
    pre_staging: PreStaging | None = None

    @model_validator(mode="after")
    def _each_day_and_date_once(self) -> SpotGroupSchedule:
        errors: list[FieldError] = []
        set_of_day: dict[str, int] = {}
        for i, weekday_set in enumerate(self.weekday_sets):
            for j, day in enumerate(weekday_set.days):
                if set_of_day.setdefault(day, i) != i:
                    message = f"{day} is already in weekdaySets[{set_of_day[day]}]: a day follows one set"
                    errors.append((("weekdaySets", i, "days", j), "dayInTwoSets", message, day))
        dates: set[dt.date] = set()
        for i, exception in enumerate(self.exceptions):
            if exception.date in dates:
                errors.append(
                    (
                        ("exceptions", i, "date"),
                        "duplicateDate",
                        f"{exception.date} is listed twice",
                        str(exception.date),
                    )
                )
            dates.add(exception.date)
        refuse_fields("SpotGroupSchedule", errors)
        return self


# Today's optimizer as a phase (shared/services/spot_pc/spot_group_power.py): hosts filled breadth-first, the next
# one started once the running ones are full, 10% of the hosts (one at least) spare, no minimum
OPTIMIZER_PHASE = OffPeakPhase.model_validate(
    {
        "start": "00:00",
        "loadBalancing": "breadthFirst",
        "minimumHostsPercent": 0,
        "capacityThresholdPercent": 100,
        "bufferPercent": 10,
    }
)


def default_schedule() -> SpotGroupSchedule:
    """A Spot Group's schedule until it is given one: always OPTIMIZER_PHASE, whatever the time zone."""
    return SpotGroupSchedule(time_zone="UTC")
