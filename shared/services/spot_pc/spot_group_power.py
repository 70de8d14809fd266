"""Spot Group optimization: a pooled group's hosts started, drained and deallocated as its schedule and sessions ask.

The rule is spot_schedules.plan with the group's saved schedule. Without one it is the default, which is how the
Spot PC documentation describes the optimization: hosts are filled in order, the next one starts once the running
ones reach their session limit, and about 10% of capacity (one host at least) is kept online as a buffer. A host
with a session is never stopped, and a drained one counts for nothing. Each decision lands on the group's timeline
with its reason, and each run records the group's load for the replay; a start or deallocation Azure has not finished
is followed to its end (host_power.py). Ramp-down's notices and log-offs reach the users' sessions through AVD.
Personal groups are left as they are: each host belongs to one user, who starts it by signing in.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from shared.models.orchestrations import HostPowerRun, SpotGroupRun
from shared.models.schedule_replays import REPLAY_SPAN
from shared.models.session_hosts import SessionHost
from shared.models.spot_group_records import DecisionOutcome, LoadSample, SpotGroupEvent
from shared.models.spot_groups import SpotGroup
from shared.models.spot_schedules import RampDownPhase, SpotGroupSchedule, default_schedule
from shared.ports.cloud_errors import SESSION_GONE, CloudError
from shared.ports.compute import Placement
from shared.ports.desktop_virtualization import SessionHostRecord, UserSessionRecord
from shared.ports.progress import Progress
from shared.services.engine.phased import DONE
from shared.services.spot_pc import host_hours, host_power, spot_group_hosts
from shared.services.spot_pc.host_hours import HostHoursPorts
from shared.services.spot_pc.host_records import OFF, placement_of, recount
from shared.services.spot_pc.host_scaling import spot_refusal
from shared.services.spot_pc.spot_group_hosts import HostRepairPorts
from shared.services.spot_pc.spot_schedules import WORDS, Action, PhaseAt, phase_at, plan, wanted_hosts

log = logging.getLogger(__name__)
STARTED, STOPPED = "running", "deallocated"
SLOT = timedelta(minutes=5)  # the optimization's period: a run repeated within one writes over its own lines
NOTICE_TITLE = "This desktop is closing"  # the ramp-down notice's title; its text is the schedule's logOff message


class PowerOptimizationPorts(HostRepairPorts, HostHoursPorts, Protocol):
    """A pooled group's hosts powered to its schedule and load, its users warned before a host stops."""


@dataclass(frozen=True)
class PowerPlan:
    start: list[str]  # VM names, lowest index first
    stop: list[str]  # highest index first
    drain: list[str] = field(default_factory=list)
    follow: list[HostPowerRun] = field(default_factory=list)  # the power actions Azure took and has not finished
    # the hosts being made, deleted or replaced, each its own run: started again while unfinished, as the timer's
    # start of one under way is nothing (spot_group_hosts.py)
    scale: list[SpotGroupRun] = field(default_factory=list)


