"""The rules that turn what the app sees of connections into connected time per Cloud PC per UTC day (pure): the
azure backend's use watch, run after run, and the windows365 backend's report of whole connections.

Azure Virtual Desktop tells a background reader only the sessions there are now, each Active or Disconnected, with
when it was made (`createTime`): not when a user connected, disconnected or signed out. So a run counts, for an
active session, the span from the later of the previous run and the session's creation up to now. The previous run
is the one that counted this Cloud PC while its user stayed connected (a late run loses nothing); otherwise the runs
between wrote nothing (a Cloud PC nobody uses costs no write), so it is taken as one period ago: a user back in a
session they had left is counted from then. A session that began and ended between two runs is never seen, one seen
only disconnected adds nothing, and the time between the last run that saw a session active and its end is not
counted: the figures are true to the watch's period (WATCH_PERIOD, the default schedule's).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta

from shared.models.usage import ConnectedDay, ConnectedTally
from shared.ports.desktop_virtualization import UserSessionRecord

WATCH_PERIOD = timedelta(minutes=5)  # USE_WATCH_SCHEDULE's default


def count_connected(
    tally: ConnectedTally | None, sessions: Sequence[UserSessionRecord], now: datetime, period: timedelta = WATCH_PERIOD
) -> tuple[ConnectedTally | None, list[ConnectedDay]]:
    """The tally to keep on the Cloud PC (None: nothing to write) and the days whose figures changed.

    A run writes only while its user is connected and once after (to end the span there): a Cloud PC nobody uses
    costs no write."""
    since = tally.watched_date_time if tally is not None else None
    if since is not None and now <= since:  # a run no later than the one already counted
        return None, []
    previous_run = now - period  # no run since the last count saw the user connected: it wrote nothing
    if tally is not None:
        previous_run = tally.watched_date_time if tally.connected else max(previous_run, tally.watched_date_time)
    active = [s for s in sessions if s.state == "active"]
    if not active and (tally is None or not tally.connected):
        return None, []
    days: dict[date, ConnectedDay] = {}
    if tally is not None:
        days[tally.day] = ConnectedDay.model_validate(tally.model_dump(include=set(ConnectedDay.model_fields)))
    changed: set[date] = set()
    for session in active:
        begin = _counted_from(session, previous_run, now)
        if since is None or (session.started is not None and session.started > since):
            day = _day(begin, days)
            day.sessions += 1
            changed.add(day.day)
    if active:
        begin = min(_counted_from(s, previous_run, now) for s in active)  # every span ends now: their union is one span
        for start, end in _split_at_midnight(begin, now):
            day = _day(start, days)
            _add(day, start, end)
            changed.add(day.day)
    today = _day(now, days)
    kept = ConnectedTally(**today.model_dump(), watched_date_time=now, connected=bool(active))
    return kept, [days[d] for d in sorted(changed)]


def connected_days(connections: Iterable[tuple[datetime, datetime]]) -> list[ConnectedDay]:
    """The days of connections whose sign-in and sign-out are known (Windows 365's report): each cut at midnight, and
    counted as a session on the day it began."""
    days: dict[date, ConnectedDay] = {}
    for signed_in, signed_out in connections:
        _day(signed_in, days).sessions += 1
        for start, end in _split_at_midnight(signed_in, signed_out):
            _add(_day(start, days), start, end)
    return [days[d] for d in sorted(days)]


def _add(day: ConnectedDay, start: datetime, end: datetime) -> None:
    day.connected_minutes += (end - start).total_seconds() / 60
    day.first_connected_date_time = min(filter(None, (day.first_connected_date_time, start)))
    day.last_connected_date_time = max(filter(None, (day.last_connected_date_time, end)))


def _counted_from(session: UserSessionRecord, previous_run: datetime, now: datetime) -> datetime:
    """Where a session's counted span begins: after the previous run, not before it was made, never after now."""
    return min(max(filter(None, (previous_run, session.started))), now)


def _day(moment: datetime, days: dict[date, ConnectedDay]) -> ConnectedDay:
    day = moment.astimezone(UTC).date()
    return days.setdefault(day, ConnectedDay(day=day))


def _split_at_midnight(begin: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """The span cut at each UTC midnight inside it, so each piece belongs to one day."""
    pieces = []
    while begin < end:
        midnight = datetime.combine(begin.astimezone(UTC).date() + timedelta(days=1), time(), UTC)
        pieces.append((begin, min(midnight, end)))
        begin = midnight
    return pieces
