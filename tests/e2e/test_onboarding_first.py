"""A new customer onboarded before its first site: found by its domain name, its subscription named, the app's role
asked for there and granted, then the subscription and its resource groups picked for the first site."""

from __future__ import annotations

import uuid

from shared.catalog.app_access import CUSTOM_ROLE_NAME, actions_at
from tests.utils.api_client import ApiClient
from tests.utils.arm_admin import ArmAdmin, Controls
from tests.utils.factories import site_body
from tests.utils.onboarding import apply_fixes, report
from tests.utils.wizard import CLOUD_PC_RG, emulator_from_environment


def test_a_customer_is_found_by_its_domain_name(api: ApiClient) -> None:
    entra, name = str(uuid.uuid4()), f"fabrikam{uuid.uuid4().hex[:6]}"
    Controls(emulator_from_environment(), entra).organization(
        displayName="Fabrikam", domains=[f"{name}.onmicrosoft.com", f"{name}.com"]
    )
    found = api.get("/tenantLookup", params={"domainName": f"{name.upper()}.com"})
    assert found.status_code == 200, found.text
    assert found.json() == {
        "tenantId": entra,
        "displayName": "Fabrikam",
        "defaultDomainName": f"{name}.onmicrosoft.com",
        "federationBrandName": None,
    }

    unknown = api.get("/tenantLookup", params={"domainName": f"nobody{uuid.uuid4().hex[:6]}.example"})
    error = unknown.json()["error"]
    assert (unknown.status_code, error["code"], error["target"]) == (404, "tenantNotFound", "domainName")
    typed = api.get("/tenantLookup", params={"domainName": "not a domain"})
    assert (typed.status_code, typed.json()["error"]["details"][0]["target"]) == (400, "domainName")
    assert api.get("/tenantLookup").status_code == 400  # the domain name is required


def test_the_report_asks_for_the_role_at_a_named_subscription_before_any_site(api: ApiClient) -> None:
    emulator = emulator_from_environment()
    entra = str(uuid.uuid4())
    arm = ArmAdmin(emulator, entra).waiting_out_throttles()
    arm.resource_group(CLOUD_PC_RG)  # what the customer already has in Azure
    body = {"displayName": f"Tenant {entra[:6]}", "entraTenantId": entra, "subscriptionIds": [arm.subscription_id]}
    tenant = api.created("/tenants", body)
    assert tenant["subscriptionIds"] == [arm.subscription_id]
    path, subscription = f"/tenants/{tenant['id']}", f"/subscriptions/{arm.subscription_id}"

    before = report(api, path)
    [role] = [item for item in before["items"] if item["kind"] == "azureRole"]
    assert (role["name"], role["scope"], role["status"]) == (CUSTOM_ROLE_NAME, subscription, "unknown")  # no consent
    assert api.get(f"{path}/sites").json()["value"] == []

    found = apply_fixes(api, path, emulator, entra)  # consent, then the role where the report asks for it
    assert found["ready"] is True, found
    [role] = [item for item in found["items"] if item["kind"] == "azureRole"]
    assert (role["scope"], role["status"]) == (subscription, "present")

    # the role is taken away again: the report names what is missing at the subscription
    [assignment] = arm.role_assignments_at(subscription)
    arm.ok("DELETE", assignment["id"])
    [role] = [item for item in report(api, path)["items"] if item["kind"] == "azureRole"]
    assert role["status"] == "missing" and set(role["missingActions"]) == set(actions_at("subscription"))
    found = apply_fixes(api, path, emulator, entra)
    assert found["ready"] is True, found

    # granted: the site form's pick lists show the subscription by name and its resource groups, nothing typed
    [listed] = api.get(f"{path}/azureSubscriptions").json()["value"]
    assert listed["subscriptionId"] == arm.subscription_id and listed["displayName"]
    groups = api.get(f"{path}/azureSubscriptions/{arm.subscription_id}/resourceGroups").json()["value"]
    assert CLOUD_PC_RG in [group["name"] for group in groups]
    api.created(f"{path}/sites", site_body(subscriptionId=listed["subscriptionId"], resourceGroupName=CLOUD_PC_RG))

    # the list is the tenant's to change (an administrator's write), and a subscription named twice counts once
    other = str(uuid.uuid4())
    changed = api.patch(path, {"subscriptionIds": [other, arm.subscription_id]})
    assert changed.status_code == 200, changed.text
    scopes = [item["scope"] for item in report(api, path)["items"] if item["kind"] == "azureRole"]
    assert scopes.count(subscription) == 1 and f"/subscriptions/{other}" in scopes
