"""Roles, the last-owner rule, what a route acts on, and what an audit event shows, on plain data."""

from __future__ import annotations

from datetime import UTC, datetime

import azure.functions as func
import pytest

from shared.errors import Conflict
from shared.models.access import Caller, Role, RoleAssignment, RoleAssignmentCreate, RowKey
from shared.models.tenants import Tenant
from shared.ports.bundles import AccessPorts
from shared.services.access import roles as access
from shared.services.access.audit import MASK, changes_of, masked
from shared.storage.change_capture import ChangeCapture
from shared.storage.role_assignments import RoleAssignmentRepository
from shared.storage.tenants import TenantRepository
from tests.fakes.tables import MemoryTableService, memory_storage
from triggers.http_access import ACCESS, Audience
from triggers.http_api import Operation
from triggers.http_gate import target_of
from triggers.http_request import ApiRequest

T0 = datetime(2026, 11, 1, tzinfo=UTC)
TENANT = "00000000-0000-0000-0000-0000000000aa"
ADMIN = Caller(principal_id="a", name="admin", organization_owner=True)


class RacedRoleAssignments(RoleAssignmentRepository):
    """The real repository, where `race` names an assignment someone else deletes just before our delete."""

    race: str | None = None

    def delete_role_assignment(self, assignment: RoleAssignment, *, keep_owner: RoleAssignment | None) -> None:
        if self.race is not None:
            raced = self.find_role_assignment(assignment.tenant_id, self.race)
            self.race = None
            if raced is not None:
                super().delete_role_assignment(raced, keep_owner=None)
        super().delete_role_assignment(assignment, keep_owner=keep_owner)


@pytest.fixture
def ports() -> AccessPorts:
    storage = memory_storage(MemoryTableService(lambda: T0))
    tenants = TenantRepository(storage)
    tenants.upsert_tenant(Tenant(id=TENANT, display_name="Contoso", created_date_time=T0, last_modified_date_time=T0))
    return AccessPorts(RacedRoleAssignments(storage), tenants, frozenset({"a"}), clock=lambda: T0)


def give(ports: AccessPorts, principal: str, role: Role) -> None:
    access.assign_role(ports, ADMIN, TENANT, RoleAssignmentCreate(principal_id=_guid(principal), role=role))


def _guid(principal: str) -> str:
    return f"00000000-0000-0000-0000-{principal.encode().hex():0>12}"[-36:]


def test_each_role_covers_the_ones_below_it() -> None:
    ordered = [Role.READER, Role.OPERATOR, Role.ADMINISTRATOR, Role.OWNER]
    for i, held in enumerate(ordered):
        for j, needed in enumerate(ordered):
            assert held.covers(needed) is (i >= j)


def test_an_organization_owner_owns_every_tenant_and_others_only_what_they_were_given(ports: AccessPorts) -> None:
    give(ports, "b", Role.OPERATOR)
    assert access.role_on(ports, ADMIN, "any-tenant") is Role.OWNER
    assert access.role_on(ports, Caller(principal_id=_guid("b")), TENANT) is Role.OPERATOR
    assert access.role_on(ports, Caller(principal_id=_guid("c")), TENANT) is None
    page = access.tenant_page(ports, Caller(principal_id=_guid("b")), top=10, skip_token=None)
    assert [t.id for t in page[0]] == [TENANT]
    assert access.tenant_page(ports, Caller(principal_id=_guid("c")), top=10, skip_token=None) == ([], None)


def test_the_last_owner_stays_and_another_owner_can_go(ports: AccessPorts) -> None:
    give(ports, "o1", Role.OWNER)
    give(ports, "o2", Role.OWNER)
    access.remove_role(ports, TENANT, _guid("o1"))
    with pytest.raises(Conflict) as refused:
        access.remove_role(ports, TENANT, _guid("o2"))
    assert refused.value.code == "lastOwner"


def test_an_owner_removed_concurrently_is_seen_and_the_last_one_stays(ports: AccessPorts) -> None:
    give(ports, "o1", Role.OWNER)
    give(ports, "o2", Role.OWNER)
    store = ports.role_assignments
    assert isinstance(store, RacedRoleAssignments)
    store.race = _guid("o2")  # o2 is removed by someone else between our read and our delete
    with pytest.raises(Conflict) as refused:
        access.remove_role(ports, TENANT, _guid("o1"))
    assert refused.value.code == "lastOwner"
    assert [a.principal_id for a in store.list_role_assignments(TENANT)] == [_guid("o1")]


