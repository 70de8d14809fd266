"""Refused work repository: partition key = tenant id, row key = the kind of work (at most one row each)."""

from __future__ import annotations

from shared.models.refused_work import RefusedWork, RefusedWorkKind
from shared.storage.table_service import TableStorage
from shared.storage.tables import EntityRepository


class RefusedWorkRepository:
    def __init__(self, storage: TableStorage) -> None:
        self._rows = EntityRepository(storage, "RefusedWork", RefusedWork, kind="Refused work")

    def find_refused(self, tenant_id: str, work: RefusedWorkKind) -> RefusedWork | None:
        return self._rows.find(tenant_id, work)

    def list_refused(self, tenant_id: str) -> list[RefusedWork]:
        return list(self._rows.scan("PartitionKey eq @tenant", {"tenant": tenant_id}))

    def put_refused(self, item: RefusedWork) -> None:
        self._rows.put(item, item.tenant_id, item.work)

    def delete_refused(self, tenant_id: str, work: RefusedWorkKind) -> None:
        self._rows.delete(tenant_id, work)
