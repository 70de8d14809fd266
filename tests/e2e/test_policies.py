"""The provisioning-policy wizard end to end: every rule, assignment order and the review plan."""

from __future__ import annotations

import pytest

from orchestrators.phases import TRANSIENT
from tests.utils.api_client import ApiClient
from tests.utils.wizard import Tenant

PLAN = "w365-enterprise-2vcpu-8gb-128gb"
BIG_PLAN = "w365-enterprise-4vcpu-16gb-256gb"


def test_a_policy_lifecycle(api: ApiClient) -> None:
    tenant = Tenant(api)
    policy = tenant.policy()
    assert policy["provisioningType"] == "dedicated"
    assert policy["localAdminEnabled"] is False
    assert policy["gracePeriodInHours"] == 168
    assert policy["imageDisplayName"].startswith("Windows 11 Enterprise 24H2")
    assert policy["assignments"] == []
    assert api.get(f"{tenant.path}/provisioningPolicies/{policy['id']}").json() == policy

    renamed = api.patch(
        f"{tenant.path}/provisioningPolicies/{policy['id']}",
        {"displayName": "Finance"},
        headers={"If-Match": policy["etag"]},
    )
    assert renamed.status_code == 200
    assert renamed.json()["displayName"] == "Finance"
    stale = api.patch(
        f"{tenant.path}/provisioningPolicies/{policy['id']}", {"description": "x"}, headers={"If-Match": policy["etag"]}
    )
    assert stale.status_code == 412
    listed = api.get(f"{tenant.path}/provisioningPolicies").json()["value"]
    assert [p["id"] for p in listed] == [policy["id"]]
    assert api.delete(f"{tenant.path}/provisioningPolicies/{policy['id']}").status_code == 204
    assert api.get(f"{tenant.path}/provisioningPolicies/{policy['id']}").status_code == 404


def test_the_default_naming_template_is_filled_in(api: ApiClient) -> None:
    tenant = Tenant(api)
    policy = tenant.policy(cloudPcNamingTemplate=None)
    assert policy["cloudPcNamingTemplate"] == "CPC-%USERNAME:5%-%RAND:5%"


@pytest.mark.parametrize(
    ("overrides", "code", "target"),
    [
        ({"displayName": "Finance <EU>"}, "invalidCharacters", "displayName"),
        ({"displayName": 'Sales "A"'}, "invalidCharacters", "displayName"),
        ({"displayName": "R&D"}, "invalidCharacters", "displayName"),
        ({"displayName": "a|b^c"}, "invalidCharacters", "displayName"),
        ({"cloudPcNamingTemplate": "FINANCE-%USERNAME:6%-%RAND:5%"}, "invalidNamingTemplate", "cloudPcNamingTemplate"),
        ({"cloudPcNamingTemplate": "FIN-%USERNAME:5%"}, "invalidNamingTemplate", "cloudPcNamingTemplate"),
        ({"cloudPcNamingTemplate": "FIN-%RAND:4%"}, "invalidNamingTemplate", "cloudPcNamingTemplate"),
        ({"cloudPcNamingTemplate": "FIN_%RAND:5%"}, "invalidNamingTemplate", "cloudPcNamingTemplate"),
        (
            {"domainJoinConfigurations": [{"domainJoinType": "hybridAzureADJoin"}]},
            "connectionRequired",
            "domainJoinConfigurations[0]",
        ),
        (
            {
                "domainJoinConfigurations": [
                    {"domainJoinType": "azureADJoin", "regionName": "westeurope", "onPremisesConnectionId": "c1"}
                ]
            },
            "connectionOrRegion",
            "domainJoinConfigurations[0]",
        ),
        (
            {"domainJoinConfigurations": [{"domainJoinType": "azureADJoin", "regionName": "moon"}]},
            "unsupportedRegion",
            "domainJoinConfigurations[0].regionName",
        ),
        (
            {"domainJoinConfigurations": [{"domainJoinType": "hybridAzureADJoin", "onPremisesConnectionId": "nope"}]},
            "referenceNotFound",
            "domainJoinConfigurations[0].onPremisesConnectionId",
        ),
        ({"domainJoinConfigurations": []}, "tooShort", "domainJoinConfigurations"),
        ({"imageId": "publisher_offer_nosuchsku"}, "referenceNotFound", "imageId"),
        ({"imageId": "microsoftwindowsdesktop_windows-10_win10-21h2-ent"}, "imageNotSupported", "imageId"),
        ({"imageType": "custom", "imageId": "no-such-image"}, "referenceNotFound", "imageId"),
        ({"imageType": "marketplace"}, "literalError", "imageType"),
        ({"provisioningType": "shared"}, "literalError", "provisioningType"),
        ({"localAdminEnabled": "yes"}, "boolType", "localAdminEnabled"),
        ({"windowsSetting": {"locale": "xx-YY"}}, "unsupportedLanguage", "windowsSetting.locale"),
    ],
)
def test_every_policy_rule_is_enforced_and_nothing_is_saved(
    api: ApiClient, overrides: dict[str, object], code: str, target: str
) -> None:
    tenant = Tenant(api)
    reply = api.post(f"{tenant.path}/provisioningPolicies", tenant.policy_body(**overrides))
    assert reply.status_code == 400, reply.text
    details = reply.json()["error"]["details"]
    assert (code, target) in [(d["code"], d["target"]) for d in details], details
    assert api.get(f"{tenant.path}/provisioningPolicies").json()["value"] == []


