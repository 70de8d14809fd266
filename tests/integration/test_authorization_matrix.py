"""Who may call what, generated from the ACCESS table: every operation of the app, called by every kind of caller.

One app (and two tenants) per module: `tenant` with a role assignment for each role, `elsewhere` whose only owner
(besides the organization owner) is a principal with no role on `tenant`. Each operation is called with path
parameters filled in (`tenantId` the tenant, other ids random GUIDs), `{}` as its body and, for PUT, PATCH and DELETE, a
well-formed but stale If-Match, so an allowed write changes nothing. The expectation comes from ACCESS alone.
"""

from __future__ import annotations

import asyncio
import copy
import inspect
import re
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import pytest

from devhost.durable.binding import client_binding_json
from shared.bootstrap import build_services
from shared.models.access import Role
from shared.settings import Settings
from tests.conftest import Tokens
from tests.integration.conftest import create_app
from tests.utils.factories import unique_table_prefix
from tests.utils.function_client import FunctionClient, Reply
from triggers.http_access import ACCESS, Access, Audience

STALE_IF_MATCH = "W/\"datetime'2000-01-01T00%3A00%3A00.0000000Z'\""
# a durable client pointing at a closed port: with `{}` bodies and unknown ids no handler gets to start anything
DURABLE_CLIENT = client_binding_json("http://127.0.0.1:9", "matrixhub")
ROUTE_PARAM = re.compile(r"\{(\w+)(?::[^}]*)?\??\}")

ANONYMOUS, GARBAGE, ELSEWHERE_OWNER, ORGANIZATION_OWNER = "anonymous", "garbage", "elsewhereOwner", "admin"
ROLE_CALLERS = {role: f"matrix-{role.value}" for role in Role}
CALLERS = [ANONYMOUS, GARBAGE, *(role.value for role in Role), ELSEWHERE_OWNER, ORGANIZATION_OWNER]
PRINCIPAL_OF = {
    **{role.value: name for role, name in ROLE_CALLERS.items()},
    ELSEWHERE_OWNER: "matrix-elsewhere-owner",
    ORGANIZATION_OWNER: "admin",
}
TENANT_NAME, ELSEWHERE_NAME = "Matrix Contoso", "Matrix Fabrikam"


@dataclass(frozen=True)
class Route:
    operation: str
    method: str
    route: str  # as declared, e.g. tenants/{tenantId}/sites/{siteId}


@dataclass
class World:
    base: FunctionClient  # the admin's client; `as_caller` copies it for the others
    routes: dict[str, Route]
    tenant: str
    elsewhere: str
    tokens: Tokens
    tenant_etag: str
    elsewhere_etag: str

    def as_caller(self, caller: str) -> FunctionClient:
        clone = copy.copy(self.base)
        if caller in (ANONYMOUS, GARBAGE):
            clone.token = None if caller == ANONYMOUS else "not-a-jwt"
        else:
            clone.token = self.tokens(PRINCIPAL_OF[caller])
        return clone


def _callable_in_process(function: Any) -> Any:
    """The host's view of a function: a durable one gets its client binding and is run to completion."""
    if not inspect.iscoroutinefunction(function):
        return function

    durable = {"client": DURABLE_CLIENT} if "client" in inspect.signature(function).parameters else {}

    def run(req: Any, context: Any) -> Any:  # the host's context too, as every HTTP function takes it
        return asyncio.run(function(req, context=context, **durable))

    return run


def _http_routes(functions: list[Any]) -> dict[str, Route]:
    routes = {}
    for function in functions:
        trigger = function.get_trigger()
        if trigger.get_binding_name() != "httpTrigger":
            continue
        method = trigger.methods[0]  # one per operation; the catch-all takes every method
        routes[function.get_function_name()] = Route(function.get_function_name(), str(method.value), trigger.route)
    return routes


@pytest.fixture(scope="module")
def world(storage_connection_string: str, azure_environment: dict[str, str], tokens: Tokens) -> World:
    services = build_services(
        Settings(storage_connection_string=storage_connection_string, table_name_prefix=unique_table_prefix())
    )
    functions = create_app(services).get_functions()  # indexes the app: once per app only
    admin = FunctionClient(SimpleNamespace(get_functions=lambda: functions), tokens("admin"))
    admin.routes = [(method, pattern, _callable_in_process(fn)) for method, pattern, fn in admin.routes]

    def tenant(name: str) -> dict[str, Any]:
        reply = admin.post("/api/tenants", {"displayName": name})
        assert reply.status == 201, reply.text
        return dict(reply.json())

    def assign(tenant_id: str, principal: str, role: Role) -> None:
        body = {"principalId": tokens.principal_id(principal), "principalName": principal, "role": role.value}
        reply = admin.post(f"/api/tenants/{tenant_id}/roleAssignments", body)
        assert reply.status == 201, reply.text

    main, elsewhere = tenant(TENANT_NAME), tenant(ELSEWHERE_NAME)
    for role, principal in ROLE_CALLERS.items():
        assign(main["id"], principal, role)
    assign(elsewhere["id"], PRINCIPAL_OF[ELSEWHERE_OWNER], Role.OWNER)
    return World(admin, _http_routes(functions), main["id"], elsewhere["id"], tokens, main["etag"], elsewhere["etag"])


