"""NCRONTAB parsing and next occurrences (six fields, seconds first, UTC)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from devhost.ncrontab import (
    CronSchedule,
    IntervalSchedule,
    ScheduleError,
    is_frequent,
    parse_schedule,
)

START = datetime(2026, 11, 22, 10, 15, 30, tzinfo=UTC)  # a Sunday


def _next(expression: str, moment: datetime = START) -> datetime:
    return parse_schedule(expression).next_after(moment)


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("* * * * * *", START + timedelta(seconds=1)),
        ("*/15 * * * * *", START.replace(second=45)),
        ("0 */5 * * * *", START.replace(minute=20, second=0)),
        ("0 0 * * * *", START.replace(hour=11, minute=0, second=0)),
        ("0 30 9 * * *", datetime(2026, 11, 23, 9, 30, tzinfo=UTC)),
        ("0 0 9-17 * * MON-FRI", datetime(2026, 11, 23, 9, 0, tzinfo=UTC)),
        ("0 0 12 * * 1,3,5", datetime(2026, 11, 23, 12, 0, tzinfo=UTC)),
        ("0 0 0 1 JAN *", datetime(2027, 1, 1, tzinfo=UTC)),
        ("0 0 0 * * Sunday", datetime(2026, 11, 29, tzinfo=UTC)),
        ("0 0 0 * * 7", datetime(2026, 11, 29, tzinfo=UTC)),
        ("10/20 * * * * *", START.replace(second=50)),
        ("0 0 0 29 2 *", datetime(2028, 2, 29, tzinfo=UTC)),
        ("0 0 0 13 * FRI", datetime(2027, 8, 13, tzinfo=UTC)),  # NCrontab: day AND weekday
        ("5 * * * *", START.replace(hour=11, minute=5, second=0)),  # five fields: seconds are 0
    ],
)
def test_next_occurrence(expression: str, expected: datetime) -> None:
    assert _next(expression) == expected


def test_interval_schedule() -> None:
    schedule = parse_schedule("00:00:30")
    assert isinstance(schedule, IntervalSchedule)
    assert schedule.next_after(START) == START + timedelta(seconds=30)


@pytest.mark.parametrize(
    "expression",
    [
        "* * * * *  * *",
        "61 * * * * *",
        "* * * * 13 *",
        "* * * * * FOO",
        "*/0 * * * * *",
        "5-1 * * * * *",
        "0 0 0 30 2 *",
    ],
)
def test_invalid_schedules(expression: str) -> None:
    with pytest.raises(ScheduleError):
        _next(expression)


def test_frequent_schedules_skip_the_monitor() -> None:
    assert is_frequent(CronSchedule.parse("*/10 * * * * *"), START)
    assert not is_frequent(CronSchedule.parse("0 */5 * * * *"), START)
