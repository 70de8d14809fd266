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
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from shared.models.schedule_replays import LoadPoint, ReplayFigures
from shared.models.spot_groups import SessionHost
from shared.models.spot_schedules import LoadBalancing, SpotGroupSchedule
from shared.ports.desktop_virtualization import SessionHostRecord
from shared.services.spot_pc.spot_pc_transitions import SESSION_HOSTS
from shared.services.spot_pc.spot_schedules import DEALLOCATED, Decision, phase_at, placement_order, plan

STEP = timedelta(minutes=5)  # the optimization's period (SPOT_OPTIMIZE_SCHEDULE's default)
# a deallocated host boots, signs in to Entra and its AVD agent reports it Available in a few minutes: one period,
# so a host started at one run takes the users of the next (an estimate; a replay matched to a real day says more)
START_DELAY = timedelta(minutes=5)
HOUR = timedelta(hours=1)
# where AVD puts a new user: the host pool's load balancing, BreadthFirst as shared/cloud/azure/avd.py makes a pooled
# pool, until the optimization of a saved schedule sets it to its phase's (spot_group_power._balance_load)
POOL_LOAD_BALANCING: LoadBalancing = "breadthFirst"


@dataclass
class _Host:
    registered: SessionHost  # as a host's row reads once it joined the pool
    running: bool = False
    ready_at: datetime | None = None  # when it takes sessions, once started
    allow_new_session: bool = True
    drained: bool = False  # by the schedule's rule
    notified_at: datetime | None = None
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
        return self.registered.model_copy(update={"power_state": power, "allow_new_session": self.allow_new_session})

    def record(self, now: datetime) -> SessionHostRecord:
        status = "Available" if self.running and self.ready_at is not None and self.ready_at <= now else "Unavailable"
        return SessionHostRecord(self.name, status, self.allow_new_session, self.sessions)


@dataclass
class _Hour:
    start: datetime
    peak_sessions: int = 0
    host_hours: float = 0.0
    peak_hosts: int = 0
    failed: int = 0


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
        order = placement_order([h.view() for h in taking], {h.name: h.record(now) for h in taking},
                                balancing, max_sessions)  # fmt: skip
        if not order:
            return count - placed
        by_name[order[0].name].sessions += 1
    return 0


def _decide(
    schedule: SpotGroupSchedule, hosts: list[_Host], now: datetime, max_sessions: int
) -> list[Decision]:
    drained = [h.name for h in hosts if h.drained]
    notified = {h.name: h.notified_at for h in hosts if h.notified_at is not None}
    return plan(schedule, now, [h.view() for h in hosts], {h.name: h.record(now) for h in hosts}, max_sessions,
                drained=drained, notified=notified)  # fmt: skip


def _carry_out(hosts: list[_Host], decisions: list[Decision], now: datetime, ready_at: datetime) -> None:
    by_name = {h.name: h for h in hosts}
    effects: dict[str, Callable[[_Host], None]] = {
        "start": lambda h: _start(h, ready_at),
        "deallocate": lambda h: _stop(h),
        "drain": lambda h: _drain(h),
        "notify": lambda h: setattr(h, "notified_at", now),
        "logOff": lambda h: setattr(h, "sessions", 0),
    }
    for decision in decisions:
        effects[decision.action](by_name[decision.host])


def _start(host: _Host, ready_at: datetime) -> None:
    host.running, host.ready_at = True, ready_at
    if host.drained:
        host.drained, host.allow_new_session, host.notified_at = False, True, None


def _stop(host: _Host) -> None:
    host.running, host.ready_at = False, None


def _drain(host: _Host) -> None:
    host.drained, host.allow_new_session = True, False


def replay(
    schedule: SpotGroupSchedule, curve: Sequence[LoadPoint], host_names: Sequence[str], max_sessions: int,
    *, saved: bool = True,
) -> Replay:  # fmt: skip
    """The schedule over the curve with the group's hosts (by index, as named): in total and hour by hour (UTC).
    `saved`: the optimization follows it as a saved schedule, setting the pool's load balancing to each phase's."""
    timeline = steps(curve)
    if not timeline or not host_names:
        return Replay(ReplayFigures(host_hours=0.0, peak_hosts_running=0, failed_sign_ins=0))
    made = (SessionHost(name=name, index=index, image_version="replay") for index, name in enumerate(host_names))
    hosts = [_Host(SESSION_HOSTS.move(host, "register")) for host in made]
    first, users = timeline[0]

    def balancing_at(now: datetime) -> LoadBalancing:
        return phase_at(schedule, now).phase.load_balancing if saved else POOL_LOAD_BALANCING

    balancing = balancing_at(first)  # as the runs before the curve left it
    for _ in range(len(hosts) + 1):  # warm: what the rule starts for the first users runs and takes them already
        _sign_in(hosts, users - sum(h.sessions for h in hosts), first, max_sessions, balancing)
        starts = [d for d in _decide(schedule, hosts, first, max_sessions) if d.action == "start"]
        if not starts:
            break
        _carry_out(hosts, starts, first, first)
    hours: dict[datetime, _Hour] = {}
    for now, users in timeline:
        start = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
        hour = hours.setdefault(start, _Hour(start))
        signed_in = sum(h.sessions for h in hosts)
        _sign_out(hosts, signed_in - users)
        hour.failed += _sign_in(hosts, users - sum(h.sessions for h in hosts), now, max_sessions, balancing)
        _carry_out(hosts, _decide(schedule, hosts, now, max_sessions), now, now + START_DELAY)
        balancing = balancing_at(now)  # the run sets it after the users of its step came
        running = sum(h.running for h in hosts)
        hour.host_hours += running * STEP / HOUR
        hour.peak_hosts = max(hour.peak_hosts, running)
        hour.peak_sessions = max(hour.peak_sessions, users)
    figures = [
        HourFigures(h.start, h.peak_sessions, ReplayFigures(host_hours=round(h.host_hours, 3),
                                                            peak_hosts_running=h.peak_hosts, failed_sign_ins=h.failed))
        for h in hours.values()
    ]  # fmt: skip
    total = ReplayFigures(
        host_hours=round(sum(h.host_hours for h in hours.values()), 3),
        peak_hosts_running=max(h.peak_hosts for h in hours.values()),
        failed_sign_ins=sum(h.failed for h in hours.values()),
    )
    return Replay(total, figures, timeline[-1][0] + STEP)
