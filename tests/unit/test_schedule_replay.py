"""The replay of a schedule over a load curve (shared/services/spot_pc/schedule_replay.py), on curves whose figures
can be worked out by hand from the rule: 3 hosts of 2 sessions each."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from shared.models.host_scaling import HostScaling
from shared.models.schedule_replays import LoadPoint, ReplayFigures, ScheduleTrial
from shared.models.spot_schedules import SpotGroupSchedule, default_schedule
from shared.services.spot_pc.schedule_replay import CREATE_DELAY, STEP, Scaling, replay, steps

MIDNIGHT = datetime(2026, 11, 2, tzinfo=UTC)
HOSTS = ["h0", "h1", "h2"]


def at(hours: float) -> datetime:
    return MIDNIGHT + timedelta(hours=hours)


def curve(*points: tuple[float, int]) -> list[LoadPoint]:
    return [LoadPoint(date_time=at(hour), sessions=sessions) for hour, sessions in points]


# nobody until 01:00, three users from 01:00 to 02:00, nobody after, to 02:55: 36 steps of 5 minutes
THREE_AT_ONE = curve((0, 0), (1, 3), (2, 0), (2 + 55 / 60, 0))


def fixed(host_hours: float, peak: int, failed: int, hours: float) -> ReplayFigures:
    """The figures of the 3 hosts, a fixed set: each exists (with its disk) for the whole span, none made or deleted."""
    return ReplayFigures(
        host_hours=host_hours,
        disk_hours=3 * hours,
        peak_hosts_running=peak,
        failed_sign_ins=failed,
        hosts_created=0,
        hosts_deleted=0,
    )


def phase(start: str, minimum: int, **more: Any) -> dict[str, Any]:
    return {"start": start, "minimumHostsPercent": minimum, "capacityThresholdPercent": 100, **more}


EVERY_DAY = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
# every host on from 00:45 until 02:00, one (the threshold's) otherwise
PROPOSED = SpotGroupSchedule.model_validate(
    {
        "timeZone": "UTC",
        "weekdaySets": [
            {
                "days": EVERY_DAY,
                "rampUp": phase("00:45", 100),
                "peak": phase("01:30", 100),
                "rampDown": phase("02:00", 0),
                "offPeak": phase("02:30", 0),
            }
        ],
    }
)


def test_the_curve_is_stepped_every_5_minutes_each_point_holding_until_the_next() -> None:
    quarterly = steps(curve((0, 4), (0.25, 1), (0.5, 0)))
    assert [(t - MIDNIGHT, users) for t, users in quarterly] == [
        (timedelta(minutes=m), 4 if m < 15 else 1 if m < 30 else 0) for m in range(0, 31, 5)
    ]


def test_todays_rule_starts_hosts_as_users_come_and_a_started_one_takes_them_five_minutes_later() -> None:
    """The default rule (breadth-first, the next host once the running ones are full, 1 host spare): h0 alone
    until 01:00; then 2 users fit on h0 and the third finds no room (h1 starts, taking users at 01:05, when h2
    starts); all three until 02:00; then h2 and h1 go."""
    run = replay(default_schedule(), THREE_AT_ONE, HOSTS, 2)
    assert run.total == fixed(round(1 + 35 / 12 + 1, 3), 3, 1, hours=3)
    assert [(h.start, h.peak_sessions, h.figures) for h in run.hours] == [
        (at(0), 0, fixed(1.0, 1, 0, hours=1)),
        (at(1), 3, fixed(round(35 / 12, 3), 3, 1, hours=1)),
        (at(2), 0, fixed(1.0, 1, 0, hours=1)),
    ]
    assert run.end == at(3)


def test_a_proposed_schedule_that_starts_every_host_before_the_users_come_costs_more_and_refuses_nobody() -> None:
    """From 00:45 every host runs (9 steps of one host, then 3 of three); the users of 01:00 find room at once."""
    proposed = replay(PROPOSED, THREE_AT_ONE, HOSTS, 2)
    current = replay(default_schedule(), THREE_AT_ONE, HOSTS, 2)
    assert proposed.total == fixed(5.5, 3, 0, hours=3)
    assert [h.figures.host_hours for h in proposed.hours] == [1.5, 3.0, 1.0]
    assert proposed.total.host_hours > current.total.host_hours
    assert proposed.total.failed_sign_ins < current.total.failed_sign_ins


def test_ramp_down_logs_off_the_users_of_a_drained_host_after_the_delay_and_they_sign_in_elsewhere() -> None:
    """Ramp-down at 01:00 wants one host (minimum 0, threshold 100%): of the two in use, h1 (the highest) is
    drained and its users told; 30 minutes later they are logged off and sign in again on h0, which has room."""
    drains = SpotGroupSchedule.model_validate(
        {
            "timeZone": "UTC",
            "weekdaySets": [
                {
                    "days": EVERY_DAY,
                    "rampUp": phase("00:00", 100),
                    "peak": phase("00:30", 100),
                    "rampDown": phase(
                        "01:00",
                        0,
                        logOff={"policy": "notifyThenLogOff", "delayMinutes": 30, "message": "Please save your work"},
                    ),
                    "offPeak": phase("03:00", 0),
                }
            ],
        }
    )
    # two users from 00:00 (one on each of h0 and h1: every host is on, breadth-first); h2 idle
    run = replay(drains, curve((0, 2), (2, 2)), HOSTS, 4)
    assert run.total.failed_sign_ins == 0
    by_hour = {h.start: h.figures for h in run.hours}
    # 00:xx all 3; from 01:00 h2 (idle) goes and h1 drains; logged off at 01:30, h1 goes at 01:35
    assert by_hour[at(0)].host_hours == 3.0
    assert by_hour[at(1)].host_hours == round((7 * 2 + 5 * 1) * 5 / 60, 3)
    assert by_hour[at(2)].host_hours == round(1 * 5 / 60, 3)


def test_users_are_placed_breadth_first_as_the_host_pool_is_made_until_a_saved_schedules_run_sets_the_phases() -> None:
    """The pool places a user as the last run left it: at 01:00, in a depth-first ramp-down that wants one host, the
    run sets depth-first after its step's users came, so the second user (01:00, hosts of 4 sessions) still goes to
    h1 (empty), breadth-first. So h1 is busy: drained, not deallocated, it runs until its user goes at 02:00."""
    ramp_down = SpotGroupSchedule.model_validate(
        {
            "timeZone": "UTC",
            "weekdaySets": [
                {
                    "days": EVERY_DAY,
                    "rampUp": phase("00:00", 100),
                    "peak": phase("00:30", 100),
                    "rampDown": phase("01:00", 0),
                    "offPeak": phase("03:00", 0),
                }
            ],
        }
    )
    assert ramp_down.weekday_sets[0].ramp_down.load_balancing == "depthFirst"
    run = replay(ramp_down, curve((0, 1), (1, 2), (2, 0), (2 + 55 / 60, 0)), HOSTS, 4)
    assert [h.figures.host_hours for h in run.hours] == [3.0, 2.0, 1.0]
    assert run.total.failed_sign_ins == 0

    # a user who comes at 01:30, after the ramp-down's run set depth-first, goes beside the first on h0: at the
    # off-peak of 02:00 h1 is idle and goes. Without a saved schedule the pool stays breadth-first: h1 takes that
    # user, and runs until 03:00
    all_on = SpotGroupSchedule.model_validate(
        {
            "timeZone": "UTC",
            "weekdaySets": [
                {
                    "days": EVERY_DAY,
                    "rampUp": phase("00:00", 100),
                    "peak": phase("00:30", 100),
                    "rampDown": phase("01:00", 100),
                    "offPeak": phase("02:00", 0),
                }
            ],
        }
    )
    late = curve((0, 1), (1.5, 2), (3, 0), (3 + 55 / 60, 0))
    assert [h.figures.host_hours for h in replay(all_on, late, HOSTS, 4).hours] == [3.0, 3.0, 1.0, 1.0]
    assert [h.figures.host_hours for h in replay(all_on, late, HOSTS, 4, saved=False).hours] == [3.0, 3.0, 2.0, 1.0]


# the next host once the running ones are full (threshold 100%), none spare: all day
NO_SPARE = SpotGroupSchedule.model_validate(
    {
        "timeZone": "UTC",
        "weekdaySets": [
            {
                "days": EVERY_DAY,
                "rampUp": phase("00:00", 0),
                "peak": phase("06:00", 0),
                "rampDown": phase("12:00", 0),
                "offPeak": phase("18:00", 0),
            }
        ],
    }
)
# one more user every 5 minutes from 00:05 to 00:30, six until 00:55
RISING = curve(*((n / 12, n) for n in range(7)), (55 / 60, 6))


def scales(**fields: Any) -> Scaling:
    """A base of 1 host (h0) of 2 sessions, a ceiling of 3, idle hosts deleted after 30 minutes."""
    return Scaling(HostScaling.model_validate({"baseHosts": 1, "maxHosts": 3, "deleteAfterMinutes": 30, **fields}), 3)


def test_a_rising_load_makes_hosts_up_to_the_ceiling_and_sign_ins_fail_while_they_are_made() -> None:
    """h0 is full at 00:10: the rule wants a second host, made then (it runs from then), which takes users at 00:25
    (CREATE_DELAY); meanwhile the 3rd and 4th users fail (1 at 00:15, 2 at 00:20). At 00:25 the 5th fails and a
    third host is made, taking users at 00:40 (2 fail at 00:30 and 00:35). At 00:40 the rule wants 4: the ceiling
    is 3. Every host made runs from the step it was made: 12 + 10 + 7 steps."""
    assert CREATE_DELAY == 3 * STEP
    run = replay(NO_SPARE, RISING, ["h0"], 2, scaling=scales())
    assert run.total == ReplayFigures(
        host_hours=round(29 / 12, 3),
        disk_hours=round(29 / 12, 3),
        peak_hosts_running=3,
        failed_sign_ins=1 + 2 + 1 + 2 + 2,
        hosts_created=2,
        hosts_deleted=0,
    )


def test_a_buffer_of_free_sessions_makes_hosts_before_the_users_come_and_nobody_fails() -> None:
    """bufferSessions 4: warm, a second host exists for them (made before the curve, not counted; the schedule
    deallocates it, idle); at 00:05 one user
    and the buffer need 3 hosts, the third made then; the schedule starts the second at 00:10 for the 3rd user, and
    the third takes the 5th at 00:25. The buffer costs host-hours and disk-hours; it saves the sign-ins."""
    run = replay(NO_SPARE, RISING, ["h0"], 2, scaling=scales(bufferSessions=4))
    unbuffered = replay(NO_SPARE, RISING, ["h0"], 2, scaling=scales())
    # h0 12 steps; the second 12 existing, running from 00:10 (10); the third made at 00:05 (11)
    assert run.total == ReplayFigures(
        host_hours=round(33 / 12, 3),
        disk_hours=round(35 / 12, 3),
        peak_hosts_running=3,
        failed_sign_ins=0,
        hosts_created=1,
        hosts_deleted=0,
    )
    assert run.total.host_hours > unbuffered.total.host_hours


def test_a_falling_load_deletes_hosts_down_to_the_base_after_the_delay_and_their_disks_go_with_them() -> None:
    """Six users at 00:00 (warm: the hosts the rule makes for them exist already, made before the curve), none from
    01:00: the schedule
    deallocates the two made hosts at 01:00, unneeded from then; at 01:30 (deleteAfterMinutes) both are deleted,
    gone from 01:35; h0, the base, stays. A fixed set of 3 hosts keeps its disks: 3 hosts x 3 hours."""
    falling = curve((0, 6), (1, 0), (2 + 55 / 60, 0))
    run = replay(NO_SPARE, falling, ["h0"], 2, scaling=scales())
    assert run.total == ReplayFigures(
        host_hours=5.0,
        disk_hours=round(3 + (12 + 7 + 7) / 12 + 1, 3),
        peak_hosts_running=3,
        failed_sign_ins=0,
        hosts_created=0,
        hosts_deleted=2,
    )
    assert [(h.figures.hosts_deleted, h.figures.disk_hours) for h in run.hours] == [
        (0, 3.0),
        (2, round(26 / 12, 3)),
        (0, 1.0),
    ]
    assert replay(NO_SPARE, falling, HOSTS, 2).total.disk_hours == 9.0


@pytest.mark.parametrize(
    ("points", "target", "code"),
    [
        ([(0, 1), (0, 2)], "loadCurve.1.dateTime", "notInOrder"),
        ([(0, 1), (24 * 14 + 1, 2)], "loadCurve.1.dateTime", "curveTooLong"),
    ],
)
def test_a_curve_runs_forward_for_two_weeks_at_most(points: list[tuple[float, int]], target: str, code: str) -> None:
    body = {"timeZone": "UTC", "loadCurve": [{"dateTime": at(h).isoformat(), "sessions": n} for h, n in points]}
    with pytest.raises(ValidationError) as refused:
        ScheduleTrial.model_validate(body)
    [error] = refused.value.errors()
    assert (".".join(map(str, error["loc"])), error["type"]) == (target, code)
