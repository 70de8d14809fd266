"""A GET let in on the tenant and role this process read a moment ago: what a process changes counts at once, what
another changes once the copy is older than allowed, a missing row is never kept, and a write reads storage."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import TypeVar

import pytest

from shared.models.access import Caller, Role, RoleAssignmentCreate
from shared.models.tenants import Tenant
from shared.ports.bundles import AccessPorts
from shared.services.access import roles as access
from shared.storage.change_capture import ChangeCapture, capturing
from shared.storage.recent_rows import RecentRows
from shared.storage.role_assignments import RoleAssignmentRepository
from shared.storage.table_service import TableStorage
from shared.storage.tenants import TenantRepository
from tests.fakes.tables import MemoryTableService, memory_storage

T0 = datetime(2026, 11, 1, tzinfo=UTC)
TENANT = "00000000-0000-0000-0000-0000000000aa"
ADMIN = Caller(principal_id="a", name="admin", organization_owner=True)
READER = Caller(principal_id="00000000-0000-0000-0000-0000000000b1", name="reader")
T = TypeVar("T")
LONG = 3600.0  # old enough for any copy a test makes: what is served then shows whether it was the copy


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _same(value: T) -> T:
    return value


def _reads(rows: RecentRows[str], key: str, max_age: float, value: str | None, log: list[str]) -> str | None:
    def load() -> str | None:
        log.append(key)
        return value

    return rows.read(key, max_age, load)


# ---- RecentRows -----------------------------------------------------------------------------------------------


def test_a_row_is_read_again_once_its_copy_is_older_than_the_reader_allows() -> None:
    clock, loads = Clock(), list[str]()
    rows: RecentRows[str] = RecentRows(_same, clock)
    assert _reads(rows, "t", 2.0, "v1", loads) == "v1"
    clock.now += 2.0
    assert _reads(rows, "t", 2.0, "v2", loads) == "v1"  # as old as allowed: the copy
    assert _reads(rows, "t", 1.0, "v2", loads) == "v2"  # this reader allows less
    clock.now += 2.5
    assert _reads(rows, "t", 2.0, "v3", loads) == "v3"
    assert loads == ["t", "t", "t"]


def test_a_missing_row_is_never_kept() -> None:
    rows: RecentRows[str] = RecentRows(_same, Clock())
    loads: list[str] = []
    assert _reads(rows, "t", LONG, None, loads) is None
    assert _reads(rows, "t", LONG, "made elsewhere", loads) == "made elsewhere"
    assert loads == ["t", "t"]


def test_a_write_here_forgets_its_row_and_only_its_row() -> None:
    rows: RecentRows[str] = RecentRows(_same, Clock())
    loads: list[str] = []
    _reads(rows, "t", LONG, "old", loads)
    _reads(rows, "u", LONG, "u1", loads)
    rows.forget("t")
    assert _reads(rows, "t", LONG, "new", loads) == "new"
    assert _reads(rows, "u", LONG, "u2", loads) == "u1"


def test_a_read_that_allows_no_age_refreshes_a_copy_kept_and_keeps_no_new_one() -> None:
    rows: RecentRows[str] = RecentRows(_same, Clock())
    loads: list[str] = []
    _reads(rows, "t", LONG, "old", loads)
    assert _reads(rows, "t", 0.0, "changed elsewhere", loads) == "changed elsewhere"
    assert _reads(rows, "t", LONG, "unread", loads) == "changed elsewhere"
    assert _reads(rows, "t", 0.0, None, loads) is None  # deleted elsewhere: the copy goes too
    assert _reads(rows, "t", LONG, "made again", loads) == "made again"
    assert _reads(rows, "u", 0.0, "u1", loads) == "u1"
    assert _reads(rows, "u", LONG, "u2", loads) == "u2"


def test_a_read_under_way_while_a_write_ends_here_is_not_kept() -> None:
    rows: RecentRows[str] = RecentRows(_same, Clock())

    def load_then_written_meanwhile() -> str:
        rows.forget("t")  # another thread's write ends while this read is on its way back with the old row
        return "old"

    assert rows.read("t", LONG, load_then_written_meanwhile) == "old"
    assert rows.read("t", LONG, lambda: "new") == "new"


def test_the_oldest_read_goes_first_past_the_capacity() -> None:
    rows: RecentRows[str] = RecentRows(_same, Clock(), capacity=2)
    loads: list[str] = []
    for key in ("a", "b", "c"):
        _reads(rows, key, LONG, key, loads)
    loads.clear()
    for key in ("b", "c", "a"):
        _reads(rows, key, LONG, key, loads)
    assert loads == ["a"]


def test_threads_reading_and_writing_at_once_end_with_the_last_write() -> None:
    rows: RecentRows[int] = RecentRows(_same)
    stored = {"value": 0}

    def writer() -> None:
        for n in range(1, 2001):
            stored["value"] = n
            rows.forget("t")

    def reader() -> None:
        for _ in range(2000):
            rows.read("t", LONG, lambda: stored["value"])

    threads = [threading.Thread(target=writer), *(threading.Thread(target=reader) for _ in range(4))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert rows.read("t", LONG, lambda: stored["value"]) == 2000  # no read older than the last write was kept


# ---- the tenant and role a GET is let in on -------------------------------------------------------------------


def _ports(storage: TableStorage, recent: float = LONG) -> AccessPorts:
    """One process's access ports on the shared storage."""
    tenants = TenantRepository(storage)
    return AccessPorts(
        RoleAssignmentRepository(storage), tenants, frozenset({"a"}), clock=lambda: T0, recent_reads=recent
    )


@pytest.fixture
def storage() -> TableStorage:
    storage = memory_storage(MemoryTableService(lambda: T0))
    TenantRepository(storage).upsert_tenant(
        Tenant(id=TENANT, display_name="Contoso", created_date_time=T0, last_modified_date_time=T0)
    )
    return storage


