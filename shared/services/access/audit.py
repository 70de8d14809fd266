"""The audit log: every write and action through the API, as pending before its change and settled after it.

A crash can stop a request between its change and its audit event. So the event is saved as pending before
the change, with the place of the change's first write (saved just before that write), and every row an
audited request writes carries the event's id (see shared/storage/change_capture.py). A pending event left
behind is settled later from what storage shows: the row carries its id (the change happened), the row is gone
after a delete (it happened), or neither (it did not). Nothing is recorded that did not happen, and a change
that happened is not lost.
"""

from __future__ import annotations

import re
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from shared.models.access import AuditActor, AuditChange, AuditEvent, AuditRecord, AuditResult, Caller, Intent, RowKey
from shared.ports.access_stores import AuditEventStore
from shared.ports.new_records import NewRecordPorts
from shared.storage.change_capture import STAMP, ChangeCapture, Image, capturing, fingerprint

SECRET_FIELD = re.compile(r"password|secret|credential|token|privatekey|apikey", re.IGNORECASE)
MASK = "***"
NOT_CHANGES = {"etag", "createdDateTime", "lastModifiedDateTime"}  # bookkeeping every write moves
# longer than any request may run (host.json functionTimeout is 10 minutes): a pending event this old is
# no longer under way
INTERRUPTED_AFTER = timedelta(minutes=15)


class AuditRecordPorts(NewRecordPorts, Protocol):
    """The audit log's events, each stamped with the time and a fresh id."""

    @property
    def events(self) -> AuditEventStore: ...


@dataclass(frozen=True)
class Target:
    """What a request acts on, as the audit log names it."""

    tenant_id: str
    activity: str
    resource_type: str
    resource_id: str | None = None


def masked(field: str, value: Any) -> Any:
    """`***` for a secret field, and for secret fields nested in a value."""
    if SECRET_FIELD.search(field):
        return None if value is None else MASK
    if isinstance(value, dict):
        return {k: masked(k, v) for k, v in value.items()}
    if isinstance(value, list):
        return [masked(field, v) for v in value]
    return value


def changes_of(before: Image | None, after: Image | None) -> list[AuditChange]:
    """Field by field: what the request changed on its resource's row."""
    old, new = before or {}, after or {}
    changes = []
    for field in sorted(set(old) | set(new)):
        if field in NOT_CHANGES or old.get(field) == new.get(field):
            continue
        changes.append(
            AuditChange(field=field, old_value=masked(field, old.get(field)), new_value=masked(field, new.get(field)))
        )
    return changes


def _record(ports: AuditRecordPorts, caller: Caller, target: Target, result: AuditResult, **fields: Any) -> AuditRecord:
    return AuditRecord(
        id=ports.new_id(),
        tenant_id=target.tenant_id,
        activity_date_time=ports.clock(),
        actor=AuditActor(principal_id=caller.principal_id, name=caller.name),
        actor_id=caller.principal_id,
        activity=target.activity,
        resource_type=target.resource_type,
        resource_id=target.resource_id,
        result=result,
        **fields,
    )


def denied(ports: AuditRecordPorts, caller: Caller, target: Target, error_code: str) -> AuditRecord:
    record = _record(ports, caller, target, "denied", error_code=error_code)
    ports.events.insert_event(record)
    return record


def acted(
    ports: AuditRecordPorts, caller: Caller, target: Target, *, succeeded: bool, error_code: str | None = None
) -> AuditRecord:
    """An action on one of the many items a request acts on (a session of a bulk action), recorded settled at once:
    it writes no row of the app's storage, so a pending event would have nothing to be settled from. Written outside
    the request's capture: it is not a change the request's own event reports."""
    record = _record(
        ports, caller, target, "success" if succeeded else "failure", error_code=None if succeeded else error_code
    )
    with capturing(None):
        ports.events.insert_event(record)
    return record


Capture = ChangeCapture  # what a request's audit records of the writes it makes (begin, recording, settle)


