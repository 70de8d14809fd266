"""A customer tenant's onboarding: what the app needs there (consent, Graph permissions, Azure roles), read from
Entra and ARM as the app itself sees them, and planned into a checklist with the fix of each missing item."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Protocol
from urllib.parse import urlencode

from shared.catalog.app_access import (
    BUILT_IN_ROLES,
    CUSTOM_ROLE_NAME,
    assignment_condition,
    custom_role,
    custom_role_command,
)
from shared.catalog.graph_permissions import (
    EMAIL,
    RECLAIM,
    app_role_command,
    consent_permissions,
    graph_permissions,
)
from shared.models.onboarding import BuiltInAlternative, OnboardingItem, OnboardingReport
from shared.models.refused_work import RECONCILES
from shared.models.tenants import Tenant
from shared.ports.alerts import AlertStore
from shared.ports.backend_choice import BackendChoice
from shared.ports.backend_facets import AccessBackend, ServiceRoleCheck
from shared.ports.directory import TenantWatch
from shared.ports.queues import EventPublisher
from shared.ports.service_role_ports import ServiceRolePorts
from shared.ports.stores import RefusedWorkStore, SiteStore
from shared.services.access.azure_scopes import ScopeCheck, absent_scope_fix, connection_subnets, scopes_of
from shared.services.access.lighthouse import delegation_items


class ConsentPorts(Protocol):
    """Where the tenant's admin consents to the app (admin_consent_url)."""

    @property
    def app_client_id(self) -> str | None: ...
    @property
    def authority_host(self) -> str: ...
    @property
    def graph_endpoint(self) -> str: ...
    @property
    def portal_url(self) -> str | None: ...


class OnboardingReportPorts(ServiceRolePorts, ConsentPorts, Protocol):
    """What the app needs in a tenant, as Entra and ARM answer, and the refused work a fix lets go on."""

    @property
    def sites(self) -> SiteStore: ...
    @property
    def backends(self) -> BackendChoice[AccessBackend]: ...
    @property
    def directory_subscriptions(self) -> TenantWatch | None: ...
    @property
    def refusals(self) -> RefusedWorkStore | None: ...
    @property
    def events(self) -> EventPublisher | None: ...
    @property
    def alerts(self) -> AlertStore | None: ...


# Where admin consent returns: a Web redirect URI of its own beside the portal, not the portal's address, which is the
# registration's single-page-application sign-in redirect URI (a Web redirect is a plain browser redirect, answered by
# the portal's server: triggers/http_portal.py sends it on to the portal with its query)
CONSENT_RETURN = "consent"


def consent_return_url(portal_url: str) -> str:
    return f"{portal_url}{CONSENT_RETURN}"


def admin_consent_url(ports: ConsentPorts, tenant: Tenant) -> str | None:
    """Entra's admin consent endpoint for the app: one sign-in by the customer's admin grants what it lists, and
    Entra sends them back to the portal with the outcome and the app's tenant id as the state."""
    if not ports.app_client_id or not tenant.entra_tenant_id:
        return None
    asked = {"client_id": ports.app_client_id, "scope": f"{ports.graph_endpoint.rstrip('/')}/.default"}
    back = {"redirect_uri": consent_return_url(ports.portal_url), "state": tenant.id} if ports.portal_url else {}
    query = urlencode(asked | back)
    entra_tenant_id = tenant.entra_tenant_id
    return f"https://{ports.authority_host}/{entra_tenant_id}/v2.0/adminconsent?{query}"


def uses_email(ports: OnboardingReportPorts, tenant: Tenant) -> bool:
    """Whether the app sends mail from the tenant's mailboxes: the reclaim rule e-mailing users, or an enabled alert
    rule with an e-mail channel."""
    if tenant.reclaim is not None and tenant.reclaim.enabled and tenant.reclaim.email_user:
        return True
    if ports.alerts is None:
        return False
    skip_token: str | None = None
    while True:
        rules, skip_token = ports.alerts.list_alert_rules(tenant.id, skip_token=skip_token)
        if any(rule.enabled and any(c.kind == "email" for c in rule.channels) for rule in rules):
            return True
        if skip_token is None:
            return False


def uses_of(ports: OnboardingReportPorts, tenant: Tenant) -> frozenset[str]:
    """What the tenant makes of the app that only some tenants need Graph permissions for (EMAIL, RECLAIM)."""
    return frozenset([*([EMAIL] if uses_email(ports, tenant) else []), *([RECLAIM] if tenant.reclaiming else [])])


