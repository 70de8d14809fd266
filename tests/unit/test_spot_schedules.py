"""Spot Group schedules on a fake clock (explicit instants): the phase at an instant across midnight, daylight saving
and holidays; the rule's starts, drains, log-offs and deallocations; and each refused schedule's error at its field."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from shared.models.session_hosts import SessionHost
from shared.models.spot_schedules import SpotGroupSchedule
from shared.models.validation import validation_details
from shared.ports.desktop_virtualization import SessionHostRecord
from shared.services.spot_pc.spot_schedules import Decision, phase_at, placement_order, plan

AMS = ZoneInfo("Europe/Amsterdam")
WORKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday"]
EVERY_DAY = [*WORKDAYS, "saturday", "sunday"]
MONDAY = datetime(2026, 6, 15, tzinfo=AMS)  # a summer Monday: Amsterdam is UTC+2


def at(day: datetime, hh_mm: str, seconds: int = 0) -> datetime:
    hours, minutes = map(int, hh_mm.split(":"))
    return day.replace(hour=hours, minute=minutes, second=seconds)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def phase(start: str, **fields: Any) -> dict[str, Any]:
    return {"start": start, "minimumHostsPercent": 0, "capacityThresholdPercent": 90, **fields}


def weekday_set(days: list[str] = WORKDAYS, times: str = "07:00 09:00 17:00 19:00", **phases: Any) -> dict[str, Any]:
    ramp_up, peak, ramp_down, off_peak = times.split()
    return {
        "days": days,
        "rampUp": phase(ramp_up, **phases.get("rampUp", {})),
        "peak": phase(peak, **phases.get("peak", {})),
        "rampDown": phase(ramp_down, **phases.get("rampDown", {})),
        "offPeak": phase(off_peak, **phases.get("offPeak", {})),
    }


def schedule(*sets: dict[str, Any], **fields: Any) -> SpotGroupSchedule:
    body = {"timeZone": "Europe/Amsterdam", "weekdaySets": list(sets) or [weekday_set()], **fields}
    return SpotGroupSchedule.model_validate(body)


def pool(*states: str) -> tuple[list[SessionHost], dict[str, SessionHostRecord]]:
    """host-1, host-2, ... each "off", "on:<sessions>" or "drained:<sessions>" (running, taking no new session)."""
    hosts, live = [], {}
    for index, state in enumerate(states, start=1):
        kind, _, sessions = state.partition(":")
        name = f"host-{index}"
        hosts.append(
            SessionHost(
                name=name,
                index=index,
                status="running",
                image_version="0.0.0",
                power_state="deallocated" if kind == "off" else "running",
                allow_new_session=kind != "drained",
            )
        )
        live[name] = SessionHostRecord(name, "Available", kind != "drained", int(sessions or 0))
    return hosts, live


def actions(decisions: list[Decision]) -> list[tuple[str, str]]:
    return [(d.action, d.host) for d in decisions]


# --- the phase at an instant -------------------------------------------------------------------------------------


def test_the_evenings_off_peak_runs_past_midnight_to_the_next_ramp_up() -> None:
    workdays = schedule()
    night = phase_at(workdays, at(MONDAY + timedelta(days=1), "03:00"))
    assert (night.name, night.started, night.next_change, night.next_name) == (
        "offPeak",
        utc(2026, 6, 15, 17),
        utc(2026, 6, 16, 5),
        "rampUp",
    )
    assert night.why == "monday in weekdaySets[0]"  # Monday's evening, though it is Tuesday
    assert phase_at(workdays, at(MONDAY + timedelta(days=1), "06:59", 59)).name == "offPeak"
    assert phase_at(workdays, at(MONDAY + timedelta(days=1), "07:00")).name == "rampUp"
    day = [phase_at(workdays, at(MONDAY, hh_mm)).name for hh_mm in ("08:59", "09:00", "17:00", "18:59", "19:00")]
    assert day == ["rampUp", "peak", "rampDown", "rampDown", "offPeak"]


def test_a_day_in_no_set_goes_on_in_the_off_peak_of_the_day_before() -> None:
    workdays = schedule(weekday_set(offPeak={"minimumHostsPercent": 5}))
    saturday = phase_at(workdays, at(MONDAY + timedelta(days=5), "12:00"))
    assert (saturday.name, saturday.started, saturday.next_change) == (
        "offPeak",
        utc(2026, 6, 19, 17),
        utc(2026, 6, 22, 5),
    )
    assert saturday.phase.minimum_hosts_percent == 5


def test_a_phase_at_a_time_the_clocks_skip_starts_when_they_jump() -> None:
    # Amsterdam, Sunday 2026-03-29: 02:00 CET becomes 03:00 CEST (01:00 UTC), so 02:30 does not exist that day
    every_day = schedule(weekday_set(EVERY_DAY, "02:30 09:00 17:00 19:00"))
    assert phase_at(every_day, utc(2026, 3, 28, 2)).started == utc(2026, 3, 28, 1, 30)  # 02:30 CET the day before
    assert phase_at(every_day, utc(2026, 3, 29, 0, 59, 59)).next_change == utc(2026, 3, 29, 1)
    ramp_up = phase_at(every_day, utc(2026, 3, 29, 1))
    assert (ramp_up.name, ramp_up.started, ramp_up.next_change) == ("rampUp", utc(2026, 3, 29, 1), utc(2026, 3, 29, 7))
    new_york = every_day.model_copy(update={"time_zone": "America/New_York"})  # 2026-03-08, 02:00 EST -> 03:00 EDT
    assert phase_at(new_york, utc(2026, 3, 8, 7)).started == utc(2026, 3, 8, 7)


def test_a_phase_at_a_time_the_clocks_pass_twice_starts_at_the_first() -> None:
    # Amsterdam, Sunday 2026-10-25: 03:00 CEST becomes 02:00 CET (01:00 UTC), so 02:30 comes twice
    every_day = schedule(weekday_set(EVERY_DAY, "02:30 09:00 17:00 19:00"))
    first = phase_at(every_day, utc(2026, 10, 25, 0, 30))
    assert (first.name, first.started) == ("rampUp", utc(2026, 10, 25, 0, 30))  # 02:30 CEST
    again = phase_at(every_day, utc(2026, 10, 25, 1, 30))  # 02:30 CET: the same ramp-up, not a new one
    assert (again.name, again.started, again.next_change) == ("rampUp", utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 8))
    evening = phase_at(every_day, utc(2026, 10, 25, 20))  # 21:00 CET, a 25-hour day's off-peak
    assert (evening.started, evening.next_change) == (utc(2026, 10, 25, 18), utc(2026, 10, 26, 1, 30))


def test_an_exception_holds_its_phase_all_day_then_the_week_goes_on() -> None:
    christmas = schedule(exceptions=[{"date": "2026-12-25", "name": "Christmas"}])  # a Friday
    eve = phase_at(christmas, datetime(2026, 12, 24, 20, tzinfo=AMS))
    assert (eve.name, eve.next_change, eve.next_name) == ("offPeak", utc(2026, 12, 24, 23), "offPeak")
    day = phase_at(christmas, datetime(2026, 12, 25, 10, tzinfo=AMS))
    assert (day.name, day.why, day.started, day.next_change) == (
        "offPeak",
        "Christmas",
        utc(2026, 12, 24, 23),
        utc(2026, 12, 25, 23),
    )
    after = phase_at(christmas, datetime(2026, 12, 26, 10, tzinfo=AMS))  # Saturday: Friday's off-peak, from midnight
    assert (after.name, after.why, after.exception, after.next_change) == (
        "offPeak",
        "friday in weekdaySets[0]",
        None,
        utc(2026, 12, 28, 6),
    )
    hosts, live = pool("on:0", "on:0", "on:0")
    [decision] = plan(christmas, datetime(2026, 12, 25, 10, tzinfo=AMS), hosts, live, 10)[-1:]
    assert decision.reason.startswith("deallocated host-2 at 10:00: off-peak (Christmas), idle")


def test_an_exception_on_a_day_in_no_set_takes_its_phase_from_the_set_before() -> None:
    busy_saturday = schedule(
        weekday_set(peak={"minimumHostsPercent": 60}), exceptions=[{"date": "2026-06-20", "phase": "peak"}]
    )
    saturday = phase_at(busy_saturday, at(MONDAY + timedelta(days=5), "15:00"))
    assert (saturday.name, saturday.why, saturday.phase.minimum_hosts_percent) == (
        "peak",
        "the exception on 2026-06-20",
        60,
    )


# --- placement ---------------------------------------------------------------------------------------------------


def test_new_sessions_spread_breadth_first_and_pack_depth_first() -> None:
    hosts, live = pool("on:3", "on:1", "on:5", "off", "on:3", "drained:0")  # host-3 is full at 5
    breadth = [h.name for h in placement_order(hosts, live, "breadthFirst", 5)]
    depth = [h.name for h in placement_order(hosts, live, "depthFirst", 5)]
    assert breadth == ["host-2", "host-1", "host-5"]
    assert depth == ["host-1", "host-5", "host-2"]


# --- the rule ----------------------------------------------------------------------------------------------------


def test_the_next_host_starts_when_the_sessions_reach_the_threshold() -> None:
    ramp_up = schedule(weekday_set(rampUp={"capacityThresholdPercent": 80}))
    hosts, live = pool("on:9", "on:8", "off", "off")
    [started] = plan(ramp_up, at(MONDAY, "08:02"), hosts, live, 10)
    reason = "started host-3 at 08:02: ramp-up, sessions at 85% of capacity, threshold 80%"
    assert started == Decision("host-3", "start", reason)
    hosts, live = pool("on:8", "on:8", "off", "off")  # exactly 80%
    assert actions(plan(ramp_up, at(MONDAY, "08:02"), hosts, live, 10)) == [("start", "host-3")]
    hosts, live = pool("on:8", "on:7", "off", "off")  # 75%
    assert plan(ramp_up, at(MONDAY, "08:02"), hosts, live, 10) == []


def test_the_minimum_share_of_hosts_runs_without_sessions_and_idle_ones_beyond_it_go() -> None:
    peak = schedule(weekday_set(peak={"minimumHostsPercent": 50}))
    hosts, live = pool("off", "off", "off", "off", "off")
    decisions = plan(peak, at(MONDAY, "10:00"), hosts, live, 10)
    assert actions(decisions) == [("start", "host-1"), ("start", "host-2"), ("start", "host-3")]  # ceil(2.5)
    assert decisions[0].reason == "started host-1 at 10:00: peak, minimum 50% of 5 hosts"
    hosts, live = pool("on:0", "on:0", "on:0", "on:0", "on:0")
    evening = plan(peak, at(MONDAY, "20:00"), hosts, live, 10)  # off-peak, no minimum: one host for the next users
    assert actions(evening) == [("deallocate", f"host-{n}") for n in (5, 4, 3, 2)]


def test_a_host_with_sessions_is_never_deallocated_and_only_ramp_down_drains_one() -> None:
    hosts, live = pool("on:6", "on:2", "on:5")  # 13 sessions need 2 hosts below 90%
    assert plan(schedule(), at(MONDAY, "20:00"), hosts, live, 10) == []  # off-peak: the users stay where they are
    [drained] = plan(schedule(), at(MONDAY, "17:30"), hosts, live, 10)  # depth-first: the least loaded goes
    assert (drained.action, drained.host) == ("drain", "host-2")
    assert drained.reason == (
        "drained host-2 at 17:30: ramp-down, 2 sessions; 2 of 3 running hosts needed, "
        "sessions at 43% of capacity, threshold 90%"
    )
    breadth = schedule(weekday_set(rampDown={"loadBalancing": "breadthFirst"}))
    assert actions(plan(breadth, at(MONDAY, "17:30"), hosts, live, 10)) == [("drain", "host-3")]  # highest index


def test_ramp_down_logs_users_off_only_once_the_delay_since_their_notice_has_passed() -> None:
    log_off = {"policy": "notifyThenLogOff", "delayMinutes": 30, "message": "This desktop closes in 30 minutes."}
    evening = schedule(weekday_set(rampDown={"logOff": log_off}))
    hosts, live = pool("on:6", "on:2")
    notice = at(MONDAY, "17:10")
    assert actions(plan(evening, notice, hosts, live, 10)) == [("drain", "host-2"), ("notify", "host-2")]

    hosts, live = pool("on:6", "drained:2")
    told = {"host-2": notice}
    for now in (notice + timedelta(minutes=30, seconds=-1), notice + timedelta(minutes=30), at(MONDAY, "18:05")):
        decisions = plan(evening, now, hosts, live, 10, drained={"host-2"}, notified=told)
        assert actions(decisions) == ([("logOff", "host-2")] if now - notice >= timedelta(minutes=30) else [])
    assert decisions[0].reason == "logged off the 2 users of host-2 at 18:05: ramp-down, notified at 17:10"

    hosts, live = pool("on:6", "drained:0")  # they are gone: so is the host
    gone = plan(evening, at(MONDAY, "18:06"), hosts, live, 10, drained={"host-2"}, notified=told)
    assert actions(gone) == [("deallocate", "host-2")]


def test_the_users_a_run_logs_off_count_for_the_hosts_that_stay_since_they_sign_in_again() -> None:
    log_off = {"policy": "notifyThenLogOff", "delayMinutes": 30, "message": "This desktop closes in 30 minutes."}
    evening = schedule(weekday_set(rampDown={"capacityThresholdPercent": 100, "logOff": log_off}))
    hosts, live = pool("on:1", "drained:2", "on:0")  # hosts of 2 sessions
    told = {"host-2": at(MONDAY, "17:10")}
    before = plan(evening, at(MONDAY, "17:39"), hosts, live, 2, drained={"host-2"}, notified=told)
    assert actions(before) == [("deallocate", "host-3")], "1 session: host-1 carries it, host-3 is idle"
    now = plan(evening, at(MONDAY, "17:40"), hosts, live, 2, drained={"host-2"}, notified=told)
    assert actions(now) == [("logOff", "host-2")], "host-3 stays for host-2's 2 users, who come back at once"


def test_waiting_for_sign_out_never_logs_anyone_off() -> None:
    hosts, live = pool("on:6", "drained:2")
    later = plan(schedule(), at(MONDAY, "18:55"), hosts, live, 10, drained={"host-2"}, notified={})
    assert later == []
    hosts, live = pool("on:6", "drained:1")  # someone else drained host-2: not the schedule's to touch
    assert plan(schedule(), at(MONDAY, "18:55"), hosts, live, 10) == []


def test_pre_staging_runs_its_hosts_from_its_minutes_before_a_ramp_up_until_it_starts() -> None:
    staged = schedule(
        preStaging={"hosts": 3, "minutesBefore": 30}, exceptions=[{"date": "2026-06-22", "name": "a Monday off"}]
    )
    hosts, live = pool("off", "off", "off", "off", "off", "off")

    def starts(now: datetime) -> int:
        return sum(d.action == "start" for d in plan(staged, now, hosts, live, 10))

    assert starts(at(MONDAY, "06:29", 59)) == 1  # off-peak: one host for the next users
    assert starts(at(MONDAY, "06:30")) == starts(at(MONDAY, "06:59", 59)) == 3
    assert plan(staged, at(MONDAY, "06:30"), hosts, live, 10)[0].reason == (
        "started host-1 at 06:30: off-peak, pre-staging 3 hosts for the ramp-up at 07:00"
    )
    assert starts(at(MONDAY, "07:00")) == 1  # ramp-up's own rule from its start
    assert starts(at(MONDAY + timedelta(days=6), "06:45")) == 1  # Sunday: no ramp-up
    assert starts(at(MONDAY + timedelta(days=7), "06:45")) == 1  # the Monday off: no ramp-up


# --- a refused schedule says which field ---------------------------------------------------------------------------


def refused(body: dict[str, Any]) -> list[tuple[str | None, str]]:
    with pytest.raises(ValidationError) as error:
        SpotGroupSchedule.model_validate(body)
    return [(detail.target, detail.code) for detail in validation_details(error.value)]


NOTIFY = {"policy": "notifyThenLogOff", "message": "Closing soon"}


@pytest.mark.parametrize(
    ("change", "target", "code"),
    [
        ({"timeZone": "Mars/Olympus_Mons"}, "timeZone", "unknownTimeZone"),
        ({"timeZone": "localtime"}, "timeZone", "unknownTimeZone"),  # the server's zone, not a place
        ({"timeZone": "Europe"}, "timeZone", "unknownTimeZone"),
        ({"weekdaySets": [weekday_set(times="07:00 07:00 17:00 19:00")]}, "weekdaySets[0].peak.start", "phasesOverlap"),
        (
            {"weekdaySets": [weekday_set(times="07:00 09:00 17:00 16:00")]},
            "weekdaySets[0].offPeak.start",
            "phasesOverlap",
        ),
        ({"weekdaySets": [weekday_set(times="7:00 09:00 17:00 19:00")]}, "weekdaySets[0].rampUp.start", "invalidTime"),
        (
            {"weekdaySets": [weekday_set(rampUp={"capacityThresholdPercent": 0})]},
            "weekdaySets[0].rampUp.capacityThresholdPercent",
            "greaterThanEqual",
        ),
        (
            {"weekdaySets": [weekday_set(peak={"capacityThresholdPercent": 101})]},
            "weekdaySets[0].peak.capacityThresholdPercent",
            "lessThanEqual",
        ),
        (
            {"weekdaySets": [weekday_set(), weekday_set(["saturday", "friday"])]},
            "weekdaySets[1].days[1]",
            "dayInTwoSets",
        ),
        ({"weekdaySets": [weekday_set(["monday", "monday"])]}, "weekdaySets[0].days[1]", "duplicateDay"),
        (
            {"exceptions": [{"date": "2026-12-25"}, {"date": "2026-12-26"}, {"date": "2026-12-25", "phase": "peak"}]},
            "exceptions[2].date",
            "duplicateDate",
        ),
        (
            {"weekdaySets": [weekday_set(rampDown={"logOff": NOTIFY})]},
            "weekdaySets[0].rampDown.logOff.delayMinutes",
            "missing",
        ),
        (
            {"weekdaySets": [weekday_set(rampDown={"logOff": {"delayMinutes": 5}})]},
            "weekdaySets[0].rampDown.logOff.delayMinutes",
            "notAllowed",
        ),
        (
            {"weekdaySets": [weekday_set(rampDown={"logOff": {**NOTIFY, "delayMinutes": 1441}})]},
            "weekdaySets[0].rampDown.logOff.delayMinutes",
            "lessThanEqual",
        ),
        ({"preStaging": {"hosts": 2, "minutesBefore": 241}}, "preStaging.minutesBefore", "lessThanEqual"),
    ],
)
def test_each_refusal_is_located_at_its_field(change: dict[str, Any], target: str, code: str) -> None:
    body = {"timeZone": "Europe/Amsterdam", "weekdaySets": [weekday_set()], **change}
    assert refused(body) == [(target, code)]


def test_phases_default_to_the_load_balancing_of_avd_scaling_plans_and_read_back_as_written() -> None:
    body = {
        "timeZone": "Europe/Amsterdam",
        "weekdaySets": [weekday_set()],
        "exceptions": [{"date": "2026-12-25", "name": "Christmas"}],
    }
    read = SpotGroupSchedule.model_validate(body)
    [workdays] = read.weekday_sets
    assert [p.load_balancing for _, p in workdays.phases()] == [
        "breadthFirst",
        "breadthFirst",
        "depthFirst",
        "depthFirst",
    ]
    assert workdays.ramp_down.log_off.policy == "waitForSignOut"
    written = read.model_dump(mode="json")
    assert written["weekdaySets"][0]["rampUp"]["start"] == "07:00"
    assert written["exceptions"] == [{"date": "2026-12-25", "phase": "offPeak", "name": "Christmas"}]
    assert SpotGroupSchedule.model_validate(written) == read