def recording(capture: Capture) -> AbstractContextManager[Capture | None]:
    """While the request's handler runs: each write of the repositories carries the audit event's id."""
    return capturing(capture)


def begin(ports: AuditRecordPorts, caller: Caller, target: Target) -> tuple[AuditRecord, ChangeCapture]:
    """Save the pending event; the capture stamps and remembers the request's writes."""
    pending = _record(ports, caller, target, "pending")
    ports.events.insert_pending(pending)

    def announce(intent: Intent) -> None:
        ports.events.note_intent(pending, intent)

    return pending, ChangeCapture(event_id=pending.id, announce=announce)


def home_tenant(record: AuditRecord) -> str:
    """The log an event belongs in: a new tenant's registration starts that tenant's own log."""
    if record.activity == "createTenant" and record.resource_id:
        return record.resource_id
    return record.tenant_id


def _primary(capture: ChangeCapture, resource_id: str | None) -> RowKey | None:
    """The row of the resource acted on: the one keyed by its id, else the request's first write."""
    for key in capture.written:
        if resource_id and resource_id in key[1:]:
            return key
    return capture.written[0] if capture.written else None


def _display_name(image: Image | None) -> str | None:
    for field in ("displayName", "name", "principalName"):
        if image and isinstance(image.get(field), str):
            return str(image[field])
    return None


def settle(
    ports: AuditRecordPorts,
    pending: AuditRecord,
    capture: ChangeCapture,
    *,
    succeeded: bool,
    error_code: str | None = None,
    resource_id: str | None = None,
) -> AuditRecord:
    """Turn the pending event into its outcome, with the changes the request made to its resource."""
    resource_id = resource_id or pending.resource_id
    key = _primary(capture, resource_id)
    before = capture.before.get(key) if key else None
    after = capture.after.get(key) if key else None
    settled = pending.model_copy(
        update={
            "tenant_id": home_tenant(pending.model_copy(update={"resource_id": resource_id})),
            "resource_id": resource_id,
            "resource_display_name": _display_name(after) or _display_name(before),
            "result": "success" if succeeded else "failure",
            "error_code": None if succeeded else error_code,
            "changes": changes_of(before, after) if succeeded and key in capture.after else [],
            "written_at": None,
            "intended": None,
        }
    )
    ports.events.settle(pending, settled)
    return settled


def happened(pending: AuditRecord, row: dict[str, Any] | None) -> bool:
    """Whether an interrupted request's change is in storage, from the row its first write went to."""
    if pending.written_at is None:
        return False  # it stopped before writing anything
    if row is None:
        return pending.activity.startswith("delete")  # gone: deleted (creates and updates leave a row)
    if row.get(STAMP) == pending.id or pending.activity.startswith("create"):
        return True  # a create's row is new (its id was made by the request); otherwise it carries the stamp
    # a later write without a stamp (a background step) replaced the row: the values the request set are there
    intended = pending.intended or {}
    return bool(intended) and fingerprint({k: row.get(k) for k in intended}) == intended


def settle_interrupted(ports: AuditRecordPorts, *, now: datetime | None = None) -> int:
    """Settle the events whose requests stopped (a crash) between saving them and settling them."""
    older_than = (now or ports.clock()) - INTERRUPTED_AFTER
    settled = 0
    for pending in ports.events.list_pending(older_than=older_than):
        done = happened(pending, ports.events.row_at(pending.written_at) if pending.written_at else None)
        outcome = pending.model_copy(
            update={
                "tenant_id": home_tenant(pending),
                "result": "success" if done else "failure",
                "error_code": None if done else "interrupted",
                "written_at": None,
                "intended": None,
            }
        )
        ports.events.settle(pending, outcome)
        settled += 1
    return settled


def public(record: AuditRecord) -> AuditEvent:
    """An event as served: without the fields kept only for filtering and settling."""
    return AuditEvent.model_validate(record.model_dump(include=set(AuditEvent.model_fields)))
