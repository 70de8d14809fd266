"""A customer tenant's onboarding report, as the app meets Entra and ARM there: consent missing, a Graph permission
and an Azure role missing, and everything present."""

from __future__ import annotations

from typing import Any

import pytest

from azure_emulator.launcher import APP_CLIENT_ID
from shared.catalog.app_access import AZURE_ACTIONS, CUSTOM_ROLE_NAME, actions_at
from shared.catalog.graph_permissions import GRAPH_PERMISSIONS
from tests.e2e.test_lifecycle import one_cloud_pc, status_becomes
from tests.e2e.test_provisioning import BIG_PLAN, PLAN
from tests.utils.api_client import ApiClient, eventually
from tests.utils.factories import site_body
from tests.utils.wizard import CLOUD_PC_RG, NETWORK_RG, Tenant

READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"  # the built-in Reader role's id


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
    # a site whose resource group was deleted after it was saved: its roles cannot be known, and nothing is invented
    tenant.arm.resource_group("rg-not-yet")
    body = site_body(displayName="Later", subscriptionId=tenant.arm.subscription_id, resourceGroupName="rg-not-yet")
    api.created(f"{tenant.path}/sites", body)
    tenant.arm.ok("DELETE", tenant.arm.group_id("rg-not-yet"))

    def gone() -> None:
        assert tenant.arm.call("GET", tenant.arm.group_id("rg-not-yet")).status_code == 404

    eventually(gone)  # ARM deletes a group as a long-running operation
    later = [item for item in report(api, tenant)["items"] if (item["scope"] or "").endswith("/rg-not-yet")]
    assert {item["status"] for item in later} == {"unknown"}  # no role can be read where nothing is
    assert all("az group create --name rg-not-yet" in item["fix"] for item in later)  # but what to do is said
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
    # User.ReadWrite.All (asked for the reclaim rule's reprocessing) lets assignLicense too: withheld as well
    tenant = Tenant(api, withhold=(licenses, "User.ReadWrite.All"))
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


def refused_work(api: ApiClient, tenant: Tenant, work: str) -> dict[str, Any]:
    """The tenant's background work of this kind, refused for want of a permission, as its summary shows it."""

    def shown() -> dict[str, Any]:
        found = {item["work"]: item for item in api.get(f"{tenant.path}/summary").json()["refusedWork"]}
        assert work in found, found
        return found[work]

    return eventually(shown, timeout_s=120)


def test_without_user_read_all_the_directory_notifications_on_users_are_refused_naming_it(api: ApiClient) -> None:
    # Directory.Read.All still reads the users; only following their changes needs User.Read.All itself
    tenant = Tenant(api, withhold=("User.Read.All",))
    found = report(api, tenant)
    assert by_name(found)["User.Read.All"]["status"] == "missing"
    refusal = refused_work(api, tenant, "directoryNotifications")
    assert refusal["code"] == "Authorization_RequestDenied"
    assert "changes of users: it needs the application permission User.Read.All" in refusal["message"]
    assert "/api/tenants/{tenantId}/onboarding" in refusal["message"]
    assert [item["work"] for item in found["refusedWork"]] == ["directoryNotifications"]
    tenant.onboard()  # the admin grants it: the report subscribes again, and the refusal goes
    assert api.get(f"{tenant.path}/summary").json()["refusedWork"] == []


def test_without_group_read_all_the_directory_notifications_on_groups_are_refused_naming_it(api: ApiClient) -> None:
    tenant = Tenant(api, withhold=("Group.Read.All",))
    assert by_name(report(api, tenant))["Group.Read.All"]["status"] == "missing"
    refusal = refused_work(api, tenant, "directoryNotifications")
    assert "changes of groups: it needs the application permission Group.Read.All" in refusal["message"]
    assert "changes of users" not in refusal["message"]  # users are still followed


def test_without_directory_read_all_a_users_change_is_refused_naming_it_until_granted(api: ApiClient) -> None:
    tenant = Tenant(api, withhold=("Directory.Read.All",))
    assert by_name(report(api, tenant))["Directory.Read.All"]["status"] == "missing"
    tenant.user("ada", [])
    tenant.group("Finance", ["ada"])
    tenant.assign(tenant.policy(), "Finance")
    tenant.user("ada", [PLAN])  # a user hint: the app confirms ada's direct membership (memberOf)
    refusal = refused_work(api, tenant, "userReconcile")  # a group's reconcile, which needs no memberOf, still works
    assert "needs the application permission Directory.Read.All" in refusal["message"], refusal
    assert "/api/tenants/{tenantId}/onboarding" in refusal["message"]
    tenant.onboard()  # nothing is missing now: the report has the tenant reconciled at once, and forgets the refusal
    assert api.get(f"{tenant.path}/summary").json()["refusedWork"] == []
    tenant.user("ada", [PLAN, BIG_PLAN])  # and the next change of the user is followed

    def provisioned() -> None:
        found = sorted(
            c["servicePlanId"]
            for c in api.get(f"{tenant.path}/cloudPCs").json()["value"]
            if c["status"] == "provisioned"
        )
        assert found == sorted([PLAN, BIG_PLAN]), found

    eventually(provisioned, timeout_s=120)


