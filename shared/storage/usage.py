"""Usage repository: partition key = tenant id, row key = the UTC day then the Cloud PC id, so a range of days is one
key range of the tenant's partition."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from shared.models.usage import UsageDay
from shared.storage.table_service import TableStorage
from shared.storage.tables import EntityRepository

AFTER_IDS = "~"  # sorts after "_" and every character of an id: "<day>~" bounds that day's keys from above


class UsageRepository:
    def __init__(self, storage: TableStorage) -> None:
        self._rows = EntityRepository(storage, "CloudPcUsage", UsageDay, kind="Usage")

    def put_usage_days(self, days: Iterable[UsageDay]) -> int:
        """Each row replaced whole, in transactions of up to 100 per tenant: the watch writes a run's rows at once."""
        return self._rows.put_many((d, d.tenant_id, _row_key(d.day, d.cloud_pc_id)) for d in days)

    def list_usage_days(self, tenant_id: str, first: date, last: date) -> list[UsageDay]:
        """The tenant's rows from `first` to `last`, both included, by day."""
        return list(
            self._rows.scan(
                "PartitionKey eq @t and RowKey ge @first and RowKey lt @after",
                {"t": tenant_id, "first": first.isoformat(), "after": f"{last.isoformat()}{AFTER_IDS}"},
            )
        )


def _row_key(day: date, cloud_pc_id: str) -> str:
    return f"{day.isoformat()}_{cloud_pc_id}"
