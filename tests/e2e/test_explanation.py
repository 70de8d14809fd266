"""The provisioning explanation over HTTP: which policy wins for a user and why, read from the real directory."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from tests.utils.api_client import ApiClient, eventually
from tests.utils.wizard import Tenant

PLAN = "w365-enterprise-2vcpu-8gb-128gb"


def explanation(api: ApiClient, tenant: Tenant, user_id: str) -> dict[str, Any]:
    reply = api.get(f"{tenant.path}/users/{user_id}/provisioningExplanation")
    assert reply.status_code == 200, reply.text
    body: dict[str, Any] = reply.json()
    return body


def test_the_earlier_assigned_policy_wins_and_the_explanation_says_why(api: ApiClient) -> None:
    tenant = Tenant(api)
    ann = tenant.user("ann", [PLAN])
    tenant.group("early", ["ann"])
    tenant.group("late", ["ann"])
    first = tenant.policy(displayName="First")
    second = tenant.policy(displayName="Second", cloudPcNamingTemplate="SEC-%RAND:6%")
    tenant.assign(first, "early")
    tenant.assign(second, "late")

    def provisioned() -> dict[str, Any]:
        body = explanation(api, tenant, ann)
        assert [c["status"] for c in body["cloudPcs"]] == ["provisioned"], body["cloudPcs"]
        return body

    body = eventually(provisioned, timeout_s=120)

    assert (body["userId"], body["userPrincipalName"]) == (ann, tenant.graph.user(ann)["userPrincipalName"])
    winner = body["winningPolicy"]
    assert (winner["policyId"], winner["policyName"], winner["groupId"]) == (first["id"], "First", tenant.gid("early"))
    assert "'First' serves the user" in body["reason"]
    assert "assigned first" in body["reason"]
    candidates = [(c["policyId"], c["groupId"], c["wins"]) for c in body["candidates"]]
    assert candidates == [(first["id"], tenant.gid("early"), True), (second["id"], tenant.gid("late"), False)]
    first_at, second_at = (datetime.fromisoformat(c["assignedDateTime"]) for c in body["candidates"])
    assert first_at < second_at
    assert "'First'" in body["candidates"][1]["reason"]
    assert [(lic["servicePlanId"], lic["count"]) for lic in body["licenses"]] == [(PLAN, 1)]
    [cloud_pc] = body["cloudPcs"]
    assert (cloud_pc["provisioningPolicyId"], cloud_pc["servicePlanId"], cloud_pc["expected"]) == (
        first["id"],
        PLAN,
        True,
    )
    [slot] = body["expected"]
    assert (slot["servicePlanId"], slot["slotIndex"], slot["provisioningPolicyId"]) == (PLAN, 0, first["id"])
    assert (slot["existingCloudPcId"], slot["otherPolicyCloudPcIds"]) == (cloud_pc["id"], [])
    listed = api.get(f"{tenant.path}/cloudPCs?userId={ann}").json()["value"]
    assert [c["id"] for c in listed] == [cloud_pc["id"]]

    # a user of the same directory in no assigned group: no winner, nothing expected
    outsider = explanation(api, tenant, tenant.user("cat", [PLAN]))
    assert (outsider["winningPolicy"], outsider["candidates"], outsider["expected"]) == (None, [], [])
    assert "No provisioning policy applies" in outsider["reason"]


def test_the_explanation_says_which_licenses_a_group_assigns_and_which_it_could_not(api: ApiClient) -> None:
    tenant = Tenant(api)
    big = "w365-enterprise-4vcpu-16gb-128gb"
    ann = tenant.user("ann", [])
    licensing = tenant.group("w365-licensing", ["ann"])
    tenant.graph.set_enabled_units(big, 0)
    tenant.graph.assign_group_licenses(licensing, PLAN, big)  # no unit of `big` to give: Entra records an error
    body = explanation(api, tenant, ann)
    assert [(lic["servicePlanId"], lic["count"], lic["assignedByGroupIds"]) for lic in body["licenses"]] == [
        (PLAN, 1, [licensing])
    ]
    # each group by its name in the directory
    assert "license comes from group 'w365-licensing' (group-based licensing)" in body["reason"]
    assert "Group 'w365-licensing' assigns a" in body["reason"] and "(CountViolation)" in body["reason"]


def test_an_unknown_user_or_tenant_is_not_found(api: ApiClient) -> None:
    tenant = Tenant(api)
    for user_id in (str(uuid.uuid4()), "not-a-user-id"):
        reply = api.get(f"{tenant.path}/users/{user_id}/provisioningExplanation")
        assert reply.status_code == 404, reply.text
        assert reply.json()["error"]["code"] == "notFound"
        assert reply.json()["error"]["target"] == "userId"
    reply = api.get(f"/tenants/{uuid.uuid4()}/users/{uuid.uuid4()}/provisioningExplanation")
    assert reply.status_code == 404, reply.text
    assert reply.json()["error"]["code"] == "notFound"
    # a tenant not linked to Entra has no directory to read: a state to fix, not a server error
    unlinked = api.created("/tenants", {"displayName": "Not linked yet"})["id"]
    reply = api.get(f"/tenants/{unlinked}/users/{uuid.uuid4()}/provisioningExplanation")
    assert reply.status_code == 409, reply.text
    assert reply.json()["error"]["code"] == "tenantNotLinked"


def test_the_openapi_document_describes_the_explanation(api: ApiClient) -> None:
    document = api.get("/openapi.json").json()
    operation = document["paths"]["/tenants/{tenantId}/users/{userId}/provisioningExplanation"]["get"]
    assert operation["operationId"] == "getProvisioningExplanation"
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema["$ref"].endswith("ProvisioningExplanation")
    assert {"404"} <= set(operation["responses"])
