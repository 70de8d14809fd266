"""A customer tenant's onboarding: what the app needs there (consent, Graph permissions, Azure roles), read from
Entra and ARM as the app itself sees them, and planned into a checklist with the fix of each missing item."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from shared.catalog.app_access import AZURE_ROLES, GRAPH_PERMISSIONS
from shared.cloud.ports import TenantAccess
from shared.models.onboarding import OnboardingItem, OnboardingReport
from shared.models.sites import Site
from shared.models.tenants import Tenant
from shared.services.repositories import SiteStore


@dataclass(frozen=True)
class OnboardingPorts:
    sites: SiteStore
    access: TenantAccess
    app_client_id: str | None
    authority_host: str  # Entra's host: login.microsoftonline.com, or a sovereign cloud's
    graph_endpoint: str


def admin_consent_url(ports: OnboardingPorts, entra_tenant_id: str) -> str | None:
    """Entra's admin consent endpoint for the app: one sign-in by the customer's admin grants what it lists."""
    if not ports.app_client_id:
        return None
    query = urlencode({"client_id": ports.app_client_id, "scope": f"{ports.graph_endpoint.rstrip('/')}/.default"})
    return f"https://{ports.authority_host}/{entra_tenant_id}/v2.0/adminconsent?{query}"


def onboarding_report(ports: OnboardingPorts, tenant: Tenant) -> OnboardingReport:
    tenant_id = tenant.id
    if not tenant.entra_tenant_id:
        return plan_onboarding(tenant, None, None, [], ports.app_client_id)
    granted = ports.access.graph_permissions(tenant.entra_tenant_id)
    wanted = tuple(action for role in AZURE_ROLES for action in role.actions)
    per_site: list[tuple[Site, list[str] | None]] = [
        # without consent the app gets no token in the tenant, so ARM cannot be asked
        (site, None if granted is None else ports.access.missing_actions(
            tenant_id, site.subscription_id, site.resource_group_name, wanted))
        for site in ports.sites.list_all_sites(tenant_id)
    ]  # fmt: skip
    consent_url = admin_consent_url(ports, tenant.entra_tenant_id)
    return plan_onboarding(tenant, consent_url, granted, per_site, ports.app_client_id)


def plan_onboarding(
    tenant: Tenant,
    consent_url: str | None,
    granted: list[str] | None,
    missing_actions: list[tuple[Site, list[str] | None]],
    app_client_id: str | None,
) -> OnboardingReport:
    """The checklist: pure, from what was read. `granted` None: not consented; a site's actions None: not known."""
    items: list[OnboardingItem] = []
    if not tenant.entra_tenant_id:
        items.append(OnboardingItem(
            kind="link", name="Microsoft Entra tenant", status="missing",
            reason="the app follows the tenant's users, groups and licenses there",
            fix="Set the tenant's entraTenantId (PATCH /tenants/{tenantId}).",
        ))  # fmt: skip
        return OnboardingReport(tenant_id=tenant.id, ready=False, items=items)
    consent_fix = f"An admin of the customer's tenant opens {consent_url} and accepts." if consent_url else None
    items.append(OnboardingItem(
        kind="consent", name="Admin consent", status="missing" if granted is None else "present",
        reason="gives the app a service principal in the tenant, holding the permissions below",
        fix=consent_fix if granted is None else None,
    ))  # fmt: skip
    held = {name.lower() for name in granted or []}
    for permission in GRAPH_PERMISSIONS:
        status = "unknown" if granted is None else "present" if permission.name.lower() in held else "missing"
        items.append(OnboardingItem(
            kind="graphPermission", name=permission.name, status=status, reason=permission.reason,
            fix=None if status != "missing" else (
                f"Add the Microsoft Graph application permission {permission.name} to the app registration, "
                "then grant admin consent again" + (f" ({consent_url})." if consent_url else ".")
            ),
        ))  # fmt: skip
    for site, missing in sorted(missing_actions, key=lambda pair: pair[0].display_name.lower()):
        scope = f"/subscriptions/{site.subscription_id}/resourceGroups/{site.resource_group_name}"
        for role in AZURE_ROLES:
            status = "unknown" if missing is None else "missing" if set(role.actions) & set(missing) else "present"
            assignee = app_client_id or "<the app's client id>"
            items.append(OnboardingItem(
                kind="azureRole", name=role.name, scope=scope, status=status, reason=role.reason,
                fix=None if status != "missing" else (
                    f'az role assignment create --assignee {assignee} --role "{role.name}" --scope {scope}'
                ),
            ))  # fmt: skip
    ready = all(item.status == "present" for item in items)
    return OnboardingReport(
        tenant_id=tenant.id, entra_tenant_id=tenant.entra_tenant_id, admin_consent_url=consent_url, ready=ready,
        items=items,
    )  # fmt: skip
