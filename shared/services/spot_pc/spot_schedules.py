"""Spot Group schedules as one rule: the phase at an instant, and the hosts to start, drain, log off or deallocate.

Pure: the clock, the hosts and their sessions are passed in. Local times become instants in the schedule's zone; a
time the clocks skip (spring forward) is the instant they jump, the first valid one after it, and a time they pass
twice (fall back) is its first occurrence (fold=0), so a phase starts once on those days too.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from typing import Literal
from zoneinfo import ZoneInfo

from shared.models.session_hosts import SessionHost
from shared.models.spot_schedules import (
    OPTIMIZER_PHASE,
    WEEKDAYS,
    LoadBalancing,
    Phase,
    PhaseName,
    RampDownPhase,
    ScheduleException,
    SpotGroupSchedule,
    WeekdaySet,
)
from shared.models.words import counted
from shared.ports.desktop_virtualization import SessionHostRecord

Action = Literal["start", "deallocate", "drain", "notify", "logOff"]
WORDS: dict[PhaseName, str] = {"rampUp": "ramp-up", "peak": "peak", "rampDown": "ramp-down", "offPeak": "off-peak"}
DEALLOCATED = "deallocated"
DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class Decision:
    host: str
    action: Action
    reason: str  # for the admin: when, in which phase, and the numbers that decided it


@dataclass(frozen=True)
class PhaseAt:
    name: PhaseName
    phase: Phase  # its settings
    started: dt.datetime | None  # UTC; None: always (a schedule with no weekday set)
    next_change: dt.datetime | None  # UTC: when the next phase starts; None: never
    next_name: PhaseName | None
    why: str  # "monday in weekdaySets[0]", "Christmas", ...
    exception: ScheduleException | None = None


@dataclass(frozen=True)
class _Start:
    at: dt.datetime  # UTC
    name: PhaseName
    phase: Phase
    why: str
    exception: ScheduleException | None = None


NO_SET = "no weekday set: the built-in rule"


@functools.lru_cache(maxsize=8192)  # a replay asks the same days' starts at every 5-minute step of two weeks
def local_instant(day: dt.date, at: dt.time, zone: ZoneInfo) -> dt.datetime:
    """The UTC instant of a local time on a day, as the module's docstring says (maintenance windows use it too)."""
    wall = dt.datetime.combine(day, at, tzinfo=zone)  # fold=0: the first of two, or before a skipped hour's jump
    instant = wall.astimezone(dt.UTC)
    if instant.astimezone(zone).replace(tzinfo=None) == wall.replace(tzinfo=None):
        return instant
    # skipped: the clocks jump between the instant read with the offset after the jump and the one read with the
    # offset before it; the first instant with the later offset is where the time would have been
    before, after = int(wall.replace(fold=1).timestamp()), int(instant.timestamp())
    earlier = dt.datetime.fromtimestamp(before, zone).utcoffset()
    while after - before > 1:
        middle = (before + after) // 2
        if dt.datetime.fromtimestamp(middle, zone).utcoffset() == earlier:
            before = middle
        else:
            after = middle
    return dt.datetime.fromtimestamp(after, dt.UTC)


def _set_of(schedule: SpotGroupSchedule, day: dt.date) -> tuple[int, WeekdaySet] | None:
    return next(((i, s) for i, s in enumerate(schedule.weekday_sets) if WEEKDAYS[day.weekday()] in s.days), None)


def _regular(schedule: SpotGroupSchedule, zone: ZoneInfo, day: dt.date) -> list[_Start]:
    """The day's phase starts from its weekday set, exceptions aside."""
    found = _set_of(schedule, day)
    if found is None:
        return []
    i, weekday_set = found
    why = f"{WEEKDAYS[day.weekday()]} in weekdaySets[{i}]"
    return [_Start(local_instant(day, phase.start, zone), name, phase, why) for name, phase in weekday_set.phases()]


def _in_force(schedule: SpotGroupSchedule, zone: ZoneInfo, instant: dt.datetime) -> _Start:
    """The regular phase at an instant: the latest start of the week before it (a day in no set goes on in the
    off-peak of the last day before it that is in one); with no weekday set, the built-in rule."""
    day = instant.astimezone(zone).date()
    for back in range(8):
        started = [s for s in _regular(schedule, zone, day - back * DAY) if s.at <= instant]
        if started:
            return started[-1]
    return _Start(instant, "offPeak", OPTIMIZER_PHASE, NO_SET)


