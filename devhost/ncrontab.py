"""Timer schedules: NCRONTAB (shared/schedules.py, which the app reads too) and `hh:mm:ss` intervals."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from devhost.settings import parse_timespan
from shared.schedules import CronSchedule, ScheduleError

__all__ = ["CronSchedule", "IntervalSchedule", "Schedule", "ScheduleError", "is_frequent", "parse_schedule"]


@dataclass(frozen=True)
class IntervalSchedule:
    """A constant period (`hh:mm:ss`), counted from the previous occurrence."""

    period: timedelta

    def next_after(self, moment: datetime) -> datetime:
        return moment + self.period


Schedule = CronSchedule | IntervalSchedule


def parse_schedule(expression: str) -> Schedule:
    text = expression.strip()
    if re.fullmatch(r"(\d+\.)?\d{1,2}:\d{1,2}(:\d{1,2})?", text):
        period = timedelta(seconds=parse_timespan(text))
        if period <= timedelta(0):
            raise ScheduleError(f"interval schedule must be positive: {expression!r}")
        return IntervalSchedule(period)
    return CronSchedule.parse(text)


def is_frequent(schedule: Schedule, now: datetime) -> bool:
    """True when occurrences are under a minute apart (the host then skips the schedule monitor)."""
    first = schedule.next_after(now)
    return schedule.next_after(first) - first < timedelta(minutes=1)
