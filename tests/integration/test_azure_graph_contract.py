"""The production Graph adapters (GraphDirectory, GraphDevices, GraphLicenses) against the emulator: results, and
what went over the wire (paths, queries, bodies from the emulator's request log)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
import requests

from azure_emulator import directory_objects as objects
from azure_emulator.graph.skus import SKUS
from azure_emulator.launcher import APP_CLIENT_ID, EmulatorProcess
from shared.catalog.graph_permissions import GRAPH_PERMISSIONS
from shared.catalog.service_plans import SERVICE_PLANS
from shared.cloud.azure.credentials import AzureCredentials
from shared.cloud.azure.graph_client import GraphClients, GraphError
from shared.cloud.azure.graph_devices import GraphDevices
from shared.cloud.azure.graph_directory import GraphDirectory
from shared.cloud.azure.graph_licenses import GraphLicenses
from shared.ports.cloud_errors import CloudError
from shared.ports.directory import DirectoryGroup, GroupLicense
from shared.settings import Settings
from tests.utils.graph_admin import GraphAdmin
from tests.utils.inprocess_emulator import LocalEmulator, inprocess_emulator
from tests.utils.onboarding import grant_app

PLAN, OTHER_PLAN, BIG_PLAN = SERVICE_PLANS[0].id, SERVICE_PLANS[3].id, SERVICE_PLANS[5].id
SUITE_SKU = next(s.sku_id for s in SKUS if s.part_number == "SPE_E3")  # Microsoft 365 E3: no Cloud PC
TENANT = "app-tenant"


@pytest.fixture(scope="module")
def local(azure_emulator: EmulatorProcess) -> Iterator[LocalEmulator]:
    with pytest.MonkeyPatch.context() as patch, inprocess_emulator(azure_emulator, patch) as emulator:
        yield emulator


@pytest.fixture
def entra() -> str:
    return str(uuid.uuid4())


@pytest.fixture
def clients(local: LocalEmulator, entra: str) -> Iterator[GraphClients]:
    host = local.base_url.split("://", 1)[1]
    settings = Settings(
        graph_endpoint=f"{local.base_url}/graph", azure_authority_host=host, app_client_id=APP_CLIENT_ID
    )
    grant_app(local.handle, entra)  # the tenant's admin consented to the app
    credentials = AzureCredentials(settings, {TENANT: entra}.get)
    graph = GraphClients(credentials, settings.graph_endpoint)
    yield graph
    graph.close()
    credentials.close()


@pytest.fixture
def admin(local: LocalEmulator, entra: str) -> GraphAdmin:
    return GraphAdmin(local.handle, entra)


def request_log(local: LocalEmulator, operation: str) -> list[dict[str, Any]]:
    reply = requests.get(f"{local.base_url}/emulator/requests/log", params={"operation": operation}, timeout=10)
    reply.raise_for_status()
    return list(reply.json()["value"])


def test_get_users_maps_windows_365_skus_to_service_plans(
    clients: GraphClients, admin: GraphAdmin, local: LocalEmulator
):
    licensed, suite_only = admin.create_user(), admin.create_user()
    admin.assign_licenses(licensed, PLAN, OTHER_PLAN)
    admin.call(
        "POST",
        f"{admin.graph}/users/{suite_only}/assignLicense",
        {"addLicenses": [{"skuId": SUITE_SKU}], "removeLicenses": []},
    )
    missing = str(uuid.uuid4())
    found = GraphDirectory(clients).get_users(TENANT, [licensed, suite_only, missing, licensed])
    assert set(found) == {licensed, suite_only}
    assert found[licensed].licenses == tuple(sorted([PLAN, OTHER_PLAN]))
    assert found[suite_only].licenses == ()
    assert found[licensed].user_principal_name.endswith(".onmicrosoft.example")
    sent = [e for e in request_log(local, "listUsers") if licensed in e["query"].get("$filter", "")][-1]
    assert sent["path"] == "/graph/v1.0/users"
    assert sent["query"]["$select"] == "id,userPrincipalName,displayName,assignedLicenses,licenseAssignmentStates"
    assert sent["query"]["$filter"] == f"id in ('{licensed}','{suite_only}','{missing}')"
    assert found[licensed].group_licenses == ()


def test_get_users_tells_licenses_groups_assign_and_a_group_is_named_by_id(clients: GraphClients, admin: GraphAdmin):
    group, ann = admin.create_group("w365-users"), admin.create_user()
    admin.add_member(group, ann)
    admin.assign_group_licenses(group, OTHER_PLAN)
    admin.assign_licenses(ann, PLAN, OTHER_PLAN)  # OTHER_PLAN directly as well: one license still
    admin.set_enabled_units(BIG_PLAN, 0)
    admin.assign_group_licenses(group, BIG_PLAN)  # no unit to give: Entra records the failure on the user
    directory = GraphDirectory(clients)
    user = directory.get_users(TENANT, [ann])[ann]
    assert user.licenses == tuple(sorted([PLAN, OTHER_PLAN]))
    assert {replace(g, since=None) for g in user.group_licenses} == {
        GroupLicense(OTHER_PLAN, group),
        GroupLicense(BIG_PLAN, group, "Error", "CountViolation"),
    }
    assert user.groups_assigning(OTHER_PLAN) == [group]
    assert user.groups_assigning(PLAN) == user.groups_assigning(BIG_PLAN) == []
    assert directory.get_group(TENANT, group) == DirectoryGroup(group, "w365-users")
    assert directory.get_group(TENANT, str(uuid.uuid4())) is None


def test_many_users_are_read_in_batches_of_filtered_lists(
    clients: GraphClients, admin: GraphAdmin, local: LocalEmulator
):
    ids = [admin.create_user() for _ in range(20)]
    before = len(request_log(local, "batch"))
    found = GraphDirectory(clients).get_users(TENANT, ids)
    assert set(found) == set(ids)
    batches = request_log(local, "batch")[before:]
    assert len(batches) == 1
    urls = [item["url"] for item in batches[0]["body"]["requests"]]
    assert len(urls) == 2 and all(url.startswith("/users?") for url in urls)


def test_group_members_are_direct_users_only_and_a_missing_group_is_none(
    clients: GraphClients, admin: GraphAdmin, local: LocalEmulator
):
    group, nested = admin.create_group(), admin.create_group()
    direct = [admin.create_user() for _ in range(3)]
    for user_id in direct:
        admin.add_member(group, user_id)
    admin.add_member(nested, admin.create_user())
    admin.add_member(group, nested)
    directory = GraphDirectory(clients)
    assert sorted(directory.list_group_members(TENANT, group) or []) == sorted(direct)
    assert directory.list_group_members(TENANT, str(uuid.uuid4())) is None
    sent = [e for e in request_log(local, "listGroupMembers") if group in e["path"]][-1]
    assert sent["path"] == f"/graph/v1.0/groups/{group}/members"
    assert sent["query"] == {"$select": "id", "$top": "999"}


def test_member_groups_are_direct_memberships(clients: GraphClients, admin: GraphAdmin, local: LocalEmulator):
    outer, inner, unrelated = admin.create_group(), admin.create_group(), admin.create_group()
    user_id = admin.create_user()
    admin.add_member(inner, user_id)
    admin.add_member(outer, inner)
    directory = GraphDirectory(clients)
    assert directory.member_groups(TENANT, user_id, [outer, inner, unrelated]) == [inner]
    assert directory.member_groups(TENANT, str(uuid.uuid4()), [outer]) == []
    checked = [e for e in request_log(local, "checkMemberGroups") if user_id in e["path"]][-1]
    assert checked["method"] == "POST"
    assert checked["body"] == {"groupIds": [outer, inner, unrelated]}


def test_count_licenses_reads_consumed_units(clients: GraphClients, admin: GraphAdmin):
    for _ in range(2):
        admin.assign_licenses(admin.create_user(), PLAN)
    counts = GraphDirectory(clients).count_licenses(TENANT)
    assert counts[PLAN] == 2
    assert counts.get(OTHER_PLAN, 0) == 0


def test_unlinked_tenants_and_graph_errors_are_cloud_errors(clients: GraphClients, local: LocalEmulator, entra: str):
    with pytest.raises(CloudError) as unlinked:
        GraphDirectory(clients).count_licenses("not-linked")
    assert unlinked.value.code == "tenantNotLinked"
    fault: dict[str, Any] = {"count": 1, "errorCode": "Request_BadRequest", "tenantId": entra}
    requests.put(f"{local.base_url}/emulator/faults/listSubscribedSkus", json=fault, timeout=10).raise_for_status()
    with pytest.raises(GraphError) as failed:
        GraphDirectory(clients).count_licenses(TENANT)
    assert (failed.value.code, failed.value.status, failed.value.step) == ("Request_BadRequest", 400, "directory")


def test_devices_are_found_and_deleted_by_name(clients: GraphClients, local: LocalEmulator, entra: str):
    device = objects.ensure_device(local.ctx.store, entra, "CPC-alice-7Q2XZ", "AzureAd")
    managed = objects.ensure_managed_device(local.ctx.store, entra, "CPC-alice-7Q2XZ", device["deviceId"])
    devices = GraphDevices(clients)
    assert devices.find_device(TENANT, "cpc-ALICE-7q2xz") == device["id"]
    assert devices.find_managed_device(TENANT, "CPC-alice-7Q2XZ") == managed["id"]
    assert devices.delete_device(TENANT, "CPC-alice-7Q2XZ").done
    assert devices.delete_managed_device(TENANT, "CPC-alice-7Q2XZ").done
    assert objects.find_device(local.ctx.store, entra, "CPC-alice-7Q2XZ") is None
    assert objects.find_managed_device(local.ctx.store, entra, "CPC-alice-7Q2XZ") is None
    assert devices.delete_device(TENANT, "CPC-alice-7Q2XZ").done  # already gone: nothing to do
    deleted = [e for e in request_log(local, "deleteManagedDevice") if managed["id"] in e["path"]]
    assert [(e["method"], e["path"]) for e in deleted] == [
        ("DELETE", f"/graph/v1.0/deviceManagement/managedDevices/{managed['id']}")
    ]
    found = [e for e in request_log(local, "listDevices") if "7q2xz" in e["query"].get("$filter", "").lower()]
    assert found[0]["query"]["$filter"] == "displayName eq 'cpc-ALICE-7q2xz'"


def test_primary_user_is_set_through_graph_beta(
    clients: GraphClients, admin: GraphAdmin, local: LocalEmulator, entra: str
):
    user_id = admin.create_user()
    managed = objects.ensure_managed_device(local.ctx.store, entra, "CPC-bob-8K1", str(uuid.uuid4()))
    progress = GraphDevices(clients).set_primary_user(TENANT, "CPC-bob-8K1", user_id)
    assert progress.done and progress.resource_id == managed["id"]
    assert admin.primary_users(managed["id"]) == [user_id]
    sent = [e for e in request_log(local, "assignPrimaryUser") if managed["id"] in e["path"]][-1]
    assert sent["path"] == f"/graph/beta/deviceManagement/managedDevices/{managed['id']}/users/$ref"
    assert sent["body"] == {"@odata.id": f"{local.base_url}/graph/beta/users/{user_id}"}
    with pytest.raises(CloudError) as missing:
        GraphDevices(clients).set_primary_user(TENANT, "CPC-nobody", user_id)
    assert missing.value.code == "managedDeviceNotFound"


def test_a_throttled_intune_write_comes_back_not_done_with_retry_after(
    clients: GraphClients, local: LocalEmulator, entra: str
):
    for name in ("CPC-t1", "CPC-t2"):
        objects.ensure_managed_device(local.ctx.store, entra, name, str(uuid.uuid4()))
    limit = {"perMinute": 1, "burst": 1}
    requests.put(f"{local.base_url}/emulator/throttles/graphIntuneWrites", json=limit, timeout=10).raise_for_status()
    try:
        devices = GraphDevices(clients)
        assert devices.delete_managed_device(TENANT, "CPC-t1").done
        later = devices.delete_managed_device(TENANT, "CPC-t2")
    finally:
        normal = {"perMinute": 600, "burst": 200}
        requests.put(f"{local.base_url}/emulator/throttles/graphIntuneWrites", json=normal, timeout=10)
    assert not later.done and later.retry_after_s >= 30


def test_find_groups_looks_up_security_groups_by_name_prefix_in_one_sorted_page(
    clients: GraphClients, admin: GraphAdmin, local: LocalEmulator
):
    made = {name: admin.create_group(name) for name in ("finance-eu", "HR", "O'Brien team", "R&D #1 + 50%")}
    described = {
        "displayName": "Finance",
        "mailEnabled": False,
        "mailNickname": "finance",
        "securityEnabled": True,
        "description": "Finance department",
    }
    made["Finance"] = admin.call("POST", f"{admin.graph}/groups", described)["id"]
    unified = {
        "displayName": "Finance news",
        "mailEnabled": True,
        "mailNickname": "finance-news",
        "securityEnabled": False,
        "groupTypes": ["Unified"],
    }
    admin.call("POST", f"{admin.graph}/groups", unified)
    directory = GraphDirectory(clients)

    found = directory.find_groups(TENANT, "FIN", 25)
    assert [(g.id, g.display_name) for g in found] == [(made["Finance"], "Finance"), (made["finance-eu"], "finance-eu")]
    assert (found[0].description, found[1].description) == ("Finance department", None)
    assert [g.display_name for g in directory.find_groups(TENANT, None, 2)] == ["Finance", "finance-eu"]
    assert [g.id for g in directory.find_groups(TENANT, "o'b", 5)] == [made["O'Brien team"]]
    # azure-core leaves query values as they are: the client escapes them, so these characters stay in the name
    assert [g.id for g in directory.find_groups(TENANT, "r&d #1 + 50%", 5)] == [made["R&D #1 + 50%"]]
    # sorting a filtered list is an advanced query: the emulator refuses it without ConsistencyLevel, as Graph does
    sent = [e for e in request_log(local, "listGroups") if "o''b" in e["query"].get("$filter", "")][-1]
    assert sent["path"] == "/graph/v1.0/groups"
    assert sent["query"] == {
        "$filter": "securityEnabled eq true and startswith(displayName,'o''b')",
        "$orderby": "displayName",
        "$count": "true",
        "$top": "5",
        "$select": "id,displayName,description",
    }


def test_find_groups_does_not_wait_out_long_throttling(clients: GraphClients, local: LocalEmulator, entra: str):
    with pytest.raises(CloudError) as unlinked:
        GraphDirectory(clients).find_groups("not-linked", "fin", 25)
    assert unlinked.value.code == "tenantNotLinked"
    throttled: dict[str, Any] = {
        "count": 1,
        "status": 429,
        "errorCode": "TooManyRequests",
        "retryAfter": 60,
        "tenantId": entra,
    }
    requests.put(f"{local.base_url}/emulator/faults/listGroups", json=throttled, timeout=10).raise_for_status()
    with pytest.raises(GraphError) as failed:
        GraphDirectory(clients).find_groups(TENANT, "fin", 25)
    assert (failed.value.code, failed.value.status, failed.value.retry_after_s) == ("TooManyRequests", 429, 60)


def test_a_batched_read_throttled_for_long_says_so_with_graphs_retry_after(
    clients: GraphClients, admin: GraphAdmin, local: LocalEmulator, entra: str
):
    """A batch answer's headers are a JSON object whose names Graph spells in lower case (`retry-after`): the wait
    is read whatever the case, so a long one surfaces at once instead of being slept out as a guess."""
    ids = [str(uuid.uuid4()) for _ in range(16)]  # two filtered lists: one batch
    throttled: dict[str, Any] = {
        "count": 1,
        "status": 429,
        "errorCode": "TooManyRequests",
        "retryAfter": 60,
        "tenantId": entra,
    }
    requests.put(f"{local.base_url}/emulator/faults/listUsers", json=throttled, timeout=10).raise_for_status()
    with pytest.raises(GraphError) as failed:
        GraphDirectory(clients).get_users(TENANT, ids)
    assert (failed.value.code, failed.value.status, failed.value.retry_after_s) == ("TooManyRequests", 429, 60)


def test_a_batched_read_throttled_briefly_hands_the_wait_back_instead_of_sleeping_it_out(
    clients: GraphClients, admin: GraphAdmin, local: LocalEmulator, entra: str
):
    """The wait is the caller's: phased work holds its step by the driver's rule, and asks again after it."""
    ids = [admin.create_user() for _ in range(16)]  # two filtered lists: one batch
    throttled: dict[str, Any] = {
        "count": 1,
        "status": 429,
        "errorCode": "TooManyRequests",
        "retryAfter": 1,
        "tenantId": entra,
    }
    requests.put(f"{local.base_url}/emulator/faults/listUsers", json=throttled, timeout=10).raise_for_status()
    before = len(request_log(local, "batch"))
    with pytest.raises(GraphError) as failed:
        GraphDirectory(clients).get_users(TENANT, ids)
    assert (failed.value.code, failed.value.retry_after_s, failed.value.transient) == ("TooManyRequests", 1, True)
    assert len(request_log(local, "batch")) == before + 1  # not sent again within the call
    assert set(GraphDirectory(clients).get_users(TENANT, ids)) == set(ids)  # asked again, as the caller does


def test_a_groups_members_are_read_with_their_license_states_in_one_query(
    clients: GraphClients, admin: GraphAdmin, local: LocalEmulator
):
    group, licensing = admin.create_group(), admin.create_group()
    ann, cat = admin.create_user(), admin.create_user()
    for member in (ann, cat):
        admin.add_member(group, member)
    admin.add_member(licensing, cat)
    admin.set_enabled_units(BIG_PLAN, 0)
    admin.assign_group_licenses(licensing, BIG_PLAN)  # no unit: Cat waits
    members = {u.id: u for u in GraphDirectory(clients).group_members_with_licenses(TENANT, group) or []}
    assert set(members) == {ann, cat} and members[ann].group_licenses == ()
    [waiting] = members[cat].group_licenses
    assert (waiting.service_plan_id, waiting.group_id, waiting.error) == (BIG_PLAN, licensing, "CountViolation")
    assert waiting.since is not None and waiting.since.tzinfo is not None
    assert GraphDirectory(clients).group_members_with_licenses(TENANT, str(uuid.uuid4())) is None
    sent = [e for e in request_log(local, "listGroupMembers") if group in e["path"]][-1]
    assert sent["query"] == {
        "$select": "id,userPrincipalName,displayName,assignedLicenses,licenseAssignmentStates",
        "$top": "999",
    }


def test_reprocessing_without_user_read_write_all_is_refused_naming_it(
    clients: GraphClients, admin: GraphAdmin, local: LocalEmulator, entra: str
):
    licensing, cat = admin.create_group(), admin.create_user()
    admin.add_member(licensing, cat)
    admin.set_enabled_units(BIG_PLAN, 0)
    admin.assign_group_licenses(licensing, BIG_PLAN)
    admin.set_enabled_units(BIG_PLAN, 1)  # a unit comes free: Entra does not retry by itself
    licenses = GraphLicenses(clients)
    # the tenant's admin consented to all but it, before the app's first token
    reply = requests.put(
        f"{local.base_url}/emulator/tenants/{entra}/apps/{APP_CLIENT_ID}",
        timeout=10,
        json={
            "consented": True,
            "graphPermissions": [p.name for p in GRAPH_PERMISSIONS if p.name != "User.ReadWrite.All"],
        },
    )
    assert reply.status_code == 200, reply.text
    with pytest.raises(CloudError) as refused:
        licenses.reprocess_group_licenses(TENANT, cat)
    assert refused.value.permission_denied and "needs the application permission User.ReadWrite.All" in str(
        refused.value
    )
    assert admin.licensed_plans(cat) == []
