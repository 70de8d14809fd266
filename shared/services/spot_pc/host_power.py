"""A Spot Group host's power action followed to its end: one Azure fails, or that runs past the time limit, turns its
timeline line failed, with Azure's code and words, and the host's row back to the power it kept.

The optimization (spot_group_power.py, personal_power.py) asks Azure and writes the line `done` at once: Azure took
the call. What Azure took is followed by the phased driver like every other long-running operation, so a start that
Azure fails later (no capacity for the size, say) is on the group's timeline, not only a host the next run finds off.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol, cast

from shared.models.failures import StepDetail
from shared.models.orchestrations import HostPowerRun, PhasedStep
from shared.models.spot_group_records import SpotGroupEvent
from shared.models.spot_groups import SpotGroup
from shared.ports.cloud_errors import CloudError
from shared.ports.cloud_pc_operations import CloudPcOperations, PowerAction
from shared.ports.compute import Placement
from shared.ports.costs import PowerRecordStore
from shared.ports.progress import Progress
from shared.ports.spot_group_work_ports import SpotGroupRecordPorts
from shared.ports.spot_pc_stores import SpotGroupScheduleStore
from shared.ports.stores import SiteStore
from shared.services.engine import phased
from shared.services.spot_pc import host_hours
from shared.services.spot_pc.host_records import count_hosts, note_spot_capacity, placement_of

POWER_TIMEOUT = timedelta(minutes=30)  # as a Cloud PC's power action: a VM's start or stop takes minutes
PHASES = ["powerVm"]
RUNNING, STOPPED = "running", "deallocated"


class HostPowerPorts(SpotGroupRecordPorts, Protocol):
    """A host's VM started or deallocated, metered, and its outcome on the group's timeline."""

    @property
    def sites(self) -> SiteStore: ...
    @property
    def operations(self) -> CloudPcOperations: ...
    @property
    def power_records(self) -> PowerRecordStore: ...
    @property
    def schedules(self) -> SpotGroupScheduleStore: ...


def following(group: SpotGroup, slot: datetime, event: SpotGroupEvent, taken: Progress) -> HostPowerRun | None:
    """The run that follows a power action Azure took and has not finished, or None: it finished at once."""
    if taken.done or taken.operation is None:
        return None
    return HostPowerRun(
        tenant_id=group.tenant_id,
        spot_group_id=group.id,
        slot=slot,
        event=event,
        operation=taken.operation,
        started_at=event.date_time,
    )


def follow(ports: HostPowerPorts, run: HostPowerRun) -> PhasedStep[HostPowerRun]:
    """Poll the operation until it ends; a failed one is put on the timeline and undone on the host's row."""
    group = ports.spot_groups.find_spot_group(run.tenant_id, run.spot_group_id)
    site = ports.sites.find_site(run.tenant_id, group.site_id) if group is not None else None
    if group is None or site is None:
        return PhasedStep(outcome="superseded", run=run)  # the group was removed, its hosts with it
    placement, known = placement_of(site), group
    return phased.drive(
        run,
        PHASES,
        lambda now, _: _power(ports, placement, now),
        clock=ports.clock,
        limit=POWER_TIMEOUT,
        on_fail=lambda now, _, exc: PhasedStep(outcome=_failed(ports, known, placement, now, exc), run=now),
    )


def _power(ports: HostPowerPorts, placement: Placement, run: HostPowerRun) -> Progress:
    event = run.event  # a line of the actions followed: start, deallocate or hibernate
    return ports.operations.power_vm(
        run.tenant_id, placement, event.host, cast("PowerAction", event.action), run.operation
    )


def _failed(ports: HostPowerPorts, group: SpotGroup, placement: Placement, run: HostPowerRun, exc: CloudError) -> str:
    event = run.event
    line = event.model_copy(
        update={"outcome": "failed", "error": exc.code, "reason": f"{event.reason}; Azure failed it: {exc}"}
    )
    ports.schedules.put_events(group.tenant_id, group.id, run.slot, [line])
    hosts = ports.spot_groups.list_hosts(group.tenant_id, group.id)
    for index, host in enumerate(hosts):
        if host.name != event.host:
            continue
        if event.action == "start":  # it never ran: no hours, and off as before, with Azure's reason kept
            host_hours.record_power(ports.power_records, group, placement, host, "stopped", event.date_time)
            detail = StepDetail(code=exc.code, step=PHASES[0], message=str(exc)[:500])
            kept = host.model_copy(update={"power_state": STOPPED, "running_since": None, "status_detail": detail})
            note_spot_capacity(ports, group, host, exc.code)
        else:  # still running: its hours count on from the failed stop; metered from now, as a stop and a start
            # at one instant read as a stop
            host_hours.record_power(ports.power_records, group, placement, host, "started", ports.clock())
            kept = host_hours.started(host.model_copy(update={"power_state": RUNNING}), event.date_time)
        hosts[index] = ports.spot_groups.put_host(group.tenant_id, group.id, kept)
    current = ports.spot_groups.get_spot_group(group.tenant_id, group.id)
    ports.spot_groups.put_spot_group(
        current.model_copy(update={"session_host_counts": count_hosts(hosts)}), if_match=current.etag
    )
    return "failed"
