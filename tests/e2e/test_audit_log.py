"""The audit log end to end: one event per write or action through the API, refused ones too, no secrets, filters."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime
from typing import Any

import pytest

from devhost.host import DevHost
from tests.conftest import Tokens
from tests.e2e.test_cloud_pc_actions import act, line_appears
from tests.e2e.test_lifecycle import one_cloud_pc, status_becomes
from tests.e2e.test_provisioning import BIG_PLAN
from tests.utils.api_client import ApiClient, eventually
from tests.utils.app_stack import Collected
from tests.utils.wizard import PASSWORD, Tenant

NEW_PASSWORD = PASSWORD + "-rotated"


@pytest.fixture(scope="module")
def admin_api(app_host: DevHost, admin_token: str) -> ApiClient:
    return ApiClient(f"{app_host.base_url}/api", admin_token)


@pytest.fixture(scope="module")
def provisioned(admin_api: ApiClient) -> tuple[Tenant, dict[str, Any]]:
    """One tenant with one provisioned Cloud PC, for every test here that needs one."""
    tenant = Tenant(admin_api)
    return tenant, one_cloud_pc(admin_api, tenant)


def audit_pages(api: ApiClient, tenant: Tenant, **query: Any) -> list[dict[str, Any]]:
    """Every page of the tenant's audit log, following nextLink."""
    reply = api.get(f"{tenant.path}/auditEvents", params=query)
    pages = []
    while True:
        assert reply.status_code == 200, reply.text
        pages.append(reply.json())
        if "nextLink" not in pages[-1]:
            return pages
        reply = api.get(pages[-1]["nextLink"])


def audit_log(api: ApiClient, tenant: Tenant, **query: Any) -> list[dict[str, Any]]:
    return [event for page in audit_pages(api, tenant, top=1000, **query) for event in page["value"]]


def keys(events: list[dict[str, Any]]) -> Counter[tuple[str, str, str | None]]:
    return Counter((e["activity"], e["resourceType"], e["resourceId"]) for e in events)


def one(events: list[dict[str, Any]], activity: str, resource_id: str | None = None) -> dict[str, Any]:
    found = [e for e in events if e["activity"] == activity and resource_id in (None, e["resourceId"])]
    assert len(found) == 1, (activity, resource_id, found)
    return found[0]


