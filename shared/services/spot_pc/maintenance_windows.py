"""Maintenance windows of image rollouts as one rule: whether an instant is in one, and when a host's turn comes.

Pure: the instant and the host's sessions are passed in. A window opens at its start time on each of its days, in
its own time zone (a start the clocks skip opens at the jump, one they pass twice at the first: as schedules do),
and lasts its duration in elapsed time, past midnight if need be; its day is the day it opens.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal
from zoneinfo import ZoneInfo

from shared.models.image_updates import MaintenanceWindow
from shared.models.spot_schedules import WEEKDAYS
from shared.services.spot_pc.spot_schedules import local_instant

DAY = dt.timedelta(days=1)
Opening = tuple[dt.datetime, dt.datetime]  # UTC: when a window opens, and when it closes
Drain = tuple[dt.datetime, dt.datetime]  # UTC: when a host is drained, and when its window opened
LOOK_AHEAD_DAYS = 22  # three weeks of days: a window opens once a week at least, so a turn is found well within


@dataclass(frozen=True)
class WindowAt:
    inside: bool
    ends: dt.datetime | None  # UTC: when the window the instant is in closes (None: it is in none)
    next_start: dt.datetime  # UTC: when the next window opens (the one after `ends` when inside)


@dataclass(frozen=True)
class Turn:
    """A host's turn: drain it now; tell its users now that it is drained at drain_at; or wait until `until`."""

    action: Literal["drain", "notify", "wait"]
    drain_at: dt.datetime  # UTC: when it is drained (now, for "drain")
    window_start: dt.datetime  # UTC: when the window it is drained in opens (before now: the window is open)
    until: dt.datetime | None = None  # "wait": when to look again


def openings(window: MaintenanceWindow, after: dt.datetime) -> Iterator[Opening]:
    """The window's (opens, closes) in UTC, in order: the one open at `after` (if any), then the later ones."""
    if after.utcoffset() is None:
        raise ValueError("after must be an aware datetime")
    zone = ZoneInfo(window.time_zone)
    length = dt.timedelta(minutes=window.duration_minutes)
    day = after.astimezone(zone).date() - DAY  # yesterday's window may still be open, past midnight
    for n in range(LOOK_AHEAD_DAYS):
        if WEEKDAYS[(day + n * DAY).weekday()] in window.days_of_week:
            opens = local_instant(day + n * DAY, window.start_time, zone)
            if opens + length > after:
                yield opens, opens + length


def window_at(window: MaintenanceWindow, instant: dt.datetime) -> WindowAt:
    """Whether `instant` is in a window (from its opening, until its closing), when that one closes, and when the
    next one opens. Windows never run into each other (MAX_WINDOW_MINUTES), so the next is after this one."""
    upcoming = openings(window, instant)
    opens, closes = next(upcoming)
    if opens > instant:
        return WindowAt(inside=False, ends=None, next_start=opens)
    return WindowAt(inside=True, ends=closes, next_start=next(upcoming)[0])


def _first_drain(window: MaintenanceWindow, earliest: dt.datetime, sign_out: dt.timedelta) -> Drain:
    """The first instant from `earliest` on when a host may be drained, and when its window opens: inside a window,
    with the users' time to sign out ending inside it too."""
    for opens, closes in openings(window, earliest):
        at = max(opens, earliest)
        if at + sign_out <= closes:
            return at, opens
    raise ValueError(f"no window of {window.duration_minutes} minutes fits a drain of {sign_out}")


def host_turn(
    window: MaintenanceWindow,
    now: dt.datetime,
    *,
    notice: dt.timedelta,
    sign_out: dt.timedelta,
    has_sessions: bool,
    told_of: dt.datetime | None = None,
) -> Turn:
    """When a host an image update has reached is drained. A host with sessions is drained where its users'
    `sign_out` time ends inside the window, and they are told `notice` ahead: at max(now, drain - notice), so before
    the window opens if need be. `told_of` is the drain its users were told of: it holds, unless the host's call came
    too late for it (then they are told of the next one). A host with no session is drained anywhere in a window; it
    waits until `notice` before that, in case users sign in meanwhile and must be told."""
    users_time = sign_out if has_sessions else dt.timedelta()
    if told_of is not None and told_of > now:
        return Turn("wait", told_of, _first_drain(window, told_of, users_time)[1], until=told_of)
    at, opens = _first_drain(window, now, users_time)
    warn = has_sessions and notice > dt.timedelta()
    if at == now and (told_of is not None or not warn):
        return Turn("drain", now, opens)
    if warn:
        at, opens = _first_drain(window, now + notice, sign_out)
        if at - notice <= now:
            return Turn("notify", at, opens)
        return Turn("wait", at, opens, until=at - notice)
    return Turn("wait", at, opens, until=at - notice if at - notice > now else at)


def opening_words(window: MaintenanceWindow, opens: dt.datetime) -> str:
    """An opening as an admin reads it: 2026-11-03T01:00Z (Tuesday 02:00 Europe/Amsterdam)."""
    local = opens.astimezone(ZoneInfo(window.time_zone))
    return f"{opens.astimezone(dt.UTC):%Y-%m-%dT%H:%M}Z ({local:%A %H:%M} {window.time_zone})"
