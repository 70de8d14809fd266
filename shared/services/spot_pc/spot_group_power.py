"""Spot Group optimization: pooled session hosts stay deallocated until users need them, with a buffer online.

As the Spot PC documentation describes it: hosts are filled in order, the next one starts once the running ones
reach their session limit, and about 10% of capacity (one host at least) is kept online as a buffer. A host with
a session is never stopped, and a drained one counts for nothing. Personal groups are left as they are: each host
belongs to one user, who starts it by signing in.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from shared.models.spot_groups import SessionHost, SpotGroup
from shared.models.spot_schedules import default_schedule
from shared.ports.bundles import SpotGroupPorts
from shared.ports.cloud import CloudError, PowerAction, SessionHostRecord
from shared.services.spot_pc.spot_group_deployments import count_hosts, placement_of
from shared.services.spot_pc.spot_schedules import plan

log = logging.getLogger(__name__)
ANY_TIME = datetime(2026, 1, 1, tzinfo=UTC)  # the default schedule is the same at every instant
STARTED, STOPPED = "running", "deallocated"


@dataclass(frozen=True)
class PowerPlan:
    start: list[str]  # VM names, lowest index first
    stop: list[str]  # highest index first


def plan_power(group: SpotGroup, hosts: list[SessionHost], live: dict[str, SessionHostRecord]) -> PowerPlan:
    """Which hosts to start and which to deallocate so the running ones cover the sessions plus the buffer: the
    rule of a group without a schedule (spot_schedules.plan with default_schedule)."""
    if group.user_type != "pooled":
        return PowerPlan([], [])
    decisions = plan(default_schedule(), ANY_TIME, hosts, live, group.max_sessions_per_host)
    return PowerPlan([d.host for d in decisions if d.action == "start"],
                     [d.host for d in decisions if d.action == "deallocate"])  # fmt: skip


def optimize(ports: SpotGroupPorts, group: SpotGroup) -> PowerPlan:
    """Read the pool's sessions, then start or deallocate hosts as `plan_power` says; Azure finishes the power
    actions on its own, and the hosts' rows say what was asked."""
    site = ports.sites.find_site(group.tenant_id, group.site_id)
    if site is None:
        return PowerPlan([], [])
    placement = placement_of(site)
    live = {r.vm_name: r for r in ports.avd.list_session_hosts(group.tenant_id, placement, group.host_pool_name)}
    hosts = ports.spot_groups.list_hosts(group.tenant_id, group.id)
    plan = plan_power(group, hosts, live)
    by_name = {h.name: h for h in hosts}
    actions: tuple[tuple[list[str], PowerAction, str], ...] = (
        (plan.start, "start", STARTED), (plan.stop, "deallocate", STOPPED),
    )  # fmt: skip
    for names, action, state in actions:
        for name in names:
            try:
                ports.operations.power_vm(group.tenant_id, placement, name, action)
            except CloudError as exc:  # this host waits for the next sweep; the others go on
                log.warning("Spot Group %s: %s of %s failed (%s)", group.name, action, name, exc.code)
                continue
            by_name[name] = ports.spot_groups.put_host(
                group.tenant_id, group.id, by_name[name].model_copy(update={"power_state": state})
            )
    if plan.start or plan.stop:
        current = ports.spot_groups.get_spot_group(group.tenant_id, group.id)
        counts = count_hosts(list(by_name.values()))
        ports.spot_groups.put_spot_group(current.model_copy(update={"session_host_counts": counts}),
                                         if_match=current.etag)  # fmt: skip
    return plan