def changed(event: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    return {c["field"]: (c["oldValue"], c["newValue"]) for c in event["changes"]}


def newest_first(events: list[dict[str, Any]]) -> None:
    times = [datetime.fromisoformat(e["activityDateTime"]) for e in events]
    assert times == sorted(times, reverse=True)


def test_each_wizard_write_leaves_one_success_event_with_its_changes(
    api: ApiClient, tokens: Tokens, app_logs: Collected
) -> None:
    tenant = Tenant(api)  # createTenant, createSite
    path = tenant.path
    expected = [("createTenant", "tenant", tenant.id), ("createSite", "site", tenant.site["id"])]

    old_name = api.get(path).json()["displayName"]
    assert api.patch(path, {"displayName": "Contoso Audited"}).status_code == 200
    expected.append(("updateTenant", "tenant", tenant.id))

    site = api.created(f"{path}/sites", {**_site_of(tenant), "displayName": "Spare site"})
    assert api.patch(f"{path}/sites/{site['id']}", {"displayName": "Spare site 2"}).status_code == 200
    assert api.delete(f"{path}/sites/{site['id']}").status_code == 204
    expected += [("createSite", "site", site["id"]), ("updateSite", "site", site["id"])]
    expected.append(("deleteSite", "site", site["id"]))

    connection = tenant.settled_connection(tenant.connection()["id"])  # hybrid: with adDomainPassword
    connection_path = f"{path}/connections/{connection['id']}"
    assert api.patch(connection_path, {"adDomainPassword": NEW_PASSWORD}).status_code == 200
    tenant.settled_connection(connection["id"])
    assert api.delete(connection_path).status_code == 204
    expected += [("createConnection", "connection", connection["id"])]
    expected += [("updateConnection", "connection", connection["id"])]
    expected += [("deleteConnection", "connection", connection["id"])]

    image = tenant.ready_image()
    assert api.delete(f"{path}/deviceImages/{image['id']}").status_code == 204
    expected += [("createDeviceImage", "deviceImage", image["id"]), ("deleteDeviceImage", "deviceImage", image["id"])]

    policy = tenant.policy()
    policy_path = f"{path}/provisioningPolicies/{policy['id']}"
    assert api.patch(policy_path, {"displayName": "Finance v2"}).status_code == 200
    tenant.group("nobody", [])
    tenant.assign(policy, "nobody")
    tenant.assign(policy)  # unassigned again
    assert api.delete(policy_path).status_code == 204
    expected += [("createProvisioningPolicy", "provisioningPolicy", policy["id"])]
    expected += [("updateProvisioningPolicy", "provisioningPolicy", policy["id"])]
    expected += [("assignProvisioningPolicy", "provisioningPolicy", policy["id"])] * 2
    expected += [("deleteProvisioningPolicy", "provisioningPolicy", policy["id"])]

    # validateOnly runs change nothing and are not audited
    assert api.post(f"{path}/sites?validateOnly=true", {**_site_of(tenant), "displayName": "Draft"}).status_code == 200
    assert api.post(f"{path}/connections?validateOnly=true", tenant.connection_body()).status_code == 200
    assert api.patch(f"{path}?validateOnly=true", {"displayName": "Not saved"}).status_code == 200

    pages = audit_pages(api, tenant, top=1000)
    events = [e for page in pages for e in page["value"]]
    assert keys(events) == Counter(expected)
    newest_first(events)
    admin = {"principalId": tokens.principal_id("admin"), "name": "admin"}
    for event in events:
        assert event["actor"] == admin, event
        assert event["tenantId"] == tenant.id
        assert (event["result"], event["errorCode"]) == ("success", None), event

    assert changed(one(events, "updateTenant")) == {"displayName": (old_name, "Contoso Audited")}
    assert changed(one(events, "updateSite")) == {"displayName": ("Spare site", "Spare site 2")}
    assert changed(one(events, "updateProvisioningPolicy")) == {"displayName": (policy["displayName"], "Finance v2")}
    rotated = one(events, "updateConnection")  # a new password: a new health-check run, the password not shown
    assert changed(rotated)["healthCheckRun"] == (1, 2), rotated
    assigned, unassigned = sorted(
        (e for e in events if e["activity"] == "assignProvisioningPolicy"),
        key=lambda e: datetime.fromisoformat(e["activityDateTime"]),
    )
    assert "assignments" in changed(assigned) and "assignments" in changed(unassigned)
    created_site = one(events, "createSite", site["id"])
    assert created_site["resourceDisplayName"] == "Spare site"
    assert changed(created_site)["displayName"] == (None, "Spare site")
    deleted_site = one(events, "deleteSite", site["id"])
    assert deleted_site["resourceDisplayName"] == "Spare site 2"
    assert changed(deleted_site)["displayName"] == ("Spare site 2", None)
    assert one(events, "createConnection")["resourceDisplayName"] == "Contoso HQ"
    assert one(events, "createDeviceImage")["resourceDisplayName"] == "Golden Windows 11"
    for event in events:
        assert not {"etag", "createdDateTime", "lastModifiedDateTime"} & set(changed(event)), event

    # no secret in the log: not the passwords, and a secret-looking field only ever as ***
    text = json.dumps(pages)
    assert PASSWORD not in text and NEW_PASSWORD not in text
    for event in events:
        for field, values in changed(event).items():
            if any(word in field.lower() for word in ("password", "secret", "credential", "token")):
                assert set(values) <= {None, "***"}, (field, values)
    assert not [line for line in app_logs.lines if PASSWORD in line]


def _site_of(tenant: Tenant) -> dict[str, Any]:
    site = tenant.site
    fields = ("displayName", "regionName", "subscriptionId", "resourceGroupName", "subnetId")
    return {field: site[field] for field in fields}


def test_each_cloud_pc_action_leaves_one_event_and_a_refused_one_a_failure(
    admin_api: ApiClient, provisioned: tuple[Tenant, dict[str, Any]]
) -> None:
    api, (tenant, cloud_pc) = admin_api, provisioned
    for action, line in (("reboot", "rebooted"), ("powerOff", "poweredOff"), ("powerOn", "poweredOn")):
        reply = act(api, tenant, cloud_pc, action)
        assert reply.status_code == 202, reply.text
        line_appears(api, tenant, cloud_pc, line)
    assert act(api, tenant, cloud_pc, "troubleshoot").status_code == 202
    line_appears(api, tenant, cloud_pc, "troubleshot")
    eventually(lambda: _troubleshot(api, tenant, cloud_pc))  # its result's merge, the action's last write
    renamed = act(api, tenant, cloud_pc, "rename", {"displayName": "Ann's audited PC"})
    assert renamed.status_code == 200, renamed.text
    refused = act(api, tenant, cloud_pc, "retry")  # retry is for a failed Cloud PC only
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "wrongStatus", refused.text
    resized = act(api, tenant, cloud_pc, "resize", {"targetServicePlanId": BIG_PLAN})
    assert resized.status_code == 202, resized.text
    status_becomes(api, tenant, cloud_pc["id"], "provisioned")
    bulk = {"action": "reboot", "cloudPcIds": [cloud_pc["id"]]}
    assert api.post(f"{tenant.path}/bulkActions?validateOnly=true", bulk).status_code == 200
    started = api.post(f"{tenant.path}/bulkActions", bulk)
    assert started.status_code == 202, started.text
    eventually(lambda: _bulk_done(api, tenant, started.json()["id"]))
    tenant.group("pilot", [])  # ann leaves: her Cloud PC's grace period starts, and it can be ended
    status_becomes(api, tenant, cloud_pc["id"], "inGracePeriod")
    assert act(api, tenant, cloud_pc, "endGracePeriod").status_code == 202

    events = audit_log(api, tenant, resourceType="cloudPC")
    actions = ("reboot", "powerOff", "powerOn", "troubleshoot", "rename", "retry", "resize", "endGracePeriod")
    assert keys(events) == Counter((f"{a}CloudPc", "cloudPC", cloud_pc["id"]) for a in actions)
    for event in events:
        expected = ("failure", "wrongStatus") if event["activity"] == "retryCloudPc" else ("success", None)
        assert (event["result"], event["errorCode"]) == expected, event
    assert one(events, "retryCloudPc")["changes"] == []
    rename = one(events, "renameCloudPc")
    assert changed(rename)["displayName"] == (cloud_pc["displayName"], "Ann's audited PC")
    assert rename["resourceDisplayName"] == "Ann's audited PC"
    assert changed(one(events, "resizeCloudPc"))["status"] == ("provisioned", "resizing")
    [bulk_event] = audit_log(api, tenant, resourceType="bulkAction")
    assert (bulk_event["activity"], bulk_event["resourceId"]) == ("createBulkAction", started.json()["id"])
    assert bulk_event["result"] == "success"


def _troubleshot(api: ApiClient, tenant: Tenant, cloud_pc: dict[str, Any]) -> None:
    assert api.get(f"{tenant.path}/cloudPCs/{cloud_pc['id']}").json()["lastTroubleshootResult"] is not None


def _bulk_done(api: ApiClient, tenant: Tenant, bulk_id: str) -> None:
    assert api.get(f"{tenant.path}/bulkActions/{bulk_id}").json()["status"] != "running"


def test_refused_attempts_leave_denied_events_naming_who_tried(
    admin_api: ApiClient, provisioned: tuple[Tenant, dict[str, Any]], tokens: Tokens
) -> None:
    api, (tenant, _) = admin_api, provisioned
    [policy] = api.get(f"{tenant.path}/provisioningPolicies").json()["value"]
    policy_path = f"{tenant.path}/provisioningPolicies/{policy['id']}"
    reader, stranger = tokens.principal_id("rita"), tokens.principal_id("nora")
    granted = api.post(f"{tenant.path}/roleAssignments", {"principalId": reader, "role": "reader"})
    assert granted.status_code == 201, granted.text
    rita, nora = ApiClient(api.base_url, tokens("rita")), ApiClient(api.base_url, tokens("nora"))

    assert rita.patch(policy_path, {"displayName": "Rita's"}).status_code == 403
    assert nora.patch(policy_path, {"displayName": "Nora's"}).status_code == 404
    assert rita.get(f"{tenant.path}/auditEvents").status_code == 403  # the log needs administrator
    assert nora.get(f"{tenant.path}/auditEvents").status_code == 404
    assert api.get(policy_path).json()["displayName"] == policy["displayName"]

    for principal, name, code in ((reader, "rita", "forbidden"), (stranger, "nora", "notFound")):
        [event] = audit_log(api, tenant, actorId=principal)
        assert event["actor"] == {"principalId": principal, "name": name}
        assert (event["result"], event["errorCode"]) == ("denied", code)
        assert (event["activity"], event["resourceType"]) == ("updateProvisioningPolicy", "provisioningPolicy")
        assert event["resourceId"] == policy["id"] and event["changes"] == []
    admins = audit_log(api, tenant, actorId=tokens.principal_id("admin"))
    assert one(admins, "createRoleAssignment")["resourceType"] == "roleAssignment"
    assert {e["actor"]["name"] for e in admins} == {"admin"}


def test_filters_and_paging_walk_the_log_newest_first(api: ApiClient) -> None:
    tenant = Tenant(api)
    for n in range(3):
        policy = tenant.policy(displayName=f"Policy {n}")
        assert api.patch(f"{tenant.path}/provisioningPolicies/{policy['id']}", {"description": "v2"}).status_code == 200
    everything = audit_log(api, tenant)
    assert len(everything) == 2 + 6  # createTenant, createSite, then three policies made and changed
    newest_first(everything)

    pages = audit_pages(api, tenant, top=2)
    assert [len(p["value"]) for p in pages][:4] == [2, 2, 2, 2] and all(not p["value"] for p in pages[4:])
    walked = [e["id"] for p in pages for e in p["value"]]
    assert walked == [e["id"] for e in everything]  # the same order, none twice, none left out

    policies = audit_pages(api, tenant, top=2, resourceType="provisioningPolicy")
    assert len(policies) >= 3  # nextLink kept the filter
    assert [e["id"] for p in policies for e in p["value"]] == [
        e["id"] for e in everything if e["resourceType"] == "provisioningPolicy"
    ]
    assert [e["activity"] for e in audit_log(api, tenant, resourceType="site")] == ["createSite"]
    assert audit_log(api, tenant, resourceType="cloudPC") == []
    assert audit_log(api, tenant, actorId="00000000-0000-0000-0000-000000000000") == []

    pivot = everything[3]
    since = audit_log(api, tenant, since=pivot["activityDateTime"])
    assert [e["id"] for e in since] == [e["id"] for e in everything[:4]]
    assert audit_log(api, tenant, since="2999-01-01T00:00:00Z") == []
    assert len(audit_log(api, tenant, since="2000-01-01T00:00:00+02:00")) == len(everything)
    bad = api.get(f"{tenant.path}/auditEvents", params={"since": "yesterday"})
    assert bad.status_code == 400 and bad.json()["error"]["details"][0]["target"] == "since"


def test_a_connection_rename_is_made_and_shows_in_its_event(api: ApiClient) -> None:
    tenant = Tenant(api)
    connection = tenant.connection(
        connectionType="azureADJoin",
        adDomainName=None,
        adDomainUsername=None,
        adDomainPassword=None,
        organizationalUnit=None,
    )
    path = f"{tenant.path}/connections/{connection['id']}"
    assert api.patch(path, {"displayName": "Contoso HQ 2"}).status_code == 200
    event = one(audit_log(api, tenant), "updateConnection", connection["id"])
    assert event["result"] == "success"
    assert api.get(path).json()["displayName"] == "Contoso HQ 2"
    assert changed(event) == {"displayName": ("Contoso HQ", "Contoso HQ 2")}
