"""The power records repository on Azurite and on the unit tier's in-memory table service, case for case: a tenant's
records read oldest first up to a time (not including it) and only the tenant's, and the same record written again
being one row."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from azure.data.tables import TableServiceClient

from shared.models.costs import PowerChange, PowerRecord
from shared.storage.power_records import PowerRecordRepository
from shared.storage.table_service import TableStorage
from tests.fakes.tables import MemoryTableService, memory_storage
from tests.utils.factories import unique_table_prefix

T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
VM = "/subscriptions/sub-1/resourcegroups/rg-1/providers/microsoft.compute/virtualmachines/{}"


@pytest.fixture(params=["azurite", "memory"])
def repo(request: pytest.FixtureRequest) -> PowerRecordRepository:
    if request.param == "azurite":
        service = TableServiceClient.from_connection_string(request.getfixturevalue("storage_connection_string"))
        return PowerRecordRepository(TableStorage(service, unique_table_prefix()))
    return PowerRecordRepository(memory_storage(MemoryTableService()))


def power(change: PowerChange, at: datetime, vm: str = "host-0", tenant: str = "t1") -> PowerRecord:
    return PowerRecord(
        tenant_id=tenant,
        resource_id=VM.format(vm),
        kind="sessionHost",
        display_name=vm,
        vm_size="Standard_D4s_v5",
        region="westeurope",
        priority="spot",
        disk_tier="P10",
        spot_group_id="g-1",
        site_id="s-1",
        change=change,
        date_time=at,
    )


def test_records_are_read_oldest_first_up_to_the_time_and_only_the_tenants(repo: PowerRecordRepository) -> None:
    written = [
        power("stopped", T0 + timedelta(hours=9)),
        power("created", T0),
        power("started", T0, "host-1"),
        power("deleted", T0 + timedelta(hours=10)),
    ]
    for record in written:
        repo.record_power(record)
    repo.record_power(power("created", T0, tenant="t2"))
    assert repo.list_power_records("t1", T0 + timedelta(hours=10)) == sorted(
        written[:3], key=lambda r: (r.date_time, r.change)
    )
    assert repo.list_power_records("t1", T0) == []


def test_the_same_record_written_again_is_one_row(repo: PowerRecordRepository) -> None:
    repo.record_power(power("started", T0))
    repo.record_power(power("started", T0))
    repo.record_power(power("stopped", T0))  # another change at the same instant is its own row
    assert [r.change for r in repo.list_power_records("t1", T0 + timedelta(seconds=1))] == ["started", "stopped"]
