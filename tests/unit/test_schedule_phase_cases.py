"""The portal's week of a schedule is the server's rule: each case's phases, day by day from midnight to midnight, as
phase_at has them (or the refusals, as the API answers them), kept in portal/test/fixtures/schedule-phases.json,
which portal/test/schedule-phases.test.mjs holds weekLayout to. A stale fixture fails here; `SCHEDULE_CASES=write`
renews it:
    SCHEDULE_CASES=write .venv/bin/python -m pytest tests/unit/test_schedule_phase_cases.py
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from shared.models.spot_schedules import WEEKDAYS, SpotGroupSchedule
from shared.models.validation import validation_details
from shared.services.spot_pc.spot_schedules import NO_SET, phase_at

FIXTURE = Path(__file__).resolve().parents[2] / "portal" / "test" / "fixtures" / "schedule-phases.json"
MONDAY = datetime(2026, 11, 2, tzinfo=UTC)  # a week in UTC: no daylight saving day, as the portal's week has none
DAY, MINUTE = timedelta(days=1), timedelta(minutes=1)
WORKDAYS = WEEKDAYS[:5]


def weekday_set(days: tuple[str, ...] | list[str], starts: str = "07:00 09:00 17:00 19:00") -> dict[str, Any]:
    ramp_up, peak, ramp_down, off_peak = starts.split()
    phase = {"minimumHostsPercent": 0, "capacityThresholdPercent": 100}
    return {
        "days": list(days),
        "rampUp": {**phase, "start": ramp_up},
        "peak": {**phase, "start": peak},
        "rampDown": {**phase, "start": ramp_down},
        "offPeak": {**phase, "start": off_peak},
    }


CASES: dict[str, list[dict[str, Any]]] = {
    "office hours on working days": [weekday_set(WORKDAYS)],
    "working days and a weekend of its own": [
        weekday_set(WORKDAYS),
        weekday_set(["saturday", "sunday"], "09:00 10:00 16:00 18:00"),
    ],
    "one day, its phases from midnight to a minute before the next": [
        weekday_set(["wednesday"], "00:00 06:00 22:00 23:59")
    ],
    "days apart: each carries its off-peak to the next in a set": [weekday_set(["monday", "thursday"])],
    "a ramp-up at midnight on the weekend only": [weekday_set(["saturday", "sunday"], "00:00 08:00 16:00 20:00")],
    "no weekday set: the built-in rule": [],
    "a day in two sets": [weekday_set(WORKDAYS), weekday_set(["friday", "saturday"])],
    "a day in two sets, twice": [weekday_set(["monday", "tuesday"]), weekday_set(WEEKDAYS)],
    "phases out of the order of a day": [weekday_set(WORKDAYS, "09:00 07:00 17:00 19:00")],
    "two phases at one time": [weekday_set(WORKDAYS, "07:00 09:00 19:00 19:00")],
}


def week(schedule: SpotGroupSchedule) -> list[list[dict[str, Any]]]:
    """Each day's phases, Monday to Sunday: `{from, to, phase, builtIn}` in minutes from its midnight."""
    days: list[list[dict[str, Any]]] = [[] for _ in WEEKDAYS]
    now = MONDAY
    while now < MONDAY + 7 * DAY:
        at = phase_at(schedule, now)
        index = (now - MONDAY) // DAY
        midnight = MONDAY + index * DAY
        until = min(at.next_change or midnight + DAY, midnight + DAY)
        days[index].append(
            {
                "from": (now - midnight) // MINUTE,
                "to": (until - midnight) // MINUTE,
                "phase": at.name,
                "builtIn": at.why == NO_SET,
            }
        )
        now = until
    return days


def case(weekday_sets: list[dict[str, Any]]) -> dict[str, Any]:
    body = {"timeZone": "UTC", "weekdaySets": weekday_sets}
    try:
        schedule = SpotGroupSchedule.model_validate(body)
    except ValidationError as error:
        refused = [{"target": detail.target, "code": detail.code} for detail in validation_details(error)]
        return {"schedule": body, "refused": refused}
    return {"schedule": body, "days": week(schedule)}


def test_the_portals_cases_are_the_servers_rule() -> None:
    text = json.dumps({name: case(sets) for name, sets in CASES.items()}, indent=1) + "\n"
    if os.environ.get("SCHEDULE_CASES") == "write":
        FIXTURE.parent.mkdir(exist_ok=True)
        FIXTURE.write_text(text)
    assert FIXTURE.read_text() == text, f"{FIXTURE.name} is stale: SCHEDULE_CASES=write renews it"
