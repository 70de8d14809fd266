"""Due-work index: one partition ordered by due time, so sweeps query `RowKey le now` and nothing else."""

from __future__ import annotations

from datetime import datetime

from shared.models.lifecycle import DueWork
from shared.storage.table_service import TableStorage
from shared.storage.tables import EntityRepository

PARTITION = "due"


class DueWorkRepository:
    def __init__(self, storage: TableStorage) -> None:
        self._rows = EntityRepository(storage, "LifecycleDue", DueWork, kind="Due work")

    def upsert_due(self, work: DueWork) -> None:
        self._rows.put(work, PARTITION, work.key)

    def list_due(self, now: datetime, *, top: int = 200) -> list[DueWork]:
        """The earliest `top` items due by `now` (a key-range query: cost follows what is due)."""
        bound = f"{now:%Y%m%dT%H%M%S%f}|~"
        items, _ = self._rows.page("PartitionKey eq @p and RowKey le @bound", {"p": PARTITION, "bound": bound}, top=top)
        return items

    def delete_due(self, work: DueWork) -> None:
        self._rows.delete(PARTITION, work.key)
