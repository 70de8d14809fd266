"""Cloud PCs asleep while their users are away and awake when they come back, and when each user was last seen
connected: the `azure` backend's watch over its policies' personal host pools, every few minutes.

Azure Virtual Desktop says, per host pool, which sessions there are and whether each is active or disconnected, and
whether each session host is Available (its VM runs and its agent answers); it keeps no "last connected" a
background app can read without Log Analytics. So the watch keeps on the Cloud PC what it sees: a user with an active
session is connected now; a disconnected session means they were (when it began); a Cloud PC nobody has been seen on
is "never connected". A connection shorter than one watch may go unseen: the marker is "not seen", said so. Each run
also adds the time it saw each user connected to their Cloud PC's usage of the day (connected_time.py has the rule).

A policy's power rules are a personal Spot Group's (spot_pc/personal_power.py has the one rule): a Cloud PC is put to
sleep (deallocated, or hibernated where its VM was made so) once its user has been away for the limit, through the
Cloud PC's own VM-action orchestration, so the sleep is followed to its end like an admin's power off and an admin's
action supersedes it. The host pool's Start VM on Connect (on in every policy's pool, desktop_brokering.py) starts it
when its user connects; the watch then sees it running while the app left it off, and writes the wake with its
reason. Only Cloud PCs the app left running are put to sleep: one an admin powered off stays off.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from shared.errors import Conflict
from shared.models.cloud_pc_work import UseWatch
from shared.models.cloud_pcs import PROVISIONED, CloudPc
from shared.models.orchestrations import VmActionRun
from shared.models.policies import ProvisioningPolicy
from shared.models.usage import ConnectedTally, UsageDay
from shared.ports.cloud_errors import CloudError
from shared.ports.cloud_pc_work_ports import UsePorts
from shared.ports.compute import Placement
from shared.ports.desktop_virtualization import SessionHostRecord, UserSessionRecord
from shared.services.cloud_pcs import cloud_pc_metering
from shared.services.cloud_pcs import cloud_pc_transitions as machine
from shared.services.cloud_pcs.connected_time import count_connected
from shared.services.cloud_pcs.desktop_brokering import host_pool_name, pool_spec
from shared.services.cloud_pcs.provisioning_steps import placement_of, vm_name
from shared.services.cloud_pcs.timeline import save_move
from shared.services.spot_pc.personal_power import PowerDecision, plan_personal_power

log = logging.getLogger(__name__)
AVAILABLE = "Available"  # the only session host status that takes connections: its VM runs and its agent answers
WOKEN_BY_USER = "its user connected, and Azure Virtual Desktop started it (Start VM on Connect)"
WOKEN_OTHERWISE = "its VM runs again with no session of its user yet: an admin's power on, or a start outside the app"


@dataclass(frozen=True)
class _Desktop:
    """A Cloud PC as the power rule sees it."""

    name: str  # its VM's
    running: bool
    user_away_since: datetime | None


def watch_use(ports: UsePorts, tenant_id: str, now: datetime) -> UseWatch:
    """Every provisioned Cloud PC of the tenant, pool by pool; a pool AVD cannot answer for waits for the next."""
    policies = {policy.id: policy for policy in ports.policies.list_all_policies(tenant_id)}
    pools: dict[tuple[str, str], list[CloudPc]] = {}
    for status in [*sorted(PROVISIONED), "inGracePeriod"]:  # a reclaimed one is watched for its user's connection
        for cloud_pc in ports.cloud_pcs.list_cloud_pcs_in_status(tenant_id, status):
            if cloud_pc.build is not None and (status != "inGracePeriod" or cloud_pc.reclaim_announced_date_time):
                key = (cloud_pc.provisioning_policy_id, host_pool_name(cloud_pc.provisioning_policy_id, cloud_pc.build))
                pools.setdefault(key, []).append(cloud_pc)
    sleeps: list[VmActionRun] = []
    woken = connected = 0
    for (policy_id, pool), members in sorted(pools.items()):
        assert members[0].build is not None
        placement = placement_of(members[0].build)
        try:
            hosts = {host.vm_name: host for host in ports.avd.list_session_hosts(tenant_id, placement, pool)}
            sessions = ports.avd.list_user_sessions(tenant_id, placement, pool)
        except CloudError as exc:
            log.warning(
                "Host pool %s could not be read (%s): its Cloud PCs are watched at the next run", pool, exc.code
            )
            continue
        watched = _watch_pool(ports, policies.get(policy_id), placement, pool, members, hosts, sessions, now)
        sleeps += watched.sleeps
        woken, connected = woken + watched.woken, connected + watched.connected
    return UseWatch(sleeps, woken, connected)


def _watch_pool(
    ports: UsePorts,
    policy: ProvisioningPolicy | None,
    placement: Placement,
    pool: str,
    members: list[CloudPc],
    hosts: dict[str, SessionHostRecord],
    sessions: list[UserSessionRecord],
    now: datetime,
) -> UseWatch:
    on: dict[str, list[UserSessionRecord]] = {}
    for session in sessions:
        on.setdefault(session.vm_name, []).append(session)
    by_vm = {vm_name(c.id, c.run, c.attempt): c for c in members}
    woken = 0
    desktops = []
    seen_at: dict[str, datetime] = {}  # the Cloud PCs whose user was seen connected later than kept
    tallies: dict[str, ConnectedTally] = {}  # the Cloud PCs whose connected time this run counted
    usage: list[UsageDay] = []
    for vm, cloud_pc in sorted(by_vm.items()):
        host = hosts.get(vm)
        running = host is not None and host.status == AVAILABLE
        theirs = on.get(vm, [])
        seen = _last_seen(theirs, now)
        tally, days = count_connected(cloud_pc.connected_today, theirs, now)
        if tally is not None:
            tallies[vm] = tally
            usage += [
                UsageDay(
                    **d.model_dump(), tenant_id=cloud_pc.tenant_id, cloud_pc_id=cloud_pc.id, user_id=cloud_pc.user_id
                )
                for d in days
            ]
        if seen is not None and (cloud_pc.last_connected_date_time is None or seen > cloud_pc.last_connected_date_time):
            seen_at[vm] = seen
        if cloud_pc.status not in PROVISIONED:  # in its grace period: only its user's connection is kept
            continue
        if running and cloud_pc.power_state == "poweredOff":  # it was left off, and runs
            woken += _wake(ports, cloud_pc, now, WOKEN_BY_USER if theirs else WOKEN_OTHERWISE)
        desktops.append(_Desktop(vm, running and cloud_pc.power_state != "poweredOff", cloud_pc.user_away_since))
    if usage:  # before the tallies: a tally not kept counts the same span again, and the rows are replaced whole
        ports.usage.put_usage_days(usage)
    rules = policy.power_rules if policy is not None else None
    if policy is None or rules is None or not rules.stops_hosts:  # nothing counts the time away
        _keep(ports, by_vm, seen_at, tallies, {d.name: None for d in desktops})
        return UseWatch([], woken, len(seen_at))
    plan = plan_personal_power(rules, desktops, sessions, now)
    if rules.hibernate and plan.decisions:  # only the VMs to stop are read, to learn which may hibernate
        enabled = [d.host for d in plan.decisions if _may_hibernate(ports, placement, by_vm[d.host])]
        plan = plan_personal_power(rules, desktops, sessions, now, frozenset(enabled))
    sleeps = []
    if plan.decisions and _wakes_on_connect(ports, policy, placement, pool):
        sleeps = [run for d in plan.decisions if (run := _sleep(ports, by_vm[d.host], d, now)) is not None]
    asleep = {run.cloud_pc_id for run in sleeps}
    # a Cloud PC that was to sleep and did not keeps its user's away time: the next watch tries again
    kept = {d.host for d in plan.decisions if by_vm[d.host].id not in asleep}
    _keep(ports, by_vm, seen_at, tallies, {name: since for name, since in plan.away.items() if name not in kept})
    return UseWatch(sleeps, woken, len(seen_at))


def _last_seen(sessions: list[UserSessionRecord], now: datetime) -> datetime | None:
    """Connected now (an active session), or when the disconnected session they left began."""
    if any(s.state == "active" for s in sessions):
        return now
    started = [s.started for s in sessions if s.started is not None]
    return max(started) if started else (now if sessions else None)


def _keep(
    ports: UsePorts,
    by_vm: dict[str, CloudPc],
    seen_at: dict[str, datetime],
    tallies: dict[str, ConnectedTally],
    away: dict[str, datetime | None],
) -> None:
    """One merge a Cloud PC, of what changed: when its user was last seen connected, their connected time counted,
    since when they are away."""
    for name, cloud_pc in by_vm.items():
        update: dict[str, object] = {}
        if name in tallies:
            update["connected_today"] = tallies[name]
        if name in seen_at:
            update["last_connected_date_time"] = seen_at[name]
        if name in away and cloud_pc.user_away_since != away[name]:
            update["user_away_since"] = away[name]
        if update:
            ports.cloud_pcs.merge_cloud_pc(cloud_pc.model_copy(update=update), list(update))


def _wakes_on_connect(ports: UsePorts, policy: ProvisioningPolicy, placement: Placement, pool: str) -> bool:
    """The pool has Start VM on Connect before any of its Cloud PCs is put to sleep (a pool made before it was on in
    every pool gets it now); while AVD has not taken it, nothing sleeps."""
    try:
        return ports.avd.ensure_host_pool(policy.tenant_id, pool_spec(policy, placement, pool)).done
    except CloudError as exc:
        log.warning("Start VM on Connect could not be set on %s (%s): nothing sleeps there yet", pool, exc.code)
        return False


def _may_hibernate(ports: UsePorts, placement: Placement, cloud_pc: CloudPc) -> bool:
    """Its policy asked for hibernation when it was built, and Azure made its VM so (only where the size allows)."""
    if cloud_pc.build is None or not cloud_pc.build.hibernation:
        return False
    try:
        found = ports.operations.inspect_vm(
            cloud_pc.tenant_id, placement, vm_name(cloud_pc.id, cloud_pc.run, cloud_pc.attempt)
        )
    except CloudError as exc:  # not known now: deallocated, which every VM can be
        log.warning("Cloud PC %s could not be read (%s)", cloud_pc.id, exc.code)
        return False
    return found is not None and found.hibernation_enabled


def _sleep(ports: UsePorts, cloud_pc: CloudPc, decision: PowerDecision, now: datetime) -> VmActionRun | None:
    """The Cloud PC moved to sleep, with its reason on its timeline; None when it moved on meanwhile."""
    request_id = f"sleep-{now:%Y%m%dT%H%M%S}"
    doing = "Hibernating" if decision.action == "hibernate" else "Deallocating"
    try:
        save_move(
            ports,
            cloud_pc,
            lambda current: machine.move(
                current,
                "sleep",
                now,
                request_id=request_id,
                message=f"{doing}: {decision.why}",
                user_away_since=None,
            ),
            doing="sleep",
        )
    except Conflict as exc:  # left provisioned meanwhile (a grace period, a reprovision): nothing to put to sleep
        log.info("Cloud PC %s is not put to sleep: %s", cloud_pc.id, exc)
        return None
    return VmActionRun(
        tenant_id=cloud_pc.tenant_id,
        cloud_pc_id=cloud_pc.id,
        request_id=request_id,
        action="hibernate" if decision.action == "hibernate" else "sleep",
    )


def _wake(ports: UsePorts, cloud_pc: CloudPc, now: datetime, why: str) -> int:
    cloud_pc_metering.record_power(ports, cloud_pc, "started", now)  # Azure started it: the app sees it now
    try:
        save_move(
            ports,
            cloud_pc,
            lambda current: machine.move(current, "wake", now, message=why, power_state="running"),
            doing="wake",
        )
    except Conflict as exc:
        log.info("Cloud PC %s: its wake is not recorded: %s", cloud_pc.id, exc)
        return 0
    return 1