def _exception_start(schedule: SpotGroupSchedule, zone: ZoneInfo, exception: ScheduleException) -> _Start:
    """Midnight of the date, in its phase as the set of that day (or of the last day in a set before it) has it."""
    sets = (_set_of(schedule, exception.date - back * DAY) for back in range(7))
    found = next((s for s in sets if s is not None), None)
    phase = found[1].phase(exception.phase) if found else OPTIMIZER_PHASE
    why = exception.name or f"the exception on {exception.date}"
    return _Start(local_instant(exception.date, dt.time(), zone), exception.phase, phase, why, exception)


def _timeline(schedule: SpotGroupSchedule, now: dt.datetime) -> list[_Start]:
    """The phase starts from a week before `now` to a week after it, in order (and the next exception after that,
    for a schedule whose weeks have no start)."""
    if now.utcoffset() is None:
        raise ValueError("now must be an aware datetime")
    zone = ZoneInfo(schedule.time_zone)
    first = now.astimezone(zone).date() - 7 * DAY
    days = [first + n * DAY for n in range(16)]
    exceptions = {e.date: e for e in schedule.exceptions if days[0] <= e.date <= days[-1]}
    starts: dict[dt.datetime, _Start] = {}  # at one instant the later one wins: a day's own start over a carry-on
    for date in exceptions:
        if date + DAY not in exceptions:  # the regular phase takes over at the next midnight
            midnight = local_instant(date + DAY, dt.time(), zone)
            starts[midnight] = replace(_in_force(schedule, zone, midnight), at=midnight)
    for day in days:
        if day not in exceptions:
            starts.update((s.at, s) for s in _regular(schedule, zone, day))
    later = min((e for e in schedule.exceptions if e.date > days[-1]), key=lambda e: e.date, default=None)
    for exception in [*exceptions.values(), *([later] if later else [])]:
        start = _exception_start(schedule, zone, exception)
        starts[start.at] = start
    return [starts[at] for at in sorted(starts)]


def _phase_at(timeline: list[_Start], now: dt.datetime) -> PhaseAt:
    past = [s for s in timeline if s.at <= now]
    upcoming = next((s for s in timeline if s.at > now), None)
    upcoming_at, upcoming_name = (upcoming.at, upcoming.name) if upcoming else (None, None)
    if not past:  # nothing started in the week before: no weekday set, so the built-in rule, since ever
        return PhaseAt("offPeak", OPTIMIZER_PHASE, None, upcoming_at, upcoming_name, NO_SET)
    current = past[-1]
    return PhaseAt(current.name, current.phase, current.at, upcoming_at, upcoming_name, current.why, current.exception)


def phase_at(schedule: SpotGroupSchedule, now: dt.datetime) -> PhaseAt:
    """The phase in force at `now` (aware), when it started, when the next one starts, and why."""
    return _phase_at(_timeline(schedule, now), now)


def _sessions(live: Mapping[str, SessionHostRecord], host: SessionHost) -> int:
    return live[host.name].sessions if host.name in live else 0


def placement_order(
    hosts: list[SessionHost], live: Mapping[str, SessionHostRecord], load_balancing: LoadBalancing, max_sessions: int
) -> list[SessionHost]:
    """The running hosts that take new sessions, in the order new sessions land on them: breadth-first the least
    loaded first (spreads users), depth-first the most loaded under the limit first (packs them); lowest index on a
    tie."""
    taking = [
        h
        for h in hosts
        if h.status == "running"
        and h.allow_new_session
        and h.power_state != DEALLOCATED
        and _sessions(live, h) < max_sessions
    ]
    sign = 1 if load_balancing == "breadthFirst" else -1
    return sorted(taking, key=lambda h: (sign * _sessions(live, h), h.index))


def _stop_order(
    on: list[SessionHost], live: Mapping[str, SessionHostRecord], load_balancing: LoadBalancing
) -> list[SessionHost]:
    """Which running hosts go first: the highest index, and depth-first the least loaded (its users are fewest)."""
    by_index = sorted(on, key=lambda h: -h.index)
    return by_index if load_balancing == "breadthFirst" else sorted(by_index, key=lambda h: _sessions(live, h))


