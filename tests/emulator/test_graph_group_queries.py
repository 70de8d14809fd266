"""The emulator's Graph group list as a client queries it: $filter, $select, $top with nextLink paging, $orderby
and the advanced-query rules Graph applies to sorting and counting directory objects."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import requests

from azure_emulator.launcher import EmulatorProcess
from tests.utils.graph_admin import GraphAdmin, GraphAdminError

NAMES = ("Finance", "finance-eu", "HR", "Fine Arts", "O'Brien team")
EVENTUAL = {"ConsistencyLevel": "eventual"}


@pytest.fixture
def admin(azure_emulator: EmulatorProcess) -> GraphAdmin:
    return GraphAdmin(azure_emulator, str(uuid.uuid4()))


@pytest.fixture
def groups(admin: GraphAdmin) -> dict[str, str]:
    """The groups of NAMES by name (a fresh Entra tenant each test), and one Microsoft 365 group."""
    made = {name: admin.create_group(name) for name in NAMES}
    unified = {
        "displayName": "Finance news",
        "mailEnabled": True,
        "mailNickname": "finance-news",
        "securityEnabled": False,
        "groupTypes": ["Unified"],
    }
    made["Finance news"] = str(admin.call("POST", f"{admin.graph}/groups", unified)["id"])
    return made


def names(items: list[dict[str, Any]]) -> list[str]:
    return [item["displayName"] for item in items]


def sent(admin: GraphAdmin, params: dict[str, str], headers: dict[str, str] | None = None) -> requests.Response:
    """A group list request as is (the admin's session is authorized by the fixture's calls)."""
    return admin.session.get(f"{admin.graph}/groups", params=params, headers=headers)


def test_startswith_finds_groups_by_prefix_in_any_case_and_pages_with_top(admin: GraphAdmin, groups: dict[str, str]):
    query = {"$filter": "startswith(displayName,'fin')", "$top": "1", "$select": "id,displayName"}
    first = admin.call("GET", f"{admin.graph}/groups", params=query)
    assert len(first["value"]) == 1 and set(first["value"][0]) == {"id", "displayName"}
    assert "$skiptoken" in first["@odata.nextLink"]
    found = admin.list_all(f"{admin.graph}/groups", query)
    assert set(names(found)) == {"Finance", "Finance news", "finance-eu", "Fine Arts"}
    assert {g["id"] for g in found} == {groups[n] for n in ("Finance", "Finance news", "finance-eu", "Fine Arts")}
    narrower = admin.list_all(f"{admin.graph}/groups", {"$filter": "startswith(displayName,'FINANCE')"})
    assert set(names(narrower)) == {"Finance", "Finance news", "finance-eu"}


def test_a_quote_is_doubled_in_a_literal_and_filters_combine(admin: GraphAdmin, groups: dict[str, str]):
    quoted = admin.list_all(f"{admin.graph}/groups", {"$filter": "startswith(displayName,'o''b')"})
    assert names(quoted) == ["O'Brien team"]
    security = {"$filter": "securityEnabled eq true and startswith(displayName,'finance')"}
    assert set(names(admin.list_all(f"{admin.graph}/groups", security))) == {"Finance", "finance-eu"}
    exact = admin.list_all(f"{admin.graph}/groups", {"$filter": "displayName eq 'hr'"})
    assert [g["id"] for g in exact] == [groups["HR"]]


def test_a_filter_it_does_not_understand_is_an_unsupported_query(admin: GraphAdmin, groups: dict[str, str]):
    for clause in ("endswith(displayName,'eu')", "displayName gt 'a'", "startswith(displayName,'fin'"):
        with pytest.raises(GraphAdminError, match="400 Request_UnsupportedQuery"):
            admin.call("GET", f"{admin.graph}/groups", params={"$filter": clause})
    with pytest.raises(GraphAdminError, match="400 Request_UnsupportedQuery"):
        admin.call("GET", f"{admin.graph}/groups", params={"$orderby": "displayName,id"})


def test_orderby_sorts_and_pages_in_order(admin: GraphAdmin, groups: dict[str, str]):
    ordered = admin.list_all(f"{admin.graph}/groups", {"$orderby": "displayName", "$top": "2"})
    assert names(ordered) == ["Finance", "Finance news", "finance-eu", "Fine Arts", "HR", "O'Brien team"]
    backwards = admin.list_all(f"{admin.graph}/groups", {"$orderby": "displayName desc", "$top": "4"})
    assert names(backwards) == list(reversed(names(ordered)))


def test_sorting_a_filtered_list_is_an_advanced_query(admin: GraphAdmin, groups: dict[str, str]):
    query = {"$filter": "startswith(displayName,'fin')", "$orderby": "displayName", "$top": "2"}
    refused = sent(admin, query)
    assert refused.status_code == 400, refused.text
    error = refused.json()["error"]
    assert (error["code"], error["message"]) == ("Request_UnsupportedQuery", "Sorting not supported for current query.")
    assert sent(admin, {**query, "$count": "true"}).status_code == 400  # the header is needed too

    page = sent(admin, {**query, "$count": "true"}, EVENTUAL)
    assert page.status_code == 200, page.text
    body = page.json()
    assert body["@odata.count"] == 4  # every match, not the page's
    assert names(body["value"]) == ["Finance", "Finance news"]
    rest = admin.session.get(body["@odata.nextLink"], headers=EVENTUAL).json()
    assert names(rest["value"]) == ["finance-eu", "Fine Arts"] and "@odata.nextLink" not in rest
