"""The use watch's rule of connected time, run after run on a fake clock: a session spanning runs, one that starts
between runs, a disconnect and a return, two sessions the same day, a session across midnight, late runs, and runs that
write nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from shared.models.usage import ConnectedDay, ConnectedTally
from shared.ports.desktop_virtualization import SessionState, UserSessionRecord
from shared.services.cloud_pcs.connected_time import connected_days, count_connected
from tests.fakes import FakeClock

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
RUN = timedelta(minutes=5)


def session(started: datetime | None, state: SessionState = "active", number: str = "1") -> UserSessionRecord:
    return UserSessionRecord("vm-1", number, "ann@contoso.com", state, started)


class Watch:
    """The watch's runs over one Cloud PC: its tally kept between them, and every day's row as last written."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.tally: ConnectedTally | None = None
        self.rows: dict[date, ConnectedDay] = {}
        self.writes = 0

    def run(self, *sessions: UserSessionRecord) -> None:
        tally, days = count_connected(self.tally, sessions, self.clock())
        if tally is not None:
            self.tally, self.writes = tally, self.writes + 1
        self.rows.update({d.day: d for d in days})

    def minutes(self, day: date) -> float:
        return round(self.rows[day].connected_minutes, 6)


def test_a_session_spanning_runs_counts_from_its_start_then_from_each_run() -> None:
    clock = FakeClock(T0)
    watch = Watch(clock)
    ann = session(T0 - timedelta(minutes=2))  # began two minutes before the first run saw it
    watch.run(ann)
    for _ in range(3):
        clock.now += RUN
        watch.run(ann)
    day = T0.date()
    assert watch.minutes(day) == 17  # 2 + 3 runs of 5
    assert watch.rows[day].sessions == 1  # the same session, counted once
    assert watch.rows[day].first_connected_date_time == ann.started
    assert watch.rows[day].last_connected_date_time == clock.now


def test_a_session_that_starts_between_runs_counts_from_its_creation() -> None:
    clock = FakeClock(T0)
    watch = Watch(clock)
    watch.run()  # nobody connected: nothing written
    assert (watch.tally, watch.writes) == (None, 0)
    clock.now += RUN
    watch.run(session(T0 + timedelta(minutes=4)))
    assert watch.minutes(T0.date()) == 1


def test_a_disconnect_ends_the_count_at_the_run_that_sees_it_and_a_reconnection_counts_from_there() -> None:
    clock = FakeClock(T0)
    watch = Watch(clock)
    ann = session(T0 - timedelta(minutes=5))
    watch.run(ann)
    clock.now += RUN
    watch.run(session(ann.started, "disconnected"))  # left between the runs: counted up to this one
    assert watch.tally is not None and watch.tally.connected is False
    writes = watch.writes
    for _ in range(6):  # away for half an hour: no run writes
        clock.now += RUN
        watch.run(session(ann.started, "disconnected"))
    assert watch.writes == writes
    clock.now += RUN
    watch.run(ann)  # back in the same session (AVD keeps its creation time): counted from the last count
    day = T0.date()
    # up to the last run that saw it active; back in it, from the run before (the runs between saw it disconnected)
    assert watch.minutes(day) == 5 + 5
    assert watch.rows[day].sessions == 1


def test_a_session_first_seen_long_after_it_began_counts_from_the_run_before() -> None:
    clock = FakeClock(T0)
    watch = Watch(clock)
    watch.run(session(T0 - timedelta(hours=3)))  # no run saw it active before: it was not, one period ago
    assert watch.minutes(T0.date()) == 5


def test_a_late_run_counts_all_the_time_since_the_run_that_saw_the_user_connected() -> None:
    clock = FakeClock(T0)
    watch = Watch(clock)
    ann = session(T0 - timedelta(minutes=1))
    watch.run(ann)
    clock.now += 3 * RUN  # two runs missed
    watch.run(ann)
    assert watch.minutes(T0.date()) == 1 + 15


