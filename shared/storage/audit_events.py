"""Audit-event repository: settled events in the tenant's partition, newest first; pending ones beside them."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from azure.core.exceptions import ResourceNotFoundError
from azure.data.tables import EntityProperty

from shared.models.access import AuditRecord, Intent
from shared.storage.table_service import TableStorage
from shared.storage.tables import EntityRepository

# pending events of a tenant: a partition of their own, so no one partition takes every write of every tenant,
# and all of them one key range at the end of the table (`~` sorts after tenant ids, which are GUIDs)
PENDING_PREFIX, PENDING_END = "~pending-", "~pending."
NEWEST_FIRST = 10**13  # row keys count down from here in milliseconds, so a partition lists newest first


def _millis(at: datetime) -> int:
    return int(at.timestamp() * 1000)


def _pending_partition(record: AuditRecord) -> str:
    return PENDING_PREFIX + record.tenant_id


def _pending_row(record: AuditRecord) -> str:
    return f"{_millis(record.activity_date_time):013d}_{record.id}"


def _event_row(record: AuditRecord) -> str:
    return f"{NEWEST_FIRST - _millis(record.activity_date_time):013d}_{record.id}"


class AuditEventRepository:
    def __init__(self, storage: TableStorage) -> None:
        self._storage = storage
        self._rows = EntityRepository(storage, "AuditEvents", AuditRecord, kind="Audit event")

    def insert_pending(self, record: AuditRecord) -> None:
        self._rows.put(record, _pending_partition(record), _pending_row(record), if_none_match=True)

    def note_intent(self, record: AuditRecord, intent: Intent) -> None:
        values = {"writtenAt": json.dumps(list(intent.key)), "intended": json.dumps(intent.fingerprint)}
        if record.resource_id is None and intent.resource_id:
            values["resourceId"] = intent.resource_id  # a create's new id, known once it is about to be written
        self._rows.merge_values(_pending_partition(record), _pending_row(record), values)

    def settle(self, pending: AuditRecord, settled: AuditRecord) -> None:
        """Save the settled event, then drop the pending one. A crash between leaves both; settling again
        writes the same row (an upsert of the same key) and then drops the pending one."""
        self.insert_event(settled)
        self._rows.delete(_pending_partition(pending), _pending_row(pending))

    def insert_event(self, record: AuditRecord) -> None:
        self._rows.put(record, record.tenant_id, _event_row(record))

    def ids_since(self, tenant_id: str, source: str, since: datetime) -> set[str]:
        """The ids of the tenant's settled events from `source` at or after `since`, read as row keys alone."""
        query = "PartitionKey eq @t and RowKey lt @since and source eq @source"
        bound = f"{NEWEST_FIRST - _millis(since):013d}~"  # newest first: every event at or after `since` sorts below
        keys = self._rows.row_keys(query, {"t": tenant_id, "since": bound, "source": source})
        return {key.split("_", 1)[1] for key in keys}

    def list_pending(self, *, older_than: datetime) -> list[AuditRecord]:
        bound = f"{_millis(older_than):013d}"
        query = "PartitionKey ge @first and PartitionKey lt @end and RowKey lt @b"
        return list(self._rows.scan(query, {"first": PENDING_PREFIX, "end": PENDING_END, "b": bound}))

    def list_events(
        self,
        tenant_id: str,
        *,
        actor_id: str | None = None,
        resource_type: str | None = None,
        since: datetime | None = None,
        top: int = 100,
        skip_token: str | None = None,
    ) -> tuple[list[AuditRecord], str | None]:
        clauses, values = ["PartitionKey eq @t"], {"t": tenant_id}
        if since is not None:
            clauses.append("RowKey lt @since")  # newest first: every event at or after `since` sorts below
            values["since"] = f"{NEWEST_FIRST - _millis(since):013d}~"
        if actor_id:
            clauses.append("actorId eq @actor")
            values["actor"] = actor_id
        if resource_type:
            clauses.append("resourceType eq @type")
            values["type"] = resource_type
        return self._rows.page(" and ".join(clauses), values, top=top, skip_token=skip_token)

    def row_at(self, location: list[str]) -> dict[str, Any] | None:
        """The row at (table, partition, row) as stored, `AuditEventId` included; None if there is none."""
        table, partition_key, row_key = location
        try:
            entity = self._storage.table(table).get_entity(partition_key, row_key)
        except ResourceNotFoundError:
            return None
        return {k: v.value if isinstance(v, EntityProperty) else v for k, v in entity.items()}