def test_references_that_are_not_ready_are_refused(api: ApiClient) -> None:
    tenant = Tenant(api)
    tenant.fault("adDomainJoin", 1)
    unhealthy = tenant.settled_connection(tenant.connection()["id"])
    entra = tenant.healthy_connection(
        displayName="Cloud",
        connectionType="azureADJoin",
        adDomainName=None,
        adDomainUsername=None,
        adDomainPassword=None,
        organizationalUnit=None,
    )
    cases = [
        ({"domainJoinType": "hybridAzureADJoin", "onPremisesConnectionId": unhealthy["id"]}, "connectionNotHealthy"),
        ({"domainJoinType": "hybridAzureADJoin", "onPremisesConnectionId": entra["id"]}, "joinTypeMismatch"),
    ]
    for config, code in cases:
        reply = api.post(f"{tenant.path}/provisioningPolicies", tenant.policy_body(domainJoinConfigurations=[config]))
        assert reply.status_code == 400
        assert reply.json()["error"]["details"][0]["code"] == code
    tenant.managed_image()
    tenant.fault("getImage", TRANSIENT.max_number_of_attempts)  # every try of the import
    failed_image = tenant.settled_image(api.created(f"{tenant.path}/deviceImages", tenant.image_body())["id"])
    assert failed_image["status"] == "failed"
    reply = api.post(
        f"{tenant.path}/provisioningPolicies", tenant.policy_body(imageType="custom", imageId=failed_image["id"])
    )
    assert reply.status_code == 400
    assert reply.json()["error"]["details"][0]["code"] == "imageNotReady"


def test_patch_rules_apply_to_the_merged_policy(api: ApiClient) -> None:
    tenant = Tenant(api)
    policy = tenant.policy()
    bad = api.patch(f"{tenant.path}/provisioningPolicies/{policy['id']}", {"cloudPcNamingTemplate": "X_%RAND:5%"})
    assert bad.status_code == 400
    assert (
        api.get(f"{tenant.path}/provisioningPolicies/{policy['id']}").json()["cloudPcNamingTemplate"]
        == (policy["cloudPcNamingTemplate"])
    )


def test_an_assigned_policy_cannot_be_deleted_until_unassigned(api: ApiClient) -> None:
    tenant = Tenant(api)
    tenant.group("finance", [])
    policy = tenant.policy()
    assigned = api.post(f"{tenant.path}/provisioningPolicies/{policy['id']}/assign", tenant.assignments("finance"))
    assert assigned.status_code == 200, assigned.text
    refused = api.delete(f"{tenant.path}/provisioningPolicies/{policy['id']}")
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "policyAssigned"
    api.post(f"{tenant.path}/provisioningPolicies/{policy['id']}/assign", {"assignments": []})
    assert api.delete(f"{tenant.path}/provisioningPolicies/{policy['id']}").status_code == 204


def test_assigning_an_unknown_group_is_refused(api: ApiClient) -> None:
    tenant = Tenant(api)
    policy = tenant.policy()
    reply = api.post(
        f"{tenant.path}/provisioningPolicies/{policy['id']}/assign", {"assignments": [{"groupId": "ghosts"}]}
    )
    assert reply.status_code == 400
    assert reply.json()["error"]["details"][0]["target"] == "assignments[0].groupId"
    assert api.get(f"{tenant.path}/provisioningPolicies/{policy['id']}").json()["assignments"] == []


