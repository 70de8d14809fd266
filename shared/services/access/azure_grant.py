"""The customer's administrator grants the app its Azure roles in one step, with their own sign-in: the custom role,
its assignment in each subscription they pick (with its condition), and the roles Microsoft's services need there.

The administrator's ARM token is used for these writes only: it is passed in, never stored or logged, and dropped
when the request ends. What they may not grant is said before anything is written, so a grant is never half done
for want of a right; a write ARM refuses midway is answered as ARM said, and the grant can be run again (each write
is idempotent: the role keeps its GUID, an assignment held already counts as held)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, Protocol

from shared.catalog.app_access import (
    CUSTOM_ROLE_NAME,
    USER_ROLES_ROLE,
    USER_ROLES_ROLE_ID,
    assignment_condition,
    custom_role_properties,
)
from shared.errors import Conflict, ErrorDetail, Forbidden, Unavailable, ValidationFailed
from shared.models.onboarding import AdminSubscription, AzureGrant, AzureGrantRequest, GrantedRole
from shared.models.sites import Site
from shared.models.tenants import Tenant
from shared.ports.azure_grant import ADMIN_TOKEN_REFUSED, WRITE_REFUSED
from shared.ports.azure_grant import AzureGrant as AzureGrantPort
from shared.ports.cloud_errors import CloudError
from shared.services.access.azure_scopes import resource_group_scope
from shared.services.access.lighthouse import DEFINITIONS, delegation_template
from shared.services.access.onboarding import OnboardingReportPorts, onboarding_report

# what creating the custom role and assigning it take: Owner and User Access Administrator hold both
# (https://learn.microsoft.com/azure/role-based-access-control/custom-roles#who-can-create-delete-update-or-view-a-custom-role)
GRANT_ACTIONS = ("Microsoft.Authorization/roleDefinitions/write", "Microsoft.Authorization/roleAssignments/write")


# where the caller sends the administrator's token: what a refusal of it names
ADMIN_TOKEN_HEADER = "X-Azure-Admin-Token"


@contextmanager
def admin_refusals(header: str = ADMIN_TOKEN_HEADER, who: str = "the customer's Azure administrator") -> Iterator[None]:
    """Refusals of an administrator's sign-in as the caller's to fix: a token that is none, ran out or is another
    tenant's (400 at its header), a write their roles do not allow (403)."""
    try:
        yield
    except CloudError as exc:
        if exc.code == ADMIN_TOKEN_REFUSED:
            raise ValidationFailed.of(
                ErrorDetail("adminSignInRefused", f"{exc} Sign in again as {who}.", header)
            ) from exc
        if exc.code == WRITE_REFUSED:
            raise Forbidden(f"The grant was refused: {exc}", code="cannotGrant") from exc
        raise


class AzureGrantPorts(OnboardingReportPorts, Protocol):
    @property
    def grant(self) -> AzureGrantPort | None: ...
    @property
    def clock(self) -> Callable[[], datetime]: ...


def _grant(ports: AzureGrantPorts) -> AzureGrantPort:
    if ports.grant is None:
        raise Unavailable("This deployment cannot grant with an administrator's sign-in.", code="grantUnavailable")
    return ports.grant


def admin_subscriptions(ports: AzureGrantPorts, admin_token: str) -> list[AdminSubscription]:
    """The subscriptions the administrator's sign-in sees, by name, each saying whether they can grant there."""
    with admin_refusals():
        seen = _grant(ports).subscriptions(admin_token, GRANT_ACTIONS)
    return [
        AdminSubscription(
            subscription_id=s.subscription_id, display_name=s.display_name, state=s.state, can_grant=not s.lacking
        )
        for s in sorted(seen, key=lambda s: (s.display_name.lower(), s.subscription_id))
    ]


