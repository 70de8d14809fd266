"""The emulator's Graph holds queries on users and group members to Graph's advanced-query rules, its limit on `in`
values and its `$count` handling, and answers every error with Graph's innerError."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import requests

from azure_emulator.launcher import EmulatorProcess
from tests.utils.graph_admin import GraphAdmin

EVENTUAL = {"ConsistencyLevel": "eventual"}
NAMES = ("Ada Lovelace", "Alan Turing", "Grace Hopper")


@pytest.fixture
def admin(azure_emulator: EmulatorProcess) -> GraphAdmin:
    return GraphAdmin(azure_emulator, str(uuid.uuid4()))


@pytest.fixture
def people(admin: GraphAdmin) -> dict[str, str]:
    """Three users by display name, all members of one group (`group`)."""
    made = {}
    for name in NAMES:
        made[name] = admin.create_user(name.replace(" ", "").lower())
        admin.call("PATCH", f"{admin.graph}/users/{made[name]}", {"displayName": name})
    made["group"] = admin.create_group()
    for name in NAMES:
        admin.add_member(made["group"], made[name])
    return made


def collections(people: dict[str, str]) -> list[str]:
    return ["users", f"groups/{people['group']}/members"]


def get(
    admin: GraphAdmin, path: str, params: dict[str, str], headers: dict[str, str] | None = None
) -> requests.Response:
    return admin.session.get(f"{admin.graph}/{path}", params=params, headers=headers)


def names(reply: requests.Response) -> list[str]:
    assert reply.status_code == 200, reply.text
    return sorted(item["displayName"] for item in reply.json()["value"])


def refused(reply: requests.Response, code: str = "Request_UnsupportedQuery") -> str:
    assert reply.status_code == 400, reply.text
    assert reply.json()["error"]["code"] == code
    return str(reply.json()["error"]["message"])


@pytest.mark.parametrize(
    ("clause", "expected"),
    [
        ("displayName ne 'Ada Lovelace'", ["Alan Turing", "Grace Hopper"]),
        ("not(startswith(displayName,'a'))", ["Grace Hopper"]),
        ("endswith(userPrincipalName,'.example')", list(NAMES)),
    ],
)
def test_negations_and_endswith_are_advanced_queries(
    admin: GraphAdmin, people: dict[str, str], clause: str, expected: list[str]
):
    for path in collections(people):
        query = {"$filter": clause}
        assert "required parameters might be missing" in refused(get(admin, path, query))
        refused(get(admin, path, query, EVENTUAL))  # the header alone is not enough
        refused(get(admin, path, {**query, "$count": "true"}))  # nor $count alone
        assert names(get(admin, path, {**query, "$count": "true"}, EVENTUAL)) == expected


def test_endswith_works_only_on_the_properties_indexed_for_it(admin: GraphAdmin, people: dict[str, str]):
    query = {"$filter": "endswith(displayName,'Hopper')", "$count": "true"}
    message = refused(get(admin, "users", query, EVENTUAL))
    assert (
        message == "Unsupported or invalid query filter clause specified for property 'displayName' of resource 'User'."
    )


def test_search_needs_the_eventual_header_and_matches_words(admin: GraphAdmin, people: dict[str, str]):
    for path in collections(people):
        assert "ConsistencyLevel: eventual" in refused(get(admin, path, {"$search": '"displayName:tur"'}))
        assert names(get(admin, path, {"$search": '"displayName:tur"'}, EVENTUAL)) == ["Alan Turing"]
        either = {"$search": '"displayName:ada" OR "displayName:hop"'}
        assert names(get(admin, path, either, EVENTUAL)) == ["Ada Lovelace", "Grace Hopper"]
        assert names(get(admin, path, {"$search": '"displayName:uring"'}, EVENTUAL)) == []  # no "contains"


def test_sorting_a_filtered_list_of_users_or_members_is_an_advanced_query(admin: GraphAdmin, people: dict[str, str]):
    query = {"$filter": "startswith(displayName,'a')", "$orderby": "displayName desc"}
    for path in collections(people):
        assert refused(get(admin, path, query)) == "Sorting not supported for current query."
        reply = get(admin, path, {**query, "$count": "true"}, EVENTUAL)
        assert [u["displayName"] for u in reply.json()["value"]] == ["Alan Turing", "Ada Lovelace"]


def test_in_takes_fifteen_values_unless_the_query_is_advanced(admin: GraphAdmin, people: dict[str, str]):
    others = [str(uuid.uuid4()) for _ in range(14)]
    fifteen = ",".join(f"'{i}'" for i in [people["Ada Lovelace"], *others])
    assert names(get(admin, "users", {"$filter": f"id in ({fifteen})"})) == ["Ada Lovelace"]
    sixteen = f"id in ({fifteen},'{uuid.uuid4()}')"
    assert refused(get(admin, "users", {"$filter": sixteen})).endswith(
        "containing 'OR' operators: 16. Max allowed: 15."
    )
    or_ed = f"id in ({fifteen}) or displayName eq 'Grace Hopper'"  # OR'ed clauses count with the values
    refused(get(admin, "users", {"$filter": or_ed}))
    advanced = {"$filter": sixteen, "$count": "true"}
    assert names(get(admin, "users", advanced, EVENTUAL)) == ["Ada Lovelace"]  # held to the URL's length instead
    long = ",".join(f"'{uuid.uuid4()}'" for _ in range(60))
    refused(get(admin, "users", {"$filter": f"id in ({long})", "$count": "true"}, EVENTUAL))


def test_count_needs_the_header_and_comes_on_the_first_page_only(admin: GraphAdmin, people: dict[str, str]):
    for path in collections(people):
        ignored = get(admin, path, {"$count": "true"})
        assert ignored.status_code == 200 and "@odata.count" not in ignored.json()  # no error, no count
        first = get(admin, path, {"$count": "true", "$top": "2"}, EVENTUAL).json()
        assert first["@odata.count"] == 3 and len(first["value"]) == 2
        rest = admin.session.get(first["@odata.nextLink"], headers=EVENTUAL).json()
        assert len(rest["value"]) == 1 and "@odata.count" not in rest


def inner_error_of(reply: requests.Response) -> dict[str, Any]:
    error = reply.json()["error"]
    assert set(error) >= {"code", "message", "innerError"}, error
    inner = dict(error["innerError"])
    assert set(inner) == {"date", "request-id", "client-request-id"}
    assert reply.headers["request-id"] == inner["request-id"]
    return inner


def test_every_error_carries_graphs_inner_error(azure_emulator: EmulatorProcess, admin: GraphAdmin):
    admin.create_user()  # authorizes the admin's session
    ours = {"client-request-id": str(uuid.uuid4())}
    missing = admin.session.get(f"{admin.graph}/users/{uuid.uuid4()}", headers=ours)
    assert missing.status_code == 404 and inner_error_of(missing)["client-request-id"] == ours["client-request-id"]
    assert inner_error_of(get(admin, "users", {"$filter": "displayName ne 'x'"}))["date"]
    with azure_emulator.session() as anonymous:
        unauthenticated = anonymous.get(f"{admin.graph}/users")
    assert unauthenticated.status_code == 401 and inner_error_of(unauthenticated)
    fault: dict[str, Any] = {"count": 1, "status": 503, "errorCode": "ServiceUnavailable", "tenantId": admin.tenant_id}
    admin.session.put(f"{azure_emulator.base_url}/emulator/faults/listGroups", json=fault).raise_for_status()
    injected = admin.session.get(f"{admin.graph}/groups")
    assert injected.status_code == 503 and inner_error_of(injected)
    unserved = admin.session.get(f"{admin.graph}/deviceManagement/virtualEndpoint/teleporters", headers=ours)
    assert unserved.status_code == 400 and inner_error_of(unserved)["client-request-id"] == ours["client-request-id"]
    assert "'teleporters'" in unserved.json()["error"]["message"]
    wrong_method = admin.session.put(f"{admin.graph}/users", json={})
    assert wrong_method.status_code == 405 and inner_error_of(wrong_method)
    batch = {"requests": [{"id": "1", "method": "GET", "url": f"/users/{uuid.uuid4()}"}]}
    answer = admin.call("POST", f"{admin.graph}/$batch", batch)["responses"][0]
    assert set(answer["body"]["error"]["innerError"]) == {"date", "request-id", "client-request-id"}


def test_a_batch_answer_spells_retry_after_in_lower_case(azure_emulator: EmulatorProcess, admin: GraphAdmin):
    admin.create_user()
    fault: dict[str, Any] = {
        "count": 1,
        "status": 429,
        "errorCode": "TooManyRequests",
        "retryAfter": 7,
        "tenantId": admin.tenant_id,
    }
    admin.session.put(f"{azure_emulator.base_url}/emulator/faults/listUsers", json=fault).raise_for_status()
    answer = admin.call("POST", f"{admin.graph}/$batch", {"requests": [{"id": "1", "method": "GET", "url": "/users"}]})
    headers = answer["responses"][0]["headers"]
    assert answer["responses"][0]["status"] == 429
    assert headers["retry-after"] == "7" and "Retry-After" not in headers
