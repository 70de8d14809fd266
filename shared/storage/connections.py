"""Connection repository: partition key = tenant id, row key = connection id."""

from __future__ import annotations

from datetime import datetime

from shared.models.connections import Connection
from shared.storage.table_service import TableStorage
from shared.storage.tables import EntityRepository


class ConnectionRepository:
    def __init__(self, storage: TableStorage) -> None:
        self._rows = EntityRepository(storage, "Connections", Connection, kind="Connection")

    def get_connection(self, tenant_id: str, connection_id: str) -> Connection:
        return self._rows.get(tenant_id, connection_id, target="connectionId")

    def find_connection(self, tenant_id: str, connection_id: str) -> Connection | None:
        return self._rows.find(tenant_id, connection_id)

    def list_connections(
        self, tenant_id: str, *, top: int = 100, skip_token: str | None = None
    ) -> tuple[list[Connection], str | None]:
        return self._rows.page("PartitionKey eq @t", {"t": tenant_id}, top=top, skip_token=skip_token)

    def keys_unchanged_since(self, before: datetime) -> list[tuple[str, str]]:
        """In every tenant: the (tenant, connection) ids of the connections last changed before `before`, reading
        only the keys."""
        rows = self._rows.columns(["PartitionKey", "RowKey"], "lastModifiedDateTime lt @before", {"before": before})
        return [(row["PartitionKey"], row["RowKey"]) for row in rows]

    def count_connections(self, tenant_id: str) -> int:
        return sum(1 for _ in self._rows.scan("PartitionKey eq @t", {"t": tenant_id}))

    def count_connections_by_health(self, tenant_id: str) -> dict[str, int]:
        """How many of the tenant's connections have each health-check status (one query reading only it)."""
        return dict(self._rows.count_by("healthCheckStatus", "PartitionKey eq @t", {"t": tenant_id}))

    def count_connections_by_health_per_tenant(self) -> dict[str, dict[str, int]]:
        """count_connections_by_health for every tenant, in one query across them."""
        counts = self._rows.count_by_partition("healthCheckStatus")
        return {tenant: dict(by_health) for tenant, by_health in counts.items()}

    def any_in_site(self, tenant_id: str, site_id: str) -> bool:
        return self._rows.exists("PartitionKey eq @t and siteId eq @s", {"t": tenant_id, "s": site_id})

    def upsert_connection(
        self, connection: Connection, *, if_match: str | None = None, if_none_match: bool = False
    ) -> Connection:
        return self._rows.put(
            connection, connection.tenant_id, connection.id, if_match=if_match, if_none_match=if_none_match
        )

    def delete_connection(self, tenant_id: str, connection_id: str, *, if_match: str | None = None) -> None:
        self._rows.delete(tenant_id, connection_id, if_match=if_match)