def _path(route: Route, tenant_id: str) -> str:
    def fill(match: re.Match[str]) -> str:
        return tenant_id if match.group(1) == "tenantId" else str(uuid.uuid4())

    return "/api/" + ROUTE_PARAM.sub(fill, route.route)


def _call(world: World, route: Route, caller: str, tenant_id: str | None = None) -> Reply:
    client = world.as_caller(caller)
    headers = {"If-Match": STALE_IF_MATCH} if route.method in ("PUT", "PATCH", "DELETE") else {}
    json_body: dict[str, Any] | None = {} if route.method in ("POST", "PUT", "PATCH") else None
    return client.request(route.method, _path(route, tenant_id or world.tenant), json_body=json_body, headers=headers)


def _role_of(caller: str) -> Role | None:
    return Role(caller) if caller in {role.value for role in Role} else None


def _passed(reply: Reply) -> bool:
    if reply.status in (401, 403):
        return False
    try:
        body = reply.json()
    except ValueError:
        body = None
    error = body.get("error") if isinstance(body, dict) else None
    return not (reply.status == 404 and isinstance(error, dict) and error.get("target") == "tenantId")


def _expect_unauthenticated(reply: Reply) -> None:
    assert reply.status == 401, reply.text
    assert reply.error_code == "unauthenticated"
    assert reply.headers.get("WWW-Authenticate", "").startswith("Bearer"), reply.headers


def _expect_forbidden(reply: Reply) -> None:
    assert reply.status == 403, reply.text
    assert reply.error_code == "forbidden"


def _expect_hidden_tenant(reply: Reply) -> None:
    assert reply.status == 404, reply.text
    assert reply.error_code == "notFound"
    assert reply.json()["error"]["target"] == "tenantId"


def test_every_http_operation_has_an_access_entry_and_every_entry_an_operation(world: World) -> None:
    declared = set(world.routes)
    assert declared - set(ACCESS) == set(), "operations without an entry in ACCESS"
    assert set(ACCESS) - declared == set(), "ACCESS entries naming no operation of the app"


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("operation", sorted(ACCESS))
def test_access_matrix(world: World, operation: str, caller: str) -> None:
    route = world.routes.get(operation)
    assert route is not None, f"{operation} is in ACCESS but the app declares no such HTTP function"
    needed: Access = ACCESS[operation]
    reply = _call(world, route, caller)
    assert reply.status != 500, f"{route.method} {route.route} as {caller}: {reply.text}"

    if needed is Audience.ANYONE:
        assert reply.status not in (401, 403), reply.text
        return
    if caller in (ANONYMOUS, GARBAGE) or needed is Audience.SPOT_HOST:  # a person's token is no VM's identity
        _expect_unauthenticated(reply)
        return
    if needed is Audience.SIGNED_IN or caller == ORGANIZATION_OWNER:
        assert _passed(reply), f"{caller} was refused {operation}: {reply.status} {reply.text}"
        return
    if needed is Audience.ORGANIZATION_OWNER:
        _expect_forbidden(reply)
        return
    assert isinstance(needed, Role)
    role = _role_of(caller)
    if role is None:  # the owner of another tenant: this one does not exist for it
        _expect_hidden_tenant(reply)
    elif role.covers(needed):
        assert _passed(reply), f"{caller} was refused {operation}: {reply.status} {reply.text}"
    else:
        _expect_forbidden(reply)


def test_the_matrix_left_both_tenants_unchanged(world: World) -> None:
    """Runs after the matrix (tests run in file order): nothing denied, nor any stale write, changed a tenant."""
    for tenant_id, name, etag in (
        (world.tenant, TENANT_NAME, world.tenant_etag),
        (world.elsewhere, ELSEWHERE_NAME, world.elsewhere_etag),
    ):
        reply = world.base.get(f"/api/tenants/{tenant_id}")
        assert reply.status == 200, reply.text
        assert reply.json()["displayName"] == name
        assert reply.json()["etag"] == etag
    assignments = world.base.get(f"/api/tenants/{world.tenant}/roleAssignments").json()["value"]
    expected = {(world.tokens.principal_id("admin"), "owner")} | {
        (world.tokens.principal_id(name), role.value) for role, name in ROLE_CALLERS.items()
    }
    assert {(a["principalId"], a["role"]) for a in assignments} == expected
    listed = world.base.get("/api/tenants").json()["value"]
    assert sorted(t["displayName"] for t in listed) == [TENANT_NAME, ELSEWHERE_NAME], "no tenant was created"