def onboarding_report(ports: OnboardingReportPorts, tenant: Tenant) -> OnboardingReport:
    if not tenant.entra_tenant_id:
        return plan_onboarding(tenant, None, None, [], ports.app_client_id)
    granted = ports.access.graph_permissions(tenant.entra_tenant_id)
    if granted is not None and ports.directory_subscriptions is not None:
        # consent may be new: subscribe to the tenant's directory changes now rather than on the timer's next run
        # (idempotent: only what is missing is created; never raises)
        ports.directory_subscriptions.tenant_linked(tenant)
    # Windows 365 works in the customer's Azure as itself (its own service principal, which its connections' health
    # checks verify), never as the app: the app needs Azure roles only where it provisions, and Windows 365's are
    # listed where its connections and images are
    sites = ports.sites.list_all_sites(tenant.id)
    scopes = scopes_of(sites, connection_subnets(ports, tenant.id), tenant.subscription_ids)
    backend = ports.backends.of_tenant(tenant)
    delegated = backend.app_needs_azure_roles and tenant.azure_access == "lighthouse"
    checks = [
        # without consent the app gets no token in the tenant, so ARM cannot be asked
        replace(
            check,
            missing=None
            if granted is None
            else ports.access.missing_actions(tenant.id, check.subscription_id, check.resource_group, check.actions),
        )
        for check in (scopes if backend.app_needs_azure_roles and not delegated else [])
    ]
    service_roles = backend.service_role_checks(
        ports, tenant.id, sites, consented=granted is not None, subscriptions=tenant.subscription_ids
    )
    consent_url = admin_consent_url(ports, tenant)
    uses = uses_of(ports, tenant)
    report = plan_onboarding(
        tenant,
        consent_url,
        granted,
        checks,
        ports.app_client_id,
        service_roles,
        uses,
        azure_unnamed=backend.app_needs_azure_roles and not scopes,
    )
    if delegated:  # its Azure roles are a Lighthouse delegation's, checked role by role, not the custom role's
        consented = granted is not None
        report.items += delegation_items(
            ports.access, tenant, scopes, consented=consented, app_client_id=ports.app_client_id
        )
        report.ready = all(item.status == "present" for item in report.items)
    if ports.refusals is not None:
        refused = ports.refusals.list_refused(tenant.id)
        if report.ready and ports.events is not None and any(item.work in RECONCILES for item in refused):
            # every permission is there now: the admin's fix takes effect at once, not at the next drift reconcile,
            # and what was refused is forgotten (the reconcile that follows reads everything again)
            ports.events.publish_directory_event(tenant.id, full=True)
            for item in refused:
                if item.work in RECONCILES:
                    ports.refusals.delete_refused(tenant.id, item.work)
            refused = [item for item in refused if item.work not in RECONCILES]
        report.refused_work = refused
    return report


