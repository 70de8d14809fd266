"""The emulator's Graph charges directory requests Microsoft's resource units against budgets by tenant size, and
writes against their own budget: driven in process on a clock the test sets, counting requests, never waiting."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from azure_emulator.app import build_context
from azure_emulator.controls import Controls
from azure_emulator.graph.common import PUBLIC_GRAPH
from azure_emulator.server import Context, Request, Response, dispatch


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


class Graph:
    """One Entra tenant's Graph in an in-process emulator whose throttling runs on `clock`."""

    def __init__(self) -> None:
        self.clock = Clock()
        self.ctx: Context = build_context(None)
        self.ctx.controls = Controls(self.clock)
        self.tenant = str(uuid.uuid4())
        self.token = self.ctx.tokens.issue(self.tenant, audience=PUBLIC_GRAPH, app_id=str(uuid.uuid4()))[0]

    def send(self, method: str, path: str, body: Any = None, **query: str) -> Response:
        request = Request(
            method=method,
            path=f"/graph/v1.0/{path}",
            query=query,
            headers={"authorization": f"Bearer {self.token}"},
            body=json.dumps(body).encode() if body is not None else b"",
            base_url="https://emulator.test",
        )
        return dispatch(self.ctx, request)

    def create_user(self) -> str:
        name = f"u{uuid.uuid4().hex[:10]}"
        body = {
            "accountEnabled": True,
            "displayName": name,
            "mailNickname": name,
            "usageLocation": "US",
            "userPrincipalName": f"{name}@contoso.example",
            "passwordProfile": {"password": "x" * 16},
        }
        response = self.send("POST", "users", body)
        assert response.status == 201, response.body
        return str(response.body["id"])

    def lift(self, budget: str) -> None:
        """Out of the way of the budget under test (as PUT /emulator/throttles/{budget} would)."""
        self.ctx.controls.throttles[budget] = (1e12, 1e12)

    def answered_until_throttled(self, method: str, path: str, body: Any = None, **query: str) -> int:
        """How many requests are answered before the first 429 (the clock standing still)."""
        for answered in range(20_000):
            if self.send(method, path, body, **query).status == 429:
                return answered
        raise AssertionError("never throttled")


@pytest.fixture
def graph() -> Iterator[Graph]:
    made = Graph()
    made.lift("graphGlobal")  # 2,000 requests a second per app would stop a test that never lets time pass first
    yield made
    for stop in made.ctx.background:
        stop()


def test_each_request_costs_the_resource_units_microsoft_lists(graph: Graph):
    user = graph.create_user()
    group = graph.send(
        "POST", "groups", {"displayName": "g", "mailEnabled": False, "mailNickname": "g", "securityEnabled": True}
    ).body["id"]

    def units(method: str, path: str, body: Any = None, **query: str) -> int:
        response = graph.send(method, path, body, **query)
        assert response.status < 400, response.body
        return int(response.headers["x-ms-resource-unit"])

    assert units("GET", "users") == 2
    assert units("GET", "users", **{"$select": "id"}) == 1  # $select takes one off
    assert units("GET", "users", **{"$top": "19"}) == 1  # so does a $top under 20
    assert units("GET", "users", **{"$top": "20"}) == 2
    assert units("GET", "users", **{"$select": "id", "$top": "5"}) == 1  # never under 1
    assert units("GET", f"groups/{group}/members") == 3
    assert units("POST", f"users/{user}/checkMemberGroups", {"groupIds": [group]}) == 4
    assert units("GET", f"users/{user}/memberOf") == 2
    assert units("GET", f"users/{user}/licenseDetails") == 2
    assert units("GET", "subscribedSkus") == 3
    assert units("GET", "groups") == 1  # any path not listed
    assert units("GET", f"users/{user}") == 1


def test_a_small_tenant_has_3500_units_per_10_seconds_and_a_429_says_when_to_come_back(graph: Graph):
    assert graph.answered_until_throttled("GET", "users") == 1750  # 2 units each
    throttled = graph.send("GET", "users")
    assert throttled.status == 429 and int(throttled.headers["Retry-After"]) >= 1
    assert throttled.body["error"]["code"] == "TooManyRequests"
    assert throttled.headers["x-ms-throttle-information"] == "ResourceUnitLimitExceeded"
    assert throttled.headers["x-ms-throttle-scope"].startswith("Tenant_Application/")
    graph.clock.now += 10  # the bucket refills over the window
    assert graph.answered_until_throttled("GET", "users") == 1750


@pytest.mark.parametrize(("users", "budget"), [(50, 5_000), (501, 8_000)])
def test_larger_tenants_have_larger_budgets(graph: Graph, users: int, budget: int):
    for _ in range(users):
        graph.create_user()
    graph.clock.now += 150  # what creating them cost is refilled
    assert graph.answered_until_throttled("GET", "subscribedSkus", **{"$top": "5"}) == budget // 2  # 2 units each


def test_writes_are_held_to_3000_per_150_seconds_while_reads_go_on(graph: Graph):
    user = graph.create_user()
    rename = {"displayName": "renamed"}
    assert graph.answered_until_throttled("PATCH", f"users/{user}", rename) == 2_999  # with the create: 3,000
    throttled = graph.send("PATCH", f"users/{user}", rename)
    assert throttled.headers["x-ms-throttle-information"] == "WriteLimitExceeded"
    graph.clock.now += 10  # resource units are back; writes only in part (20 a second)
    assert graph.send("GET", f"users/{user}").status == 200
    assert graph.answered_until_throttled("PATCH", f"users/{user}", rename) == 200


def test_the_throttle_control_replaces_the_tenants_resource_unit_budget(graph: Graph):
    graph.ctx.controls.throttles["graph"] = (60.0, 6.0)  # what PUT /emulator/throttles/graph sets
    assert graph.answered_until_throttled("GET", "users") == 3


def test_any_request_is_held_to_2000_a_second_per_app(graph: Graph):
    graph.ctx.controls.throttles.pop("graphGlobal")
    graph.lift("graph")
    assert graph.answered_until_throttled("GET", "users") == 2_000
    graph.clock.now += 1
    assert graph.send("GET", "users").status == 200
