"""Windows 365's audit log brought into the app's: each event in the tenant's audit view, marked as Windows 365's,
and on the timeline of each Cloud PC it names, at the time Windows 365 gives.

What an event acted on is known by its resourceId: Graph v1.0's cloudPcAuditResource names no type
(https://learn.microsoft.com/graph/api/resources/cloudpcauditresource), so an id of one of the tenant's Cloud PCs or
policies in Windows 365 names it; another keeps the type Graph gives, if any."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol

from shared.models.access import AuditActor, AuditRecord
from shared.ports.access_stores import AuditLog
from shared.ports.cloud_pc_work_ports import TimelinePorts, Windows365CloudPcPorts
from shared.ports.stores import PolicyStore
from shared.ports.windows365 import Windows365AuditEvent
from shared.services.cloud_pcs.timeline import timeline_event

LOOKBACK = timedelta(days=1)  # how far back a follower that starts afresh reads (events are upserted: no doubles)


class AuditImportPorts(Windows365CloudPcPorts, TimelinePorts, Protocol):
    """Windows 365's audit events, joined to the tenant's audit log and its Cloud PCs' timelines."""

    @property
    def audit_log(self) -> AuditLog: ...
    @property
    def policies(self) -> PolicyStore: ...


TIMELINE_NAME = "windows365Audit"


def graph_time(value: str) -> datetime:
    """A time as Graph writes it (ISO 8601, `Z` for UTC)."""
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _record(tenant_id: str, event: Windows365AuditEvent, at: datetime, kinds: dict[str, str]) -> AuditRecord:
    given, resource_id, name = event.resources[0] if event.resources else ("", None, None)
    kind = kinds.get(resource_id or "") or given or "windows365"
    return AuditRecord(
        id=f"windows365-{event.id}",
        tenant_id=tenant_id,
        activity_date_time=at,
        actor=AuditActor(principal_id=event.actor_id, name=event.actor_name),
        actor_id=event.actor_id,
        activity=event.activity,
        resource_type=kind,
        resource_id=resource_id,
        resource_display_name=name,
        result="success" if event.result == "success" else "failure",
        error_code=None if event.result == "success" else event.result,
        source="windows365",
    )


def import_audit_events(ports: AuditImportPorts, tenant_id: str, since: datetime | None) -> datetime:
    """Read Windows 365's events from `since` (a day back when None) into the audit view and the timelines; the
    time to read from next (the latest event's: read again, so none is lost at the boundary).

    An event already in the audit view is not written again: each hour's follower starts a day back, and would
    otherwise write every event of the day once an hour. Its timeline lines are written before it, so an event
    found there has its lines."""
    start = since or ports.clock() - LOOKBACK
    events = ports.windows365.list_audit_events(tenant_id, start.isoformat().replace("+00:00", "Z"))
    if not events:
        return start
    imported = ports.audit_log.ids_since(tenant_id, "windows365", start)
    mine = {pc.windows365_id: pc for pc in ports.cloud_pcs.list_all_cloud_pcs(tenant_id) if pc.windows365_id}
    policies = [policy.windows365_id for policy in ports.policies.list_all_policies(tenant_id) if policy.windows365_id]
    kinds = {remote: "cloudPc" for remote in mine} | dict.fromkeys(policies, "provisioningPolicy")
    latest = start
    for event in events:
        at = graph_time(event.activity_date_time)
        latest = max(latest, at)
        record = _record(tenant_id, event, at, kinds)
        if record.id in imported:
            continue
        for _, resource_id, _ in event.resources:
            cloud_pc = mine.get(resource_id)
            if cloud_pc is None:
                continue
            who = f" by {event.actor_name}" if event.actor_name else ""
            line = timeline_event(
                cloud_pc.id,
                cloud_pc.run,
                cloud_pc.generation,
                TIMELINE_NAME,
                at,
                repeatable=True,
                outcome="info" if event.result == "success" else "failed",
                message=f"Windows 365 audit: {event.activity}{who} ({event.result})",
            )
            # keyed by Windows 365's event too: two events of one second are two lines
            ports.cloud_pcs.upsert_event(tenant_id, line.model_copy(update={"id": f"{line.id}.{event.id}"}))
        ports.audit_log.insert_event(record)
    return latest
