"""Site repository: partition key = tenant id, row key = site id."""

from __future__ import annotations

from collections.abc import Iterable

from shared.models.sites import Site
from shared.storage.table_service import TableStorage
from shared.storage.tables import EntityRepository


class SiteRepository:
    def __init__(self, storage: TableStorage) -> None:
        self._rows = EntityRepository(storage, "Sites", Site, kind="Site")

    def get_site(self, tenant_id: str, site_id: str) -> Site:
        return self._rows.get(tenant_id, site_id, target="siteId")

    def find_site(self, tenant_id: str, site_id: str) -> Site | None:
        return self._rows.find(tenant_id, site_id)

    def list_sites(
        self, tenant_id: str, *, top: int = 100, skip_token: str | None = None
    ) -> tuple[list[Site], str | None]:
        return self._rows.page("PartitionKey eq @tenant", {"tenant": tenant_id}, top=top, skip_token=skip_token)

    def list_all_sites(self, tenant_id: str) -> list[Site]:
        """Every site of the tenant (a tenant has a handful)."""
        return list(self._rows.scan("PartitionKey eq @tenant", {"tenant": tenant_id}))

    def any_sites(self, tenant_id: str) -> bool:
        return self._rows.exists("PartitionKey eq @tenant", {"tenant": tenant_id})

    def upsert_site(self, site: Site, *, if_match: str | None = None, if_none_match: bool = False) -> Site:
        return self._rows.put(site, site.tenant_id, site.id, if_match=if_match, if_none_match=if_none_match)

    def upsert_sites(self, sites: Iterable[Site]) -> int:
        return self._rows.put_many((site, site.tenant_id, site.id) for site in sites)

    def delete_site(self, tenant_id: str, site_id: str, *, if_match: str | None = None) -> None:
        self._rows.delete(tenant_id, site_id, if_match=if_match)
