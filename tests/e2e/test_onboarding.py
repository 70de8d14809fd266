"""A customer tenant's onboarding report, as the app meets Entra and ARM there: consent missing, a Graph permission
and an Azure role missing, and everything present."""

from __future__ import annotations

from typing import Any

from azure_emulator.launcher import APP_CLIENT_ID
from shared.catalog.app_access import AZURE_ACTIONS, CUSTOM_ROLE_NAME, GRAPH_PERMISSIONS, actions_at
from tests.e2e.test_lifecycle import one_cloud_pc
from tests.e2e.test_provisioning import BIG_PLAN, PLAN
from tests.utils.api_client import ApiClient, eventually
from tests.utils.factories import site_body
from tests.utils.wizard import NETWORK_RG, Tenant


def report(api: ApiClient, tenant: Tenant) -> dict[str, Any]:
    reply = api.get(f"{tenant.path}/onboarding")
    assert reply.status_code == 200, reply.text
    return dict(reply.json())


def by_name(found: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {item["name"]: item for item in found["items"]}


def test_a_tenant_whose_admin_has_not_consented_gets_the_consent_link(api: ApiClient) -> None:
    tenant = Tenant(api, onboard=False)  # a new tenant grants the app nothing
    found = report(api, tenant)
    assert found["ready"] is False
    consent = by_name(found)["Admin consent"]
    assert consent["status"] == "missing"
    url = found["adminConsentUrl"]
    assert url.startswith("https://") and f"/{tenant.entra_id}/v2.0/adminconsent?client_id={APP_CLIENT_ID}" in url
    assert url in consent["fix"]
    # nothing else can be known without a token in the tenant
    assert {item["status"] for item in found["items"] if item["kind"] != "consent"} == {"unknown"}


def test_a_missing_graph_permission_and_an_action_missing_at_the_subscription_are_told_apart(api: ApiClient) -> None:
    tenant = Tenant(api)
    granted = [p.name for p in GRAPH_PERMISSIONS if p.name != "LicenseAssignment.ReadWrite.All"]
    tenant.controls.app_access(APP_CLIENT_ID, graphPermissions=granted)  # the admin removed one permission
    subscription = f"/subscriptions/{tenant.arm.subscription_id}"
    [assignment] = [a for a in tenant.arm.role_assignments_at(subscription)]  # the onboarding gave it there
    tenant.arm.ok("DELETE", assignment["id"])
    site_group = f"{subscription}/resourceGroups/{tenant.site['resourceGroupName']}"
    role = tenant.arm.role_definition_id(CUSTOM_ROLE_NAME, subscription)
    tenant.arm.assign(site_group, role, tenant.arm.service_principal(APP_CLIENT_ID))  # only at the site's group

    found = report(api, tenant)
    items, scopes = by_name(found), {item["scope"]: item for item in found["items"] if item["kind"] == "azureRole"}
    assert found["ready"] is False
    assert items["Admin consent"]["status"] == "present"
    assert items["LicenseAssignment.ReadWrite.All"]["status"] == "missing"
    assert "LicenseAssignment.ReadWrite.All" in items["LicenseAssignment.ReadWrite.All"]["fix"]
    assert items["User.Read.All"]["status"] == "present"
    assert scopes[subscription]["status"] == "missing"
    assert set(scopes[subscription]["missingActions"]) == set(actions_at("subscription"))
    assert (
        f'az role assignment create --assignee {APP_CLIENT_ID} --role "{CUSTOM_ROLE_NAME}" --scope {subscription} '
        f'--condition "{found["customRoleCondition"]}" --condition-version "2.0"'
    ) in scopes[subscription]["fix"]
    assert scopes[site_group]["status"] == "present"
    network_group = f"{subscription}/resourceGroups/{NETWORK_RG}"
    assert scopes[network_group]["status"] == "missing"


def test_a_fully_onboarded_tenant_is_ready(api: ApiClient, tokens: Any) -> None:
    tenant = Tenant(api)  # onboarded as its report says: consent, the custom role, its assignments
    found = report(api, tenant)
    assert found["ready"] is True, [item for item in found["items"] if item["status"] != "present"]
    assert {item["kind"] for item in found["items"]} == {"consent", "graphPermission", "azureRole"}
    assert all(item["fix"] is None for item in found["items"])
    assert found["customRole"]["Actions"] == list(dict.fromkeys(a.action for a in AZURE_ACTIONS))
    # a site whose resource group is not made yet: its roles cannot be known, and nothing is invented for them
    body = site_body(displayName="Later", subscriptionId=tenant.arm.subscription_id, resourceGroupName="rg-not-yet")
    api.created(f"{tenant.path}/sites", body)
    later = [item for item in report(api, tenant)["items"] if (item["scope"] or "").endswith("/rg-not-yet")]
    assert {(item["status"], item["fix"]) for item in later} == {("unknown", None)}
    # a reader may read it; an unlinked tenant is told to link first
    unlinked = api.created("/tenants", {"displayName": "Not linked"})["id"]
    lonely = api.get(f"/tenants/{unlinked}/onboarding").json()
    assert (lonely["ready"], [item["kind"] for item in lonely["items"]]) == (False, ["link"])


def test_work_refused_for_want_of_an_action_fails_at_once_naming_it(api: ApiClient) -> None:
    tenant = Tenant(api)
    subscription = f"/subscriptions/{tenant.arm.subscription_id}"
    [assignment] = [a for a in tenant.arm.role_assignments_at(subscription)]
    tenant.arm.ok("DELETE", assignment["id"])  # the admin took the app's role away
    tenant.user("ada", [PLAN])
    tenant.group("Finance", ["ada"])
    policy = tenant.policy()
    tenant.assign(policy, "Finance")
    [cloud_pc] = eventually(lambda: failed_cloud_pcs(api, tenant), timeout_s=120)
    assert cloud_pc["statusDetail"]["code"] == "AuthorizationFailed", cloud_pc["statusDetail"]
    message = cloud_pc["statusDetail"]["message"]
    assert "does not have authorization to perform action 'Microsoft." in message
    assert "/api/tenants/{tenantId}/onboarding" in message
    events = api.get(f"{tenant.path}/cloudPCs/{cloud_pc['id']}/events").json()["value"]
    assert {e["attempt"] for e in events if e["kind"] == "step"} == {1}  # never retried as transient
    assert "could not be removed either" in message  # nor could its VM be: the clean-up sweep takes it later




def failed_cloud_pcs(api: ApiClient, tenant: Tenant) -> list[dict[str, Any]]:
    found = [c for c in api.get(f"{tenant.path}/cloudPCs").json()["value"] if c["status"] == "failed"]
    assert found, "no failed Cloud PC yet"
    return found


def test_without_its_intune_permission_provisioning_fails_at_once_naming_it(api: ApiClient) -> None:
    intune = "DeviceManagementManagedDevices.ReadWrite.All"
    tenant = Tenant(api, withhold=(intune,))
    assert by_name(report(api, tenant))[intune]["status"] == "missing"
    tenant.user("ada", [PLAN])
    tenant.group("Finance", ["ada"])
    tenant.assign(tenant.policy(), "Finance")
    [cloud_pc] = eventually(lambda: failed_cloud_pcs(api, tenant), timeout_s=120)
    detail = cloud_pc["statusDetail"]
    assert detail["code"] == "Authorization_RequestDenied", detail
    assert f"needs the application permission {intune}" in detail["message"]
    assert "/api/tenants/{tenantId}/onboarding" in detail["message"]
    events = api.get(f"{tenant.path}/cloudPCs/{cloud_pc['id']}/events").json()["value"]
    assert {e["attempt"] for e in events if e["kind"] == "step"} == {1}


def test_without_license_assignment_a_resize_fails_naming_the_permission(api: ApiClient) -> None:
    licenses = "LicenseAssignment.ReadWrite.All"
    tenant = Tenant(api, withhold=(licenses,))
    assert by_name(report(api, tenant))[licenses]["status"] == "missing"
    cloud_pc = one_cloud_pc(api, tenant)
    reply = api.post(f"{tenant.path}/cloudPCs/{cloud_pc['id']}/resize", {"targetServicePlanId": BIG_PLAN})
    assert reply.status_code == 202, reply.text

    def refused() -> dict[str, Any]:
        detail = api.get(f"{tenant.path}/cloudPCs/{cloud_pc['id']}").json()["statusDetail"] or {}
        assert detail.get("code") == "resizeFailed", detail
        return dict(detail)

    detail = eventually(refused, timeout_s=120)
    assert f"needs the application permission {licenses}" in detail["message"]
    assert tenant.graph.licensed_plans(tenant.uid("ann")) == [PLAN]  # nothing moved


def test_a_permission_consented_after_the_apps_first_token_works_at_once(api: ApiClient) -> None:
    withheld = ("Group.Read.All", "Directory.Read.All")  # either lets the app search the directory's groups
    tenant = Tenant(api, withhold=withheld)
    tenant.group("Finance", [])
    refused = api.get(f"{tenant.path}/directoryGroups?search=fin")
    assert refused.status_code == 503, refused.text
    assert "needs the application permission Group.Read.All" in refused.json()["error"]["message"]
    tenant.onboard()  # the admin consents again: the app's cached token still lacks the permissions
    found = api.get(f"{tenant.path}/directoryGroups?search=fin")
    assert found.status_code == 200, found.text
    assert [group["displayName"] for group in found.json()["value"]] == ["Finance"]
