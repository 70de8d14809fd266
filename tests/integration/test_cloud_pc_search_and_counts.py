"""The Cloud PC list's search and the summary's counts against a real Azurite: the filters storage really runs."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

import pytest
from azure.data.tables import TableClient

from shared.models.cloud_pcs import CloudPc
from shared.storage.account import table_storage
from shared.storage.cloud_pcs import CloudPcRepository
from shared.storage.prefix_search import MAX_COMPARISONS
from shared.storage.table_service import RequestCounter, TableStorage
from shared.storage.tables import EntityRepository
from tests.utils.factories import unique_table_prefix

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
TENANT = "contoso"
# user, display name, device name, status
ROWS = [
    ("adele", "Finance - Adele Vance", "FIN-ADEL-0001", "provisioned"),
    ("ADA", "Finance - Ada Lovelace", "FIN-ADA-0002", "failed"),
    ("ben", "Sales - Ben Stone", "SAL-BEN-0003", "provisioned"),
    ("o'brien", "Sales - Liam O'Brien", None, "pendingProvision"),
    ("zoë", "Design - Zoë Ångström", "DES-ZOE-0004", "provisioned"),
    ("bada", "Sales - Bada Kim", "SAL-BADA-0005", "provisioned"),  # "ada" inside a name is no prefix
]


def cloud_pc(user: str, display_name: str, device: str | None, status: str, tenant_id: str = TENANT) -> CloudPc:
    return CloudPc.model_validate(
        {
            "id": f"cpc-{user}",
            "tenant_id": tenant_id,
            "created_date_time": T0,
            "last_modified_date_time": T0,
            "display_name": display_name,
            "managed_device_name": device,
            "user_id": user,
            "user_principal_name": f"{user}@contoso.com",
            "service_plan_id": "p",
            "service_plan_name": "P",
            "provisioning_policy_id": "finance" if display_name.startswith("Finance") else "other",
            "provisioning_policy_name": "x",
            "status": status,
        }
    )


@pytest.fixture
def storage(storage_connection_string: str) -> TableStorage:
    return table_storage(storage_connection_string, unique_table_prefix())


@pytest.fixture
def repo(storage: TableStorage) -> CloudPcRepository:
    repo = CloudPcRepository(storage)
    repo.insert_cloud_pcs(cloud_pc(*row) for row in ROWS)
    repo.insert_cloud_pcs([cloud_pc("adele", "Finance - Adele Vance", "FIN-ADEL-0001", "provisioned", "fabrikam")])
    return repo


def users(repo: CloudPcRepository, search: str, filters: dict[str, str] | None = None, top: int = 100) -> list[str]:
    found, token, pages = [], None, 0
    while True:
        items, token = repo.list_cloud_pcs(TENANT, filters or {}, search=search, top=top, skip_token=token)
        assert items or token is None, "only the last page may be empty"
        found += [c.user_id for c in items]
        pages += 1
        if token is None:
            return sorted(found)


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("ad", ["ADA", "adele"]),  # UPNs in either case
        ("ADE", ["adele"]),
        ("adele vance", []),  # the display name starts with "Finance"
        ("finance - ada", ["ADA"]),
        ("fin-", ["ADA", "adele"]),  # device names
        ("SAL-", ["bada", "ben"]),
        ("o'b", ["o'brien"]),  # a quote is data, not the end of the filter's literal
        ("ZOË", ["zoë"]),
        ("design - zoë å", ["zoë"]),
        ("ada", ["ADA"]),  # not bada: a prefix, not a substring
        ("x", []),
    ],
)
def test_search_is_a_prefix_of_any_of_three_names_in_any_case(
    repo: CloudPcRepository, search: str, expected: list[str]
) -> None:
    assert users(repo, search) == expected
    assert users(repo, search, top=1) == expected  # paging keeps every match exactly once


def test_search_combines_with_every_other_filter_within_storages_comparison_limit(repo: CloudPcRepository) -> None:
    everything = {"status": "provisioned", "provisioningPolicyId": "finance", "userId": "adele"}
    assert users(repo, "a", everything) == ["adele"]
    assert users(repo, "a", {"status": "failed"}) == ["ADA"]
    assert users(repo, "A", {"status": "failed", "provisioningPolicyId": "other"}) == []
    assert MAX_COMPARISONS == 15


@pytest.mark.parametrize("search", ["\x00", "'", "''", "@s0", "a b", "\U0001f600", "ǅ", "\ud7ff", "\uffff", "é" * 100])
def test_any_text_is_a_search_that_finds_nothing_here(repo: CloudPcRepository, search: str) -> None:
    assert users(repo, search) == []


def test_counting_by_status_reads_only_the_status_column_in_one_query(
    storage: TableStorage, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = CloudPcRepository(storage)
    statuses = ["provisioned"] * 1100 + ["failed"] * 30 + ["inGracePeriod"] * 7
    rows = [cloud_pc(f"u{i:05}", "x", None, status) for i, status in enumerate(statuses)]
    EntityRepository(storage, "CloudPcs", CloudPc, kind="Cloud PC").put_many((c, c.tenant_id, c.id) for c in rows)

    queries: list[dict[str, Any]] = []
    query = TableClient.query_entities
    test_thread = threading.get_ident()  # the session's app host runs its timers in this process meanwhile

    def spy(self: TableClient, query_filter: str, **kwargs: Any) -> Any:
        if threading.get_ident() == test_thread:
            queries.append(kwargs)
        return query(self, query_filter, **kwargs)

    monkeypatch.setattr(TableClient, "query_entities", spy)
    before = RequestCounter.in_this_thread()
    counts = repo.count_cloud_pcs_by_status(TENANT)
    assert counts == {"provisioned": 1100, "failed": 30, "inGracePeriod": 7}
    assert [q["select"] for q in queries] == [["status"]]  # one query, one column
    assert RequestCounter.in_this_thread() - before == 2  # its two pages: storage answers at most 1,000 rows a request


def test_the_provisioned_cloud_pcs_nobody_connected_to_are_listed_and_counted_as_azurite_stores_them(
    repo: CloudPcRepository,
) -> None:
    ben = repo.get_cloud_pc(TENANT, "cpc-ben")
    repo.upsert_cloud_pc(ben.model_copy(update={"last_connected_date_time": T0}))
    assert repo.count_never_connected(TENANT) == 3  # adele, zoë, bada: failed and pending ones are not built
    page, _ = repo.list_cloud_pcs(TENANT, {}, never_connected=True)
    assert sorted(pc.user_id for pc in page) == ["adele", "bada", "zoë"]
    page, _ = repo.list_cloud_pcs(TENANT, {}, search="B", never_connected=True)
    assert [pc.user_id for pc in page] == ["bada"]  # ben connected