def slot_of(now: datetime) -> datetime:
    """The start (UTC) of the SLOT an instant is in."""
    seconds = int(SLOT.total_seconds())
    return datetime.fromtimestamp(int(now.timestamp()) // seconds * seconds, UTC)


def optimize(ports: PowerOptimizationPorts, group: SpotGroup, now: datetime) -> PowerPlan:
    """Read the pool's sessions, record them, and carry out what the schedule's rule decides at `now` (the timer's
    time), each decision on the group's timeline, and the hosts' rows say what was asked; the power actions Azure has
    not finished are the plan's to `follow`. A group that scales has hosts made and deleted too: the plan's `scale`."""
    if group.user_type != "pooled":
        return PowerPlan([], [])
    site = ports.sites.find_site(group.tenant_id, group.site_id)
    if site is None:
        return PowerPlan([], [])
    placement = placement_of(site)
    live = {r.vm_name: r for r in ports.avd.list_session_hosts(group.tenant_id, placement, group.host_pool_name)}
    stored = ports.spot_groups.list_hosts(group.tenant_id, group.id)
    hosts = [host_hours.counted(ports, group, placement, h, now, running=h.power_state not in OFF) for h in stored]
    saved = ports.schedules.find_schedule(group.tenant_id, group.id)
    schedule, slot = saved if saved is not None else default_schedule(), slot_of(now)
    _record_load(ports, group, hosts, live, now, slot)
    drained = [h.name for h in hosts if h.drained_at is not None]
    notified = {h.name: h.notified_at for h in hosts if h.notified_at is not None}
    decisions = plan(schedule, now, hosts, live, group.max_sessions_per_host, drained=drained, notified=notified)
    # a Spot host Azure could not start for want of capacity is not asked again: scaling replaces it on demand
    refused = {h.name for h in hosts if spot_refusal(h)}
    decisions = [d for d in decisions if not (d.action == "start" and d.host in refused)]
    phase = phase_at(schedule, now)
    # without a schedule the pool places users as it was made (breadth-first), as before schedules
    balanced = _balance_load(ports, group, placement, schedule, phase, now, slot) if saved is not None else None
    events: list[SpotGroupEvent] = [balanced] if balanced is not None else []
    by_name = {h.name: h for h in hosts}
    follow: list[HostPowerRun] = []
    log_off = phase.phase.log_off if isinstance(phase.phase, RampDownPhase) else None
    users = _Users(ports, group, placement, log_off.message if log_off is not None else None)
    for decision in decisions:
        before = by_name[decision.host]
        after, outcome, error, taken = _carry_out(ports, group, placement, before, decision.action, now, users)
        if after is not before:
            by_name[decision.host] = ports.spot_groups.put_host(group.tenant_id, group.id, after)
        events.append(
            SpotGroupEvent(
                id=f"{slot:%Y%m%dT%H%MZ}.{decision.host}.{decision.action}",
                date_time=now,
                host=decision.host,
                action=decision.action,
                phase=phase.name,
                reason=decision.reason,
                outcome=outcome,
                error=error,
            )
        )
        if (run := host_power.following(group, slot, events[-1], taken)) is not None:
            follow.append(run)
        if outcome == "failed":
            log.warning("Spot Group %s: %s of %s failed (%s)", group.name, decision.action, decision.host, error)
    # on the hosts as the power decisions left them (one just started is needed); a broken host replaced first,
    # so that a group that scales makes its replacement at once
    changed = spot_group_hosts.heal(
        ports,
        group,
        placement,
        list(by_name.values()),
        live,
        users.tell,
        phase.name,
        now,
        slot,
        acted={d.host for d in decisions},
    )
    events += changed.events
    if group.scaling is not None:
        wanted, _ = wanted_hosts(schedule, now, hosts, live, group.max_sessions_per_host, drained=drained)
        changed = spot_group_hosts.scale(ports, group, changed.hosts, live, wanted, phase.name, now, slot)
        events += changed.events
    if events:
        ports.schedules.put_events(group.tenant_id, group.id, slot, events)
    if any(event.outcome == "done" and event.action != "balanceLoad" for event in events):
        recount(ports, group, changed.hosts)
    start, stop, drain = ([d.host for d in decisions if d.action == a] for a in ("start", "deallocate", "drain"))
    return PowerPlan(start, stop, drain, follow, spot_group_hosts.runs_under_way(group, changed.hosts))


def _balance_load(
    ports: PowerOptimizationPorts,
    group: SpotGroup,
    placement: Placement,
    schedule: SpotGroupSchedule,
    phase: PhaseAt,
    now: datetime,
    slot: datetime,
) -> SpotGroupEvent | None:
    """The host pool places new users as the phase says (AVD fills hosts by its loadBalancerType, not by the app):
    breadth-first spreads users while hosts are plenty, depth-first packs them so the others can go. Its timeline
    line when that changed; a refusal is the next run's to try again."""
    order = phase.phase.load_balancing
    pool = group.host_pool_name
    try:
        if not ports.avd.balance_load(group.tenant_id, placement, pool, order):
            return None
        outcome: DecisionOutcome = "done"
        error = None
    except CloudError as exc:
        outcome, error = "failed", exc.code
    words = "breadth-first (the emptiest host)" if order == "breadthFirst" else "depth-first (the fullest with room)"
    reason = f"placing new users {words} at {now.astimezone(ZoneInfo(schedule.time_zone)):%H:%M}: {WORDS[phase.name]}"
    return SpotGroupEvent(
        id=f"{slot:%Y%m%dT%H%MZ}.{pool}.balanceLoad",
        date_time=now,
        host=pool,
        action="balanceLoad",
        phase=phase.name,
        reason=reason,
        outcome=outcome,
        error=error,
    )


def _record_load(
    ports: PowerOptimizationPorts,
    group: SpotGroup,
    hosts: list[SessionHost],
    live: dict[str, SessionHostRecord],
    now: datetime,
    slot: datetime,
) -> None:
    """The sessions on the group's hosts and the hosts running, as this run found them: what the replay reads."""
    pool = [h for h in hosts if h.status == "running"]
    sample = LoadSample(
        date_time=now,
        sessions=sum(live[h.name].sessions for h in pool if h.name in live),
        running_hosts=sum(h.power_state not in OFF for h in pool),
    )
    ports.schedules.record_load(group.tenant_id, group.id, slot, sample, keep_since=slot - REPLAY_SPAN)


class _Users:
    """The users on the group's hosts, read once a run and only when a decision is about them: a notice to them, a
    log-off of them."""

    def __init__(
        self, ports: PowerOptimizationPorts, group: SpotGroup, placement: Placement, message: str | None
    ) -> None:
        self._ports, self._group, self._placement, self.message = ports, group, placement, message
        self._sessions: list[UserSessionRecord] | None = None

    def on(self, vm_name: str) -> list[UserSessionRecord]:
        if self._sessions is None:
            group = self._group
            self._sessions = self._ports.avd.list_user_sessions(group.tenant_id, self._placement, group.host_pool_name)
        return [s for s in self._sessions if s.vm_name == vm_name]

    def tell(self, vm_name: str, title: str, text: str) -> int:
        """A message to each user of the host; how many got it."""
        told = [0]

        def send(session: UserSessionRecord) -> None:
            self._ports.avd.send_session_message(
                self._group.tenant_id,
                self._placement,
                self._group.host_pool_name,
                vm_name,
                session.session_id,
                title,
                text,
            )
            told[0] += 1

        self.each(vm_name, send)
        return told[0]

    def each(self, vm_name: str, act: Callable[[UserSessionRecord], None]) -> None:
        """`act` on each session of the host; one that ended meanwhile (signed out) needs nothing more."""
        for session in self.on(vm_name):
            try:
                act(session)
            except CloudError as exc:
                if exc.code != SESSION_GONE:
                    raise


def _carry_out(
    ports: PowerOptimizationPorts,
    group: SpotGroup,
    placement: Placement,
    host: SessionHost,
    action: Action,
    now: datetime,
    users: _Users,
) -> tuple[SessionHost, DecisionOutcome, str | None, Progress]:
    """The one place a decision becomes a call to Azure: the host's row after it, the outcome, Azure's error and
    what Azure answered (a power action it has not finished is followed)."""
    tenant, pool, vm = group.tenant_id, group.host_pool_name, host.name
    try:
        if action == "notify":  # the log-off comes delayMinutes after this moment (spot_schedules.plan), never sooner
            message = users.message or ""
            users.each(
                vm,
                lambda s: ports.avd.send_session_message(
                    tenant, placement, pool, vm, s.session_id, NOTICE_TITLE, message
                ),
            )
            return host.model_copy(update={"notified_at": now}), "done", None, DONE
        if action == "logOff":
            users.each(vm, lambda s: ports.avd.log_off_session(tenant, placement, pool, vm, s.session_id))
            return host, "done", None, DONE
        if action == "start":
            if host.drained_at is not None:  # the schedule drained it: wanted again, it takes sessions again.
                # Allowed first, while it is deallocated: AVD gives no session to a host that is not Available, and
                # a start that then fails leaves an ordinary deallocated host for the next run to start
                _asked(ports.avd.undrain_session_host(tenant, placement, pool, vm), "undrainSessionHost")
                host = host.model_copy(update={"allow_new_session": True, "drained_at": None, "notified_at": None})
            taken = _asked(ports.operations.power_vm(tenant, placement, vm, "start"), "powerVm")
            host_hours.record_power(ports.power_records, group, placement, host, "started", now)
            return host_hours.started(host.model_copy(update={"power_state": STARTED}), now), "done", None, taken
        if action == "deallocate":  # a host drained by the schedule stays so: started again, it is undrained
            taken = _asked(ports.operations.power_vm(tenant, placement, vm, "deallocate"), "powerVm")
            host_hours.record_power(ports.power_records, group, placement, host, "stopped", now)
            stopped = host.model_copy(update={"power_state": STOPPED, "notified_at": None})
            return host_hours.stopped(stopped, now), "done", None, taken
        _asked(ports.avd.drain_session_host(tenant, placement, pool, vm), "drainSessionHost")
        return host.model_copy(update={"allow_new_session": False, "drained_at": now}), "done", None, DONE
    except CloudError as exc:  # this host waits for the next run, which decides again; the others go on
        return host, "failed", exc.code, DONE


def _asked(progress: Progress, step: str) -> Progress:
    """Azure took the call (a long-running one is followed to its end), or held it back: then it failed for now."""
    if progress.held:
        raise CloudError(step, progress.held, f"Azure held the call back ({progress.held})")
    return progress
