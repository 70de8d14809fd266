"""A pooled group's hosts made, deleted and replaced by the optimization: their rows, timeline lines and runs.

Scaling (host_scaling.plan_scaling): a host to make gets its row (`creating`, at the lowest free index, Regular or
Spot) and a run that deploys it as a group's deployment deploys its hosts; a host to delete is drained at once
(`removing`) and its run removes it with its VM, disks, NIC and device. Healing (host_health.plan_healing): a broken
host is drained, its users told, and replaced: in place in a group of fixed size, by the scaling rule's new host in
one that scales. The group stays ready meanwhile, so it goes on being optimized. Every host still being made,
deleted or replaced is answered again at each run, so a run the timer failed to start (a crash between the row and
the start) is started by the next, and one under way is left alone (its instance id is the host's).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from shared.errors import Conflict, ErrorDetail, NotFound, ValidationFailed
from shared.models.failures import StepDetail
from shared.models.orchestrations import SpotGroupRun
from shared.models.session_hosts import HOST_BUSY, HostReplacement, SessionHost
from shared.models.spot_group_records import DecisionOutcome, SpotGroupEvent
from shared.models.spot_groups import SpotGroup
from shared.models.spot_schedules import PhaseName
from shared.models.words import counted
from shared.ports.cloud_errors import CloudError
from shared.ports.cloud_pc_operations import CloudPcOperations
from shared.ports.compute import Placement
from shared.ports.desktop_virtualization import SessionHostRecord
from shared.ports.spot_group_work_ports import LiveHostPorts
from shared.ports.spot_pc_stores import SpotGroupScheduleStore
from shared.services.spot_pc.host_health import (
    HOST_UNHEALTHY,
    NEEDS_REPLACEMENT,
    mark_unhealthy,
    plan_healing,
    plan_repairs,
)
from shared.services.spot_pc.host_records import placement_of
from shared.services.spot_pc.host_scaling import mark_unneeded, plan_scaling
from shared.services.spot_pc.spot_groups import ceiling, host_name
from shared.services.spot_pc.spot_pc_transitions import SESSION_HOSTS

DRAIN_TIMEOUT_S = 3600.0  # a host deleted as unneeded has no session; one that took one meanwhile has an hour
HEAL_SIGN_OUT_S = 900.0  # a host replaced (broken, or as its user agreed): its users have 15 minutes to sign out
REPLACING_WITH_CONSENT = "replacingWithConsent"  # a personal host's status detail while its user's replacement runs
REPLACED = frozenset({HOST_UNHEALTHY, REPLACING_WITH_CONSENT})  # a fixed group's host rebuilt in place, not deleted
HEAL_TITLE = "This desktop is being replaced"
HEAL_TEXT = (
    "This desktop has a problem and is being replaced. Save your work and sign out within 15 minutes; "
    "sign in again to continue on a healthy desktop."
)


class HostRepairPorts(LiveHostPorts, Protocol):
    """A group's hosts healed and scaled: their VMs powered, their decisions on the timeline."""

    @property
    def operations(self) -> CloudPcOperations: ...
    @property
    def schedules(self) -> SpotGroupScheduleStore: ...


@dataclass(frozen=True)
class Changed:
    events: list[SpotGroupEvent]
    hosts: list[SessionHost]  # the group's hosts as they are now


def _line(
    slot: datetime,
    now: datetime,
    host: str,
    action: str,
    phase: PhaseName | None,
    reason: str,
    outcome: DecisionOutcome = "done",
    error: str | None = None,
) -> SpotGroupEvent:
    return SpotGroupEvent.model_validate(
        {
            "id": f"{slot:%Y%m%dT%H%MZ}.{host}.{action}",
            "date_time": now,
            "host": host,
            "action": action,
            "phase": phase,
            "reason": reason,
            "outcome": outcome,
            "error": error,
        }
    )


