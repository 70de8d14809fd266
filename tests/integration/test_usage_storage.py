"""The usage repository on Azurite and on the unit tier's in-memory table service, case for case: a day's row replaced
whole, a range of days read from its first to its last day (both included) and only the tenant's, the rows of many
Cloud PCs written in transactions of at most 100."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from azure.data.tables import TableServiceClient

from shared.models.usage import UsageDay
from shared.storage.table_service import TableStorage
from shared.storage.usage import UsageRepository
from tests.fakes.tables import MemoryTableService, memory_storage
from tests.utils.factories import unique_table_prefix

DAY = date(2026, 11, 2)


@pytest.fixture(params=["azurite", "memory"])
def repo(request: pytest.FixtureRequest) -> UsageRepository:
    if request.param == "azurite":
        service = TableServiceClient.from_connection_string(request.getfixturevalue("storage_connection_string"))
        return UsageRepository(TableStorage(service, unique_table_prefix()))
    return UsageRepository(memory_storage(MemoryTableService()))


def row(day: date, cloud_pc: str = "pc-1", minutes: float = 30.5, tenant: str = "t1") -> UsageDay:
    began = datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=9)
    return UsageDay(
        tenant_id=tenant,
        cloud_pc_id=cloud_pc,
        user_id="u-1",
        day=day,
        connected_minutes=minutes,
        sessions=1,
        first_connected_date_time=began,
        last_connected_date_time=began + timedelta(minutes=minutes),
    )


def test_a_day_is_replaced_whole_and_read_back_as_written(repo: UsageRepository) -> None:
    repo.put_usage_days([row(DAY, minutes=5)])
    repo.put_usage_days([row(DAY, minutes=12.25)])
    assert repo.list_usage_days("t1", DAY, DAY) == [row(DAY, minutes=12.25)]


def test_a_range_holds_its_first_and_last_days_and_only_the_tenants(repo: UsageRepository) -> None:
    days = [DAY + timedelta(days=n) for n in range(5)]
    repo.put_usage_days([row(d, pc) for d in days for pc in ("pc-1", "pc-2")])
    repo.put_usage_days([row(DAY + timedelta(days=1), tenant="t2")])
    found = repo.list_usage_days("t1", days[1], days[3])
    assert [(r.day, r.cloud_pc_id) for r in found] == [(d, pc) for d in days[1:4] for pc in ("pc-1", "pc-2")]
    assert repo.list_usage_days("t1", DAY - timedelta(days=3), DAY - timedelta(days=1)) == []


def test_a_run_over_many_cloud_pcs_is_written_in_transactions_of_100(repo: UsageRepository) -> None:
    assert repo.put_usage_days([row(DAY, f"pc-{n:03d}") for n in range(250)]) == 250
    assert len(repo.list_usage_days("t1", DAY, DAY)) == 250
