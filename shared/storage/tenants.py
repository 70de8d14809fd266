"""Tenant repository: one row per tenant, partition key = tenant id."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from shared.errors import NotFound, PreconditionFailed
from shared.models.tenants import BackendName, ReclaimRule, Tenant
from shared.storage.table_service import TableStorage
from shared.storage.tables import EntityRepository

TENANT_ROW = "tenant"
BACKEND, RECLAIM = "cloudPcBackend", "reclaim"  # Tenant's fields as stored
DEFAULT_BACKEND: BackendName = Tenant.model_fields["cloud_pc_backend"].default  # rows saved before the choice existed


class TenantRepository:
    def __init__(self, storage: TableStorage) -> None:
        self._rows = EntityRepository(storage, "Tenants", Tenant, kind="Tenant")

    def get_tenant(self, tenant_id: str) -> Tenant:
        tenant = self._rows.find(tenant_id, TENANT_ROW)
        if tenant is None:  # named by its id, not by the row key every tenant shares
            raise NotFound.resource("Tenant", tenant_id, "tenantId")
        return tenant

    def find_tenant(self, tenant_id: str, *, max_age: float = 0.0) -> Tenant | None:
        return self._rows.find(tenant_id, TENANT_ROW, max_age=max_age)

    def list_tenants(self, *, top: int = 100, skip_token: str | None = None) -> tuple[list[Tenant], str | None]:
        return self._rows.page(top=top, skip_token=skip_token)

    def list_tenants_among(
        self, tenant_ids: Iterable[str], *, top: int = 100, skip_token: str | None = None
    ) -> tuple[list[Tenant], str | None]:
        """A page of the tenants with these ids (a principal's few), by name."""
        found = (self.find_tenant(tenant_id) for tenant_id in set(tenant_ids))
        ordered = sorted((t for t in found if t is not None), key=lambda t: (t.display_name.lower(), t.id))
        return self._rows.continuations.page(ordered, top=top, skip_token=skip_token)

    def iter_tenants(self) -> Iterator[Tenant]:
        return self._rows.scan()

    def ids(self) -> list[str]:
        return [row["PartitionKey"] for row in self._rows.columns(["PartitionKey"])]

    def ids_of_backend(self, backend: BackendName) -> list[str]:
        rows = self._rows.columns(["PartitionKey", BACKEND])
        return [row["PartitionKey"] for row in rows if (row[BACKEND] or DEFAULT_BACKEND) == backend]

    def ids_reclaiming(self) -> list[str]:
        rows = self._rows.columns(["PartitionKey", RECLAIM])
        return [
            row["PartitionKey"]
            for row in rows
            if row[RECLAIM] is not None and ReclaimRule.model_validate_json(row[RECLAIM]).enabled
        ]

    def find_tenant_by_entra_id(self, entra_tenant_id: str) -> Tenant | None:
        found = self._rows.scan("entraTenantId eq @entra", {"entra": entra_tenant_id})
        return next(iter(found), None)

    def upsert_tenant(self, tenant: Tenant, *, if_match: str | None = None, if_none_match: bool = False) -> Tenant:
        with _named(tenant.id):
            return self._rows.put(tenant, tenant.id, TENANT_ROW, if_match=if_match, if_none_match=if_none_match)

    def delete_tenant(self, tenant_id: str, *, if_match: str | None = None) -> None:
        with _named(tenant_id):
            self._rows.delete(tenant_id, TENANT_ROW, if_match=if_match)


@contextmanager
def _named(tenant_id: str) -> Iterator[None]:
    """Errors name the tenant by its id, not by the row key every tenant's row shares."""
    try:
        yield
    except PreconditionFailed:
        raise PreconditionFailed.stale("Tenant", tenant_id) from None
    except NotFound:
        raise NotFound.resource("Tenant", tenant_id, "tenantId") from None
