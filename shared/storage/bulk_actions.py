"""Bulk actions (partition = tenant) and their items (partition = tenant and bulk action, one row per Cloud PC)."""

from __future__ import annotations

from collections.abc import Iterable

from shared.models.cloud_pc_actions import BulkAction, BulkActionItem
from shared.storage.table_service import TableStorage
from shared.storage.tables import EntityRepository


class BulkActionRepository:
    # An item per row: a thousand results in the bulk action's own row would pass a property's 64 KiB.
    def __init__(self, storage: TableStorage) -> None:
        self._rows = EntityRepository(storage, "BulkActions", BulkAction, kind="Bulk action")
        self._items = EntityRepository(storage, "BulkActionItems", BulkActionItem, kind="Bulk action item")

    def create_bulk_action(self, bulk: BulkAction, items: Iterable[BulkActionItem]) -> BulkAction:
        """The items first, so a bulk action on record always has every one of them."""
        self._items.put_many((item, _items_of(bulk.tenant_id, bulk.id), item.cloud_pc_id) for item in items)
        return self._rows.put(bulk.model_copy(update={"results": []}), bulk.tenant_id, bulk.id, if_none_match=True)

    def get_bulk_action(self, tenant_id: str, bulk_id: str) -> BulkAction:
        return self._rows.get(tenant_id, bulk_id, target="bulkActionId")

    def list_bulk_actions(
        self, tenant_id: str, *, top: int = 100, skip_token: str | None = None
    ) -> tuple[list[BulkAction], str | None]:
        return self._rows.page("PartitionKey eq @t", {"t": tenant_id}, top=top, skip_token=skip_token)

    def update_bulk_action(self, bulk: BulkAction) -> BulkAction:
        return self._rows.put(bulk.model_copy(update={"results": []}), bulk.tenant_id, bulk.id)

    def list_items(self, tenant_id: str, bulk_id: str) -> list[BulkActionItem]:
        return list(self._items.scan("PartitionKey eq @p", {"p": _items_of(tenant_id, bulk_id)}))

    def save_item(self, tenant_id: str, bulk_id: str, item: BulkActionItem) -> None:
        self._items.put(item, _items_of(tenant_id, bulk_id), item.cloud_pc_id)


def _items_of(tenant_id: str, bulk_id: str) -> str:
    return f"{tenant_id}_{bulk_id}"