def custom_role_guid(entra_tenant_id: str) -> str:
    """The custom role's GUID when the grant creates it: the same on every try, so a retry updates, never doubles."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{entra_tenant_id.lower()}/roleDefinitions/{CUSTOM_ROLE_NAME}"))


def grant_azure_access(ports: AzureGrantPorts, tenant: Tenant, admin_token: str, body: AzureGrantRequest) -> AzureGrant:
    with admin_refusals():
        return _grant_azure_access(ports, tenant, admin_token, body)


def _grant_azure_access(
    ports: AzureGrantPorts, tenant: Tenant, admin_token: str, body: AzureGrantRequest
) -> AzureGrant:
    if not tenant.entra_tenant_id:
        raise Conflict("Link the tenant to its Microsoft Entra tenant first.", code="tenantNotLinked")
    grant = _grant(ports)
    wanted = list(dict.fromkeys(s.lower() for s in body.subscription_ids))
    seen = {s.subscription_id.lower(): s for s in grant.subscriptions(admin_token, GRANT_ACTIONS)}
    unseen = [
        ErrorDetail(
            "subscriptionNotVisible",
            f"Your sign-in sees no subscription {sub}: pick one from the list your sign-in sees.",
            f"subscriptionIds[{i}]",
        )
        for i, sub in enumerate(wanted)
        if sub not in seen
    ]
    if unseen:
        raise ValidationFailed.of(*unseen)
    lacking = [seen[sub] for sub in wanted if seen[sub].lacking]
    if lacking:
        names = ", ".join(f"{s.display_name} ({s.subscription_id})" for s in lacking)
        raise Forbidden(
            f"Your roles in {names} do not let you grant roles: that takes Owner or User Access Administrator there "
            f"(they lack {', '.join(lacking[0].lacking)}). Ask someone who holds one to sign in, or to run the "
            "commands on the onboarding page.",
            code="cannotGrant",
            target="subscriptionIds",
        )
    try:
        principal = grant.app_principal_id(tenant.id)
    except CloudError as exc:
        raise Conflict(
            "The app has no service principal in the customer's tenant yet: an admin gives admin consent first "
            "(the onboarding page's first item), then grants.",
            code="consentFirst",
        ) from exc
    granted: list[GrantedRole] = []
    backend = ports.backends.of_tenant(tenant)
    sites = ports.sites.list_all_sites(tenant.id)
    if backend.app_needs_azure_roles and tenant.azure_access == "lighthouse":
        granted += delegate(ports, grant, tenant, sites, admin_token, wanted, principal)
    elif backend.app_needs_azure_roles:
        granted += grant_custom_role(grant, tenant.entra_tenant_id, admin_token, wanted, principal)
    checks = backend.service_role_checks(ports, tenant.id, sites, consented=True, subscriptions=wanted)
    given: set[str] = set()  # the scopes where a service now holds its role
    for check in checks:
        if check.subscription_id.lower() not in wanted or not check.scope:
            continue
        given.add(check.scope.lower())
        if check.held:
            continue
        holder = grant.service_principal_id(tenant.id, check.role.app_id)
        if holder is None:  # the service has no principal in the tenant: the report says so in its own words
            given.discard(check.scope.lower())
            continue
        made = grant.assign(admin_token, check.scope, check.role.role_definition_id, holder, None)
        granted.append(_granted(check.role.name, check.scope, check.role.principal_name, made))
    backend.note_roles_granted(ports.sites, sites, given, ports.clock())
    return AzureGrant(granted=granted, report=onboarding_report(ports, tenant))


def grant_custom_role(
    grant: AzureGrantPort, entra_tenant_id: str, admin_token: str, wanted: list[str], principal: str
) -> list[GrantedRole]:
    """The custom role made assignable in each subscription (an existing one of that name keeps its GUID and its
    other scopes), then assigned there to the app with its condition."""
    found = next(
        (role for sub in wanted if (role := grant.find_custom_role(admin_token, sub, CUSTOM_ROLE_NAME)) is not None),
        None,
    )
    role_id = found.role_definition_id if found is not None else custom_role_guid(entra_tenant_id)
    scopes = [*(found.assignable_scopes if found is not None else ()), *(f"/subscriptions/{sub}" for sub in wanted)]
    grant.put_custom_role(admin_token, wanted[0], role_id, custom_role_properties(scopes))
    condition = assignment_condition()
    return [
        _granted(CUSTOM_ROLE_NAME, scope, "the app", grant.assign(admin_token, scope, role_id, principal, condition))
        for scope in (f"/subscriptions/{sub}" for sub in wanted)
    ]


def _granted(role: str, scope: str, holder: str, made: bool) -> GrantedRole:
    return GrantedRole(role=role, scope=scope, principal_name=holder, outcome="granted" if made else "alreadyHeld")


def delegate(
    ports: AzureGrantPorts,
    grant: AzureGrantPort,
    tenant: Tenant,
    sites: list[Site],
    admin_token: str,
    wanted: list[str],
    principal: str,
) -> list[GrantedRole]:
    """Under Azure Lighthouse: the delegation template's resources put as its deployment would put them (each
    registration definition at its subscription, each assignment at its scope), then, at each site's group, the narrow
    role that lets the app's registration in the customer's tenant give users their roles (no delegation can)."""
    named = tenant.model_copy(update={"subscription_ids": [*tenant.subscription_ids, *wanted]})
    granted: list[GrantedRole] = []
    for template in delegation_template(ports, ports.access, named).templates:
        if template.subscription_id.lower() not in wanted:
            continue
        subscription = f"/subscriptions/{template.subscription_id}"
        for scope, resource in _resources(subscription, template.template["resources"]):
            resource_id = f"{scope}/providers/{resource['type']}/{resource['name']}"
            grant.put_resource(admin_token, resource_id, resource["apiVersion"], {"properties": resource["properties"]})
            if resource["type"] == DEFINITIONS:
                name = resource["properties"]["registrationDefinitionName"]
                granted.append(GrantedRole(role=name, scope=scope, principal_name="the app", outcome="granted"))
    condition = assignment_condition()
    for site in sites:
        if site.subscription_id.lower() in wanted:
            scope = resource_group_scope(site.subscription_id, site.resource_group_name)
            made = grant.assign(admin_token, scope, USER_ROLES_ROLE_ID, principal, condition)
            granted.append(_granted(USER_ROLES_ROLE, scope, "the app", made))
    return granted


def _resources(subscription: str, resources: list[dict[str, Any]]) -> Iterator[tuple[str, dict[str, Any]]]:
    """A subscription-level template's resources with the scope each goes at: its own, or a nested deployment's
    resource group."""
    for resource in resources:
        if resource["type"] == "Microsoft.Resources/deployments":
            group = f"{subscription}/resourceGroups/{resource['resourceGroup']}"
            yield from ((group, inner) for inner in resource["properties"]["template"]["resources"])
        else:
            yield subscription, resource
