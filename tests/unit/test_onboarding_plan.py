"""The onboarding checklist planned from what Entra and ARM answered: pure, one case per way a tenant falls short."""

from __future__ import annotations

from datetime import UTC, datetime

from shared.catalog.app_access import AZURE_ROLES, GRAPH_PERMISSIONS
from shared.models.onboarding import OnboardingReport
from shared.models.sites import Site
from shared.models.tenants import Tenant
from shared.services.onboarding import plan_onboarding

NOW = datetime(2026, 11, 23, tzinfo=UTC)
ENTRA = "0e6c1d2a-1111-4222-8333-944455556666"
TENANT = Tenant(
    id="t1", display_name="Contoso", entra_tenant_id=ENTRA, created_date_time=NOW, last_modified_date_time=NOW
)
SITE = Site.model_validate({
    "id": "s1", "tenantId": "t1", "displayName": "EU", "regionName": "westeurope",
    "subscriptionId": "6f9619ff-8b86-d011-b42d-00cf4fc964ff", "resourceGroupName": "rg-cloudpcs",
    "createdDateTime": NOW, "lastModifiedDateTime": NOW,
})  # fmt: skip
ALL_GRAPH = [p.name for p in GRAPH_PERMISSIONS]


def statuses(report: OnboardingReport) -> dict[str, str]:
    return {item.name: item.status for item in report.items}


def test_everything_present_is_ready_with_no_fix() -> None:
    report = plan_onboarding(TENANT, "https://consent", ALL_GRAPH, [(SITE, [])], "app-id")
    assert report.ready and all(item.fix is None for item in report.items)
    assert len(report.items) == 1 + len(GRAPH_PERMISSIONS) + len(AZURE_ROLES)


def test_no_consent_asks_for_it_and_knows_nothing_else() -> None:
    report = plan_onboarding(TENANT, "https://consent", None, [(SITE, None)], "app-id")
    found = statuses(report)
    assert not report.ready and found["Admin consent"] == "missing"
    assert "https://consent" in (report.items[0].fix or "")
    assert {status for name, status in found.items() if name != "Admin consent"} == {"unknown"}
    assert [item.fix for item in report.items if item.status == "unknown"] == [None] * (len(found) - 1)


def test_a_permission_granted_in_any_case_counts() -> None:
    granted = [name.upper() for name in ALL_GRAPH]
    assert statuses(plan_onboarding(TENANT, None, granted, [], None))["User.Read.All"] == "present"


def test_a_role_is_missing_when_any_of_its_actions_is() -> None:
    network = next(role for role in AZURE_ROLES if role.name == "Network Contributor")
    report = plan_onboarding(TENANT, None, ALL_GRAPH, [(SITE, [network.actions[-1]])], "app-id")
    found = statuses(report)
    assert found["Network Contributor"] == "missing" and found["Virtual Machine Contributor"] == "present"
    [item] = [item for item in report.items if item.name == "Network Contributor"]
    assert item.fix == (
        'az role assignment create --assignee app-id --role "Network Contributor" '
        "--scope /subscriptions/6f9619ff-8b86-d011-b42d-00cf4fc964ff/resourceGroups/rg-cloudpcs"
    )


def test_an_unlinked_tenant_is_told_to_link_first() -> None:
    unlinked = TENANT.model_copy(update={"entra_tenant_id": None})
    report = plan_onboarding(unlinked, None, None, [], None)
    assert [item.kind for item in report.items] == ["link"] and not report.ready
