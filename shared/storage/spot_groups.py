"""Spot Group repository: groups keyed by id, and their session hosts keyed by group and host index."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from shared.models.cross_tenant import CrossTenantQuery, TenantSessionHost
from shared.models.image_updates import ImageUpdate
from shared.models.session_hosts import SessionHost
from shared.models.spot_groups import SpotGroup
from shared.storage.cross_tenant import CrossTenantList, Row
from shared.storage.table_service import TableStorage
from shared.storage.tables import EntityRepository


def host_row(spot_group_id: str, index: int) -> str:
    """`<group>_0001`: a group's hosts list in index order."""
    return f"{spot_group_id}_{index:04d}"


class SpotGroupRepository:
    def __init__(self, storage: TableStorage) -> None:
        self._groups = EntityRepository(storage, "SpotGroups", SpotGroup, kind="Spot Group")
        self._hosts = EntityRepository(storage, "SpotGroupHosts", SessionHost, kind="Session host")
        self._updates = EntityRepository(storage, "SpotGroupImageUpdates", ImageUpdate, kind="Image update")

    def get_spot_group(self, tenant_id: str, spot_group_id: str) -> SpotGroup:
        return self._groups.get(tenant_id, spot_group_id, target="spotGroupId")

    def find_spot_group(self, tenant_id: str, spot_group_id: str) -> SpotGroup | None:
        return self._groups.find(tenant_id, spot_group_id)

    def list_spot_groups(
        self, tenant_id: str, *, top: int = 100, skip_token: str | None = None
    ) -> tuple[list[SpotGroup], str | None]:
        return self._groups.page("PartitionKey eq @t", {"t": tenant_id}, top=top, skip_token=skip_token)

    def count_spot_groups_by_status(self, tenant_id: str) -> dict[str, int]:
        """How many of the tenant's Spot Groups are in each status (one query reading only `status`)."""
        return dict(self._groups.count_by("status", "PartitionKey eq @t", {"t": tenant_id}))

    def count_spot_groups_by_status_per_tenant(self) -> dict[str, dict[str, int]]:
        """count_spot_groups_by_status for every tenant, in one query across them."""
        return {tenant: dict(counts) for tenant, counts in self._groups.count_by_partition("status").items()}

    def any_in_site(self, tenant_id: str, site_id: str) -> bool:
        return self._groups.exists("PartitionKey eq @t and siteId eq @s", {"t": tenant_id, "s": site_id})

    def using_image_set(self, tenant_id: str, image_set_id: str) -> list[SpotGroup]:
        return list(self._groups.scan("PartitionKey eq @t and imageSetId eq @s", {"t": tenant_id, "s": image_set_id}))

    def put_spot_group(
        self, spot_group: SpotGroup, *, if_match: str | None = None, if_none_match: bool = False
    ) -> SpotGroup:
        tenant_id, spot_group_id = spot_group.tenant_id, spot_group.id
        return self._groups.put(spot_group, tenant_id, spot_group_id, if_match=if_match, if_none_match=if_none_match)

    def list_quiet(self, before: datetime, statuses: Iterable[str]) -> list[SpotGroup]:
        """In every tenant: groups in one of `statuses`, unwritten since `before` (Table Storage's Timestamp)."""
        wanted = sorted(statuses)
        either = " or ".join(f"status eq @{s}" for s in wanted)
        query = f"( {either} ) and Timestamp lt @before"  # the SDK finds parameters between spaces
        return list(self._groups.scan(query, {**{s: s for s in wanted}, "before": before}))

    def ready_keys(self) -> list[tuple[str, str]]:
        """In every tenant: the (tenant, group) ids of the groups with no change under way (the optimization's to
        look after), reading only the keys."""
        rows = self._groups.columns(["PartitionKey", "RowKey"], "status eq @s", {"s": "ready"})
        return [(row["PartitionKey"], row["RowKey"]) for row in rows]

    def delete_spot_group(self, tenant_id: str, spot_group_id: str) -> None:
        self._groups.delete(tenant_id, spot_group_id)

    def list_hosts(self, tenant_id: str, spot_group_id: str) -> list[SessionHost]:
        bounds = {"t": tenant_id, "first": f"{spot_group_id}_", "end": f"{spot_group_id}`"}  # '`' follows '_'
        return list(self._hosts.scan("PartitionKey eq @t and RowKey ge @first and RowKey lt @end", bounds))

    def search_hosts(
        self, query: CrossTenantQuery, *, top: int = 100, skip_token: str | None = None
    ) -> tuple[list[TenantSessionHost], str | None]:
        """A page of the session hosts of the query's tenants (see cross_tenant), each with its tenant and group."""
        groups = {
            (row["PartitionKey"], row["RowKey"]): row["friendlyName"]
            for row in self._groups.columns(["PartitionKey", "RowKey", "friendlyName"])
        }

        def group_name(row: Row[SessionHost]) -> str:
            group_id = row.key.rsplit("_", 1)[0]
            return groups.get((row.tenant_id, group_id)) or group_id

        across = CrossTenantList(
            self._hosts,
            ("name",),
            {"name": lambda row: row.item.name, "status": lambda row: row.item.status, "spotGroup": group_name},
            name_order="name",
        )
        rows, token = across.page(query, top=top, skip_token=skip_token)
        found = [
            TenantSessionHost(
                **dict(row.item),
                tenant_id=row.tenant_id,
                tenant_name=query.tenant_names[row.tenant_id],
                spot_group_id=row.key.rsplit("_", 1)[0],
                spot_group_name=group_name(row),
            )
            for row in rows
        ]
        return found, token

    def find_host_group(self, tenant_id: str, vm_name: str) -> str | None:
        """The id of the tenant's group with a host of this VM name (a host's name is its group's and index's)."""
        for key in self._hosts.row_keys("PartitionKey eq @t and name eq @n", {"t": tenant_id, "n": vm_name}):
            return key.rsplit("_", 1)[0]
        return None

    def put_host(self, tenant_id: str, spot_group_id: str, host: SessionHost) -> SessionHost:
        kept = host.model_copy(update={"hours_run": None})  # a list's figure up to its time, not the host's
        return self._hosts.put(kept, tenant_id, host_row(spot_group_id, host.index))

    def delete_host(self, tenant_id: str, spot_group_id: str, index: int) -> None:
        self._hosts.delete(tenant_id, host_row(spot_group_id, index))

    def put_image_update(self, update: ImageUpdate, *, if_match: str | None = None) -> ImageUpdate:
        return self._updates.put(update, update.tenant_id, f"{update.spot_group_id}_{update.id}", if_match=if_match)

    def get_image_update(self, tenant_id: str, spot_group_id: str, update_id: str) -> ImageUpdate:
        return self._updates.get(tenant_id, f"{spot_group_id}_{update_id}", target="updateId")

    def list_image_updates(self, tenant_id: str, spot_group_id: str) -> list[ImageUpdate]:
        """Newest first."""
        bounds = {"t": tenant_id, "first": f"{spot_group_id}_", "end": f"{spot_group_id}`"}
        found = self._updates.scan("PartitionKey eq @t and RowKey ge @first and RowKey lt @end", bounds)
        return sorted(found, key=lambda u: u.created_date_time, reverse=True)
