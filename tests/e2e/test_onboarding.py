"""A customer tenant's onboarding report, as the app meets Entra and ARM there: consent missing, a Graph permission
and an Azure role missing, and everything present."""

from __future__ import annotations

from typing import Any

from azure_emulator.launcher import APP_CLIENT_ID
from tests.utils.api_client import ApiClient
from tests.utils.factories import site_body
from tests.utils.wizard import Tenant

EVERYTHING = ["*"]


def report(api: ApiClient, tenant: Tenant) -> dict[str, Any]:
    reply = api.get(f"{tenant.path}/onboarding")
    assert reply.status_code == 200, reply.text
    return dict(reply.json())


def by_name(found: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {item["name"]: item for item in found["items"]}


def test_a_tenant_whose_admin_has_not_consented_gets_the_consent_link(api: ApiClient) -> None:
    tenant = Tenant(api)
    tenant.controls.app_access(APP_CLIENT_ID, consented=False)
    found = report(api, tenant)
    assert found["ready"] is False
    consent = by_name(found)["Admin consent"]
    assert consent["status"] == "missing"
    url = found["adminConsentUrl"]
    assert url.startswith("https://") and f"/{tenant.entra_id}/v2.0/adminconsent?client_id={APP_CLIENT_ID}" in url
    assert url in consent["fix"]
    # nothing else can be known without a token in the tenant
    assert {item["status"] for item in found["items"] if item["kind"] != "consent"} == {"unknown"}


def test_a_missing_graph_permission_and_azure_role_are_named_with_their_fix(api: ApiClient) -> None:
    tenant = Tenant(api)
    tenant.controls.app_access(
        APP_CLIENT_ID,
        graphPermissions=["User.Read.All", "GroupMember.Read.All", "Device.ReadWrite.All",
                          "DeviceManagementManagedDevices.ReadWrite.All"],  # no LicenseAssignment.ReadWrite.All
        azureActions=["Microsoft.Compute/*", "Microsoft.Network/*", "Microsoft.Authorization/roleAssignments/write"],
    )  # fmt: skip
    found = report(api, tenant)
    items = by_name(found)
    assert found["ready"] is False
    assert items["Admin consent"]["status"] == "present"
    assert items["LicenseAssignment.ReadWrite.All"]["status"] == "missing"
    assert "LicenseAssignment.ReadWrite.All" in items["LicenseAssignment.ReadWrite.All"]["fix"]
    assert items["User.Read.All"]["status"] == "present"
    role = items["Desktop Virtualization Contributor"]
    scope = f"/subscriptions/{tenant.arm.subscription_id}/resourceGroups/{tenant.site['resourceGroupName']}"
    assert (role["status"], role["scope"]) == ("missing", scope)
    assert role["fix"] == (
        f'az role assignment create --assignee {APP_CLIENT_ID} --role "Desktop Virtualization Contributor" '
        f"--scope {scope}"
    )
    assert {items[name]["status"] for name in ("Virtual Machine Contributor", "Network Contributor")} == {"present"}


def test_a_fully_onboarded_tenant_is_ready(api: ApiClient, tokens: Any) -> None:
    tenant = Tenant(api)  # the emulator's default: consented, every permission, every action
    found = report(api, tenant)
    assert found["ready"] is True, [item for item in found["items"] if item["status"] != "present"]
    assert {item["kind"] for item in found["items"]} == {"consent", "graphPermission", "azureRole"}
    assert all(item["fix"] is None for item in found["items"])
    # a site whose resource group is not made yet: its roles cannot be known, and nothing is invented for them
    body = site_body(displayName="Later", subscriptionId=tenant.arm.subscription_id, resourceGroupName="rg-not-yet")
    api.created(f"{tenant.path}/sites", body)
    later = [item for item in report(api, tenant)["items"] if (item["scope"] or "").endswith("/rg-not-yet")]
    assert {(item["status"], item["fix"]) for item in later} == {("unknown", None)}
    # a reader may read it; an unlinked tenant is told to link first
    unlinked = api.created("/tenants", {"displayName": "Not linked"})["id"]
    lonely = api.get(f"/tenants/{unlinked}/onboarding").json()
    assert (lonely["ready"], [item["kind"] for item in lonely["items"]]) == (False, ["link"])