def test_without_device_read_write_all_the_clean_up_is_refused_naming_it(api: ApiClient) -> None:
    device = "Device.ReadWrite.All"
    tenant = Tenant(api, withhold=(device,))
    assert by_name(report(api, tenant))[device]["status"] == "missing"
    cloud_pc = one_cloud_pc(api, tenant)
    tenant.user("ann", [])  # license removed
    status_becomes(api, tenant, cloud_pc["id"], "inGracePeriod")
    assert api.post(f"{tenant.path}/cloudPCs/{cloud_pc['id']}/endGracePeriod").status_code == 202
    refusal = refused_work(api, tenant, "cleanUp")
    assert f"needs the application permission {device}" in refusal["message"], refusal
    timeline = api.get(f"{tenant.path}/cloudPCs/{cloud_pc['id']}/events").json()["value"]
    [line] = [e for e in timeline if e["name"] == "cleanUpRefused"]
    assert line["outcome"] == "failed" and device in line["message"]
    assert tenant.resources()["entraDevices"] != []  # nothing was pretended: the device is still there


@pytest.mark.parametrize(
    ("where", "action"),
    [
        (NETWORK_RG, "Microsoft.Network/virtualNetworks/subnets/join/action"),
        (CLOUD_PC_RG, "Microsoft.Compute/virtualMachines/write"),  # the VM, which makes its NIC, is refused first
    ],
)
def test_a_role_removed_at_one_resource_group_fails_provisioning_naming_its_action(
    api: ApiClient, where: str, action: str
) -> None:
    """The least-privileged set-up, one assignment per scope: Reader on the subscription (its reads), the custom role
    on the site's group and on the network's. Each group's assignment removed fails the work that needs it there."""
    tenant = Tenant(api)
    subscription = f"/subscriptions/{tenant.arm.subscription_id}"
    [broad] = tenant.arm.role_assignments_at(subscription)
    principal = tenant.arm.service_principal(APP_CLIENT_ID)
    role = tenant.arm.role_definition_id(CUSTOM_ROLE_NAME, subscription)
    tenant.arm.ok("DELETE", broad["id"])
    tenant.arm.assign(
        subscription, f"{subscription}/providers/Microsoft.Authorization/roleDefinitions/{READER}", principal
    )
    for group in (NETWORK_RG, CLOUD_PC_RG):
        tenant.arm.assign(f"{subscription}/resourceGroups/{group}", role, principal)
    assert report(api, tenant)["ready"] is True  # each scope holds what it needs
    connection = tenant.healthy_connection(
        connectionType="azureADJoin",
        adDomainName=None,
        adDomainUsername=None,
        adDomainPassword=None,
        organizationalUnit=None,
    )
    policy = tenant.policy(
        domainJoinConfigurations=[{"domainJoinType": "azureADJoin", "onPremisesConnectionId": connection["id"]}]
    )
    group = f"{subscription}/resourceGroups/{where}"
    [removed] = [a for a in tenant.arm.role_assignments_at(group) if a["properties"]["scope"].lower() == group.lower()]
    tenant.arm.ok("DELETE", removed["id"])

    scope = by_name_scope(report(api, tenant))[group]
    assert scope["status"] == "missing" and action in scope["missingActions"], scope
    tenant.user("ada", [PLAN])
    tenant.group("Finance", ["ada"])
    tenant.assign(policy, "Finance")
    [cloud_pc] = eventually(lambda: failed_cloud_pcs(api, tenant), timeout_s=120)
    detail = cloud_pc["statusDetail"]
    assert detail["code"] in ("AuthorizationFailed", "LinkedAuthorizationFailed"), detail
    assert action in detail["message"], detail
    assert "/api/tenants/{tenantId}/onboarding" in detail["message"]


def by_name_scope(found: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {item["scope"]: item for item in found["items"] if item["kind"] == "azureRole"}
