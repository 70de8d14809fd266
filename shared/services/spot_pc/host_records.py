"""A Spot Group's hosts as recorded and as read live: their counts, where they run, a Spot refusal noted."""

from __future__ import annotations

import logging

from shared.models.session_hosts import SessionHost, SessionHostCounts
from shared.models.sites import Site
from shared.models.spot_groups import SpotGroup
from shared.ports.cloud_errors import SPOT_CAPACITY_REFUSED, CloudError
from shared.ports.compute import Placement
from shared.ports.spot_group_work_ports import LiveHostPorts, SpotGroupRecordPorts
from shared.services.engine.updates import update_with_etag
from shared.services.spot_pc import host_hours

log = logging.getLogger(__name__)
OFF = ("deallocated", "stopped")  # power states of a host that takes no session until started


def placement_of(site: Site) -> Placement:
    return Placement(site.subscription_id, site.resource_group_name, site.region_name)


def note_spot_capacity(ports: SpotGroupRecordPorts, group: SpotGroup, host: SessionHost, code: str | None) -> None:
    """Keep on the group's record when Azure refused a Spot host capacity (`code` one of SPOT_CAPACITY_REFUSED), and
    clear it once a Spot host is made (`code` None): scaling makes Spot places on demand meanwhile."""
    if host.priority != "Spot" or (code is not None and code not in SPOT_CAPACITY_REFUSED):
        return
    current = ports.spot_groups.get_spot_group(group.tenant_id, group.id)
    at = ports.clock() if code is not None else None
    if current.spot_refused_date_time != at:
        ports.spot_groups.put_spot_group(
            current.model_copy(update={"spot_refused_date_time": at}), if_match=current.etag
        )


def recount(ports: SpotGroupRecordPorts, group: SpotGroup, hosts: list[SessionHost] | None = None) -> SpotGroup:
    """The group's host counts from its hosts' rows as they are now (read, unless the caller holds them); hosts made
    or deleted side by side write it too: one refused for a stale etag reads again."""
    hosts = ports.spot_groups.list_hosts(group.tenant_id, group.id) if hosts is None else hosts
    return update_with_etag(
        lambda: ports.spot_groups.get_spot_group(group.tenant_id, group.id),
        lambda current: current.model_copy(update={"session_host_counts": count_hosts(hosts)}),
        lambda changed, etag: ports.spot_groups.put_spot_group(changed, if_match=etag),
        if_match=None,
    )


def count_hosts(hosts: list[SessionHost]) -> SessionHostCounts:
    return SessionHostCounts(
        total=len(hosts),
        running=sum(h.status == "running" and h.allow_new_session and h.power_state not in OFF for h in hosts),
        stopped=sum(h.status == "running" and h.power_state in OFF for h in hosts),
        draining=sum(h.status == "running" and not h.allow_new_session for h in hosts),
        failed=sum(h.status == "failed" for h in hosts),
    )


def live_hosts(ports: LiveHostPorts, group: SpotGroup) -> list[SessionHost]:
    """The group's hosts as recorded, with the hours each has run, and their sessions and state read live from the
    host pool; as recorded while the pool cannot be read (better than no answer while AVD is unreachable)."""
    now = ports.clock()
    hosts = [host_hours.with_hours(host, now) for host in ports.spot_groups.list_hosts(group.tenant_id, group.id)]
    site = ports.sites.find_site(group.tenant_id, group.site_id)
    try:
        records = (
            ports.avd.list_session_hosts(group.tenant_id, placement_of(site), group.host_pool_name)
            if site is not None
            else []
        )
    except CloudError as exc:
        log.warning("Session hosts of %s could not be read live (%s)", group.host_pool_name, exc.code)
        return hosts
    live = {record.vm_name: record for record in records}
    return [
        host.model_copy(
            update={
                "session_count": record.sessions,
                "allow_new_session": record.allow_new_session,
                "assigned_user_id": record.assigned_user_id,
                "power_state": "running" if record.status == "Available" else record.status.lower(),
            }
        )
        if (record := live.get(host.name)) is not None
        else host
        for host in hosts
    ]
