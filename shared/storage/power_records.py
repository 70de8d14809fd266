"""Power records repository: partition key = tenant id, row key = the record's UTC time, change and a short hash of
the VM's id, so a tenant's records up to a time are one key range, oldest first."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from shared.errors import Conflict
from shared.models.costs import PowerRecord
from shared.storage.table_service import TableStorage
from shared.storage.tables import EntityRepository

TIME_KEY = "%Y-%m-%dT%H:%M:%S.%fZ"  # fixed width, so the keys sort as the times do


class PowerRecordRepository:
    def __init__(self, storage: TableStorage) -> None:
        self._rows = EntityRepository(storage, "PowerRecords", PowerRecord, kind="PowerRecord")

    def record_power(self, record: PowerRecord) -> None:
        """Create-only: the same change of the same VM at the same time, written again, is the row already there."""
        try:
            self._rows.put(record, record.tenant_id, _row_key(record), if_none_match=True)
        except Conflict:
            return

    def list_power_records(self, tenant_id: str, until: datetime) -> list[PowerRecord]:
        return list(
            self._rows.scan(
                "PartitionKey eq @t and RowKey lt @until",
                {"t": tenant_id, "until": _time_key(until)},
            )
        )


def _time_key(at: datetime) -> str:
    return at.astimezone(UTC).strftime(TIME_KEY)


def _row_key(record: PowerRecord) -> str:
    vm = hashlib.sha256(record.resource_id.encode()).hexdigest()[:12]
    return f"{_time_key(record.date_time)}|{record.change}|{vm}"