def _give(ports: AccessPorts, caller: Caller, role: Role) -> None:
    access.assign_role(ports, ADMIN, TENANT, RoleAssignmentCreate(principal_id=caller.principal_id, role=role))


def _standing(ports: AccessPorts, caller: Caller, *, only_reads: bool = True) -> tuple[Role, str] | None:
    found = access.standing(ports, caller, TENANT, only_reads=only_reads)
    return None if found is None else (found[0], found[1].display_name)


def test_a_tenant_deleted_in_this_process_is_gone_for_its_next_read_at_once(storage: TableStorage) -> None:
    here = _ports(storage)
    assert _standing(here, ADMIN) == (Role.OWNER, "Contoso")
    tenant = here.tenants.get_tenant(TENANT)
    here.tenants.delete_tenant(TENANT, if_match=tenant.etag)
    assert _standing(here, ADMIN) is None


def test_a_tenant_changed_in_this_process_is_read_as_changed_at_once(storage: TableStorage) -> None:
    here = _ports(storage)
    assert _standing(here, ADMIN) == (Role.OWNER, "Contoso")
    renamed = here.tenants.get_tenant(TENANT).model_copy(update={"display_name": "Contoso Ltd"})
    here.tenants.upsert_tenant(renamed)
    assert _standing(here, ADMIN) == (Role.OWNER, "Contoso Ltd")


def test_a_role_removed_or_changed_in_this_process_counts_at_once(storage: TableStorage) -> None:
    here = _ports(storage)
    _give(here, READER, Role.READER)
    assert _standing(here, READER) == (Role.READER, "Contoso")
    access.remove_role(here, TENANT, READER.principal_id)
    assert _standing(here, READER) is None
    _give(here, READER, Role.ADMINISTRATOR)
    assert _standing(here, READER) == (Role.ADMINISTRATOR, "Contoso")


def test_a_role_given_or_a_tenant_made_elsewhere_counts_at_once(storage: TableStorage) -> None:
    here, elsewhere = _ports(storage), _ports(storage)
    assert _standing(here, READER) is None
    _give(elsewhere, READER, Role.OPERATOR)
    assert _standing(here, READER) == (Role.OPERATOR, "Contoso")
    other = "00000000-0000-0000-0000-0000000000cc"
    assert access.standing(here, ADMIN, other, only_reads=True) is None
    elsewhere.tenants.upsert_tenant(
        Tenant(id=other, display_name="Fabrikam", created_date_time=T0, last_modified_date_time=T0)
    )
    found = access.standing(here, ADMIN, other, only_reads=True)
    assert found is not None and found[1].display_name == "Fabrikam"


def test_what_another_process_changes_a_read_sees_within_its_age_and_a_write_at_once(storage: TableStorage) -> None:
    here, elsewhere = _ports(storage), _ports(storage)
    _give(here, READER, Role.OPERATOR)
    assert _standing(here, READER) == (Role.OPERATOR, "Contoso")
    access.remove_role(elsewhere, TENANT, READER.principal_id)
    tenant = elsewhere.tenants.get_tenant(TENANT)
    elsewhere.tenants.upsert_tenant(tenant.model_copy(update={"display_name": "Renamed"}))
    assert _standing(here, READER) == (Role.OPERATOR, "Contoso")  # the copy of a moment ago (here: within LONG)
    assert _standing(here, READER, only_reads=False) is None  # a request that may write reads storage
    assert _standing(_ports(storage, recent=0.0), ADMIN) == (Role.OWNER, "Renamed")  # recent_reads 0: always read


def test_a_deleted_tenant_is_not_found_by_a_write_from_another_process(storage: TableStorage) -> None:
    here, elsewhere = _ports(storage), _ports(storage)
    assert _standing(here, ADMIN) == (Role.OWNER, "Contoso")
    elsewhere.tenants.delete_tenant(TENANT)
    assert _standing(here, ADMIN, only_reads=False) is None


def test_an_audited_request_reads_storage_whatever_age_it_allows(storage: TableStorage) -> None:
    here, elsewhere = _ports(storage), _ports(storage)
    assert here.tenants.find_tenant(TENANT, max_age=LONG) is not None
    tenant = elsewhere.tenants.get_tenant(TENANT)
    elsewhere.tenants.upsert_tenant(tenant.model_copy(update={"display_name": "Renamed"}))
    capture = ChangeCapture("e1", lambda intent: None)
    with capturing(capture):
        seen = here.tenants.find_tenant(TENANT, max_age=LONG)
    assert seen is not None and seen.display_name == "Renamed"
    assert capture.before[("Tenants", TENANT, "tenant")]["displayName"] == "Renamed"


def test_a_caller_changing_the_tenant_it_was_given_changes_no_one_elses(storage: TableStorage) -> None:
    here = _ports(storage)
    first = here.tenants.find_tenant(TENANT, max_age=LONG)
    assert first is not None
    first.display_name = "Scribbled"
    second = here.tenants.find_tenant(TENANT, max_age=LONG)
    assert second is not None and second.display_name == "Contoso"


def test_a_tenants_roles_deleted_together_end_for_reads_here_at_once(storage: TableStorage) -> None:
    here = _ports(storage)
    _give(here, READER, Role.READER)
    assert _standing(here, READER) == (Role.READER, "Contoso")
    assert here.role_assignments.find_role_assignment(TENANT, READER.principal_id, max_age=LONG) is not None
    here.role_assignments.delete_tenant_assignments(TENANT)
    assert here.role_assignments.find_role_assignment(TENANT, READER.principal_id, max_age=LONG) is None
    assert _standing(here, READER) is None