def test_a_session_first_seen_disconnected_adds_nothing() -> None:
    clock = FakeClock(T0)
    watch = Watch(clock)
    watch.run(session(T0 - timedelta(hours=1), "disconnected"))
    assert (watch.tally, watch.rows) == (None, {})


def test_two_sessions_the_same_day_are_two_sessions_and_their_time_adds_up() -> None:
    clock = FakeClock(T0)
    watch = Watch(clock)
    morning = session(T0 - timedelta(minutes=3), number="1")
    watch.run(morning)
    clock.now += RUN
    watch.run(morning)
    clock.now += RUN
    watch.run()  # signed out: the session is gone
    clock.now = T0 + timedelta(hours=5)
    afternoon = session(clock.now - timedelta(minutes=4), number="2")
    watch.run(afternoon)
    clock.now += RUN
    watch.run(afternoon)
    day = T0.date()
    assert watch.minutes(day) == 3 + 5 + 4 + 5
    assert watch.rows[day].sessions == 2
    assert watch.rows[day].first_connected_date_time == morning.started
    assert watch.rows[day].last_connected_date_time == clock.now


def test_two_sessions_at_once_count_their_time_once() -> None:
    clock = FakeClock(T0)
    watch = Watch(clock)
    watch.run(session(T0 - timedelta(minutes=4), number="1"), session(T0 - timedelta(minutes=2), number="2"))
    assert watch.minutes(T0.date()) == 4
    assert watch.rows[T0.date()].sessions == 2


def test_a_session_across_midnight_is_split_between_the_days() -> None:
    evening = datetime(2026, 11, 2, 23, 57, tzinfo=UTC)
    clock = FakeClock(evening)
    watch = Watch(clock)
    ann = session(evening - timedelta(minutes=4))
    watch.run(ann)
    clock.now += RUN  # 00:02 the next day
    watch.run(ann)
    monday, tuesday = evening.date(), evening.date() + timedelta(days=1)
    assert (watch.minutes(monday), watch.minutes(tuesday)) == (4 + 3, 2)
    assert watch.rows[monday].last_connected_date_time == datetime(2026, 11, 3, tzinfo=UTC)
    assert watch.rows[tuesday].first_connected_date_time == datetime(2026, 11, 3, tzinfo=UTC)
    assert (watch.rows[monday].sessions, watch.rows[tuesday].sessions) == (1, 0)
    assert watch.tally is not None and watch.tally.day == tuesday and watch.tally.connected_minutes == 2
    clock.now = evening + timedelta(days=2)  # two days later: a new day's tally, the old rows untouched
    watch.run(session(clock.now - timedelta(minutes=1), number="2"))
    assert watch.minutes(monday) == 7 and watch.minutes(tuesday) == 2
    assert watch.minutes(clock.now.date()) == 1


def test_a_run_no_later_than_the_last_count_changes_nothing() -> None:
    clock = FakeClock(T0)
    watch = Watch(clock)
    ann = session(T0 - timedelta(minutes=5))
    watch.run(ann)
    writes, rows = watch.writes, dict(watch.rows)
    clock.now -= timedelta(minutes=1)  # a run that read before the last one wrote
    watch.run(ann)
    assert (watch.writes, watch.rows) == (writes, rows)


def test_whole_connections_from_a_report_are_cut_at_midnight_and_counted_on_the_day_they_began() -> None:
    monday = datetime(2026, 11, 2, tzinfo=UTC)
    days = connected_days(
        [
            (monday + timedelta(hours=9), monday + timedelta(hours=10, minutes=30)),
            (monday + timedelta(hours=23), monday + timedelta(days=1, hours=1)),
        ]
    )
    assert [(d.day, d.connected_minutes, d.sessions) for d in days] == [
        (monday.date(), 90 + 60, 2),
        (monday.date() + timedelta(days=1), 60, 0),
    ]
    assert days[0].first_connected_date_time == monday + timedelta(hours=9)
    assert days[1].last_connected_date_time == monday + timedelta(days=1, hours=1)
