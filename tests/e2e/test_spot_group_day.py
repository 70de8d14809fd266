"""A pooled Spot Group's working day end to end, and the schedule's replay held to it: a day's load curve signed in
through the emulator while the 5-minute optimization follows a saved schedule, then the same curve replayed.

A day cannot pass on the wall clock, so the test is the timer: at every 5-minute step of a simulated weekday it sets
the users signed in (the emulator's `PUT load`), calls the domain function the `optimizeSpotGroups` timer calls,
`spot_group_power.optimize(ports, group, now)`, with `now` the step's time and the ports shared/bootstrap.py builds
(the Azure adapters against the emulator, the repositories on the stack's Azurite), then waits for the power actions
it asked for to finish in the emulator. A host started at one step so takes users from the next, as the replay's
START_DELAY of one period has it. Every step is 5 minutes, the optimization's period (SPOT_OPTIMIZE_SCHEDULE) and the
replay's STEP, so the replay is given the very points the day was driven with: 288 steps of a few calls each.

When the curve falls, the users who leave are spread over the hosts in proportion to their sessions (the load
control's `signOut: spread`), as users leaving at random do on average and as the replay has them leave. With the
control's default, the newest first, a drained host's users (the last to sign in) leave before its log-off, and the
day no longer follows the curve the replay is given; held to the same rule, the two agree to the step.

The simulated day is a recent weekday that has ended: what the app stamps with its own clock (the hosts' runs made
by the deployment) then lies after the day, and the day's hours are the timeline's, stamped with the `now` each run
was given.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from shared.services.spot_pc import spot_group_power
from tests.e2e.test_spot_group_sessions import Users
from tests.e2e.test_spot_groups import group_body, ready_version, settled
from tests.utils.api_client import ApiClient, eventually
from tests.utils.wizard import CLOUD_PC_RG, Tenant

if TYPE_CHECKING:
    from shared.bootstrap import Services

ZONE = ZoneInfo("Europe/Amsterdam")
STEP = dt.timedelta(minutes=5)
MESSAGE = "This desktop closes in 30 minutes: please save your work."
WORKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday"]
SCHEDULE: dict[str, Any] = {
    "timeZone": "Europe/Amsterdam",
    "weekdaySets": [
        {
            "days": WORKDAYS,
            "rampUp": {"start": "07:00", "minimumHostsPercent": 30, "capacityThresholdPercent": 60},
            "peak": {"start": "09:00", "minimumHostsPercent": 50, "capacityThresholdPercent": 80},
            "rampDown": {
                "start": "17:00",
                "minimumHostsPercent": 10,
                "capacityThresholdPercent": 90,
                "logOff": {"policy": "notifyThenLogOff", "delayMinutes": 30, "message": MESSAGE},
            },
            "offPeak": {"start": "19:00", "minimumHostsPercent": 0, "capacityThresholdPercent": 100},
        }
    ],
}
PHASES = (
    ("00:00", "offPeak", "off-peak"),
    ("07:00", "rampUp", "ramp-up"),
    ("09:00", "peak", "peak"),
    ("17:00", "rampDown", "ramp-down"),
    ("19:00", "offPeak", "off-peak"),
)
# the users signed in from each local time on: nobody at night, a rise from 07:00 to 09:30, a plateau of 10 on the
# 12 sessions of 6 hosts (more than the peak's minimum of 3 hosts holds), a fall from 16:30, stragglers from 18:00
CURVE = (
    ("00:00", 0),
    ("07:15", 1),
    ("07:30", 2),
    ("07:45", 3),
    ("08:00", 4),
    ("08:15", 5),
    ("08:30", 6),
    ("08:45", 7),
    ("09:00", 8),
    ("09:15", 9),
    ("09:30", 10),
    ("16:30", 9),
    ("16:45", 8),
    ("17:00", 7),
    ("17:15", 6),
    ("17:30", 5),
    ("17:45", 4),
    ("18:00", 3),
    ("19:00", 2),
    ("19:30", 1),
    ("20:00", 0),
)
# the hosts running at chosen local times, as the schedule's rule has it for the curve (2 sessions a host)
WANTED = {
    "06:55": 1,  # off-peak, nobody signed in: one host for the first users (the threshold's next host)
    "07:00": 2,  # ramp-up's minimum, 30% of 6 hosts
    "08:00": 4,  # 4 users: 3 hosts would be at 67% of their 6 sessions, over ramp-up's threshold of 60%
    "09:00": 6,  # peak: 8 users would be 80% of 5 hosts' 10 sessions, the threshold: all 6 stay
    "12:00": 6,  # the plateau: 10 users on 12 sessions
    "18:30": 2,  # ramp-down: 3 stragglers, 75% of 2 hosts' 4 sessions, under the threshold of 90%
    "19:15": 2,  # off-peak: 2 users fill one host, 100% of it: the threshold asks for a second
    "23:55": 1,
}


@dataclass(frozen=True)
class Step:
    at: dt.datetime  # UTC, the `now` optimize was given
    users: int
    refused: int  # sign-ins the load's new users found no session for
    sessions: dict[str, str]  # user -> host, as the run found them
    running: frozenset[str]  # the VMs running once the step's power actions finished
    started: frozenset[str]
    stopped: frozenset[str]
    logged_off: dict[str, str]  # user -> the host they were logged off from at this step
    messages_sent: int  # the emulator's count after the step


def local(at: dt.datetime) -> str:
    return f"{at.astimezone(ZONE):%H:%M}"


def users_at(at: dt.datetime) -> int:
    return [users for start, users in CURVE if start <= local(at)][-1]


def phase_at(at: dt.datetime) -> tuple[str, str]:
    return next((name, words) for start, name, words in reversed(PHASES) if start <= local(at))


def simulated_day() -> dt.date:
    """The latest weekday that ended before yesterday (in the schedule's zone)."""
    day = dt.datetime.now(ZONE).date() - dt.timedelta(days=2)
    while day.weekday() >= 5:
        day -= dt.timedelta(days=1)
    return day


class Pool(Users):
    """The group's host pool in the emulator: its simulated users, sessions and VMs."""

    def load(self, signed_in: int) -> dict[str, int]:
        """That many users signed in; when fewer, the ones who leave are spread over the hosts in proportion to their
        sessions, as the replay has users leave."""
        body: dict[str, Any] = {"signedInUsers": signed_in, "signOut": "spread"}
        reply = self.arm.session.put(f"{self.control}/load", json=body, timeout=30)
        assert reply.status_code == 200, reply.text
        return dict(reply.json())

    def sessions(self) -> dict[str, str]:
        """Each signed-in user's session host (its VM's name)."""
        pool = self.control.removeprefix(f"{self.base}/avd")
        found = [s for page in self.arm.pages(f"{pool}/userSessions") for s in page]
        return {s["properties"]["userPrincipalName"]: host_vm(s["name"].split("/")[1]) for s in found}

    def power(self, vm: str) -> str:
        found = self.arm.vm(CLOUD_PC_RG, vm)
        assert found is not None, vm
        return next(
            s["code"] for s in found["properties"]["instanceView"]["statuses"] if s["code"].startswith("PowerState/")
        ).removeprefix("PowerState/")

    def settled(self, vm: str, state: str) -> None:
        def powered() -> None:
            assert self.power(vm) == state, vm

        eventually(powered, timeout_s=60)


def host_vm(session_host_name: str) -> str:
    """AVD names a session host after its VM's computer name, in capitals, with a domain when it has one."""
    return session_host_name.split(".", 1)[0].lower()


def test_a_working_day_follows_the_schedule_loses_no_session_and_the_replay_matches_its_host_hours(
    api: ApiClient, app_services: Services
) -> None:
    ports = app_services.spot_group_work
    tenant = Tenant(api)
    tenant.group("sales", ["ann"])
    made = api.created(f"{tenant.path}/spotGroups", group_body(tenant, ready_version(api, tenant), licenseCount=12))
    group = f"{tenant.path}/spotGroups/{made['id']}"
    assert settled(api, group)["sessionHostCounts"]["running"] == 6  # 12 licenses, 2 sessions a host
    hosts = sorted(h["name"] for h in api.get(f"{group}/sessionHosts").json()["value"])
    assert api.put(f"{group}/schedule", SCHEDULE).status_code == 200
    pool = Pool(tenant, "spotpc-sales-desktops")

    day = simulated_day()
    start = dt.datetime.combine(day, dt.time(), ZONE).astimezone(dt.UTC)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), ZONE).astimezone(dt.UTC)
    running, steps = frozenset(hosts), list[Step]()  # the deployment left every host running
    for n in range((end - start) // STEP):
        now = start + n * STEP
        refused = pool.load(users_at(now))["refused"]
        if refused:  # only when no host taking sessions had a free one
            live = api.get(f"{group}/sessionHosts").json()["value"]
            assert all(h["sessionCount"] == 2 for h in live if h["name"] in running and h["allowNewSession"]), live
        before = pool.sessions()
        asked = spot_group_power.optimize(ports, ports.spot_groups.get_spot_group(tenant.id, made["id"]), now)
        for vm in asked.start:  # Azure's power actions are long-running: they finish after the app asked for them
            pool.settled(vm, "running")
        for vm in asked.stop:
            pool.settled(vm, "deallocated")
        running = (running - set(asked.stop)) | set(asked.start)
        if local(now) in WANTED:  # what the step asked for is what runs in Azure
            assert {vm for vm in hosts if pool.power(vm) == "running"} == running, local(now)
        after = pool.sessions()  # nobody signs in or out while the run acts: who is gone was logged off
        gone = {user: host for user, host in before.items() if user not in after}
        steps.append(
            Step(
                now,
                users_at(now),
                refused,
                before,
                running,
                frozenset(asked.start),
                frozenset(asked.stop),
                gone,
                pool.counters()["messagesSent"],
            )
        )

    # the hosts that ran at chosen instants, against the schedule
    at_local = {local(s.at): s for s in steps}
    assert {hhmm: len(at_local[hhmm].running) for hhmm in WANTED} == WANTED
    assert min(len(s.running) for s in steps if phase_at(s.at)[0] == "peak") >= 3  # the peak's minimum, 50%
    assert {vm for vm in hosts if pool.power(vm) == "running"} == steps[-1].running

    counters = pool.counters()
    assert counters["lostSessions"] == 0, counters  # no session ended by a stop
    assert counters["refusedSignIns"] == sum(s.refused for s in steps), counters
    logged_off = [(s.at, user, host) for s in steps for user, host in s.logged_off.items()]
    assert logged_off and counters["loggedOff"] == len(logged_off), counters  # ramp-down's log-offs, not losses

    # the users of each host drained had the schedule's notice, and each one logged off had it on that host 30
    # minutes before at the least
    messages = pool.messages()
    sent_at = [next(s.at for s in steps if s.messages_sent > i) for i in range(len(messages))]
    assert {(m["messageTitle"], m["messageBody"]) for m in messages} == {(spot_group_power.NOTICE_TITLE, MESSAGE)}
    told = {
        (when, m["userPrincipalName"], host_vm(m["sessionHostName"])) for when, m in zip(sent_at, messages, strict=True)
    }
    assert len(told) == len(messages)  # one notice a user and host: a log-off follows the first, not a second
    by_time = {s.at: s for s in steps}
    for at, user, host in logged_off:
        notices = [when for when, to, on in told if to == user and on == host and when <= at]
        assert notices and at - max(notices) >= dt.timedelta(minutes=30), (local(at), user, host, notices)
        assert phase_at(at)[0] == "rampDown"

    # every decision on the timeline, with its phase and a reason naming it
    events = timeline(api, group)
    assert {e["outcome"] for e in events} == {"done"}
    for event in events:
        at = dt.datetime.fromisoformat(event["dateTime"])
        name, words = phase_at(at)
        assert event["phase"] == name, event
        named = "new users" if event["action"] == "balanceLoad" else event["host"]  # the pool's, or a host's
        assert named in event["reason"] and f"at {local(at)}: {words}" in event["reason"], event
    actions = Counter(e["action"] for e in events)
    assert set(actions) == {"start", "deallocate", "drain", "notify", "logOff", "balanceLoad"}, actions
    # the pool places new users as each phase says, set once a phase change
    orders = sorted(
        (local(dt.datetime.fromisoformat(e["dateTime"])), e["reason"].split()[3])
        for e in events
        if e["action"] == "balanceLoad"
    )
    # depth-first from the night's off-peak, breadth-first from ramp-up (the peak keeps it), depth-first from
    # ramp-down (the off-peak keeps it)
    assert orders == [("00:00", "depth-first"), ("07:00", "breadth-first"), ("17:00", "depth-first")], orders
    powered = {
        (dt.datetime.fromisoformat(e["dateTime"]), e["host"], e["action"])
        for e in events
        if e["action"] in ("start", "deallocate")
    }
    assert powered == {(s.at, vm, "start") for s in steps for vm in s.started} | {
        (s.at, vm, "deallocate") for s in steps for vm in s.stopped
    }
    logged = {(dt.datetime.fromisoformat(e["dateTime"]), e["host"]) for e in events if e["action"] == "logOff"}
    assert logged == {(at, host) for at, _, host in logged_off}
    drained = {(dt.datetime.fromisoformat(e["dateTime"]), e["host"]) for e in events if e["action"] == "drain"}
    notified = {(dt.datetime.fromisoformat(e["dateTime"]), e["host"]) for e in events if e["action"] == "notify"}
    assert drained == notified  # a host drained with users had them told at once (notifyThenLogOff)
    assert told == {
        (at, user, host) for at, host in notified for user, on in by_time[at].sessions.items() if on == host
    }

    # the day's host-hours: each step counts the hosts running once its decisions were carried out, as the replay
    # counts them; the timeline's starts and deallocations say the same, and each host's hours (host_hours, on the
    # `now` of the run that started or stopped it) add up to it for the runs begun within the day
    e2e_hours = sum(len(s.running) for s in steps) * STEP / dt.timedelta(hours=1)
    assert e2e_hours == runs_in(events, hosts, start, end)
    rows = {h["name"]: h for h in api.get(f"{group}/sessionHosts").json()["value"]}
    for vm in set(hosts) - steps[-1].running:  # stopped at the end: its hours are the runs it was started for
        begun = runs_in(events, [vm], start, end, running_at_start=False)
        assert abs(rows[vm]["hoursRun"] - begun) < 0.01, (vm, rows[vm]["hoursRun"], begun)

    # the replay of the same schedule over the same curve, point for point
    curve = [{"dateTime": s.at.isoformat(), "sessions": s.users} for s in steps]
    replayed = api.post(f"{group}/schedule?validateOnly=true", {**SCHEDULE, "loadCurve": curve})
    assert replayed.status_code == 200, replayed.text
    proposed = replayed.json()["proposed"]
    e2e = {
        "hostHours": round(e2e_hours, 3),
        "peakHostsRunning": max(len(s.running) for s in steps),
        "failedSignIns": counters["refusedSignIns"],
        "hostsCreated": 0,
        "hostsDeleted": 0,
        "diskHours": len(hosts) * ((end - start) / dt.timedelta(hours=1)),
    }
    print(f"e2e day: {e2e}, replay: {proposed}")  # the figures the documentation quotes (pytest -s)
    assert abs(proposed["hostHours"] - e2e_hours) <= 0.05 * e2e_hours, (proposed, e2e)
    assert {**proposed, "hostHours": e2e["hostHours"]} == e2e, (proposed, e2e)  # the peak and the refusals too


def timeline(api: ApiClient, group: str) -> list[dict[str, Any]]:
    page = api.get(f"{group}/events?top=1000").json()
    events = list(page["value"])
    while "nextLink" in page:
        page = api.get(page["nextLink"]).json()
        events += page["value"]
    return events


def runs_in(
    events: list[dict[str, Any]], vms: list[str], start: dt.datetime, end: dt.datetime, *, running_at_start: bool = True
) -> float:
    """The hours the hosts ran within [start, end) by the timeline's starts and deallocations."""
    total = dt.timedelta()
    for vm in vms:
        since: dt.datetime | None = start if running_at_start else None
        for event in sorted((e for e in events if e["host"] == vm), key=lambda e: e["dateTime"]):
            at = dt.datetime.fromisoformat(event["dateTime"])
            if event["action"] == "start" and since is None:
                since = at
            elif event["action"] == "deallocate" and since is not None:
                total, since = total + (at - since), None
        if since is not None:
            total += end - since
    return total / dt.timedelta(hours=1)
