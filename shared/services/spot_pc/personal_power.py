"""Personal desktops stopped while their users are away: deallocated (or hibernated) once the user has been
disconnected for the limit, or has signed out; Azure Virtual Desktop's Start VM on Connect starts the desktop again
when they connect (the host pool's property; the role, on the onboarding list). The rule (`plan_personal_power`) is
the one for a personal Spot Group's hosts, applied here, and for a policy's Cloud PCs (cloud_pcs/cloud_pc_sleep.py).

AVD says whether a user is active or disconnected, not since when: the optimization that runs every 5 minutes keeps,
on the host's row, when it first saw the user disconnected or signed out, and clears it once they are active again.
So a limit is counted from that sighting (up to one sweep after the user left) and a host is stopped at the first
sweep after the limit. A signed-out user is further away than a disconnected one: the disconnect limit counts for
them too, and deallocateOnSignOut stops their host at the next sweep. A host with an active session is never
stopped; a host that is not running, or not yet deployed, is left alone. A host is hibernated instead where the group
asks it and its VM was made with hibernation enabled (only such a VM can be:
https://learn.microsoft.com/azure/virtual-machines/hibernate-resume), which keeps the user's session for their return.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, Protocol

from shared.models.orchestrations import HostPowerRun
from shared.models.session_policies import PersonalPower
from shared.models.spot_group_records import SpotGroupEvent
from shared.models.spot_groups import SpotGroup
from shared.models.words import counted
from shared.ports.cloud_errors import CloudError
from shared.ports.cloud_pc_operations import CloudPcOperations
from shared.ports.compute import Placement
from shared.ports.desktop_virtualization import UserSessionRecord
from shared.ports.spot_group_work_ports import LiveHostPorts
from shared.ports.spot_pc_stores import SpotGroupScheduleStore
from shared.services.engine.phased import DONE
from shared.services.spot_pc import host_hours, host_power
from shared.services.spot_pc.host_hours import HostHoursPorts
from shared.services.spot_pc.host_records import count_hosts, live_hosts, placement_of
from shared.services.spot_pc.spot_group_power import slot_of

log = logging.getLogger(__name__)
RUNNING = "running"
STOPPED = "deallocated"  # a hibernated VM is deallocated too, its memory kept on its disk


class PersonalPowerPorts(LiveHostPorts, HostHoursPorts, Protocol):
    """A personal group's hosts powered by their users' hours, hibernated where the VM allows it."""

    @property
    def operations(self) -> CloudPcOperations: ...
    @property
    def schedules(self) -> SpotGroupScheduleStore: ...


class PersonalDesktop(Protocol):
    """A desktop one user has: a personal Spot Group's host, or a Cloud PC."""

    @property
    def name(self) -> str: ...  # its VM's
    @property
    def running(self) -> bool: ...  # deployed, and its VM running
    @property
    def user_away_since(self) -> datetime | None: ...  # when its user was first seen away (None: not seen so)


@dataclass(frozen=True)
class PowerDecision:
    host: str  # the VM's name
    action: Literal["deallocate", "hibernate"]
    reason: str  # "deallocated host-3 at 18:05: its user disconnected 30 minutes ago (limit 30)"
    why: str = ""  # the reason's cause alone: "its user disconnected 30 minutes ago (limit 30)"


@dataclass(frozen=True)
class PersonalPowerPlan:
    # each host whose row changes, with when its user was first seen away (None: cleared, they are back or it is off)
    away: dict[str, datetime | None] = field(default_factory=dict)
    decisions: list[PowerDecision] = field(default_factory=list)
    follow: list[HostPowerRun] = field(default_factory=list)  # the power actions Azure took and has not finished


