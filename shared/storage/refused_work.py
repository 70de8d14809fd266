"""Refused work repository: partition key = tenant id, row key = the kind of work (at most one row each)."""

from __future__ import annotations

from collections import defaultdict

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

    def list_refused_per_tenant(self) -> dict[str, list[RefusedWork]]:
        """list_refused for every tenant, in one query across them (a tenant has a row per kind of work at most)."""
        refused: defaultdict[str, list[RefusedWork]] = defaultdict(list)
        for item in self._rows.scan():
            refused[item.tenant_id].append(item)
        return dict(refused)

    def put_refused(self, item: RefusedWork) -> None:
        self._rows.put(item, item.tenant_id, item.work)

    def delete_refused(self, tenant_id: str, work: RefusedWorkKind) -> None:
        self._rows.delete(tenant_id, work)
