"""NCRONTAB schedules (`sec min hour day month weekday`, UTC): when a timer fires next."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

_MONTHS = [
    "JANUARY",
    "FEBRUARY",
    "MARCH",
    "APRIL",
    "MAY",
    "JUNE",
    "JULY",
    "AUGUST",
    "SEPTEMBER",
    "OCTOBER",
    "NOVEMBER",
    "DECEMBER",
]
_DAYS = ["SUNDAY", "MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY"]
# (low, high, names whose index + low is the value)
_FIELDS = [(0, 59, None), (0, 59, None), (0, 23, None), (1, 31, None), (1, 12, _MONTHS), (0, 7, _DAYS)]


class ScheduleError(ValueError):
    """A timer schedule that is neither NCRONTAB nor a time span."""


def _value(text: str, low: int, names: list[str] | None) -> int:
    if text.isdigit():
        return int(text)
    upper = text.upper()
    if names and len(upper) >= 3:
        for index, name in enumerate(names):
            if name.startswith(upper):
                return index + low
    raise ScheduleError(f"bad schedule value {text!r}")


def _field(text: str, low: int, high: int, names: list[str] | None) -> frozenset[int]:
    values: set[int] = set()
    for item in text.split(","):
        match = re.fullmatch(r"(\*|[\w]+(?:-[\w]+)?)(?:/(\d+))?", item.strip())
        if match is None:
            raise ScheduleError(f"bad schedule field {text!r}")
        span, step_text = match.groups()
        step = int(step_text) if step_text else 1
        if step < 1:
            raise ScheduleError(f"bad step in schedule field {text!r}")
        if span == "*":
            start, stop = low, high
        elif "-" in span:
            first, last = span.split("-", 1)
            start, stop = _value(first, low, names), _value(last, low, names)
        else:
            start = _value(span, low, names)
            # "5/15" means from 5 to the top of the range in steps of 15
            stop = high if step_text else start
        if not (low <= start <= high and low <= stop <= high and start <= stop):
            raise ScheduleError(f"schedule field {text!r} is out of range {low}-{high}")
        values.update(range(start, stop + 1, step))
    return frozenset(values)


@dataclass(frozen=True)
class CronSchedule:
    """Six NCRONTAB fields; like NCrontab, a day must match both day-of-month and weekday."""

    seconds: frozenset[int]
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]

    @classmethod
    def parse(cls, expression: str) -> CronSchedule:
        parts = expression.split()
        if len(parts) == 5:  # classic five-field form: seconds are 0
            parts = ["0", *parts]
        if len(parts) != 6:
            raise ScheduleError(f"NCRONTAB needs 6 fields, got {expression!r}")
        fields = [_field(p, *spec) for p, spec in zip(parts, _FIELDS, strict=True)]
        weekdays = frozenset(d % 7 for d in fields[5])  # 7 is another Sunday
        seconds, minutes, hours, days, months, _ = fields
        return cls(seconds, minutes, hours, days, months, weekdays)

    def _day_ok(self, moment: datetime) -> bool:
        return moment.day in self.days and (moment.isoweekday() % 7) in self.weekdays

    def next_after(self, moment: datetime) -> datetime:
        """The first occurrence strictly after `moment` (same tzinfo)."""
        t = moment.replace(microsecond=0) + timedelta(seconds=1)
        limit = moment + timedelta(days=366 * 5)
        while t <= limit:
            if t.month not in self.months:
                t = (t.replace(day=1) + timedelta(days=32)).replace(day=1, hour=0, minute=0, second=0)
            elif not self._day_ok(t):
                t = (t + timedelta(days=1)).replace(hour=0, minute=0, second=0)
            elif t.hour not in self.hours:
                t = (t + timedelta(hours=1)).replace(minute=0, second=0)
            elif t.minute not in self.minutes:
                t = (t + timedelta(minutes=1)).replace(second=0)
            elif t.second not in self.seconds:
                t = t + timedelta(seconds=1)
            else:
                return t
        raise ScheduleError("schedule never fires")