def plan_personal_power(
    power: PersonalPower,
    hosts: Sequence[PersonalDesktop],
    sessions: list[UserSessionRecord],
    now: datetime,
    hibernatable: frozenset[str] = frozenset(),
) -> PersonalPowerPlan:
    """Pure: which desktops to stop now, each with its reason, and the away times to keep. `hosts` carry their live
    power state; `hibernatable`: the desktops whose VMs were made with hibernation enabled."""
    by_host: dict[str, list[UserSessionRecord]] = {}
    for session in sessions:
        by_host.setdefault(session.vm_name, []).append(session)
    away: dict[str, datetime | None] = {}
    decisions = []
    for host in hosts:
        on = by_host.get(host.name, [])
        if not host.running or any(s.state == "active" for s in on):
            if host.user_away_since is not None:
                away[host.name] = None
            continue
        since = host.user_away_since or now
        if host.user_away_since is None:
            away[host.name] = since
        why = _why(power, signed_out=not on, minutes=int((now - since).total_seconds() // 60))
        if why is None:
            continue
        action: Literal["deallocate", "hibernate"] = (
            "hibernate" if power.hibernate and host.name in hibernatable else "deallocate"
        )
        done = "hibernated" if action == "hibernate" else "deallocated"
        decisions.append(PowerDecision(host.name, action, f"{done} {host.name} at {now:%H:%M}: {why}", why))
        away[host.name] = None  # it stops: its user's next sighting starts a new count
    return PersonalPowerPlan(away, decisions)


def _why(power: PersonalPower, *, signed_out: bool, minutes: int) -> str | None:
    """Why the host stops now, or None. `minutes`: how long its user has been seen away."""
    limit = power.deallocate_when_disconnected_minutes
    # no session: its user signed out, or has not signed in since it started (AVD keeps no sign-out time)
    if signed_out and power.deallocate_on_sign_out:
        return f"nobody signed in to it for {counted(minutes, 'minute')}" if minutes else "nobody is signed in to it"
    if limit is not None and minutes >= limit:
        away = (
            f"nobody signed in to it for {counted(minutes, 'minute')}"
            if signed_out
            else f"its user disconnected {counted(minutes, 'minute')} ago"
        )
        return f"{away} (limit {limit})"
    return None


def apply_personal_power(ports: PersonalPowerPorts, group: SpotGroup, now: datetime) -> PersonalPowerPlan:
    """Read the pool's hosts and sessions, keep the away times, and deallocate or hibernate the hosts
    `plan_personal_power` says, each with its reason on the group's timeline; the power actions Azure has not finished
    are the plan's to `follow`."""
    power = group.personal_power
    site = ports.sites.find_site(group.tenant_id, group.site_id)
    if group.user_type != "personal" or power is None or not power.stops_hosts or site is None:
        return PersonalPowerPlan()
    placement = placement_of(site)
    sessions = ports.avd.list_user_sessions(group.tenant_id, placement, group.host_pool_name)
    # each with its power state as the pool reports it; one AVD started for its user's connection (it runs with a
    # session, and no run is recorded) counts from now on: the app did not start it
    hosts = [
        host_hours.counted(ports, group, placement, h, now, running=h.power_state == RUNNING and h.session_count > 0)
        for h in live_hosts(ports, group)
    ]
    plan = plan_personal_power(power, hosts, sessions, now)
    if power.hibernate and plan.decisions:  # only the VMs to stop are read, to learn which may hibernate
        enabled = [d.host for d in plan.decisions if _hibernation_enabled(ports, group, placement, d.host)]
        plan = plan_personal_power(power, hosts, sessions, now, frozenset(enabled))
    by_name = {host.name: host for host in hosts}
    stopped: set[str] = set()
    slot = slot_of(now)
    events: list[SpotGroupEvent] = []
    follow: list[HostPowerRun] = []
    for decision in plan.decisions:
        error, taken = None, DONE
        try:
            taken = ports.operations.power_vm(group.tenant_id, placement, decision.host, decision.action)
            host_hours.record_power(ports.power_records, group, placement, by_name[decision.host], "stopped", now)
            stopped.add(decision.host)
        except CloudError as exc:  # this host waits for the next sweep (its away time kept); the others go on
            log.warning("Spot Group %s: %s of %s failed (%s)", group.name, decision.action, decision.host, exc.code)
            error = exc.code
        events.append(
            SpotGroupEvent(
                id=f"{slot:%Y%m%dT%H%MZ}.{decision.host}.{decision.action}",
                date_time=now,
                host=decision.host,
                action=decision.action,
                reason=decision.reason,
                outcome="failed" if error else "done",
                error=error,
            )
        )
        if (run := host_power.following(group, slot, events[-1], taken)) is not None:
            follow.append(run)
    if events:  # on the group's timeline, as the pooled groups' decisions
        ports.schedules.put_events(group.tenant_id, group.id, slot, events)
    for name, since in plan.away.items():
        if since is None and name in {d.host for d in plan.decisions} and name not in stopped:
            continue
        update: dict[str, object] = {"user_away_since": since}
        if name in stopped:
            update["power_state"] = STOPPED
        kept = by_name[name].model_copy(update=update)
        if name in stopped:  # its run ends: its hours stop counting, as its power record says
            kept = host_hours.stopped(kept, now)
        by_name[name] = ports.spot_groups.put_host(group.tenant_id, group.id, kept)
    if stopped:
        current = ports.spot_groups.get_spot_group(group.tenant_id, group.id)
        counts = count_hosts(list(by_name.values()))
        ports.spot_groups.put_spot_group(
            current.model_copy(update={"session_host_counts": counts}), if_match=current.etag
        )
    return PersonalPowerPlan(plan.away, [d for d in plan.decisions if d.host in stopped], follow)


def _hibernation_enabled(ports: PersonalPowerPorts, group: SpotGroup, placement: Placement, vm_name: str) -> bool:
    try:
        found = ports.operations.inspect_vm(group.tenant_id, placement, vm_name)
    except CloudError as exc:  # not known now: deallocated, which every VM can be
        log.warning("Spot Group %s: %s could not be read (%s)", group.name, vm_name, exc.code)
        return False
    return found is not None and found.hibernation_enabled