def test_list_tenants_shows_only_the_callers_tenants(world: World) -> None:
    def names(caller: FunctionClient) -> list[str]:
        reply = caller.get("/api/tenants")
        assert reply.status == 200, reply.text
        return sorted(t["displayName"] for t in reply.json()["value"])

    assert names(world.as_caller(Role.READER.value)) == [TENANT_NAME]
    assert names(world.as_caller(ELSEWHERE_OWNER)) == [ELSEWHERE_NAME]
    assert names(world.as_caller(ORGANIZATION_OWNER)) == [TENANT_NAME, ELSEWHERE_NAME]
    nobody = copy.copy(world.base)
    nobody.token = world.tokens("matrix-nobody")
    assert names(nobody) == []


def test_me_shows_the_callers_role_on_each_tenant(world: World) -> None:
    reply = world.as_caller(Role.READER.value).get("/api/me")
    assert reply.status == 200, reply.text
    me = reply.json()
    assert me["principalId"] == world.tokens.principal_id(ROLE_CALLERS[Role.READER])
    assert me["organizationOwner"] is False
    assert me["tenants"] == [{"tenantId": world.tenant, "displayName": TENANT_NAME, "role": "reader"}]

    admin = world.as_caller(ORGANIZATION_OWNER).get("/api/me").json()
    assert admin["organizationOwner"] is True
    assert {(t["tenantId"], t["role"]) for t in admin["tenants"]} == {
        (world.tenant, "owner"),
        (world.elsewhere, "owner"),
    }


# role assignments: each test on its own tables (the function-scoped `client`), so the module's tenants stay as set


def _assign(client: FunctionClient, tokens: Tokens, tenant_id: str, principal: str, role: Role) -> Reply:
    body = {"principalId": tokens.principal_id(principal), "principalName": principal, "role": role.value}
    return client.post(f"/api/tenants/{tenant_id}/roleAssignments", body)


def _owners(client: FunctionClient, tenant_id: str) -> set[str]:
    reply = client.get(f"/api/tenants/{tenant_id}/roleAssignments")
    assert reply.status == 200, reply.text
    return {a["principalId"] for a in reply.json()["value"] if a["role"] == "owner"}


def _as(client: FunctionClient, token: str) -> FunctionClient:
    clone = copy.copy(client)
    clone.token = token
    return clone


def test_an_owner_can_make_another_owner(
    client: FunctionClient, tokens: Tokens, make_tenant: Callable[..., str]
) -> None:
    tenant_id = make_tenant()
    assert _assign(client, tokens, tenant_id, "ra-first-owner", Role.OWNER).status == 201
    first = _as(client, tokens("ra-first-owner"))

    made = _assign(first, tokens, tenant_id, "ra-second-owner", Role.OWNER)
    assert made.status == 201, made.text
    assert made.json()["createdBy"] == tokens.principal_id("ra-first-owner")
    assert _owners(client, tenant_id) == {
        tokens.principal_id("admin"),
        tokens.principal_id("ra-first-owner"),
        tokens.principal_id("ra-second-owner"),
    }
    second = _as(client, tokens("ra-second-owner"))
    assert second.get(f"/api/tenants/{tenant_id}/roleAssignments").status == 200


def test_an_administrator_cannot_grant_roles(
    client: FunctionClient, tokens: Tokens, make_tenant: Callable[..., str]
) -> None:
    tenant_id = make_tenant()
    assert _assign(client, tokens, tenant_id, "ra-administrator", Role.ADMINISTRATOR).status == 201
    administrator = _as(client, tokens("ra-administrator"))
    refused = _assign(administrator, tokens, tenant_id, "ra-administrator", Role.OWNER)
    assert refused.status == 403
    assert refused.error_code == "forbidden"
    assert _owners(client, tenant_id) == {tokens.principal_id("admin")}


def test_a_role_changed_or_removed_counts_for_the_next_read_at_once(
    client: FunctionClient, tokens: Tokens, make_tenant: Callable[..., str]
) -> None:
    """A GET is let in on the role this process read a moment ago (roles.standing): a change made here counts at
    once, for reads as for writes."""
    tenant_id = make_tenant()
    principal = tokens.principal_id("ra-changing")
    assignments, sites = f"/api/tenants/{tenant_id}/roleAssignments", f"/api/tenants/{tenant_id}/sites"
    assert _assign(client, tokens, tenant_id, "ra-changing", Role.READER).status == 201
    changing = _as(client, tokens("ra-changing"))
    assert changing.get(sites).status == 200
    assert changing.get(assignments).status == 403

    assert client.delete(f"{assignments}/{principal}").status == 204
    assert _assign(client, tokens, tenant_id, "ra-changing", Role.OWNER).status == 201
    assert changing.get(assignments).status == 200

    assert client.delete(f"{assignments}/{principal}").status == 204
    gone = changing.get(sites)
    assert gone.status == 404, gone.text
    assert gone.error_code == "notFound"


