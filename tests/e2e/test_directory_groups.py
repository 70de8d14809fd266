"""The group picker over HTTP: the linked Entra tenant's security groups looked up by name, read from Graph."""

from __future__ import annotations

import uuid
from typing import Any

from tests.conftest import Tokens
from tests.utils.api_client import ApiClient
from tests.utils.wizard import Tenant


def look_up(api: ApiClient, tenant: Tenant, **query: Any) -> list[dict[str, Any]]:
    reply = api.get(f"{tenant.path}/directoryGroups", params=query)
    assert reply.status_code == 200, reply.text
    body: dict[str, Any] = reply.json()
    assert set(body) == {"value"}, "a look-up has no nextLink"
    return list(body["value"])


def names(groups: list[dict[str, Any]]) -> list[str]:
    return [g["displayName"] for g in groups]


def test_search_finds_security_groups_by_prefix_in_any_case(api: ApiClient) -> None:
    tenant = Tenant(api)
    for name in ("HR", "finance-eu", "Fine Arts", "Finance"):
        tenant.group(name, [])
    tenant.graph.call(
        "POST",
        f"{tenant.graph.graph}/groups",
        {
            "displayName": "Finance news",
            "mailEnabled": True,
            "mailNickname": "finance-news",
            "securityEnabled": False,
            "groupTypes": ["Unified"],
        },
    )

    for search in ("fin", "FIN", "Fin"):
        assert names(look_up(api, tenant, search=search)) == ["Finance", "finance-eu", "Fine Arts"]
    found = look_up(api, tenant, search="finance")
    assert [(g["id"], g["displayName"]) for g in found] == [
        (tenant.gid("Finance"), "Finance"),
        (tenant.gid("finance-eu"), "finance-eu"),
    ]
    assert set(found[0]) == {"id", "displayName", "description"}
    assert names(look_up(api, tenant, search="fin", top=1)) == ["Finance"]
    assert names(look_up(api, tenant)) == ["Finance", "finance-eu", "Fine Arts", "HR"]  # no search: by name
    assert names(look_up(api, tenant, top=2)) == ["Finance", "finance-eu"]
    assert look_up(api, tenant, search="nothing like it") == []


def test_a_quote_in_the_search_is_part_of_the_name(api: ApiClient) -> None:
    tenant = Tenant(api)
    tenant.group("O'Brien team", [])
    tenant.group("Operations", [])
    assert names(look_up(api, tenant, search="o'b")) == ["O'Brien team"]
    assert look_up(api, tenant, search="'") == []
    # an attempt to end the literal early stays part of the name Graph compares
    assert look_up(api, tenant, search="x') or startswith(displayName,'o") == []
    for odd in ("%", "&$top=1", "#", "\\", "ü", "\n", "\x00", "op&"):  # URL and OData syntax: only text here
        assert look_up(api, tenant, search=odd) == [], odd


def test_an_unlinked_tenant_answers_409(api: ApiClient) -> None:
    unlinked = api.created("/tenants", {"displayName": "Not linked yet"})["id"]
    reply = api.get(f"/tenants/{unlinked}/directoryGroups", params={"search": "fin"})
    assert reply.status_code == 409, reply.text
    assert (reply.json()["error"]["code"], reply.json()["error"]["target"]) == ("tenantNotLinked", "entraTenantId")
    assert api.get(f"/tenants/{uuid.uuid4()}/directoryGroups").status_code == 404


def test_a_reader_may_look_groups_up_and_a_stranger_may_not(api: ApiClient, tokens: Tokens) -> None:
    tenant = Tenant(api)
    tenant.group("Finance", [])
    reader = f"reader-{uuid.uuid4().hex[:8]}"
    granted = api.post(f"{tenant.path}/roleAssignments", {"principalId": tokens.principal_id(reader), "role": "reader"})
    assert granted.status_code == 201, granted.text
    assert names(look_up(ApiClient(api.base_url, tokens(reader)), tenant, search="fin")) == ["Finance"]
    stranger = ApiClient(api.base_url, tokens(f"stranger-{uuid.uuid4().hex[:8]}"))
    assert stranger.get(f"{tenant.path}/directoryGroups").status_code == 404


def test_a_search_over_100_characters_or_a_top_over_100_is_refused(api: ApiClient) -> None:
    tenant = Tenant(api)
    assert look_up(api, tenant, search="a" * 100) == []
    for query, target in (({"search": "a" * 101}, "search"), ({"top": "101"}, "top"), ({"top": "0"}, "top")):
        reply = api.get(f"{tenant.path}/directoryGroups", params=query)
        assert reply.status_code == 400, reply.text
        error = reply.json()["error"]
        assert [(d["code"], d["target"]) for d in error["details"]] == [("invalidQueryParameter", target)]


def test_graph_throttling_answers_503_at_once(api: ApiClient) -> None:
    tenant = Tenant(api)
    tenant.controls.throttle_next("listGroups", 60)
    reply = api.get(f"{tenant.path}/directoryGroups", params={"search": "fin"})
    assert reply.status_code == 503, reply.text
    assert reply.json()["error"]["code"] == "directoryUnavailable"
    assert reply.headers["Retry-After"]
    assert look_up(api, tenant, search="fin") == []  # the next look-up is answered


def test_a_tenant_whose_admin_never_consented_gets_409_saying_so(api: ApiClient) -> None:
    tenant = Tenant(api, onboard=False)
    reply = api.get(f"{tenant.path}/directoryGroups", params={"search": "fin"})
    assert reply.status_code == 409, reply.text
    error = reply.json()["error"]
    assert error["code"] == "appNotConsented" and error["target"] == "entraTenantId"
    assert "onboarding" in error["message"]


def test_the_openapi_document_says_it_is_a_look_up(api: ApiClient) -> None:
    operation = api.get("/openapi.json").json()["paths"]["/tenants/{tenantId}/directoryGroups"]["get"]
    assert operation["operationId"] == "listDirectoryGroups"
    assert operation["x-access"] == "reader"
    assert "not a listing" in operation["description"] and "nextLink" in operation["description"]
    search = next(p for p in operation["parameters"] if p["name"] == "search")
    assert search["schema"]["maxLength"] == 100


def test_one_group_is_named_by_its_id_and_an_unknown_or_malformed_id_is_404(api: ApiClient) -> None:
    tenant = Tenant(api)
    tenant.group("Finance", [])
    reply = api.get(f"{tenant.path}/directoryGroups/{tenant.gid('Finance')}")
    assert reply.status_code == 200, reply.text
    assert reply.json() == {"id": tenant.gid("Finance"), "displayName": "Finance", "description": None}
    for missing in (str(uuid.uuid4()), "not-a-guid"):
        gone = api.get(f"{tenant.path}/directoryGroups/{missing}")
        assert gone.status_code == 404 and gone.json()["error"]["target"] == "groupId", gone.text
