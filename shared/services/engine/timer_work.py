"""A timer's work fanned out: one message per Spot Group, connection or tenant due, each done as at the timer's tick,
and dropped once its timer has ticked again (that tick queued its own)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Protocol

from shared.events import TimerWork, TimerWorkName
from shared.models.tenants import BackendName
from shared.ports.access_stores import TenantStore
from shared.ports.cloud_errors import CloudError
from shared.ports.queues import TimerWorkQueue
from shared.ports.spot_pc_stores import SpotGroupStore
from shared.ports.stores import ConnectionStore
from shared.schedules import CronSchedule

HELD_RETRY = timedelta(seconds=30)  # a held share with no Retry-After (no answer at all) is tried again after this
Due = Sequence[tuple[str, str | None]]  # (tenant id, group or connection id; None for the tenant's own work)


class TimerFanOutPorts(Protocol):
    """What the timers that fan out read to learn what is due, and the queue each share of their work goes on."""

    @property
    def spot_groups(self) -> SpotGroupStore: ...
    @property
    def tenants(self) -> TenantStore: ...
    @property
    def connections(self) -> ConnectionStore: ...
    @property
    def queue(self) -> TimerWorkQueue: ...
    @property
    def watched_backends(self) -> Sequence[BackendName]: ...


def queue_due(ports: TimerFanOutPorts, work: TimerWorkName, tick: datetime, schedule: str) -> int:
    """The `work` due at `tick` of the timer on `schedule`, one message each; how many were queued."""
    due = _DUE[work](ports, tick, schedule)
    for tenant_id, subject_id in due:
        ports.queue.enqueue_timer_work(work, tenant_id, subject_id, tick)
    return len(due)


def held(ports: TimerFanOutPorts, work: TimerWork, exc: CloudError) -> str:
    """A share of a tick that a service held (a throttle, or no answer): queued again for when the service said
    (HELD_RETRY without a word), at the same tick; what held it and when it is tried again, in words."""
    wait = max(exc.retry_after_s or HELD_RETRY.total_seconds(), 1.0)
    ports.queue.enqueue_timer_work(work.work, work.tenant_id, work.subject_id, work.tick, delay_s=wait)
    return f"{exc.reason or exc.code}; tried again in {wait:.0f} s"


def is_stale(tick: datetime, schedule: str, now: datetime) -> bool:
    """Its timer has ticked since `tick`."""
    return now >= CronSchedule.parse(schedule).next_after(tick)


def recheck_before(tick: datetime, schedule: str) -> datetime:
    """A connection unchanged since before this is due a health check: half a period before the tick, so that the
    previous tick's run, whose results are written after it, does not hold the connection off until the next."""
    timer = CronSchedule.parse(schedule)
    following = timer.next_after(tick)  # a tick run by hand may fall between two: the period is the next one's
    return tick - (timer.next_after(following) - following) / 2


def _ready_groups(ports: TimerFanOutPorts, tick: datetime, schedule: str) -> Due:
    return ports.spot_groups.ready_keys()


def _watched_tenants(ports: TimerFanOutPorts, tick: datetime, schedule: str) -> Due:
    return [(tenant_id, None) for name in ports.watched_backends for tenant_id in ports.tenants.ids_of_backend(name)]


def _reclaiming_tenants(ports: TimerFanOutPorts, tick: datetime, schedule: str) -> Due:
    return [(tenant_id, None) for tenant_id in ports.tenants.ids_reclaiming()]


def _unchecked_connections(ports: TimerFanOutPorts, tick: datetime, schedule: str) -> Due:
    return ports.connections.keys_unchanged_since(recheck_before(tick, schedule))


def _every_tenant(ports: TimerFanOutPorts, tick: datetime, schedule: str) -> Due:
    return [(tenant_id, None) for tenant_id in ports.tenants.ids()]


_DUE: dict[TimerWorkName, Callable[[TimerFanOutPorts, datetime, str], Due]] = {
    "optimizeSpotGroup": _ready_groups,
    "watchCloudPcUse": _watched_tenants,
    "reclaimUnused": _reclaiming_tenants,
    "recheckConnection": _unchecked_connections,
    "mendCloudPcCopies": _every_tenant,
}