def test_secrets_are_masked_wherever_they_are_nested() -> None:
    assert masked("adDomainPassword", "hunter2") == MASK
    assert masked("settings", {"clientSecret": "s", "name": "n", "list": [{"apiKey": "k"}]}) == {
        "clientSecret": MASK,
        "name": "n",
        "list": [{"apiKey": MASK}],
    }
    assert masked("displayName", "Finance") == "Finance"


def test_changes_name_each_changed_field_but_not_bookkeeping() -> None:
    before = {"displayName": "A", "etag": "1", "lastModifiedDateTime": "t1", "same": 1, "password": "x"}
    after = {"displayName": "B", "etag": "2", "lastModifiedDateTime": "t2", "same": 1, "password": "y", "new": 2}
    shown = {c.field: (c.old_value, c.new_value) for c in changes_of(before, after)}
    assert shown == {"displayName": ("A", "B"), "password": (MASK, MASK), "new": (None, 2)}


def test_a_capture_keeps_the_last_read_before_a_write_and_announces_the_first_write_once() -> None:
    announced: list[RowKey] = []
    capture = ChangeCapture("e1", lambda intent: announced.append(intent.key))
    key = ("Policies", "t", "p")
    capture.read(key, {"displayName": "0"})
    capture.writing(key, {"displayName": "B"})  # refused: the etag was stale, so the request reads again
    capture.read(key, {"displayName": "A"})  # this is what the write replaces
    capture.writing(key, {"displayName": "B"})
    capture.wrote(key, {"displayName": "B"})
    capture.read(key, {"displayName": "B"})  # read back after the write: not what it replaced
    capture.writing(("Other", "t", "x"), None)
    assert capture.before[key] == {"displayName": "A"}
    assert announced == [key]


def _request(route_params: dict[str, str]) -> ApiRequest:
    return ApiRequest(func.HttpRequest("POST", "http://h/api/x", headers={}, route_params=route_params, body=b""))


@pytest.mark.parametrize(
    ("name", "route", "expected"),
    [
        ("createTenant", "tenants", ("organization", "tenant", None)),
        ("updateTenant", "tenants/{tenantId}", (TENANT, "tenant", TENANT)),
        ("createProvisioningPolicy", "tenants/{tenantId}/provisioningPolicies", (TENANT, "provisioningPolicy", None)),
        ("rebootCloudPc", "tenants/{tenantId}/cloudPCs/{cloudPcId}/reboot", (TENANT, "cloudPC", "c1")),
        (
            "runHealthChecks",
            "tenants/{tenantId}/connections/{connectionId}/runHealthChecks",
            (TENANT, "connection", "n1"),
        ),
        (
            "deleteRoleAssignment",
            "tenants/{tenantId}/roleAssignments/{roleAssignmentId}",
            (TENANT, "roleAssignment", "r1"),
        ),
        (
            "logOffSession",
            "tenants/{tenantId}/spotGroups/{spotGroupId}/sessions/{sessionId}/logOff",
            (TENANT, "session", "s1"),
        ),
        (
            "bulkSessionAction",
            "tenants/{tenantId}/spotGroups/{spotGroupId}/sessionActions",
            (TENANT, "spotGroup", "g1"),
        ),
    ],
)
def test_an_audit_event_names_what_the_route_acts_on(name: str, route: str, expected: tuple[str, ...]) -> None:
    operation = Operation(name=name, method="POST", route=route, summary="", tag="", access=ACCESS[name])
    params = {
        "tenantId": TENANT,
        "cloudPcId": "c1",
        "connectionId": "n1",
        "roleAssignmentId": "r1",
        "spotGroupId": "g1",
        "sessionId": "s1",
    }
    used = {k: v for k, v in params.items() if "{" + k + "}" in route}
    target = target_of(operation, _request(used))
    assert (target.tenant_id, target.resource_type, target.resource_id) == expected
    assert target.activity == name


def test_every_access_entry_is_a_role_or_an_audience() -> None:
    assert all(isinstance(entry, Role | Audience) for entry in ACCESS.values())