def scale(
    ports: HostRepairPorts,
    group: SpotGroup,
    hosts: list[SessionHost],
    live: Mapping[str, SessionHostRecord],
    wanted_running: int,
    phase: PhaseName | None,
    now: datetime,
    slot: datetime,
) -> Changed:
    """Mark the hosts found unneeded (or needed again), then make and delete hosts as the rule decides at `now`."""
    assert group.scaling is not None
    tenant = group.tenant_id
    sessions = {name: record.sessions for name, record in live.items()}
    by_index = {host.index: host for host in hosts}
    for marked in mark_unneeded(hosts, sessions, now):
        by_index[marked.index] = ports.spot_groups.put_host(tenant, group.id, marked)
    decisions = plan_scaling(
        group.scaling,
        ceiling(group),
        list(by_index.values()),
        sessions,
        group.max_sessions_per_host,
        wanted_running,
        now,
        spot_refused_at=group.spot_refused_date_time,
    )
    events = []
    for decision in decisions:
        assert decision.host is not None
        if decision.action == "create":
            host = SessionHost(
                name=host_name(group, decision.host),
                index=decision.host,
                image_version=group.image_version,
                priority=decision.priority,
                spot_refused=decision.spot_refused,
            )
        else:  # no new session from now on: its run removes it
            host = SESSION_HOSTS.move(by_index[decision.host], "drain", allow_new_session=False)
        by_index[decision.host] = ports.spot_groups.put_host(tenant, group.id, host)
        events.append(_line(slot, now, host.name, decision.action, phase, decision.reason))
    return Changed(events, list(by_index.values()))


def heal(
    ports: HostRepairPorts,
    group: SpotGroup,
    placement: Placement,
    hosts: list[SessionHost],
    live: Mapping[str, SessionHostRecord],
    tell: Callable[[str, str, str], int],
    phase: PhaseName | None,
    now: datetime,
    slot: datetime,
    acted: Collection[str] = (),
) -> Changed:
    """Mark the hosts found unhealthy (or healthy again); drain each one due, tell its users (`tell(vm, title, text)`
    answers how many were told) and hand it to its run. One the pool refuses to drain waits for the next run. The
    hosts this run `acted` on (a start not yet finished) are judged at the next."""
    tenant = group.tenant_id
    by_name = {host.name: host for host in hosts}
    for marked in mark_unhealthy([h for h in hosts if h.name not in acted], live, now):
        by_name[marked.name] = ports.spot_groups.put_host(tenant, group.id, marked)
    decisions, held = plan_healing([h for h in by_name.values() if h.name not in acted], live, now)
    events = []
    how = "a new host is made in its stead" if group.scaling is not None else "it is rebuilt in place"
    for decision in decisions:
        try:
            ports.avd.drain_session_host(tenant, placement, group.host_pool_name, decision.host)
            told = tell(decision.host, HEAL_TITLE, HEAL_TEXT)
        except CloudError as exc:
            events.append(_line(slot, now, decision.host, "heal", phase, decision.reason, "failed", exc.code))
            continue
        reason = f"{decision.reason}; drained, {counted(told, 'user')} told to save their work and sign out, {how}"
        detail = StepDetail(code=HOST_UNHEALTHY, step="heal", message=reason)
        host = SESSION_HOSTS.move(by_name[decision.host], "drain", allow_new_session=False, status_detail=detail)
        by_name[decision.host] = ports.spot_groups.put_host(tenant, group.id, host)
        events.append(_line(slot, now, decision.host, "heal", phase, reason))
    if held is not None:  # one line an episode, kept under the time its first host was found unhealthy
        since = min(h.unhealthy_since for h in by_name.values() if h.unhealthy_since is not None)
        line = _line(since, now, group.host_pool_name, "heal", phase, held, "failed", "replacementsHeld")
        ports.schedules.put_events(tenant, group.id, since, [line])
    return Changed(events, list(by_name.values()))


