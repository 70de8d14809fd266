"""Bulk actions on Azurite: a bulk action of more items than one table transaction holds keeps every item, each
saved on its own row as it is applied."""

from __future__ import annotations

from datetime import UTC, datetime

from azure.data.tables import TableServiceClient

from shared.models.cloud_pc_actions import BulkAction, BulkActionItem
from shared.storage.bulk_actions import BulkActionRepository
from shared.storage.table_service import TableStorage
from tests.utils.factories import unique_table_prefix

ITEMS = 110  # more than one table transaction (100) holds
NOW = datetime(2026, 11, 2, 9, tzinfo=UTC)


def test_a_bulk_action_of_more_items_than_a_transaction_keeps_each_and_saves_each_result(
    storage_connection_string: str,
) -> None:
    service = TableServiceClient.from_connection_string(storage_connection_string)
    repo = BulkActionRepository(TableStorage(service, unique_table_prefix()))
    bulk = BulkAction(id="b1", tenant_id="t1", action="reboot", created_date_time=NOW, last_modified_date_time=NOW)
    items = [BulkActionItem(cloud_pc_id=f"pc-{n:03d}") for n in range(ITEMS)]

    repo.create_bulk_action(bulk, items)
    repo.save_item("t1", "b1", BulkActionItem(cloud_pc_id="pc-105", status="succeeded"))

    kept = repo.list_items("t1", "b1")
    assert sorted(item.cloud_pc_id for item in kept) == [item.cloud_pc_id for item in items]
    assert {item.cloud_pc_id for item in kept if item.status == "succeeded"} == {"pc-105"}
    assert repo.get_bulk_action("t1", "b1").action == "reboot"
