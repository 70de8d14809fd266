"""The 5-minute optimization following a saved schedule on a fake clock (shared/services/spot_pc/spot_group_power.py):
starts, drains and deallocations carried out and on the group's timeline with their reasons, once a slot; the hours
each host runs; the schedule saved, read and removed (group_schedules.py) and replayed against the recorded load."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shared.errors import Conflict, PreconditionFailed, ValidationFailed
from shared.models.schedule_replays import ScheduleTrial
from shared.models.session_hosts import SessionHost
from shared.models.spot_group_records import SpotGroupEvent
from shared.models.spot_schedules import SpotGroupSchedule
from shared.services.costs.metering import meter
from shared.services.spot_pc import group_schedules, host_hours, spot_group_power, spot_groups
from shared.services.spot_pc.host_records import live_hosts
from tests.fakes import Fakes
from tests.fakes.seed import TENANT, site, tenant
from tests.unit.test_spot_groups import PERSONAL_IMAGE, body, deploy, ready_image, sessions

SUNDAY_EVENING = datetime(2026, 11, 1, 19, 0, tzinfo=UTC)  # the group is deployed then (20:00 in Amsterdam)
MONDAY = datetime(2026, 11, 2, tzinfo=UTC)
AMSTERDAM = timedelta(hours=1)  # in November: UTC+1
WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday"]
SCHEDULE = {
    "timeZone": "Europe/Amsterdam",
    "weekdaySets": [
        {
            "days": WEEKDAYS,
            "rampUp": {"start": "07:00", "minimumHostsPercent": 50, "capacityThresholdPercent": 80},
            "peak": {"start": "09:00", "minimumHostsPercent": 100, "capacityThresholdPercent": 80},
            "rampDown": {
                "start": "17:00",
                "minimumHostsPercent": 0,
                "capacityThresholdPercent": 100,
                "logOff": {"policy": "notifyThenLogOff", "delayMinutes": 30, "message": "Save your work"},
            },
            "offPeak": {"start": "19:00", "minimumHostsPercent": 0, "capacityThresholdPercent": 100},
        }
    ],
}


def local(day: datetime, hhmm: str) -> datetime:
    """`day`'s local time in Amsterdam, as the UTC instant the clock shows."""
    hours, minutes = map(int, hhmm.split(":"))
    return day + timedelta(hours=hours, minutes=minutes) - AMSTERDAM


@pytest.fixture
def fakes() -> Fakes:
    world = Fakes(SUNDAY_EVENING)
    tenant(world)
    site(world)
    for user in ("ann", "bob", "cat"):
        world.directory.add_user(TENANT, user, display_name=user.title())
    world.directory.add_group(TENANT, "sales", "ann", "bob", "cat")
    world.directory.add_group(TENANT, "support", "cat")
    return world


def deployed(fakes: Fakes, **fields: Any) -> str:
    group, run = spot_groups.create_spot_group(fakes.admin_ports(), TENANT, body(ready_image(fakes), **fields))
    assert deploy(fakes, run) == "succeeded"
    return group.id


def four_hosts(fakes: Fakes) -> str:
    """A pooled group of 4 hosts of 2 sessions, with SCHEDULE saved."""
    group_id = deployed(fakes, licenseCount=8, maxSessionsPerHost=2)
    schedule = SpotGroupSchedule.model_validate(SCHEDULE)
    group = group_schedules.pooled_group(fakes.spot_group_ports(), TENANT, group_id)
    group_schedules.save_schedule(fakes.spot_group_ports(), group, schedule, if_match=None)
    return group_id


def optimize_at(fakes: Fakes, group_id: str, now: datetime) -> spot_group_power.PowerPlan:
    fakes.clock.now = now
    group = fakes.spot_groups.get_spot_group(TENANT, group_id)
    return spot_group_power.optimize(fakes.spot_group_ports(), group, now)


def timeline(fakes: Fakes, group_id: str) -> list[SpotGroupEvent]:
    events, _ = group_schedules.list_events(fakes.spot_group_ports(), TENANT, group_id, top=1000, skip_token=None)
    return events


def hosts(fakes: Fakes, group_id: str) -> dict[str, SessionHost]:
    return {f"h{h.index}": h for h in fakes.spot_groups.list_hosts(TENANT, group_id)}


def names(fakes: Fakes, group_id: str, *indexes: int) -> list[str]:
    found = hosts(fakes, group_id)
    return [found[f"h{i}"].name for i in indexes]