def repair(ports: HostRepairPorts, group: SpotGroup, now: datetime, slot: datetime) -> list[SpotGroupRun]:
    """A personal group's broken hosts repaired in place as host_health.plan_repairs says, each step on the timeline;
    the runs of hosts being replaced with their users' consent (the timer starts each again: one under way is left
    alone)."""
    site = ports.sites.find_site(group.tenant_id, group.site_id)
    if group.user_type != "personal" or site is None:
        return []
    tenant, placement, pool = group.tenant_id, placement_of(site), group.host_pool_name
    live = {record.vm_name: record for record in ports.avd.list_session_hosts(tenant, placement, pool)}
    by_name = {host.name: host for host in ports.spot_groups.list_hosts(tenant, group.id)}
    for marked in mark_unhealthy(list(by_name.values()), live, now, personal=True):
        by_name[marked.name] = ports.spot_groups.put_host(tenant, group.id, marked)
    events = []
    for decision in plan_repairs(list(by_name.values()), live, now):
        host = by_name[decision.host]
        try:
            if decision.step == "restart":
                ports.operations.power_vm(tenant, placement, host.name, "restart")
            elif decision.step == "reinstallAgent":
                ports.avd.register_session_host(tenant, placement, pool, host.name, reinstall=True)
        except CloudError as exc:  # tried again at the next run
            events.append(_line(slot, now, host.name, "repair", None, decision.reason, "failed", exc.code))
            continue
        if decision.step == "askConsent":
            detail = StepDetail(code=NEEDS_REPLACEMENT, step="repair", message=decision.reason)
            changed = host.model_copy(update={"status_detail": detail})
            events.append(_line(slot, now, host.name, "repair", None, decision.reason, "failed", NEEDS_REPLACEMENT))
        else:  # judged again HEAL_AFTER from now
            changed = host.model_copy(update={"repairs": host.repairs + 1, "unhealthy_since": now})
            events.append(_line(slot, now, host.name, "repair", None, decision.reason))
        by_name[host.name] = ports.spot_groups.put_host(tenant, group.id, changed)
    if events:
        ports.schedules.put_events(tenant, group.id, slot, events)
    return runs_under_way(group, list(by_name.values()))


def replace_with_consent(
    ports: HostRepairPorts, tenant_id: str, spot_group_id: str, host_name: str, consent: HostReplacement
) -> tuple[SessionHost, SpotGroupRun]:
    """A personal host rebuilt from the group's image, as its user agreed (their desktop's disk goes with it):
    drained and marked at once, its run removes and deploys it again. 400 without the user's consent; 409 for a
    pooled group's host (the app replaces those itself) or one being made or removed; 404 for an unknown one."""
    group = ports.spot_groups.get_spot_group(tenant_id, spot_group_id)
    host = next((h for h in ports.spot_groups.list_hosts(tenant_id, group.id) if h.name == host_name), None)
    if host is None:
        raise NotFound.resource("Session host", host_name, "sessionHostName")
    if group.user_type != "personal":
        raise Conflict(
            "A pooled group's broken hosts are replaced by the app; only a personal host, its user's own "
            "desktop, is replaced on request.",
            code="notAllowed",
            target="sessionHostName",
        )
    if host.status in HOST_BUSY:
        raise Conflict(
            f"The session host is {host.status}; ask again once that is done.",
            code="wrongStatus",
            target="sessionHostName",
        )
    if not consent.user_consented:
        message = "The user's consent is needed: their desktop is rebuilt, and what is on its disk is lost."
        raise ValidationFailed.of(ErrorDetail("consentRequired", message, "userConsented"))
    message = "Replaced with its user's consent" + (f": {consent.reason}" if consent.reason else ".")
    detail = StepDetail(code=REPLACING_WITH_CONSENT, step="repair", message=message)
    moved = SESSION_HOSTS.move(host, "drain", allow_new_session=False, status_detail=detail)
    saved = ports.spot_groups.put_host(tenant_id, group.id, moved)
    now = ports.clock()
    line = _line(now, now, host.name, "repair", None, f"{host.name}: {message[0].lower()}{message[1:]}")
    ports.schedules.put_events(tenant_id, group.id, now, [line])
    return saved, runs_under_way(group, [saved])[0]


def runs_under_way(group: SpotGroup, hosts: list[SessionHost]) -> list[SpotGroupRun]:
    """A run for each host being made, deleted or replaced (the timer starts each; one under way is left alone)."""

    def code(host: SessionHost) -> str | None:
        return host.status_detail.code if host.status_detail is not None else None

    def work(host: SessionHost) -> str:
        if host.status == "creating":
            return "add"
        return "replace" if code(host) in REPLACED and group.scaling is None else "remove"

    return [
        SpotGroupRun.model_validate(
            {
                "tenant_id": group.tenant_id,
                "spot_group_id": group.id,
                "work": "scale",
                "stage": "host",
                "host": host.index,
                "host_work": work(host),
                "drain_timeout_s": HEAL_SIGN_OUT_S if code(host) in REPLACED else DRAIN_TIMEOUT_S,
            }
        )
        for host in sorted(hosts, key=lambda h: h.index)
        if host.status in HOST_BUSY
    ]