def _ceil(numerator: int, denominator: int) -> int:
    return -(-numerator // denominator)


def _staging(schedule: SpotGroupSchedule, timeline: list[_Start], now: dt.datetime) -> tuple[int, str] | None:
    """Pre-staging's hosts while `now` is within its minutes before a ramp-up starts."""
    staging = schedule.pre_staging
    if staging is None:
        return None
    lead = dt.timedelta(minutes=staging.minutes_before)
    for start in timeline:
        if start.name == "rampUp" and start.at is not None and start.at - lead <= now < start.at:
            local = start.at.astimezone(ZoneInfo(schedule.time_zone))
            return staging.hosts, f"pre-staging {counted(staging.hosts, 'host')} for the ramp-up at {local:%H:%M}"
    return None


def _wanted(
    phase: Phase, sessions: int, on: int, pool: int, max_sessions: int, staging: tuple[int, str] | None
) -> tuple[int, str]:
    """How many hosts should run, and why: the largest of the phase's lower bounds (the first of equals says), which
    may be more than the pool has."""
    threshold, minimum, buffer = phase.capacity_threshold_percent, phase.minimum_hosts_percent, phase.buffer_percent
    usage = f"sessions at {sessions * 100 // (on * max_sessions)}% of capacity" if on else f"{sessions} sessions"
    bounds = [  # the next host starts once the sessions reach the threshold of the running hosts' capacity
        (sessions * 100 // (threshold * max_sessions) + 1, f"{usage}, threshold {threshold}%"),
        (_ceil(minimum * pool, 100), f"minimum {minimum}% of {counted(pool, 'host')}"),
    ]
    if buffer:  # beside the hosts the sessions fill, spare ones for the next users
        full, spare = _ceil(sessions, max_sessions), _ceil(buffer * pool, 100)
        filled = f"{counted(sessions, 'session')} fill {counted(full, 'host')}"
        bounds.append((full + spare, f"{filled}, {spare} spare (buffer {buffer}%)"))
    if staging:
        bounds.append(staging)
    return max(bounds, key=lambda bound: bound[0])


def _logged_off(
    at: PhaseAt, draining: list[SessionHost], now: dt.datetime, notified: Mapping[str, dt.datetime] | None
) -> list[SessionHost]:
    """The drained hosts whose users ramp-down's notifyThenLogOff logs off now: notified delayMinutes ago or more."""
    log_off = at.phase.log_off if isinstance(at.phase, RampDownPhase) else None
    if log_off is None or log_off.policy != "notifyThenLogOff" or log_off.delay_minutes is None:
        return []
    delay = dt.timedelta(minutes=log_off.delay_minutes)
    return [h for h in draining if (told := (notified or {}).get(h.name)) is not None and now - told >= delay]


@dataclass(frozen=True)
class _Demand:
    """The phase at an instant, the hosts it counts, and how many it wants running (not capped by the pool)."""

    at: PhaseAt
    pool: list[SessionHost]  # the running-status hosts that take sessions or that this rule drained, by index
    on: list[SessionHost]  # of those, the ones that take sessions and are not deallocated
    draining: list[SessionHost]  # this rule's drained hosts not deallocated, highest index first
    logging_off: list[SessionHost]  # of those, the ones whose users are logged off now
    wanted: int
    why: str


def _demand(
    schedule: SpotGroupSchedule,
    now: dt.datetime,
    hosts: list[SessionHost],
    live: Mapping[str, SessionHostRecord],
    max_sessions_per_host: int,
    drained: Collection[str],
    notified: Mapping[str, dt.datetime] | None,
) -> _Demand:
    timeline = _timeline(schedule, now)
    at = _phase_at(timeline, now)
    pool = sorted(
        (h for h in hosts if h.status == "running" and (h.allow_new_session or h.name in drained)),
        key=lambda h: h.index,
    )
    on = [h for h in pool if h.allow_new_session and h.power_state != DEALLOCATED]
    draining = [h for h in reversed(pool) if not h.allow_new_session and h.power_state != DEALLOCATED]
    # a drained host's users are leaving, save those this run logs off: they sign in again on the hosts that stay
    logging_off = _logged_off(at, draining, now, notified)
    sessions = sum(_sessions(live, h) for h in pool if h.allow_new_session or h in logging_off)
    staging = _staging(schedule, timeline, now)
    wanted, why = _wanted(at.phase, sessions, len(on), len(pool), max_sessions_per_host, staging)
    return _Demand(at, pool, on, draining, logging_off, wanted, why)


def wanted_hosts(
    schedule: SpotGroupSchedule,
    now: dt.datetime,
    hosts: list[SessionHost],
    live: Mapping[str, SessionHostRecord],
    max_sessions_per_host: int,
    *,
    drained: Collection[str] = (),
    notified: Mapping[str, dt.datetime] | None = None,
) -> tuple[int, str]:
    """How many hosts the phase at `now` wants running, and why, as `plan` counts them but not capped by the hosts
    the group has: a group that scales (host_scaling.plan_scaling) makes those it lacks."""
    demand = _demand(schedule, now, hosts, live, max_sessions_per_host, drained, notified)
    return demand.wanted, demand.why


def plan(
    schedule: SpotGroupSchedule,
    now: dt.datetime,
    hosts: list[SessionHost],
    live: Mapping[str, SessionHostRecord],
    max_sessions_per_host: int,
    *,
    drained: Collection[str] = (),
    notified: Mapping[str, dt.datetime] | None = None,
) -> list[Decision]:
    """What the phase at `now` asks of a pooled group's hosts: starts lowest index first, stops highest first.

    The hosts that take sessions count; so do those in `drained`, the ones this rule drained (the caller keeps them,
    as it keeps `notified`, when each host's users were notified): a drained host goes once its users have, and
    one started again takes sessions again. A host someone else drained is left alone. A host with a session is
    never deallocated: in ramp-down one beyond the need is drained, and with notifyThenLogOff its users are notified,
    then logged off once delayMinutes have passed since.
    """
    demand = _demand(schedule, now, hosts, live, max_sessions_per_host, drained, notified)
    at, pool, on, draining, logging_off = demand.at, demand.pool, demand.on, demand.draining, demand.logging_off
    if not pool:
        return []
    off = [h for h in pool if h.power_state == DEALLOCATED]
    wanted, why = min(len(pool), demand.wanted), demand.why

    zone = ZoneInfo(schedule.time_zone)
    when = f"at {now.astimezone(zone):%H:%M}: {WORDS[at.name]}" + (f" ({at.why})" if at.exception else "")
    decisions = [Decision(h.name, "start", f"started {h.name} {when}, {why}") for h in off[: max(0, wanted - len(on))]]
    surplus = max(0, len(on) - wanted)
    leaving = _stop_order(on, live, at.phase.load_balancing)
    idle = [h for h in leaving if not _sessions(live, h)][:surplus]
    busy = [h for h in leaving if _sessions(live, h)][: surplus - len(idle)] if at.name == "rampDown" else []
    need = f"{wanted} of {len(on)} running hosts needed, {why}"
    decisions += [Decision(h.name, "deallocate", f"deallocated {h.name} {when}, idle; {need}") for h in idle]
    decisions += [
        Decision(h.name, "deallocate", f"deallocated {h.name} {when}, drained and its users gone")
        for h in draining
        if not _sessions(live, h)
    ]
    decisions += [
        Decision(h.name, "drain", f"drained {h.name} {when}, {_sessions(live, h)} sessions; {need}") for h in busy
    ]
    log_off = at.phase.log_off if isinstance(at.phase, RampDownPhase) else None
    if log_off is None or log_off.policy != "notifyThenLogOff" or log_off.delay_minutes is None:
        return decisions
    for host in busy + [h for h in draining if _sessions(live, h)]:
        users, told = _sessions(live, host), (notified or {}).get(host.name)
        if told is None:
            reason = f"notified the {users} users of {host.name} {when}, logged off in {log_off.delay_minutes} min"
            decisions.append(Decision(host.name, "notify", reason))
        elif host in logging_off:
            reason = f"logged off the {users} users of {host.name} {when}, notified at {told.astimezone(zone):%H:%M}"
            decisions.append(Decision(host.name, "logOff", reason))
    return decisions
