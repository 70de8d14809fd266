"""Templates end to end: a policy template and a Spot Group template reviewed and rolled out to three tenants with
their own sites and groups, Cloud PCs and session hosts coming in each, a hand change shown as drift and kept as an
override through a new version, and an apply that changes nothing."""

from __future__ import annotations

from typing import Any

from tests.e2e.test_provisioning import PLAN, settled_cloud_pcs
from tests.e2e.test_spot_groups import ready_version, settled
from tests.utils.api_client import ApiClient, eventually
from tests.utils.wizard import Tenant

POLICY = {
    "displayName": "Standard desktops",
    "domainJoinConfigurations": [{"domainJoinType": "azureADJoin", "regionName": "westeurope"}],
    "imageType": "gallery",
    "imageId": "microsoftwindowsdesktop_windows-ent-cpc_win11-24h2-ent-cpc-m365",
    "cloudPcNamingTemplate": "STD-%USERNAME:4%-%RAND:5%",
    "enableSingleSignOn": True,
}
SPOT_GROUP = {
    "name": "task-workers",
    "friendlyName": "Task workers",
    "profilePath": r"\\files.contoso.com\profiles",
    "userType": "pooled",
    "licenseCount": 2,
    "imageVersion": "0.0.0",
    "maxSessionsPerHost": 2,
}


def rolled_out(api: ApiClient, template: dict[str, Any], tenants: list[dict[str, Any]]) -> dict[str, Any]:
    """Review, then apply, and wait for the roll-out's end."""
    path = f"/templates/{template['id']}"
    review = api.post(f"{path}/apply?validateOnly=true", {"tenants": tenants})
    assert review.status_code == 200, review.text
    assert all(not t["problems"] and not t["missingParameters"] for t in review.json()["tenants"]), review.text
    started = api.post(f"{path}/apply", {"tenants": tenants})
    assert started.status_code == 202, started.text

    def finished() -> dict[str, Any]:
        body: dict[str, Any] = api.get(started.headers["Location"]).json()
        assert body["status"] != "running", body
        return body

    return eventually(finished, timeout_s=120)


def actions(rollout: dict[str, Any]) -> dict[str, tuple[str, list[str]]]:
    """Each tenant's object action and the fields it changed."""
    return {
        r["tenantId"]: (r["objects"][0]["action"], [c["field"] for c in r["objects"][0]["changes"]])
        for r in rollout["results"]
    }


