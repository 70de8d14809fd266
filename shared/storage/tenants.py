"""Tenant repository: one row per tenant, partition key = tenant id."""

from __future__ import annotations

from collections.abc import Iterator

from shared.models.tenants import Tenant
from shared.storage.tables import EntityRepository, TableStorage

TENANT_ROW = "tenant"


class TenantRepository:
    def __init__(self, storage: TableStorage) -> None:
        self._rows = EntityRepository(storage, "Tenants", Tenant, kind="Tenant")

    def get_tenant(self, tenant_id: str) -> Tenant:
        return self._rows.get(tenant_id, TENANT_ROW, target="tenantId")

    def find_tenant(self, tenant_id: str) -> Tenant | None:
        return self._rows.find(tenant_id, TENANT_ROW)

    def list_tenants(self, *, top: int = 100, skip_token: str | None = None) -> tuple[list[Tenant], str | None]:
        return self._rows.page(top=top, skip_token=skip_token)

    def iter_tenants(self) -> Iterator[Tenant]:
        return self._rows.scan()

    def find_tenant_by_entra_id(self, entra_tenant_id: str) -> Tenant | None:
        found = self._rows.scan("entraTenantId eq @entra", {"entra": entra_tenant_id})
        return next(iter(found), None)

    def upsert_tenant(self, tenant: Tenant, *, if_match: str | None = None, if_none_match: bool = False) -> Tenant:
        return self._rows.put(tenant, tenant.id, TENANT_ROW, if_match=if_match, if_none_match=if_none_match)

    def delete_tenant(self, tenant_id: str, *, if_match: str | None = None) -> None:
        self._rows.delete(tenant_id, TENANT_ROW, if_match=if_match)
