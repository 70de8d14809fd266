"""A schedule replayed over a load curve: the optimization's own rule (spot_schedules.plan) stepped every 5 minutes on
simulated hosts, counting the hours they run, the most running at once and the sign-ins that find no free session.

Pure and deterministic. The simulation's rules, at each step `t` from the curve's first point to its last:
- the users signed in are the curve's value at its last point at or before `t` (a 15-minute curve holds each value
  for three steps);
- when the curve falls, the sessions that end are shared among the hosts in proportion to their sessions (what
  users signing out at random would do on average), largest remainders first, then the fuller host, then the
  lower index; when it rises, each new user is placed on the first host of `placement_order` for the host pool's
  load balancing as the last run left it (a saved schedule's runs set it to their phase's order; without one the
  pool stays breadth-first, as it was made), among the hosts that run, have finished starting and take new sessions;
- a user who finds no such host is one failed sign-in and tries again at the next step (so is counted again);
- then `plan` decides on the hosts as the optimization would at `t`, and its decisions take effect at once: a start
  runs the host from `t` (drained by the schedule, it takes sessions again) but it takes sessions only START_DELAY
  later; a deallocation stops it; a drain takes no new session; a notice is remembered; a log-off ends the host's
  sessions, whose users sign in again at the next step, elsewhere;
- a host running after the decisions counts for the whole step: STEP of host-hours.
It begins warm, as if the schedule had run before: the hosts `plan` starts for the first point's users run already.

A group that scales (`scaling`) has hosts made and deleted by the optimization's own rule (host_scaling.py): after
the decisions of each step, `mark_unneeded` and then `plan_scaling` on the hosts as the decisions left them, with
the sessions as the step found them and the hosts the schedule wants running (spot_schedules.wanted_hosts), as
spot_group_power.optimize calls them. A host made exists from that step (its OS disk counts in disk-hours) and runs
from it (host-hours), but takes sessions only `create_delay` later (CREATE_DELAY unless told); a host deleted counts
for its step and is gone from the next. Warm, the hosts the rule makes for the first point's users exist already.
A fixed set of hosts exists throughout: its disk-hours are its hosts times the span.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from shared.models.host_scaling import HostScaling
from shared.models.schedule_replays import LoadPoint, ReplayFigures
from shared.models.session_hosts import SessionHost
from shared.models.spot_schedules import LoadBalancing, SpotGroupSchedule
from shared.ports.desktop_virtualization import SessionHostRecord
from shared.services.spot_pc.host_scaling import mark_unneeded, plan_scaling
from shared.services.spot_pc.spot_pc_transitions import SESSION_HOSTS
from shared.services.spot_pc.spot_schedules import (
    DEALLOCATED,
    Decision,
    phase_at,
    placement_order,
    plan,
    wanted_hosts,
)

STEP = timedelta(minutes=5)  # the optimization's period (SPOT_OPTIMIZE_SCHEDULE's default)
# a deallocated host boots, signs in to Entra and its AVD agent reports it Available in a few minutes: one period,
# so a host started at one run takes the users of the next (an estimate; a replay matched to a real day says more)
START_DELAY = timedelta(minutes=5)
# a host made takes sessions once Azure created its VM from the image version, it joined Entra ID (a restart) and
# its AVD agent registered with the pool and reported Available: 10 to 15 minutes in Azure (the emulator, whose
# long-running operations take half a second, does it in seconds). The upper end, so that a replay errs towards the
# sign-ins a buffer must save rather than promise them; whole periods, so a host made at one run takes the users
# of the run three periods later (an estimate; a replay matched to a real day says more)
CREATE_DELAY = timedelta(minutes=15)
HOUR = timedelta(hours=1)
# where AVD puts a new user: the host pool's load balancing, BreadthFirst as shared/cloud/azure/avd.py makes a pooled
# pool, until the optimization of a saved schedule sets it to its phase's (spot_group_power._balance_load)
POOL_LOAD_BALANCING: LoadBalancing = "breadthFirst"


@dataclass(frozen=True)
class Scaling:
    """A group that scales, as the replay makes and deletes its hosts."""

    settings: HostScaling
    ceiling: int  # spot_groups.ceiling
    create_delay: timedelta = CREATE_DELAY


@dataclass
class _Host:
    registered: SessionHost  # as a host's row reads once it joined the pool (`creating` while it is made)
    running: bool = False
    ready_at: datetime | None = None  # when it takes sessions, once started (or made)
    allow_new_session: bool = True
    drained_at: datetime | None = None  # by the schedule's rule
    notified_at: datetime | None = None
    unneeded_since: datetime | None = None
    sessions: int = 0

    def taking(self, now: datetime) -> bool:
        return self.running and self.ready_at is not None and self.ready_at <= now and self.allow_new_session

    @property
    def name(self) -> str:
        return self.registered.name

    @property
    def index(self) -> int:
        return self.registered.index

    def view(self) -> SessionHost:
        power = "running" if self.running else DEALLOCATED
        return self.registered.model_copy(
            update={
                "power_state": power,
                "allow_new_session": self.allow_new_session,
                "drained_at": self.drained_at,
                "unneeded_since": self.unneeded_since,
            }
        )

    def record(self, now: datetime) -> SessionHostRecord:
        status = "Available" if self.running and self.ready_at is not None and self.ready_at <= now else "Unavailable"
        return SessionHostRecord(self.name, status, self.allow_new_session, self.sessions)


@dataclass
class _Hour:
    start: datetime
    peak_sessions: int = 0
    host_hours: float = 0.0
    disk_hours: float = 0.0
    peak_hosts: int = 0
    failed: int = 0
    created: int = 0
    deleted: int = 0

    def figures(self) -> ReplayFigures:
        return ReplayFigures(
            host_hours=round(self.host_hours, 3),
            disk_hours=round(self.disk_hours, 3),
            peak_hosts_running=self.peak_hosts,
            failed_sign_ins=self.failed,
            hosts_created=self.created,
            hosts_deleted=self.deleted,
        )


@dataclass(frozen=True)
class HourFigures:
    start: datetime
    peak_sessions: int
    figures: ReplayFigures


@dataclass(frozen=True)
class Replay:
    total: ReplayFigures
    hours: list[HourFigures] = field(default_factory=list)
    end: datetime | None = None  # the end of the last step


def steps(curve: Sequence[LoadPoint]) -> list[tuple[datetime, int]]:
    """Every STEP from the first point to the last, with the users signed in then."""
    if not curve:
        return []
    times = [point.date_time for point in curve]
    first, last = times[0], times[-1]
    count = int((last - first) / STEP) + 1
    return [(at, curve[bisect.bisect_right(times, at) - 1].sessions) for at in (first + n * STEP for n in range(count))]


def _sign_out(hosts: list[_Host], count: int) -> None:
    """`count` sessions end, shared in proportion to each host's sessions (largest remainders take the rest)."""
    total = sum(h.sessions for h in hosts)
    if count <= 0 or total == 0:
        return
    count = min(count, total)
    shares = {h.name: count * h.sessions // total for h in hosts}
    rest = count - sum(shares.values())
    by_remainder = sorted(hosts, key=lambda h: (-(count * h.sessions % total), -h.sessions, h.index))
    for host in by_remainder[:rest]:
        shares[host.name] += 1
    for host in hosts:
        host.sessions -= shares[host.name]


def _sign_in(hosts: list[_Host], count: int, now: datetime, max_sessions: int, balancing: LoadBalancing) -> int:
    """Each of `count` users on the host the pool places them on; the users who find none."""
    if count <= 0:
        return 0
    by_name = {h.name: h for h in hosts}
    for placed in range(count):
        taking = [h for h in hosts if h.taking(now)]
        order = placement_order(
            [h.view() for h in taking], {h.name: h.record(now) for h in taking}, balancing, max_sessions
        )
        if not order:
            return count - placed
        by_name[order[0].name].sessions += 1
    return 0


def _decide(
    schedule: SpotGroupSchedule, hosts: list[_Host], now: datetime, max_sessions: int, *, scales: bool
) -> tuple[list[Decision], int]:
    """The schedule's decisions, and for a group that scales how many hosts it wants running."""
    views, records = [h.view() for h in hosts], {h.name: h.record(now) for h in hosts}
    drained = [h.name for h in hosts if h.drained_at is not None]
    notified = {h.name: h.notified_at for h in hosts if h.notified_at is not None}
    decisions = plan(schedule, now, views, records, max_sessions, drained=drained, notified=notified)
    if not scales:
        return decisions, 0
    wanted, _ = wanted_hosts(schedule, now, views, records, max_sessions, drained=drained)
    return decisions, wanted


def _carry_out(hosts: list[_Host], decisions: list[Decision], now: datetime, ready_at: datetime) -> None:
    by_name = {h.name: h for h in hosts}
    effects: dict[str, Callable[[_Host], None]] = {
        "start": lambda h: _start(h, ready_at),
        "deallocate": lambda h: _stop(h),
        "drain": lambda h: _drain(h, now),
        "notify": lambda h: setattr(h, "notified_at", now),
        "logOff": lambda h: setattr(h, "sessions", 0),
    }
    for decision in decisions:
        effects[decision.action](by_name[decision.host])


def _start(host: _Host, ready_at: datetime) -> None:
    host.running, host.ready_at = True, ready_at
    if host.drained_at is not None:
        host.drained_at, host.allow_new_session, host.notified_at = None, True, None


def _stop(host: _Host) -> None:
    host.running, host.ready_at = False, None


def _drain(host: _Host, now: datetime) -> None:
    host.drained_at, host.allow_new_session = now, False


def _scale(
    scaling: Scaling,
    hosts: list[_Host],
    sessions: dict[str, int],
    max_sessions: int,
    wanted: int,
    now: datetime,
    ready_at: datetime,
) -> tuple[list[_Host], list[_Host]]:
    """The hosts made (taking sessions from `ready_at`) and those deleted, as the optimization decides them at `now`
    on the hosts as its power decisions left them."""
    by_index = {h.index: h for h in hosts}
    for marked in mark_unneeded([h.view() for h in hosts], sessions, now):
        by_index[marked.index].unneeded_since = marked.unneeded_since
    decisions = plan_scaling(
        scaling.settings, scaling.ceiling, [h.view() for h in hosts], sessions, max_sessions, wanted, now
    )
    made = [
        _Host(
            SessionHost(name=f"made{d.host}", index=d.host, image_version="replay", priority=d.priority),
            running=True,
            ready_at=ready_at,
        )
        for d in decisions
        if d.action == "create" and d.host is not None
    ]
    deleted = [by_index[d.host] for d in decisions if d.action == "delete" and d.host is not None]
    return made, deleted


def _made_ready(hosts: list[_Host], now: datetime) -> None:
    """The hosts being made that take sessions from now on: their rows read as registered."""
    for host in hosts:
        if host.registered.status == "creating" and host.ready_at is not None and host.ready_at <= now:
            host.registered = SESSION_HOSTS.move(host.registered, "register")


def replay(
    schedule: SpotGroupSchedule,
    curve: Sequence[LoadPoint],
    host_names: Sequence[str],
    max_sessions: int,
    *,
    saved: bool = True,
    scaling: Scaling | None = None,
) -> Replay:
    """The schedule over the curve with the group's hosts (by index, as named): in total and hour by hour (UTC).
    `saved`: the optimization follows it as a saved schedule, setting the pool's load balancing to each phase's.
    `scaling`: the group makes and deletes hosts; None: the hosts are a fixed set."""
    timeline = steps(curve)
    if not timeline or not (host_names or scaling):
        return Replay(_Hour(datetime.min).figures())
    made = (SessionHost(name=name, index=index, image_version="replay") for index, name in enumerate(host_names))
    hosts = [_Host(SESSION_HOSTS.move(host, "register")) for host in made]
    first, users = timeline[0]

    def balancing_at(now: datetime) -> LoadBalancing:
        return phase_at(schedule, now).phase.load_balancing if saved else POOL_LOAD_BALANCING

    balancing = balancing_at(first)  # as the runs before the curve left it
    ceiling = scaling.ceiling if scaling else 0
    for _ in range(len(hosts) + ceiling + 1):  # warm: what the rule starts (or makes) for the first users runs
        _sign_in(hosts, users - sum(h.sessions for h in hosts), first, max_sessions, balancing)
        decisions, wanted = _decide(schedule, hosts, first, max_sessions, scales=scaling is not None)
        starts = [d for d in decisions if d.action == "start"]
        _carry_out(hosts, starts, first, first)
        created: list[_Host] = []
        if not starts and scaling:
            created, _ = _scale(scaling, hosts, {h.name: h.sessions for h in hosts}, max_sessions, wanted, first, first)
            hosts += created
            _made_ready(hosts, first)
        if not starts and not created:
            break
    hours: dict[datetime, _Hour] = {}
    for now, users in timeline:
        start = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
        hour = hours.setdefault(start, _Hour(start))
        _made_ready(hosts, now)
        signed_in = sum(h.sessions for h in hosts)
        _sign_out(hosts, signed_in - users)
        hour.failed += _sign_in(hosts, users - sum(h.sessions for h in hosts), now, max_sessions, balancing)
        sessions = {h.name: h.sessions for h in hosts}  # as the run reads them, before its decisions
        decisions, wanted = _decide(schedule, hosts, now, max_sessions, scales=scaling is not None)
        _carry_out(hosts, decisions, now, now + START_DELAY)
        balancing = balancing_at(now)  # the run sets it after the users of its step came
        deleted: list[_Host] = []
        if scaling:
            created, deleted = _scale(scaling, hosts, sessions, max_sessions, wanted, now, now + scaling.create_delay)
            hosts += created
            hour.created, hour.deleted = hour.created + len(created), hour.deleted + len(deleted)
        running = sum(h.running for h in hosts)
        hour.host_hours += running * STEP / HOUR
        hour.disk_hours += len(hosts) * STEP / HOUR
        hour.peak_hosts = max(hour.peak_hosts, running)
        hour.peak_sessions = max(hour.peak_sessions, users)
        hosts = [h for h in hosts if all(h is not gone for gone in deleted)]  # gone from the next step
    figures = [HourFigures(h.start, h.peak_sessions, h.figures()) for h in hours.values()]
    total = _Hour(first)
    for hour in hours.values():
        total.host_hours, total.disk_hours = total.host_hours + hour.host_hours, total.disk_hours + hour.disk_hours
        total.peak_hosts, total.failed = max(total.peak_hosts, hour.peak_hosts), total.failed + hour.failed
        total.created, total.deleted = total.created + hour.created, total.deleted + hour.deleted
    return Replay(total.figures(), figures, timeline[-1][0] + STEP)