def test_templates_roll_out_to_three_tenants_with_drift_kept_as_an_override(api: ApiClient) -> None:
    tenants = [Tenant(api) for _ in range(3)]
    image_sets = {}
    for tenant in tenants:
        for user in ("ann", "bob"):
            tenant.user(user, [PLAN])
        tenant.group("staff", ["ann", "bob"])
        image_sets[tenant.id] = ready_version(api, tenant)

    policy_template = api.created(
        "/templates",
        {
            "displayName": "Standard policy",
            "kind": "provisioningPolicy",
            "fields": POLICY,
            "parameters": ["assignments"],
        },
    )
    group_template = api.created(
        "/templates",
        {
            "displayName": "Task workers",
            "kind": "spotGroup",
            "fields": SPOT_GROUP,
            "parameters": ["siteId", "groupIds", "imageSetId"],
        },
    )
    policy_params = [{"tenantId": t.id, "parameters": {"assignments": [{"groupId": t.gid("staff")}]}} for t in tenants]
    group_params = [
        {
            "tenantId": t.id,
            "parameters": {"siteId": t.site["id"], "groupIds": [t.gid("staff")], "imageSetId": image_sets[t.id]},
        }
        for t in tenants
    ]
    first = rolled_out(api, policy_template, policy_params)
    assert first["status"] == "succeeded", first
    assert {action for action, _ in actions(first).values()} == {"create"}
    groups = rolled_out(api, group_template, group_params)
    assert groups["status"] == "succeeded", groups

    # Cloud PCs and session hosts come in each tenant, in its own site and for its own group
    for tenant in tenants:
        assert len(settled_cloud_pcs(api, tenant, 2)) == 2
        [group] = api.get(f"{tenant.path}/spotGroups").json()["value"]
        ready = settled(api, f"{tenant.path}/spotGroups/{group['id']}")
        assert (ready["status"], ready["siteId"], ready["sessionHostCounts"]["running"]) == (
            "ready",
            tenant.site["id"],
            1,
        )

    # an admin changes one tenant's policy by hand: its drift shows the field
    mine = tenants[0]
    [policy] = api.get(f"{mine.path}/provisioningPolicies").json()["value"]
    changed = api.patch(f"{mine.path}/provisioningPolicies/{policy['id']}", {"enableSingleSignOn": False})
    assert changed.status_code == 200, changed.text
    applied = api.get(f"{mine.path}/templates/{policy_template['id']}").json()
    assert applied["drift"] == [{"field": "enableSingleSignOn", "current": False, "desired": True}]
    across = api.get(f"/templates/{policy_template['id']}/applications").json()["value"]
    assert sorted(len(a["drift"]) for a in across) == [0, 0, 1]
    assert api.get(f"{mine.path}/summary").json()["driftedTemplates"] == 1

    # kept as an override, it survives a new version, which changes the other two tenants
    kept = api.post(
        f"{mine.path}/templates/{policy_template['id']}/overrides", {"name": "sso-off", "field": "enableSingleSignOn"}
    )
    assert kept.status_code == 200, kept.text
    assert kept.json()["drift"] == [] and kept.json()["overrides"][0]["value"] is False
    newer = api.patch(
        f"/templates/{policy_template['id']}",
        {"fields": {**POLICY, "enableSingleSignOn": False}},
        headers={"If-Match": policy_template["etag"]},
    )
    assert newer.status_code == 200 and newer.json()["version"] == 2, newer.text
    second = rolled_out(api, newer.json(), [{"tenantId": t.id} for t in tenants])  # parameters as last applied
    assert actions(second) == {
        tenants[0].id: ("unchanged", []),
        tenants[1].id: ("update", ["enableSingleSignOn"]),
        tenants[2].id: ("update", ["enableSingleSignOn"]),
    }
    assert api.get(f"{mine.path}/provisioningPolicies/{policy['id']}").json()["enableSingleSignOn"] is False

    # the same version again changes nothing
    third = rolled_out(api, newer.json(), [{"tenantId": t.id} for t in tenants])
    assert {action for action, _ in actions(third).values()} == {"unchanged"}
    again = rolled_out(api, group_template, [{"tenantId": t.id} for t in tenants])
    assert {action for action, _ in actions(again).values()} == {"unchanged"}


def test_bad_templates_and_applies_name_each_field_and_save_nothing(api: ApiClient) -> None:
    refused = api.post(
        "/templates",
        {
            "displayName": "Broken",
            "kind": "spotGroup",
            "fields": {**SPOT_GROUP, "licenseCount": 0},
            "parameters": ["x"],
        },
    )
    assert refused.status_code == 400, refused.text
    targets = {d["target"] for d in refused.json()["error"]["details"]}
    assert targets == {"parameters[0]", "fields.licenseCount"}
    assert all(t["displayName"] != "Broken" for t in api.get("/templates").json()["value"])

    template = api.created(
        "/templates",
        {"displayName": "Policy", "kind": "provisioningPolicy", "fields": POLICY, "parameters": ["assignments"]},
    )
    tenant = Tenant(api, onboard=False)
    reply = api.post(f"/templates/{template['id']}/apply", {"tenants": [{"tenantId": tenant.id}, {"tenantId": "nope"}]})
    assert reply.status_code == 400, reply.text
    assert [d["target"] for d in reply.json()["error"]["details"]] == [
        "tenants[0].parameters.assignments",
        "tenants[1].tenantId",
    ]
    assert api.get(f"/templates/{template['id']}/rollouts").json()["value"] == []
    stale = api.patch(f"/templates/{template['id']}", {"description": "x"}, headers={"If-Match": '"stale"'})
    assert stale.status_code == 412, stale.text

    teams = {"kind": "teams", "url": "https://teams.example.com/noc"}  # its address is the key: kept in Key Vault only
    rule = {"displayName": "Failures", "kind": "provisioningFailed", "channels": [teams]}
    refused = api.post("/templates", {"displayName": "Alerts", "kind": "alertRule", "fields": rule})
    assert refused.status_code == 400, refused.text
    assert [(d["code"], d["target"]) for d in refused.json()["error"]["details"]] == [
        ("credentialInTemplate", "fields.channels[0]")
    ]
    assert "teams.example.com" not in api.get("/templates").text
