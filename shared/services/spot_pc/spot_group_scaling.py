"""A scaling pooled group's hosts made and deleted as host_scaling.plan_scaling decides: rows, timeline lines, runs.

A host to make gets its row (`creating`, at the lowest free index, Regular or Spot) and a run that deploys it as a
group's deployment deploys its hosts; a host to delete is drained at once (`removing`) and its run removes it with
its VM, disks, NIC and device. The group stays ready meanwhile, so it goes on being optimized. Every host still
being made or deleted is answered again at each run, so a run the timer failed to start (a crash between the row
and the start) is started by the next, and one under way is left alone (its instance id is the host's).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from shared.models.orchestrations import SpotGroupRun
from shared.models.spot_group_records import SpotGroupEvent
from shared.models.spot_groups import HOST_BUSY, SessionHost, SpotGroup
from shared.models.spot_schedules import PhaseName
from shared.ports.bundles import SpotGroupPorts
from shared.ports.desktop_virtualization import SessionHostRecord
from shared.services.spot_pc.host_scaling import mark_unneeded, plan_scaling
from shared.services.spot_pc.spot_groups import ceiling, host_name
from shared.services.spot_pc.spot_pc_transitions import SESSION_HOSTS

DRAIN_TIMEOUT_S = 3600.0  # a host deleted as unneeded has no session; one that took one meanwhile has an hour


@dataclass(frozen=True)
class Scaled:
    events: list[SpotGroupEvent]
    runs: list[SpotGroupRun]  # one per host being made or deleted
    hosts: list[SessionHost]  # the group's hosts as they are now


def scale(
    ports: SpotGroupPorts, group: SpotGroup, hosts: list[SessionHost], live: Mapping[str, SessionHostRecord],
    wanted_running: int, phase: PhaseName | None, now: datetime, slot: datetime,
) -> Scaled:  # fmt: skip
    """Mark the hosts found unneeded (or needed again), then make and delete hosts as the rule decides at `now`."""
    assert group.scaling is not None
    tenant = group.tenant_id
    sessions = {name: record.sessions for name, record in live.items()}
    by_index = {host.index: host for host in hosts}
    for marked in mark_unneeded(hosts, sessions, now):
        by_index[marked.index] = ports.spot_groups.put_host(tenant, group.id, marked)
    decisions = plan_scaling(group.scaling, ceiling(group), list(by_index.values()), sessions,
                             group.max_sessions_per_host, wanted_running, now)  # fmt: skip
    events = []
    for decision in decisions:
        assert decision.host is not None
        if decision.action == "create":
            host = SessionHost(name=host_name(group, decision.host), index=decision.host,
                               image_version=group.image_version, priority=decision.priority,
                               spot_refused=decision.spot_refused)  # fmt: skip
        else:  # no new session from now on: its run removes it
            host = SESSION_HOSTS.move(by_index[decision.host], "drain", allow_new_session=False)
        by_index[decision.host] = ports.spot_groups.put_host(tenant, group.id, host)
        events.append(SpotGroupEvent(
            id=f"{slot:%Y%m%dT%H%MZ}.{host.name}.{decision.action}", date_time=now, host=host.name,
            action=decision.action, phase=phase, reason=decision.reason, outcome="done",
        ))  # fmt: skip
    runs = [
        SpotGroupRun(tenant_id=tenant, spot_group_id=group.id, work="scale", stage="host", host=host.index,
                     host_work="add" if host.status == "creating" else "remove", drain_timeout_s=DRAIN_TIMEOUT_S)
        for host in sorted(by_index.values(), key=lambda h: h.index) if host.status in HOST_BUSY
    ]  # fmt: skip
    return Scaled(events, runs, list(by_index.values()))