def test_the_optimization_follows_the_saved_schedules_phases_each_decision_with_its_reason(fakes: Fakes) -> None:
    group_id = four_hosts(fakes)
    sessions(fakes, group_id)

    # Monday 06:00: Friday's off-peak goes on over the weekend (no minimum): one host for the next user
    plan = optimize_at(fakes, group_id, local(MONDAY, "06:00"))
    assert (plan.start, plan.stop) == ([], names(fakes, group_id, 3, 2, 1))
    [*_, last] = [e for e in timeline(fakes, group_id) if e.action == "deallocate"]
    assert (last.action, last.phase, last.outcome) == ("deallocate", "offPeak", "done")
    assert "at 06:00: off-peak" in last.reason and "idle" in last.reason
    # and the host pool packs new users on few hosts, so the others can go
    pool = fakes.avd.pools[(TENANT, "spotpc-sales-desktops")]
    [balanced] = [e for e in timeline(fakes, group_id) if e.action == "balanceLoad"]
    assert pool.load_balancing == "depthFirst" and balanced.host == "spotpc-sales-desktops"
    assert balanced.reason == "placing new users depth-first (the fullest with room) at 06:00: off-peak"

    # 07:02: ramp-up keeps half the hosts on
    plan = optimize_at(fakes, group_id, local(MONDAY, "07:02"))
    assert plan.start == names(fakes, group_id, 1)
    [started] = [e for e in timeline(fakes, group_id) if e.action == "start"]
    assert started.phase == "rampUp" and started.outcome == "done"
    assert started.reason == f"started {started.host} at 07:02: ramp-up, minimum 50% of 4 hosts"
    assert started.id == f"{local(MONDAY, '07:00'):%Y%m%dT%H%M}Z.{started.host}.start"
    assert pool.load_balancing == "breadthFirst", "ramp-up spreads users again"
    assert [e.phase for e in timeline(fakes, group_id) if e.action == "balanceLoad"] == ["rampUp", "offPeak"]
    optimize_at(fakes, group_id, local(MONDAY, "08:00"))
    assert len([e for e in timeline(fakes, group_id) if e.action == "balanceLoad"]) == 2, "changed only once a phase"

    # 09:00: the peak wants them all
    assert optimize_at(fakes, group_id, local(MONDAY, "09:00")).start == names(fakes, group_id, 2, 3)
    assert fakes.spot_groups.get_spot_group(TENANT, group_id).session_host_counts.running == 4

    # newest first
    when = [e.date_time for e in timeline(fakes, group_id)]
    assert when == sorted(when, reverse=True)


def test_ramp_down_drains_a_busy_host_notifies_its_users_logs_them_off_after_the_delay_and_undrains_it_when_wanted(
    fakes: Fakes,
) -> None:
    group_id = four_hosts(fakes)
    optimize_at(fakes, group_id, local(MONDAY, "09:00"))  # all four on
    h2 = names(fakes, group_id, 2)[0]
    pool = fakes.avd.pools[(TENANT, "spotpc-sales-desktops")]

    # 17:05, three users on h0, h1, h2: two hosts carry them (threshold 100%): h3 (idle) goes, h2 is drained
    sessions(fakes, group_id, h0=1, h1=1, h2=1)
    plan = optimize_at(fakes, group_id, local(MONDAY, "17:05"))
    assert (plan.stop, plan.drain) == (names(fakes, group_id, 3), [h2])
    assert pool.hosts[h2].allow_new_session is False
    assert hosts(fakes, group_id)["h2"].drained_at == local(MONDAY, "17:05")
    [notice] = [e for e in timeline(fakes, group_id) if e.action == "notify"]
    assert (notice.host, notice.outcome, notice.phase) == (h2, "done", "rampDown")
    assert notice.reason.startswith(f"notified the 1 users of {h2} at 17:05: ramp-down")
    [sent] = pool.messages
    assert (sent.vm_name, sent.title, sent.message) == (h2, spot_group_power.NOTICE_TITLE, "Save your work")
    assert hosts(fakes, group_id)["h2"].notified_at == local(MONDAY, "17:05")

    # told once; logged off delayMinutes (30) after the notice, never sooner
    optimize_at(fakes, group_id, local(MONDAY, "17:30"))
    assert len(pool.messages) == 1 and len(pool.sessions) == 3
    optimize_at(fakes, group_id, local(MONDAY, "17:35"))
    [logged_off] = [e for e in timeline(fakes, group_id) if e.action == "logOff"]
    assert (logged_off.host, logged_off.outcome) == (h2, "done")
    assert sorted(vm for vm, _ in pool.sessions) == sorted(names(fakes, group_id, 0, 1))

    # its user gone: the drained host goes
    assert optimize_at(fakes, group_id, local(MONDAY, "17:45")).stop == [h2]
    gone = next(e for e in timeline(fakes, group_id) if e.host == h2)
    assert gone.action == "deallocate" and "drained and its users gone" in gone.reason

    # Tuesday's peak wants every host: h2 is allowed sessions again, then started
    assert h2 in optimize_at(fakes, group_id, local(MONDAY + timedelta(days=1), "09:00")).start
    again = hosts(fakes, group_id)["h2"]
    assert (again.allow_new_session, again.drained_at, again.power_state) == (True, None, "running")
    assert pool.hosts[h2].allow_new_session is True