def test_a_deleted_tenant_is_404_on_every_read_under_it_at_once(
    client: FunctionClient, make_tenant: Callable[..., str]
) -> None:
    tenant_id = make_tenant()
    reads = [f"/api/tenants/{tenant_id}", f"/api/tenants/{tenant_id}/sites", f"/api/tenants/{tenant_id}/summary"]
    assert [client.get(path).status for path in reads] == [200, 200, 200]
    assert client.delete(f"/api/tenants/{tenant_id}").status == 204
    assert [client.get(path).error_code for path in reads] == ["notFound"] * 3


def test_the_last_owner_cannot_be_removed(
    client: FunctionClient, tokens: Tokens, make_tenant: Callable[..., str]
) -> None:
    tenant_id = make_tenant()
    admin_id = tokens.principal_id("admin")
    assert _owners(client, tenant_id) == {admin_id}, "the creator is the tenant's first and only owner"

    refused = client.delete(f"/api/tenants/{tenant_id}/roleAssignments/{admin_id}")
    assert refused.status == 409, refused.text
    assert refused.error_code == "lastOwner"
    assert _owners(client, tenant_id) == {admin_id}

    assert _assign(client, tokens, tenant_id, "ra-successor", Role.OWNER).status == 201
    assert client.delete(f"/api/tenants/{tenant_id}/roleAssignments/{admin_id}").status == 204
    successor = _as(client, tokens("ra-successor"))
    successor_id = tokens.principal_id("ra-successor")
    alone = successor.delete(f"/api/tenants/{tenant_id}/roleAssignments/{successor_id}")
    assert alone.status == 409, alone.text
    assert alone.error_code == "lastOwner"
    assert _owners(client, tenant_id) == {successor_id}


@pytest.mark.parametrize("attempt", range(4))
def test_two_owners_removing_themselves_at_once_leave_one(
    client: FunctionClient, tokens: Tokens, make_tenant: Callable[..., str], attempt: int
) -> None:
    tenant_id = make_tenant(displayName=f"Race {attempt}")
    names = ("ra-racer-a", "ra-racer-b")
    for name in names:
        assert _assign(client, tokens, tenant_id, name, Role.OWNER).status == 201
    admin_id = tokens.principal_id("admin")
    assert client.delete(f"/api/tenants/{tenant_id}/roleAssignments/{admin_id}").status == 204
    assert _owners(client, tenant_id) == {tokens.principal_id(n) for n in names}

    racers = {name: _as(client, tokens(name)) for name in names}
    start = threading.Barrier(len(names))
    replies: dict[str, Reply] = {}

    def leave(name: str) -> None:
        start.wait()
        replies[name] = racers[name].delete(f"/api/tenants/{tenant_id}/roleAssignments/{tokens.principal_id(name)}")

    threads = [threading.Thread(target=leave, args=(name,)) for name in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert set(replies) == set(names), "a racer did not finish"

    statuses = sorted(reply.status for reply in replies.values())
    assert statuses[0] == 204, {n: (r.status, r.text) for n, r in replies.items()}
    loser = next(reply for reply in replies.values() if reply.status != 204) if statuses[1] != 204 else None
    assert loser is not None, f"both owners were removed: {statuses}"
    assert loser.status in (409, 412), loser.text
    assert loser.error_code in ("lastOwner", "concurrentChange", "preconditionFailed"), loser.text
    remaining = _owners(client, tenant_id)
    assert len(remaining) == 1, remaining
    assert remaining <= {tokens.principal_id(n) for n in names}


TENANT_ROUTES = sorted(name for name, access in ACCESS.items() if isinstance(access, Role))


@pytest.mark.parametrize("operation", TENANT_ROUTES)
def test_any_route_in_a_tenant_that_does_not_exist_is_that_tenants_404(world: World, operation: str) -> None:
    # the gate reads the route's tenant once and hands it to the handler (triggers/http_gate.py); the
    # organization owner holds a role even on a tenant id never used, so only that read can answer 404
    missing = str(uuid.uuid4())
    reply = _call(world, world.routes[operation], ORGANIZATION_OWNER, missing)
    _expect_hidden_tenant(reply)
    assert reply.json()["error"]["message"] == f"Tenant '{missing}' was not found."
