"""The onboarding checklist planned from what Entra and ARM answered: pure, one case per way a tenant falls short."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime

from shared.catalog.app_access import AZURE_ACTIONS, CUSTOM_ROLE_NAME, SERVICE_ROLES
from shared.catalog.graph_permissions import GRAPH_PERMISSIONS, graph_permissions
from shared.models.onboarding import OnboardingReport
from shared.models.sites import Site
from shared.models.tenants import Tenant
from shared.services.access.azure_scopes import scopes_of
from shared.services.access.onboarding import ServiceRoleCheck, admin_consent_url, plan_onboarding

NOW = datetime(2026, 11, 23, tzinfo=UTC)
ENTRA = "0e6c1d2a-1111-4222-8333-944455556666"
SUB = "6f9619ff-8b86-d011-b42d-00cf4fc964ff"
TENANT = Tenant(
    id="t1", display_name="Contoso", entra_tenant_id=ENTRA, created_date_time=NOW, last_modified_date_time=NOW
)
SITE = Site.model_validate(
    {
        "id": "s1",
        "tenantId": "t1",
        "displayName": "EU",
        "regionName": "westeurope",
        "subscriptionId": SUB,
        "resourceGroupName": "rg-cloudpcs",
        "subnetId": f"/subscriptions/{SUB}/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/v"
        "/subnets/s",
        "createdDateTime": NOW,
        "lastModifiedDateTime": NOW,
    }
)
ALL_GRAPH = [p.name for p in graph_permissions("azure")]
CHECKS = scopes_of([SITE])


def statuses(report: OnboardingReport) -> dict[str, str]:
    return {item.scope or item.name: item.status for item in report.items}


def test_a_site_is_checked_at_its_subscription_its_group_and_its_network_group() -> None:
    assert [check.scope for check in CHECKS] == [
        f"/subscriptions/{SUB}",
        f"/subscriptions/{SUB}/resourceGroups/rg-cloudpcs",
        f"/subscriptions/{SUB}/resourceGroups/rg-net",
    ]
    every = {check_action for check in CHECKS for check_action in check.actions}
    assert every == {item.action for item in AZURE_ACTIONS}


def test_a_connection_on_a_network_of_its_own_is_checked_there_too() -> None:
    other = f"/subscriptions/{SUB}/resourceGroups/rg-branch/providers/Microsoft.Network/virtualNetworks/b/subnets/s"
    checks = scopes_of([SITE], [other, other])
    branch = [check for check in checks if check.scope == f"/subscriptions/{SUB}/resourceGroups/rg-branch"]
    assert len(branch) == 1 and "Microsoft.Network/virtualNetworks/subnets/join/action" in branch[0].actions
    assert len(checks) == len(CHECKS) + 1


def test_everything_present_is_ready_with_no_fix() -> None:
    report = plan_onboarding(TENANT, "https://consent", ALL_GRAPH, [replace(c, missing=[]) for c in CHECKS], "app")
    assert report.ready and all(item.fix is None for item in report.items)
    assert len(report.items) == 1 + len(ALL_GRAPH) + len(CHECKS)
    assert report.custom_role is not None and report.custom_role["AssignableScopes"] == [f"/subscriptions/{SUB}"]
    assert {alternative.name for alternative in report.built_in_alternatives} >= {"Virtual Machine Contributor"}
    assert all(alternative.over_grants for alternative in report.built_in_alternatives)


def test_no_consent_asks_for_it_and_knows_nothing_else() -> None:
    report = plan_onboarding(TENANT, "https://consent", None, CHECKS, "app-id")
    found = statuses(report)
    assert not report.ready and found["Admin consent"] == "missing"
    assert "https://consent" in (report.items[0].fix or "")
    assert "eviction watcher" in report.items[0].reason  # a Spot host's token for the app's API needs the consent
    assert {status for name, status in found.items() if name != "Admin consent"} == {"unknown"}
    assert [item.fix for item in report.items if item.status == "unknown"] == [None] * (len(found) - 1)


def test_a_permission_granted_in_any_case_counts() -> None:
    granted = [name.upper() for name in ALL_GRAPH]
    assert statuses(plan_onboarding(TENANT, None, granted, [], None))["User.Read.All"] == "present"


def test_a_role_missing_at_the_subscription_is_told_apart_from_one_missing_at_a_group() -> None:
    subscription, group, network = CHECKS
    checks = [
        replace(subscription, missing=["Microsoft.Compute/skus/read"]),
        replace(group, missing=[]),
        replace(network, missing=[]),
    ]
    report = plan_onboarding(TENANT, None, ALL_GRAPH, checks, "app-id")
    found = statuses(report)
    assert (found[subscription.scope], found[group.scope], found[network.scope]) == ("missing", "present", "present")
    [item] = [item for item in report.items if item.status == "missing"]
    assert (item.name, item.missing_actions) == (CUSTOM_ROLE_NAME, ["Microsoft.Compute/skus/read"])
    assert item.fix is not None and item.fix.startswith("Missing here: Microsoft.Compute/skus/read.")
    assert (report.custom_role_command or "").startswith("az role definition create --role-definition '{")
    assert (
        f'az role assignment create --assignee app-id --role "{CUSTOM_ROLE_NAME}" --scope /subscriptions/{SUB} '
        f'--condition "{report.custom_role_condition}" --condition-version "2.0"'
    ) in item.fix


def test_an_unlinked_tenant_is_told_to_link_first() -> None:
    unlinked = TENANT.model_copy(update={"entra_tenant_id": None})
    report = plan_onboarding(unlinked, None, None, [], None)
    assert [item.kind for item in report.items] == ["link"] and not report.ready


def test_an_azure_tenant_is_asked_for_what_the_app_does_itself_and_not_for_windows_365() -> None:
    report = plan_onboarding(TENANT, "https://consent", ALL_GRAPH, [replace(c, missing=[]) for c in CHECKS], "app")
    asked = {item.name for item in report.items if item.kind == "graphPermission"}
    assert "CloudPC.ReadWrite.All" not in asked and "Device.ReadWrite.All" in asked


def test_a_windows_365_tenant_is_asked_for_the_cloud_pc_api_and_no_azure_role() -> None:
    tenant = TENANT.model_copy(update={"cloud_pc_backend": "windows365"})
    directory = ["User.Read.All", "Group.Read.All", "Directory.Read.All"]
    report = plan_onboarding(tenant, "https://consent", directory, [], "app")
    missing = [item for item in report.items if item.status == "missing"]
    assert [item.name for item in missing] == ["CloudPC.ReadWrite.All"] and not report.ready
    assert "CloudPC.ReadWrite.All" in (missing[0].fix or "")
    assert {item.kind for item in report.items} == {"consent", "graphPermission"}
    asked = {item.name for item in report.items if item.kind == "graphPermission"}
    assert asked == {*directory, "CloudPC.ReadWrite.All"}  # Windows 365 manages devices and licenses itself
    assert report.custom_role is None and report.built_in_alternatives == []
    every = [p.name for p in GRAPH_PERMISSIONS if "windows365" in p.backends]
    assert plan_onboarding(tenant, "https://consent", every, [], "app").ready


def test_a_group_azure_does_not_know_says_how_to_make_it_and_counts_as_unknown() -> None:
    subscription, group, network = CHECKS
    checks = [replace(subscription, missing=[]), replace(group, missing=None), replace(network, missing=[])]
    report = plan_onboarding(TENANT, None, ALL_GRAPH, checks, "app-id")
    [item] = [item for item in report.items if item.status == "unknown"]
    assert item.scope == group.scope and not report.ready
    assert item.fix is not None and f"az group create --name {group.resource_group}" in item.fix


def test_azure_virtual_desktop_s_role_is_asked_where_a_personal_group_stops_hosts_and_told_apart_from_the_app_s() -> (
    None
):
    everything = [replace(c, missing=[]) for c in CHECKS]
    [role] = SERVICE_ROLES
    wanted = ServiceRoleCheck(role, SUB, f"/subscriptions/{SUB}/resourceGroups/rg-cloudpcs")
    for held, status in ((True, "present"), (False, "missing"), (None, "unknown")):
        report = plan_onboarding(TENANT, None, ALL_GRAPH, everything, "app", [replace(wanted, held=held)])
        [item] = [item for item in report.items if item.name == "Desktop Virtualization Power On Contributor"]
        assert (item.kind, item.scope, item.status) == (
            "azureRole",
            f"/subscriptions/{SUB}/resourceGroups/rg-cloudpcs",
            status,
        )
        assert item.reason.startswith("for Azure Virtual Desktop, not the app: lets Azure Virtual Desktop start")
        assert report.ready is (held is True)
    assert item.fix is None
    missing = plan_onboarding(TENANT, None, ALL_GRAPH, everything, "app", [replace(wanted, held=False)])
    [fix] = [item.fix for item in missing.items if item.status == "missing"]
    assert fix is not None and fix.startswith(
        'az role assignment create --assignee 9cdead84-a844-4324-93f2-b2e6bb768d07 --role "Desktop Virtualization '
        f'Power On Contributor" --scope /subscriptions/{SUB}/resourceGroups/rg-cloudpcs'
    )


@dataclass(frozen=True)
class Consent:
    app_client_id: str | None = "app-1"
    authority_host: str = "login.microsoftonline.com"
    graph_endpoint: str = "https://graph.microsoft.com/"
    portal_url: str | None = "https://cloudpcs.azurewebsites.net/api/portal/"


def test_admin_consent_comes_back_to_the_portal_with_the_apps_tenant_as_its_state() -> None:
    assert admin_consent_url(Consent(), TENANT) == (
        f"https://login.microsoftonline.com/{ENTRA}/v2.0/adminconsent?client_id=app-1"
        "&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default"
        "&redirect_uri=https%3A%2F%2Fcloudpcs.azurewebsites.net%2Fapi%2Fportal%2Fconsent&state=t1"
    )
    assert "redirect_uri" not in str(
        admin_consent_url(Consent(portal_url=None), TENANT)
    )  # a script's, answered in JSON
    assert admin_consent_url(Consent(app_client_id=None), TENANT) is None
    assert admin_consent_url(Consent(), TENANT.model_copy(update={"entra_tenant_id": None})) is None