def test_a_run_repeated_in_its_slot_writes_over_its_own_lines_and_a_failed_start_is_on_the_timeline(
    fakes: Fakes,
) -> None:
    group_id = four_hosts(fakes)
    optimize_at(fakes, group_id, local(MONDAY, "06:00"))  # one host on
    fakes.script.fail("start", times=None, code="OperationNotAllowed")
    optimize_at(fakes, group_id, local(MONDAY, "07:01"))
    [failed] = [e for e in timeline(fakes, group_id) if e.action == "start"]
    assert (failed.outcome, failed.error) == ("failed", "OperationNotAllowed")
    assert hosts(fakes, group_id)["h1"].power_state == "deallocated"

    fakes.script.clear("start")
    lines = len(timeline(fakes, group_id))
    optimize_at(fakes, group_id, local(MONDAY, "07:03"))  # the timer's retry, in the same 5 minutes
    assert len(timeline(fakes, group_id)) == lines
    [done] = [e for e in timeline(fakes, group_id) if e.action == "start"]
    assert (done.id, done.outcome, done.error) == (failed.id, "done", None)
    optimize_at(fakes, group_id, local(MONDAY, "07:04"))  # nothing left to decide
    assert len(timeline(fakes, group_id)) == lines


def test_each_host_keeps_the_hours_it_ran_through_the_optimization_and_its_rebuilds(fakes: Fakes) -> None:
    group_id = four_hosts(fakes)  # made Sunday 19:00 UTC: every host runs from then
    group = fakes.spot_groups.get_spot_group(TENANT, group_id)
    optimize_at(fakes, group_id, SUNDAY_EVENING + timedelta(hours=2))  # Sunday off-peak: h1-h3 deallocated
    stopped = hosts(fakes, group_id)["h3"]
    assert (stopped.running_since, stopped.hours_accumulated) == (None, 2.0)

    fakes.clock.now = SUNDAY_EVENING + timedelta(hours=5)
    listed = {h.index: h for h in live_hosts(fakes.spot_group_ports(), group)}
    assert (listed[0].hours_run, listed[3].hours_run) == (5.0, 2.0)  # h0 ran on; h3 stopped at 2 hours
    assert hosts(fakes, group_id)["h0"].hours_run is None  # the list's figure is not stored

    optimize_at(fakes, group_id, local(MONDAY, "09:00"))  # 08:00 UTC: h3 started again, 11 hours after h0's start
    fakes.clock.now = local(MONDAY, "09:30")
    assert host_hours.hours_run(hosts(fakes, group_id)["h3"], fakes.clock()) == 2.5


def test_each_hosts_power_records_meter_the_hours_it_ran(fakes: Fakes) -> None:
    group_id = four_hosts(fakes)
    optimize_at(fakes, group_id, SUNDAY_EVENING + timedelta(hours=2))  # h1-h3 deallocated
    optimize_at(fakes, group_id, SUNDAY_EVENING + timedelta(hours=2))  # a run repeated: no record counts twice
    optimize_at(fakes, group_id, local(MONDAY, "09:00"))  # started again
    end = local(MONDAY, "09:30")
    records = [r for r in fakes.power_records.list_power_records(TENANT, end) if r.kind == "sessionHost"]
    ran: dict[str, float] = defaultdict(float)
    for day in meter(records, SUNDAY_EVENING, end):
        ran[day.resource.display_name] += day.running_hours
    assert ran == {h.name: host_hours.hours_run(h, end) for h in hosts(fakes, group_id).values()}
    site_id = fakes.spot_groups.get_spot_group(TENANT, group_id).site_id
    assert {(r.kind, r.spot_group_id, r.site_id, r.priority, r.windows_licence) for r in records} == {
        ("sessionHost", group_id, site_id, "regular", "customer")
    }


def test_a_schedule_is_saved_over_its_etag_only_and_removed_back_to_the_default(fakes: Fakes) -> None:
    ports = fakes.spot_group_ports()
    group_id = deployed(fakes, licenseCount=8, maxSessionsPerHost=2)
    default = group_schedules.read_schedule(ports, TENANT, group_id)
    assert (default.is_default, default.time_zone, default.weekday_sets, default.etag) == (True, "UTC", [], None)

    schedule = SpotGroupSchedule.model_validate(SCHEDULE)
    group = group_schedules.pooled_group(ports, TENANT, group_id)
    saved = group_schedules.save_schedule(ports, group, schedule, if_match=None)
    read = group_schedules.read_schedule(ports, TENANT, group_id)
    assert (read.is_default, read.etag, read.weekday_sets) == (False, saved.etag, schedule.weekday_sets)
    assert saved.etag is not None
    group_schedules.save_schedule(ports, group, schedule, if_match=saved.etag)
    with pytest.raises(PreconditionFailed):  # the etag read before that save
        group_schedules.save_schedule(ports, group, schedule, if_match=saved.etag)

    group_schedules.delete_schedule(ports, TENANT, group_id, if_match=None)
    assert group_schedules.read_schedule(ports, TENANT, group_id).is_default
    with pytest.raises(PreconditionFailed):  # it is gone since that etag
        group_schedules.save_schedule(ports, group, schedule, if_match=saved.etag)


