"""Maintenance windows of image rollouts on a fake clock (explicit instants): inside or not, when the window ends and
the next one opens, across midnight, both daylight-saving changes and days in the window's zone; a host's turn
(notify, drain, wait) in them; and each refused window's error at its field."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from shared.models.image_updates import MaintenanceWindow, Rollout
from shared.models.validation import validation_details
from shared.services.spot_pc.maintenance_windows import Turn, host_turn, opening_words, window_at

EVERY_DAY = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
MINUTES = timedelta(minutes=1)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def window(days: list[str], start: str, minutes: int, zone: str = "Europe/Amsterdam") -> MaintenanceWindow:
    body = {"daysOfWeek": days, "startTime": start, "durationMinutes": minutes, "timeZone": zone}
    return MaintenanceWindow.model_validate(body)


def at(found: Any) -> tuple[bool, datetime | None, datetime]:
    return found.inside, found.ends, found.next_start


# --- inside or not, when it ends, when the next one opens --------------------------------------------------------


def test_a_window_from_23_00_for_4_hours_runs_past_midnight_and_its_day_is_the_day_it_opens() -> None:
    fridays = window(["friday"], "23:00", 240)  # Amsterdam in June is UTC+2: Friday 21:00 to Saturday 01:00 UTC
    assert at(window_at(fridays, utc(2026, 6, 19, 20, 59))) == (False, None, utc(2026, 6, 19, 21))
    assert at(window_at(fridays, utc(2026, 6, 19, 21))) == (True, utc(2026, 6, 20, 1), utc(2026, 6, 26, 21))
    assert at(window_at(fridays, utc(2026, 6, 20, 0, 30))) == (True, utc(2026, 6, 20, 1), utc(2026, 6, 26, 21))
    # Saturday 03:00 local, once it closed; and Saturday 23:30 local is no window (Saturday is not one of its days)
    assert at(window_at(fridays, utc(2026, 6, 20, 1))) == (False, None, utc(2026, 6, 26, 21))
    assert at(window_at(fridays, utc(2026, 6, 20, 21, 30))) == (False, None, utc(2026, 6, 26, 21))


def test_days_are_the_windows_own_zone_not_utc() -> None:
    # Monday 00:30 in Amsterdam (winter, UTC+1) is Sunday 23:30 UTC; Friday 20:00 in Los Angeles is Saturday UTC
    mondays = window(["monday"], "00:30", 60)
    assert at(window_at(mondays, utc(2026, 11, 1, 23, 45))) == (True, utc(2026, 11, 2, 0, 30), utc(2026, 11, 8, 23, 30))
    assert window_at(mondays, utc(2026, 11, 2, 23, 45)).inside is False  # Monday in UTC, Tuesday in Amsterdam
    fridays = window(["friday"], "20:00", 60, "America/Los_Angeles")  # UTC-8 in November
    assert at(window_at(fridays, utc(2026, 11, 7, 4, 30))) == (True, utc(2026, 11, 7, 5), utc(2026, 11, 14, 4))
    assert opening_words(fridays, utc(2026, 11, 14, 4)) == "2026-11-14T04:00Z (Friday 20:00 America/Los_Angeles)"


def test_a_start_the_clocks_skip_opens_at_the_jump_and_the_window_lasts_its_elapsed_minutes() -> None:
    # Amsterdam, Sunday 2026-03-29: 02:00 CET becomes 03:00 CEST (01:00 UTC), so 02:30 does not exist that day
    nightly = window(EVERY_DAY, "02:30", 120)
    assert at(window_at(nightly, utc(2026, 3, 28, 1, 30))) == (True, utc(2026, 3, 28, 3, 30), utc(2026, 3, 29, 1))
    assert at(window_at(nightly, utc(2026, 3, 29, 0, 59))) == (False, None, utc(2026, 3, 29, 1))
    assert at(window_at(nightly, utc(2026, 3, 29, 1))) == (True, utc(2026, 3, 29, 3), utc(2026, 3, 30, 0, 30))
    assert opening_words(nightly, utc(2026, 3, 29, 1)) == "2026-03-29T01:00Z (Sunday 03:00 Europe/Amsterdam)"


def test_a_start_the_clocks_pass_twice_opens_at_the_first_and_a_longer_night_changes_no_length() -> None:
    # Amsterdam, Sunday 2026-10-25: 03:00 CEST becomes 02:00 CET (01:00 UTC), so 02:30 comes twice
    nightly = window(EVERY_DAY, "02:30", 180)
    first = window_at(nightly, utc(2026, 10, 25, 0, 30))  # 02:30 CEST
    assert at(first) == (True, utc(2026, 10, 25, 3, 30), utc(2026, 10, 26, 1, 30))
    assert window_at(nightly, utc(2026, 10, 25, 0, 29)).inside is False
    assert window_at(nightly, utc(2026, 10, 25, 3, 30)).inside is False  # three hours: not until 05:30 on the wall
    evening = window(EVERY_DAY, "23:00", 240)  # Saturday 23:00 CEST over the change: four hours, to 02:00 CET
    assert at(window_at(evening, utc(2026, 10, 25, 0))) == (True, utc(2026, 10, 25, 1), utc(2026, 10, 25, 22))


# --- a host's turn -----------------------------------------------------------------------------------------------

MONDAY_NIGHT = window(["monday"], "22:00", 120)  # Amsterdam in November (UTC+1): Monday 21:00 to 23:00 UTC
OPENS, CLOSES, NEXT_WEEK = utc(2026, 11, 2, 21), utc(2026, 11, 2, 23), utc(2026, 11, 9, 21)


def turn(now: datetime, *, sessions: bool = True, notice: int = 15, sign_out: int = 30, **fields: Any) -> Turn:
    return host_turn(
        MONDAY_NIGHT, now, notice=notice * MINUTES, sign_out=sign_out * MINUTES, has_sessions=sessions, **fields
    )


def test_before_the_window_users_are_told_ahead_and_the_host_is_drained_as_it_opens() -> None:
    assert turn(utc(2026, 11, 2, 9)) == Turn("wait", OPENS, OPENS, until=OPENS - 15 * MINUTES)
    assert turn(OPENS - 15 * MINUTES) == Turn("notify", OPENS, OPENS)  # told before the window: max(now, drain - 15)
    assert turn(OPENS - 10 * MINUTES, told_of=OPENS) == Turn("wait", OPENS, OPENS, until=OPENS)
    assert turn(OPENS, told_of=OPENS) == Turn("drain", OPENS, OPENS)
    # a host with nobody on it waits too, and looks again when users signed in meanwhile would have to be told
    assert turn(utc(2026, 11, 2, 9), sessions=False) == Turn("wait", OPENS, OPENS, until=OPENS - 15 * MINUTES)
    assert turn(OPENS - 15 * MINUTES, sessions=False) == Turn("wait", OPENS, OPENS, until=OPENS)
    assert turn(OPENS, sessions=False) == Turn("drain", OPENS, OPENS)


def test_inside_the_window_users_are_told_now_and_the_host_drained_after_the_notice() -> None:
    now = OPENS + 30 * MINUTES
    assert turn(now) == Turn("notify", now + 15 * MINUTES, OPENS)
    assert turn(now + 15 * MINUTES, told_of=now + 15 * MINUTES) == Turn("drain", now + 15 * MINUTES, OPENS)
    assert turn(now, sessions=False) == Turn("drain", now, OPENS)  # nobody to tell
    assert turn(now, notice=0) == Turn("drain", now, OPENS)  # no message asked for


def test_a_host_reached_too_late_to_be_logged_off_inside_the_window_waits_for_the_next() -> None:
    # 22:20 UTC: told now, drained at 22:35, its users' 30 minutes would end at 23:05, past the close at 23:00
    late = CLOSES - 40 * MINUTES
    assert turn(late) == Turn("wait", NEXT_WEEK, NEXT_WEEK, until=NEXT_WEEK - 15 * MINUTES)
    assert turn(CLOSES - 45 * MINUTES) == Turn("notify", CLOSES - 30 * MINUTES, OPENS)  # the last that still fits
    assert turn(late, sessions=False) == Turn("drain", late, OPENS)  # nobody to log off: anywhere inside
    assert turn(CLOSES, sessions=False) == Turn("wait", NEXT_WEEK, NEXT_WEEK, until=NEXT_WEEK - 15 * MINUTES)


def test_users_told_of_a_drain_the_host_missed_are_told_of_the_next_one() -> None:
    missed = CLOSES - 30 * MINUTES
    assert turn(CLOSES - 10 * MINUTES, told_of=missed) == Turn(
        "wait", NEXT_WEEK, NEXT_WEEK, until=NEXT_WEEK - 15 * MINUTES
    )
    assert turn(NEXT_WEEK - 15 * MINUTES, told_of=missed) == Turn("notify", NEXT_WEEK, NEXT_WEEK)


# --- a refused window says which field ---------------------------------------------------------------------------

GOOD = {"daysOfWeek": ["saturday"], "startTime": "23:00", "durationMinutes": 240, "timeZone": "Europe/Amsterdam"}


@pytest.mark.parametrize(
    ("change", "target", "code"),
    [
        ({"timeZone": "Mars/Olympus_Mons"}, "maintenanceWindow.timeZone", "unknownTimeZone"),
        ({"daysOfWeek": []}, "maintenanceWindow.daysOfWeek", "tooShort"),
        ({"daysOfWeek": ["monday", "someday"]}, "maintenanceWindow.daysOfWeek[1]", "literalError"),
        ({"daysOfWeek": ["sunday", "monday", "sunday"]}, "maintenanceWindow.daysOfWeek[2]", "duplicateDay"),
        ({"startTime": "24:00"}, "maintenanceWindow.startTime", "invalidTime"),
        ({"durationMinutes": 29}, "maintenanceWindow.durationMinutes", "greaterThanEqual"),
        ({"durationMinutes": 22 * 60 + 1}, "maintenanceWindow.durationMinutes", "lessThanEqual"),
        ({"durationMinutes": 74}, "maintenanceWindow.durationMinutes", "windowShorterThanDrain"),  # 15 + 60
    ],
)
def test_each_refusal_is_located_at_its_field(change: dict[str, Any], target: str, code: str) -> None:
    with pytest.raises(ValidationError) as error:
        Rollout.model_validate({"maintenanceWindow": {**GOOD, **change}})
    assert [(detail.target, detail.code) for detail in validation_details(error.value)] == [(target, code)]


def test_the_window_must_hold_the_notice_and_the_time_to_sign_out() -> None:
    short = {**GOOD, "durationMinutes": 60}
    assert Rollout.model_validate({"maintenanceWindow": short, "notifyMinutesBefore": 10, "drainTimeoutMinutes": 50})
    with pytest.raises(ValidationError) as error:
        Rollout.model_validate({"maintenanceWindow": short, "notifyMinutesBefore": 11, "drainTimeoutMinutes": 50})
    [detail] = validation_details(error.value)
    assert detail.message == (
        "maintenanceWindow.durationMinutes: must be at least notifyMinutesBefore + "
        "drainTimeoutMinutes (11 + 50 = 61): a host's users are told, drained and logged off "
        "inside the window"
    )
    assert Rollout.model_validate({"notifyMinutesBefore": 0}).maintenance_window is None  # no window: as before
    with pytest.raises(ValidationError):
        Rollout.model_validate({"notifyMinutesBefore": 241})


def test_a_window_reads_back_as_written() -> None:
    rollout = Rollout.model_validate({"maintenanceWindow": GOOD, "drainTimeoutMinutes": 30})
    assert rollout.model_dump(mode="json", exclude_unset=True) == {
        "maintenanceWindow": GOOD,
        "drainTimeoutMinutes": 30,
    }
    assert rollout.notify_minutes_before == 15
