"""What the timers read costs what is due, not what is stored: on Azurite, each read returns only the due rows (their
keys alone, where a timer queues them) in one request, however many rows there are besides."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import pytest

from shared.models.connections import Connection
from shared.models.lifecycle import DueWork
from shared.storage.account import table_storage
from shared.storage.connections import ConnectionRepository
from shared.storage.lifecycle import PARTITION, DueWorkRepository
from shared.storage.spot_groups import SpotGroupRepository
from shared.storage.table_service import RequestCounter, TableStorage
from shared.storage.tables import EntityRepository
from tests.utils.factories import unique_table_prefix

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
T = TypeVar("T")


@pytest.fixture
def storage(storage_connection_string: str) -> TableStorage:
    return table_storage(storage_connection_string, unique_table_prefix())


def requests_of(read: Callable[[], T]) -> tuple[T, int]:
    """What `read` answers, and the storage requests it made."""
    before = RequestCounter.in_this_thread()
    found = read()
    return found, RequestCounter.in_this_thread() - before


def test_the_lifecycle_sweep_reads_the_due_items_and_no_other(storage: TableStorage) -> None:
    def item(index: int, due: datetime) -> tuple[DueWork, str, str]:
        work = DueWork(kind="cleanUp", due_date_time=due, tenant_id="t", cloud_pc_id=f"c{index}", run=1, generation=1)
        return work, PARTITION, work.key

    later = [item(i, NOW + timedelta(minutes=i + 1)) for i in range(1500)]
    due = [item(i, NOW - timedelta(minutes=i)) for i in range(1500, 1520)]
    EntityRepository(storage, "LifecycleDue", DueWork, kind="Due work").put_many([*later, *due])
    found, requests = requests_of(lambda: DueWorkRepository(storage).list_due(NOW))
    assert sorted(w.cloud_pc_id for w in found) == sorted(w.cloud_pc_id for w, _, _ in due)
    assert requests == 1


def test_the_optimization_reads_the_ready_groups_keys_alone(storage: TableStorage) -> None:
    groups = storage.table("SpotGroups")
    ready = {(f"t{i % 5}", f"g{i:04d}") for i in range(0, 1200, 100)}
    for tenant in range(5):
        rows = [
            {
                "PartitionKey": f"t{tenant}",
                "RowKey": f"g{i:04d}",
                "name": f"g{i}",
                "status": "ready" if (f"t{tenant}", f"g{i:04d}") in ready else "deploying",
            }
            for i in range(1200)
            if i % 5 == tenant
        ]
        for start in range(0, len(rows), 100):
            groups.submit_transaction([("upsert", row) for row in rows[start : start + 100]])
    found, requests = requests_of(SpotGroupRepository(storage).ready_keys)
    assert set(found) == ready
    assert requests == 1


def test_the_health_checks_read_the_keys_of_the_connections_unchanged_since(storage: TableStorage) -> None:
    def connection(index: int, changed: datetime) -> tuple[Connection, str, str]:
        row = Connection.model_validate(
            {
                "id": f"c{index:04d}",
                "tenant_id": "t",
                "display_name": f"c{index}",
                "site_id": "s",
                "connection_type": "azureADJoin",
                "subscription_id": "sub",
                "resource_group_name": "rg",
                "region_name": "westeurope",
                "created_date_time": changed,
                "last_modified_date_time": changed,
            }
        )
        return row, "t", row.id

    recent = [connection(i, NOW - timedelta(minutes=i % 90)) for i in range(1200)]
    old = [connection(i, NOW - timedelta(hours=4, minutes=i)) for i in range(1200, 1206)]
    EntityRepository(storage, "Connections", Connection, kind="Connection").put_many([*recent, *old])
    found, requests = requests_of(lambda: ConnectionRepository(storage).keys_unchanged_since(NOW - timedelta(hours=3)))
    assert found == [("t", c.id) for c, _, _ in old]
    assert requests == 1
