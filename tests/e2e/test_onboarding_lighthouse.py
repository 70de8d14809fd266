"""A customer onboarded through Azure Lighthouse: the admin deploys the delegation template once, the report checks the
delegation role by role and turns ready, and the app works in the subscription as itself; a delegation without one
role fails that role's check, naming it."""

from __future__ import annotations

from typing import Any

from azure_emulator.launcher import APP_CLIENT_ID
from shared.catalog.app_access import USER_ROLES_ROLE, assignment_condition
from tests.utils.api_client import ApiClient
from tests.utils.onboarding import grant_app, report
from tests.utils.wizard import CLOUD_PC_RG, NETWORK_RG, Tenant

RBAC_ADMINISTRATOR = "f58310d9-a9f6-439a-9e8d-f62e7b41a168"  # Role Based Access Control Administrator
DEPLOYMENTS = "Microsoft.Resources/deployments"


def lighthouse_tenant(api: ApiClient) -> Tenant:
    """A new customer (a site in its subscription) whose admin consented for Graph and chose the delegation."""
    tenant = Tenant(api, onboard=False)
    grant_app(tenant.emulator, tenant.entra_id)  # Graph consent only: no role in the customer's tenant yet
    assert api.patch(tenant.path, {"azureAccess": "lighthouse"}).status_code == 200
    return tenant


def deploy(tenant: Tenant, template: dict[str, Any], leave_out: str | None = None) -> list[str]:
    """What `az deployment sub create` does with the template, as the customer's admin: each registration definition,
    then each assignment at the subscription or in its nested deployment's resource group (`leave_out`: an assignment
    whose definition gives this role is not deployed); the assignments' ids."""
    sub = f"/subscriptions/{tenant.arm.subscription_id}"
    roles: dict[str, str] = {}
    placed: list[str] = []
    for resource in template["resources"]:
        if resource["type"].endswith("registrationDefinitions"):
            definition = f"{sub}/providers/{resource['type']}/{resource['name']}"
            tenant.arm.ok("PUT", definition, {"properties": resource["properties"]})
            roles[definition.lower()] = resource["properties"]["authorizations"][0]["roleDefinitionId"]
    at_scope = [(sub, r) for r in template["resources"] if r["type"].endswith("registrationAssignments")]
    nested = [r for r in template["resources"] if r["type"] == DEPLOYMENTS]
    at_scope += [
        (tenant.arm.group_id(d["resourceGroup"]), r) for d in nested for r in d["properties"]["template"]["resources"]
    ]
    for scope, resource in at_scope:
        if roles[resource["properties"]["registrationDefinitionId"].lower()] == leave_out:
            continue
        assignment = f"{scope}/providers/{resource['type']}/{resource['name']}"
        tenant.arm.ok("PUT", assignment, {"properties": resource["properties"]})
        placed.append(assignment)
    return placed


def let_the_app_give_users_roles(tenant: Tenant) -> None:
    """The report's one item for the customer's tenant: the app's registration there may give users their roles."""
    scope = tenant.arm.group_id(CLOUD_PC_RG)
    body = {
        "properties": {
            "roleDefinitionId": f"/providers/Microsoft.Authorization/roleDefinitions/{RBAC_ADMINISTRATOR}",
            "principalId": tenant.arm.service_principal(APP_CLIENT_ID),
            "principalType": "ServicePrincipal",
            "condition": assignment_condition(),
            "conditionVersion": "2.0",
        }
    }
    tenant.arm.ok("PUT", f"{scope}/providers/Microsoft.Authorization/roleAssignments/{tenant.entra_id}", body)


def azure_items(found: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(item["scope"], item["name"]): item for item in found["items"] if item["kind"] == "azureRole"}


def test_a_customer_who_deploys_the_delegation_is_ready_and_the_app_works_there_as_itself(api: ApiClient) -> None:
    tenant = lighthouse_tenant(api)
    subnets = f"{tenant.path}/sites/{tenant.site['id']}/subnets"
    before = report(api, tenant.path)
    assert before["ready"] is False
    assert {item["status"] for item in azure_items(before).values()} == {"missing"}
    assert before["customRole"] is None  # no custom role: a delegation takes built-in roles only
    assert api.get(subnets).status_code >= 400  # nothing delegated: the app cannot read the subscription

    delegation = api.get(f"{tenant.path}/onboarding/delegationTemplate").json()
    [template] = delegation["templates"]
    assert template["subscriptionId"] == tenant.arm.subscription_id
    assert "az deployment sub create" in template["command"]
    deploy(tenant, template["template"])
    let_the_app_give_users_roles(tenant)

    found = report(api, tenant.path)
    assert found["ready"] is True, [item for item in found["items"] if item["status"] != "present"]
    items = azure_items(found)
    sub = f"/subscriptions/{tenant.arm.subscription_id}"
    assert items[(sub, "Reader")]["status"] == "present"
    assert items[(tenant.arm.group_id(CLOUD_PC_RG), "Contributor")]["status"] == "present"
    assert items[(tenant.arm.group_id(NETWORK_RG), "Network Contributor")]["status"] == "present"
    assert items[(tenant.arm.group_id(CLOUD_PC_RG), USER_ROLES_ROLE)]["status"] == "present"
    listed = api.get(subnets)  # read through the delegation, as the app in its own tenant
    assert listed.status_code == 200, listed.text
    assert tenant.subnet_id.lower() in [s["id"].lower() for s in listed.json()["value"]]
    # the app sees every customer's delegated subscription as itself: the pick list keeps this customer's own
    other = lighthouse_tenant(api)
    [other_template] = api.get(f"{other.path}/onboarding/delegationTemplate").json()["templates"]
    deploy(other, other_template["template"])
    picked = api.get(f"{tenant.path}/azureSubscriptions").json()["value"]
    assert [s["subscriptionId"] for s in picked] == [tenant.arm.subscription_id]


def test_a_delegation_without_one_role_fails_that_check_naming_the_role(api: ApiClient) -> None:
    tenant = lighthouse_tenant(api)
    [template] = api.get(f"{tenant.path}/onboarding/delegationTemplate").json()["templates"]
    network_contributor = "4d97b98b-1d4f-4787-a291-c67834d212e7"
    deploy(tenant, template["template"], leave_out=network_contributor)
    let_the_app_give_users_roles(tenant)

    found = report(api, tenant.path)
    assert found["ready"] is False
    failing = [item for item in azure_items(found).values() if item["status"] != "present"]
    assert [(item["scope"], item["name"]) for item in failing] == [
        (tenant.arm.group_id(NETWORK_RG), "Network Contributor")
    ]
    assert "no Network Contributor here" in failing[0]["fix"]
    assert "delegationTemplate" in failing[0]["fix"]