def test_the_assign_plan_names_the_earlier_policy_for_users_it_already_targets(api: ApiClient) -> None:
    tenant = Tenant(api)
    for user, licenses in {
        "ann": [PLAN],
        "bob": [PLAN],
        "cat": [PLAN, BIG_PLAN],
        "dan": [],
        "eve": [PLAN],
    }.items():
        tenant.user(user, licenses)
    tenant.group("sales", ["ann", "bob"])
    tenant.group("everyone", ["ann", "bob", "cat", "dan", "eve"])
    sales = tenant.policy(displayName="Sales")
    everyone = tenant.policy(displayName="Everyone")
    api.post(f"{tenant.path}/provisioningPolicies/{sales['id']}/assign", tenant.assignments("sales"))

    review = api.post(
        f"{tenant.path}/provisioningPolicies/{everyone['id']}/assign?validateOnly=true",
        tenant.assignments("everyone"),
    )
    assert review.status_code == 200, review.text
    plan = review.json()["plan"]
    by_user = {tenant.name_of(entry["userId"]): entry for entry in plan["users"]}
    assert by_user["ann"]["action"] == "servedByEarlierPolicy"
    assert by_user["ann"]["winningPolicyId"] == sales["id"]
    assert by_user["ann"]["winningPolicyName"] == "Sales"
    assert by_user["bob"]["action"] == "servedByEarlierPolicy"
    assert by_user["cat"]["action"] == "provision"
    assert by_user["cat"]["cloudPcCount"] == 2
    assert by_user["dan"]["action"] == "noLicense"
    assert by_user["eve"]["action"] == "provision"
    assert plan["summary"] == {
        "provision": 2,
        "cloudPcs": 3,
        "servedByEarlierPolicy": 2,
        "noLicense": 1,
        "lose": 0,
        "membersNotFound": 0,
    }
    assert api.get(f"{tenant.path}/provisioningPolicies/{everyone['id']}").json()["assignments"] == []

    saved = api.post(f"{tenant.path}/provisioningPolicies/{everyone['id']}/assign", tenant.assignments("everyone"))
    assert saved.json()["validateOnly"] is False
    assignments = api.get(f"{tenant.path}/provisioningPolicies/{everyone['id']}").json()["assignments"]
    assert [a["groupId"] for a in assignments] == [tenant.gid("everyone")]
    assert assignments[0]["assignedDateTime"]

    shrink = api.post(
        f"{tenant.path}/provisioningPolicies/{sales['id']}/assign?validateOnly=true", {"assignments": []}
    ).json()["plan"]
    losing = {tenant.name_of(entry["userId"]): entry for entry in shrink["users"]}
    assert losing["ann"]["action"] == "lose"
    assert losing["ann"]["winningPolicyName"] == "Everyone"


def test_reassigning_keeps_the_original_assignment_time(api: ApiClient) -> None:
    tenant = Tenant(api)
    tenant.group("a", [])
    tenant.group("b", [])
    policy = tenant.policy()
    first = api.post(f"{tenant.path}/provisioningPolicies/{policy['id']}/assign", tenant.assignments("a")).json()[
        "policy"
    ]["assignments"][0]
    again = api.post(
        f"{tenant.path}/provisioningPolicies/{policy['id']}/assign",
        tenant.assignments("a", "b"),
    ).json()["policy"]["assignments"]
    assert again[0] == first
    assert again[1]["assignedDateTime"] > first["assignedDateTime"]


def test_the_languages_read_by_name_and_a_policy_keeps_the_one_chosen(api: ApiClient) -> None:
    reply = api.get("/languages")
    assert reply.status_code == 200, reply.text
    languages = {item["locale"]: item["displayName"] for item in reply.json()["value"]}
    assert (languages["en-US"], languages["de-DE"], languages["sr-Latn-RS"]) == (
        "English (United States)",
        "German (Germany)",
        "Serbian (Latin, Serbia)",
    )
    names = [item["displayName"] for item in reply.json()["value"]]
    assert names == sorted(names)
    tenant = Tenant(api)
    policy = tenant.policy(windowsSetting={"locale": "sr-Latn-RS"})
    assert policy["windowsSetting"] == {"locale": "sr-Latn-RS"}
