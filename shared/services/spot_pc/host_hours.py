"""The hours a session host runs: its current run's start, and the runs that ended added up, and its VM's power
records, as the cost view needs."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from shared.models.costs import MeteredResource, PowerChange
from shared.models.session_hosts import HOST_DISK_GB, SessionHost
from shared.models.spot_groups import SpotGroup
from shared.ports.compute import Placement
from shared.ports.costs import PowerRecordStore
from shared.ports.spot_pc_stores import SpotGroupStore
from shared.services.costs import power_records

HOUR_S = 3600.0


class HostHoursPorts(Protocol):
    """A host's hours kept on its row, and its VM's power changes metered for the cost view."""

    @property
    def spot_groups(self) -> SpotGroupStore: ...
    @property
    def power_records(self) -> PowerRecordStore: ...


def started(host: SessionHost, at: datetime) -> SessionHost:
    """Its VM started (or was made, which starts it); a start asked of a running host goes on with the same run."""
    return host if host.running_since is not None else host.model_copy(update={"running_since": at})


def stopped(host: SessionHost, at: datetime) -> SessionHost:
    """Its VM was deallocated or deleted: the run ends and is added to the ones before."""
    if host.running_since is None:
        return host
    run = max(0.0, (at - host.running_since).total_seconds() / HOUR_S)  # a clock set back never takes hours away
    return host.model_copy(update={"running_since": None, "hours_accumulated": host.hours_accumulated + run})


def hours_run(host: SessionHost, now: datetime) -> float:
    """The runs that ended and the current one up to `now`."""
    return round(stopped(host, now).hours_accumulated, 3)


def with_hours(host: SessionHost, now: datetime) -> SessionHost:
    return host.model_copy(update={"hours_run": hours_run(host, now)})


def metered(group: SpotGroup, placement: Placement, host: SessionHost) -> MeteredResource:
    return MeteredResource(
        tenant_id=group.tenant_id,
        resource_id=power_records.vm_resource_id(placement, host.name),
        kind="sessionHost",
        display_name=host.name,
        vm_size=group.vm_size,
        region=placement.region_name,
        priority="spot" if host.priority == "Spot" else "regular",
        disk_tier=power_records.premium_ssd_tier(HOST_DISK_GB),
        spot_group_id=group.id,
        site_id=group.site_id,
    )


def record_power(
    store: PowerRecordStore,
    group: SpotGroup,
    placement: Placement,
    host: SessionHost,
    change: PowerChange,
    at: datetime,
) -> None:
    """The host's VM made, started, stopped or deleted at `at`, for the cost view (power_records.record)."""
    power_records.record(store, metered(group, placement, host), change, at)


def counted(
    ports: HostHoursPorts, group: SpotGroup, placement: Placement, host: SessionHost, now: datetime, *, running: bool
) -> SessionHost:
    """A host seen `running` with no run recorded counts from `now`: one made before hours were kept, or a personal
    host Azure Virtual Desktop started for its user's connection (Start VM on Connect), which the app did not start."""
    if host.status != "running" or not running or host.running_since is not None:
        return host
    record_power(ports.power_records, group, placement, host, "started", now)
    return ports.spot_groups.put_host(group.tenant_id, group.id, started(host, now))