def plan_onboarding(
    tenant: Tenant,
    consent_url: str | None,
    granted: list[str] | None,
    checks: list[ScopeCheck],
    app_client_id: str | None,
    service_roles: Sequence[ServiceRoleCheck] = (),
    uses: frozenset[str] = frozenset(),
    *,
    azure_unnamed: bool = False,
) -> OnboardingReport:
    """The checklist: pure, from what was read. `granted` None: not consented; a scope's `missing` None: not known;
    `service_roles`: the roles other services' principals need, each held, not held or not known; `uses`: what the
    tenant makes of the app that only some tenants need permissions for (EMAIL, RECLAIM); `azure_unnamed`: the app
    makes the tenant's Cloud PCs in Azure but no subscription is named or holds a site yet, so it can make none."""
    items: list[OnboardingItem] = []
    if not tenant.entra_tenant_id:
        items.append(
            OnboardingItem(
                kind="link",
                name="Microsoft Entra tenant",
                status="missing",
                reason="the app follows the tenant's users, groups and licenses there",
                fix="Set the tenant's entraTenantId (PATCH /tenants/{tenantId}).",
            )
        )
        return OnboardingReport(tenant_id=tenant.id, ready=False, items=items)
    consent_fix = f"An admin of the customer's tenant opens {consent_url} and accepts." if consent_url else None
    asked = [permission.name for permission in consent_permissions()]
    items.append(
        OnboardingItem(
            kind="consent",
            name="Admin consent",
            status="missing" if granted is None else "present",
            reason=f"Entra's consent page asks for {', '.join(asked[:-1])} and {asked[-1]}, which every tenant needs; "
            "it gives the app a service principal in the tenant, holding those and the permissions granted below; "
            "a Spot host's eviction watcher gets its token for the app's API from it (without it Entra refuses that "
            "token, AADSTS500011, and an eviction is not heard until the next optimization run)",
            fix=consent_fix if granted is None else None,
        )
    )
    held = {name.lower() for name in granted or []}
    assignee = app_client_id or "<the app's client id>"
    for permission in graph_permissions(tenant.cloud_pc_backend, uses):
        status = "unknown" if granted is None else "present" if permission.name.lower() in held else "missing"
        by_consent = permission.name in asked
        items.append(
            OnboardingItem(
                kind="graphPermission",
                name=permission.name,
                status=status,
                reason=permission.reason
                + ("" if by_consent else " (granted to this tenant alone: the consent page does not ask for it)"),
                fix=None
                if status != "missing"
                else (
                    f"An administrator of the customer's tenant grants admin consent again ({consent_url}), or runs "
                    "the command."
                    if by_consent and consent_url
                    else f"An administrator of the customer's Entra tenant (a Privileged Role Administrator or Global "
                    f"Administrator) grants {permission.name}, with any other Graph permission missing, by signing in "
                    "on the portal's onboarding page (POST /tenants/{tenantId}/onboarding:grantGraphPermissions), "
                    "or runs the command."
                ),
                command=app_role_command(permission.name, assignee) if status == "missing" else None,
            )
        )
    if azure_unnamed:
        items.append(
            OnboardingItem(
                kind="link",
                name="Azure subscription",
                status="missing",
                reason="the app makes the tenant's Cloud PCs and session hosts in the customer's subscriptions, and "
                "needs its role in one before a site can be picked there",
                fix="The customer's Azure administrator signs in on the portal's onboarding page and picks the "
                "subscriptions, and the app grants itself its role there (POST "
                "/tenants/{tenantId}/onboarding:grantAzureAccess); or name them in the tenant's subscriptionIds "
                "(PATCH /tenants/{tenantId}) and follow the custom role's commands this report then gives.",
            )
        )
    subscriptions = sorted({check.subscription_id for check in checks})
    define = custom_role_command(subscriptions)
    condition = assignment_condition()
    for check in checks:
        status = "unknown" if check.missing is None else "missing" if check.missing else "present"
        assign = (
            f'az role assignment create --assignee {assignee} --role "{CUSTOM_ROLE_NAME}" --scope {check.scope} '
            f'--condition "{condition}" --condition-version "2.0"'
        )
        items.append(
            OnboardingItem(
                kind="azureRole",
                name=CUSTOM_ROLE_NAME,
                scope=check.scope,
                status=status,
                reason="; ".join(check.reasons),
                missing_actions=check.missing or [],
                fix=(absent_scope_fix(check) if status == "unknown" and granted is not None else None)
                if status != "missing"
                else (
                    f"Missing here: {', '.join(check.missing or [])}. Create the {CUSTOM_ROLE_NAME} role once, with "
                    "the command under the checklist (where the role exists already, run it as `az role definition "
                    "update` so that its assignable scopes take in this one), then: "
                    f"{assign} (the condition lets the app give only the roles it gives)"
                ),
                command=assign if status == "missing" else None,
            )
        )
    for service in service_roles:
        role = service.role
        status = "unknown" if service.held is None else "present" if service.held else "missing"
        assign = f'az role assignment create --assignee {role.app_id} --role "{role.name}" --scope {service.scope}'
        items.append(
            OnboardingItem(
                kind="azureRole",
                name=role.name,
                scope=service.scope,
                status=status,
                reason=f"for {role.principal_name}, not the app: {role.reason}",
                fix=None
                if status != "missing"
                else (
                    f"{assign} (the {role.principal_name} service principal; the app does not give itself or others "
                    "this role)"
                ),
                command=assign if status == "missing" else None,
            )
        )
    ready = all(item.status == "present" for item in items)
    return OnboardingReport(
        tenant_id=tenant.id,
        entra_tenant_id=tenant.entra_tenant_id,
        admin_consent_url=consent_url,
        ready=ready,
        items=items,
        custom_role=custom_role(subscriptions) if subscriptions else None,
        custom_role_command=define if subscriptions else None,
        custom_role_condition=condition if subscriptions else None,
        built_in_alternatives=[
            BuiltInAlternative(
                name=r.name, role_definition_id=r.role_definition_id, scope=r.scope, over_grants=r.over_grants
            )
            for r in BUILT_IN_ROLES
        ]
        if subscriptions
        else [],
    )
