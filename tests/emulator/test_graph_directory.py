"""The emulator's Graph directory as a Graph client sees it: users, licenses, groups, paging, batching, throttling."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from azure_emulator.graph.skus import SKUS
from azure_emulator.launcher import EmulatorProcess
from shared.catalog.service_plans import SERVICE_PLANS, SERVICE_PLANS_BY_ID
from tests.utils.graph_admin import GraphAdmin, GraphAdminError

PLAN = SERVICE_PLANS[0].id
OTHER_PLAN = SERVICE_PLANS[5].id


@pytest.fixture
def admin(azure_emulator: EmulatorProcess) -> GraphAdmin:
    return GraphAdmin(azure_emulator, str(uuid.uuid4()))


def test_the_catalog_and_the_emulator_agree_on_every_windows_365_sku():
    emulated = {sku.sku_id: sku.part_number for sku in SKUS}
    for plan in SERVICE_PLANS:
        assert emulated[plan.sku_id] == plan.sku_part_number


def test_users_are_created_read_listed_updated_and_deleted(admin: GraphAdmin):
    user_id = admin.create_user("alice")
    shown = admin.call("GET", f"{admin.graph}/users/{user_id}")
    assert shown["displayName"] == "alice"
    assert "assignedLicenses" not in shown  # not a default property: a client must $select it
    by_upn = admin.call("GET", f"{admin.graph}/users/{shown['userPrincipalName']}", params={"$select": "id"})
    assert by_upn == {"@odata.context": by_upn["@odata.context"], "id": user_id}
    admin.call("PATCH", f"{admin.graph}/users/{user_id}", {"displayName": "Alice A."})
    assert admin.user(user_id)["displayName"] == "Alice A."
    with pytest.raises(GraphAdminError, match="userPrincipalName already exists"):
        admin.call(
            "POST",
            f"{admin.graph}/users",
            {
                "accountEnabled": True,
                "displayName": "dup",
                "mailNickname": "dup",
                "userPrincipalName": shown["userPrincipalName"],
                "passwordProfile": {"password": "x"},
            },
        )
    admin.delete_user(user_id)
    with pytest.raises(GraphAdminError, match="404 Request_ResourceNotFound"):
        admin.user(user_id)


def test_graph_state_is_per_entra_tenant(azure_emulator: EmulatorProcess, admin: GraphAdmin):
    user_id = admin.create_user()
    other = GraphAdmin(azure_emulator, str(uuid.uuid4()))
    with pytest.raises(GraphAdminError, match="404"):
        other.user(user_id)
    assert other.list_all(f"{other.graph}/users") == []


def test_list_users_filters_selects_and_pages(admin: GraphAdmin):
    ids = [admin.create_user(f"pager{n}") for n in range(5)]
    listed = admin.list_all(f"{admin.graph}/users", {"$top": "2", "$select": "id,displayName"})
    assert sorted(u["id"] for u in listed) == sorted(ids)
    assert set(listed[0]) == {"id", "displayName"}
    first = admin.call("GET", f"{admin.graph}/users", params={"$top": "2"})
    assert len(first["value"]) == 2 and "$skiptoken" in first["@odata.nextLink"]
    some = admin.call("GET", f"{admin.graph}/users", params={"$filter": f"id in ('{ids[0]}','{ids[3]}')"})
    assert sorted(u["id"] for u in some["value"]) == sorted([ids[0], ids[3]])
    named = admin.call("GET", f"{admin.graph}/users", params={"$filter": "startswith(displayName,'PAGER1')"})
    assert [u["id"] for u in named["value"]] == [ids[1]]
    with pytest.raises(GraphAdminError, match="Request_UnsupportedQuery"):
        admin.call("GET", f"{admin.graph}/users", params={"$filter": "displayName gt 'a'"})
    with pytest.raises(GraphAdminError, match="Invalid page size"):
        admin.call("GET", f"{admin.graph}/users", params={"$top": "1000"})


def test_licenses_are_assigned_once_per_sku_and_counted(admin: GraphAdmin):
    user_id = admin.create_user()
    admin.assign_licenses(user_id, PLAN, OTHER_PLAN)
    admin.assign_licenses(user_id, PLAN)  # holding a SKU already: still one license of it
    assert admin.licensed_plans(user_id) == sorted([PLAN, OTHER_PLAN])
    details = admin.call("GET", f"{admin.graph}/users/{user_id}/licenseDetails")["value"]
    assert {d["skuPartNumber"] for d in details} == {
        SERVICE_PLANS_BY_ID[PLAN].sku_part_number,
        SERVICE_PLANS_BY_ID[OTHER_PLAN].sku_part_number,
    }
    skus = {s["skuId"]: s for s in admin.call("GET", f"{admin.graph}/subscribedSkus")["value"]}
    assert skus[SERVICE_PLANS_BY_ID[PLAN].sku_id]["consumedUnits"] == 1
    assert skus[SERVICE_PLANS_BY_ID[PLAN].sku_id]["servicePlans"][0]["provisioningStatus"] == "Success"
    admin.remove_licenses(user_id, PLAN)
    assert admin.licensed_plans(user_id) == [OTHER_PLAN]
    with pytest.raises(GraphAdminError, match="does not have a corresponding license"):
        admin.remove_licenses(user_id, PLAN)
    admin.delete_user(user_id)  # a deleted user's licenses are free again
    skus = {s["skuId"]: s for s in admin.call("GET", f"{admin.graph}/subscribedSkus")["value"]}
    assert skus[SERVICE_PLANS_BY_ID[OTHER_PLAN].sku_id]["consumedUnits"] == 0


def test_license_assignment_refuses_unknown_skus_users_without_usage_location_and_no_free_units(
    azure_emulator: EmulatorProcess, admin: GraphAdmin
):
    user_id = admin.create_user()
    unknown = {"addLicenses": [{"skuId": str(uuid.uuid4())}], "removeLicenses": []}
    with pytest.raises(GraphAdminError, match="400 Request_BadRequest"):
        admin.call("POST", f"{admin.graph}/users/{user_id}/assignLicense", unknown)
    nowhere = admin.create_user(usage_location="")
    with pytest.raises(GraphAdminError, match="usage location"):
        admin.assign_licenses(nowhere, PLAN)
    admin.set_enabled_units(PLAN, 1)
    admin.assign_licenses(user_id, PLAN)
    with pytest.raises(GraphAdminError, match="does not have any available licenses"):
        admin.assign_licenses(admin.create_user(), PLAN)


def test_groups_members_and_membership_checks(admin: GraphAdmin):
    group, inner = admin.create_group(), admin.create_group()
    users = [admin.create_user() for _ in range(3)]
    for user_id in users[:2]:
        admin.add_member(group, user_id)
    admin.add_member(inner, users[2])
    admin.add_member(group, inner)  # nested: a member of the group, but not a user
    with pytest.raises(GraphAdminError, match="already exist"):
        admin.add_member(group, users[0])
    with pytest.raises(GraphAdminError, match="cannot be a member of itself"):
        admin.add_member(inner, group)
    members = admin.list_all(f"{admin.graph}/groups/{group}/members", {"$top": "1", "$select": "id"})
    assert sorted(m["id"] for m in members) == sorted([*users[:2], inner])
    assert {m["@odata.type"] for m in members} == {"#microsoft.graph.user", "#microsoft.graph.group"}
    # checkMemberGroups is transitive (users[2] is in `group` through `inner`); memberOf is direct
    checked = admin.call("POST", f"{admin.graph}/users/{users[2]}/checkMemberGroups", {"groupIds": [group, inner]})
    assert checked["value"] == [group, inner]
    direct = admin.list_all(f"{admin.graph}/users/{users[2]}/memberOf")
    assert [g["id"] for g in direct] == [inner]
    admin.remove_member(group, users[0])
    assert users[0] not in admin.members(group)
    with pytest.raises(GraphAdminError, match="404"):
        admin.remove_member(group, users[0])
    admin.delete_user(users[1])
    assert admin.members(group) == [inner]
    too_many = {"groupIds": [str(uuid.uuid4()) for _ in range(21)]}
    with pytest.raises(GraphAdminError, match="At most 20"):
        admin.call("POST", f"{admin.graph}/users/{users[2]}/checkMemberGroups", too_many)


def test_batch_answers_each_request(admin: GraphAdmin):
    user_id = admin.create_user()
    body = {
        "requests": [
            {"id": "1", "method": "GET", "url": f"/users/{user_id}?$select=id"},
            {"id": "2", "method": "GET", "url": f"/users/{uuid.uuid4()}"},
        ]
    }
    answers = {a["id"]: a for a in admin.call("POST", f"{admin.graph}/$batch", body)["responses"]}
    assert answers["1"]["status"] == 200 and answers["1"]["body"]["id"] == user_id
    assert answers["2"]["status"] == 404
    too_many = {"requests": [{"id": str(n), "method": "GET", "url": "/users"} for n in range(21)]}
    with pytest.raises(GraphAdminError, match="limit is 20"):
        admin.call("POST", f"{admin.graph}/$batch", too_many)


def test_a_token_for_another_audience_is_refused(azure_emulator: EmulatorProcess, admin: GraphAdmin):
    with azure_emulator.session() as session:
        token = session.post(
            f"{azure_emulator.base_url}/emulator/token",
            json={"tenantId": admin.tenant_id, "audience": "https://management.azure.com"},
        ).json()["access_token"]
        reply = session.get(f"{admin.graph}/users", headers={"Authorization": f"Bearer {token}"})
    assert reply.status_code == 401
    assert reply.json()["error"]["code"] == "InvalidAuthenticationToken"


def test_throttling_answers_429_with_retry_after(azure_emulator: EmulatorProcess, admin: GraphAdmin):
    admin.create_user()  # authorizes the admin's session
    with azure_emulator.session() as session:
        # the app's resource units in the tenant: 4, and a list of users costs 2
        session.put(f"{azure_emulator.base_url}/emulator/throttles/graph", json={"perMinute": 12, "burst": 4})
        try:
            statuses = [admin.session.get(f"{admin.graph}/users").status_code for _ in range(2)]
            reply = admin.session.get(f"{admin.graph}/users")
        finally:
            session.delete(f"{azure_emulator.base_url}/emulator/throttles/graph")
    assert statuses == [200, 200]
    assert reply.status_code == 429 and int(reply.headers["Retry-After"]) >= 1
    assert reply.json()["error"]["code"] == "TooManyRequests"


def test_faults_fail_the_named_graph_operation(azure_emulator: EmulatorProcess, admin: GraphAdmin):
    with azure_emulator.session() as session:
        fault: dict[str, Any] = {
            "count": 1,
            "errorCode": "ServiceUnavailable",
            "status": 503,
            "tenantId": admin.tenant_id,
        }
        session.put(f"{azure_emulator.base_url}/emulator/faults/createGroup", json=fault).raise_for_status()
    with pytest.raises(GraphAdminError, match="503 ServiceUnavailable"):
        admin.create_group()
    assert admin.create_group()