def test_a_personal_group_has_no_schedule(fakes: Fakes) -> None:
    image_set_id = ready_image(fakes, PERSONAL_IMAGE)
    group, _ = spot_groups.create_spot_group(
        fakes.admin_ports(), TENANT, body(image_set_id, userType="personal", licenseCount=2)
    )
    with pytest.raises(Conflict) as refused:
        group_schedules.read_schedule(fakes.spot_group_ports(), TENANT, group.id)
    assert (refused.value.code, refused.value.target) == ("notPooled", "userType")


def test_the_replay_reads_the_load_each_run_recorded_and_keeps_two_weeks_of_it(fakes: Fakes) -> None:
    group_id = four_hosts(fakes)
    sessions(fakes, group_id, h0=2)
    first = local(MONDAY, "06:00")
    for step in range(4):  # four runs, 5 minutes apart
        optimize_at(fakes, group_id, first + step * timedelta(minutes=5))
    trial = ScheduleTrial.model_validate({"timeZone": "UTC"})  # the default rule, proposed
    group = group_schedules.pooled_group(fakes.spot_group_ports(), TENANT, group_id)
    replayed = group_schedules.try_schedule(fakes.spot_group_ports(), group, trial)
    assert (replayed.source, replayed.from_date_time, replayed.session_hosts) == ("recordedSessions", first, 4)
    assert replayed.to_date_time == first + timedelta(minutes=20)
    assert not replayed.current_is_default
    assert [h.peak_sessions for h in replayed.hours] == [2]

    later = first + timedelta(days=14, minutes=10)  # the samples older than two weeks go as new ones come
    optimize_at(fakes, group_id, later)
    loads = fakes.spot_group_schedules.list_loads(TENANT, group_id, first - timedelta(days=1))
    assert [s.date_time for s in loads] == [first + timedelta(minutes=10), first + timedelta(minutes=15), later]


def test_a_proposed_scaling_is_replayed_beside_the_groups_own(fakes: Fakes) -> None:
    """A group of base 1, no buffer, ceiling 3 (2 sessions a host): users coming one every 5 minutes fail while its
    hosts are made; the proposed buffer of 4 makes them before the users come, at a cost in host-hours."""
    group_id = deployed(fakes, licenseCount=6, maxSessionsPerHost=2, scaling={"baseHosts": 1, "maxHosts": 3})
    group = group_schedules.pooled_group(fakes.spot_group_ports(), TENANT, group_id)
    curve = [{"dateTime": (MONDAY + n * timedelta(minutes=5)).isoformat(), "sessions": min(n, 6)} for n in range(12)]
    trial = ScheduleTrial.model_validate(
        {"timeZone": "UTC", "loadCurve": curve, "scaling": {"baseHosts": 1, "maxHosts": 3, "bufferSessions": 4}}
    )
    replayed = group_schedules.try_schedule(fakes.spot_group_ports(), group, trial)
    assert (replayed.session_hosts, replayed.create_delay_minutes) == (1, 15)
    assert replayed.current.failed_sign_ins > 0 and replayed.proposed.failed_sign_ins == 0
    assert replayed.proposed.host_hours > replayed.current.host_hours
    assert (replayed.proposed.hosts_created, replayed.current.hosts_created) == (1, 2)

    too_big = ScheduleTrial.model_validate({"timeZone": "UTC", "loadCurve": curve, "scaling": {"baseHosts": 4}})
    with pytest.raises(ValidationFailed) as refused:
        group_schedules.try_schedule(fakes.spot_group_ports(), group, too_big)
    assert [(d.target, d.code) for d in refused.value.details] == [("scaling.baseHosts", "baseAboveCeiling")]


def test_a_host_made_before_hours_were_kept_counts_them_from_the_first_run_that_sees_it(fakes: Fakes) -> None:
    group_id = four_hosts(fakes)
    old = hosts(fakes, group_id)["h0"].model_copy(update={"running_since": None})
    fakes.spot_groups.put_host(TENANT, group_id, old)
    optimize_at(fakes, group_id, local(MONDAY, "09:00"))
    assert hosts(fakes, group_id)["h0"].running_since == local(MONDAY, "09:00")
