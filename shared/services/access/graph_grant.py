"""The customer's Entra administrator grants the app, in one step with their own sign-in, the Graph permissions the
tenant uses beyond what admin consent gives every tenant (graph_permissions.consent_permissions).

Each is an app role assignment of Microsoft Graph to the app's service principal
(https://learn.microsoft.com/graph/permissions-grant-via-msgraph). The administrator's Graph token is used for these
writes only: passed in, never stored or logged. Each write is idempotent (a role held already counts as held), so
the grant can be run again after any refusal."""

from __future__ import annotations

from typing import Protocol

from shared.catalog.graph_permissions import graph_permissions
from shared.errors import Conflict, Unavailable
from shared.models.onboarding import GrantedPermission, GraphGrant
from shared.models.tenants import Tenant
from shared.ports.graph_grant import GraphGrant as GraphGrantPort
from shared.services.access.azure_grant import admin_refusals
from shared.services.access.onboarding import OnboardingReportPorts, onboarding_report, uses_of

# where the caller sends the administrator's Graph token: what a refusal of it names
ENTRA_ADMIN_TOKEN_HEADER = "X-Entra-Admin-Token"


class GraphGrantPorts(OnboardingReportPorts, Protocol):
    @property
    def graph_grant(self) -> GraphGrantPort | None: ...


def grant_graph_permissions(ports: GraphGrantPorts, tenant: Tenant, admin_token: str) -> GraphGrant:
    """Grants every Graph permission the tenant's report lists as missing; the report after it."""
    grant = ports.graph_grant
    if grant is None or not ports.app_client_id:
        raise Unavailable("This deployment cannot grant with an administrator's sign-in.", code="grantUnavailable")
    entra = tenant.entra_tenant_id
    if not entra:
        raise Conflict("Link the tenant to its Microsoft Entra tenant first.", code="tenantNotLinked")
    granted: list[GrantedPermission] = []
    with admin_refusals(ENTRA_ADMIN_TOKEN_HEADER, "an administrator of the customer's Entra tenant"):
        graph = grant.graph_app_roles(admin_token, entra)  # the sign-in first: a refused one costs no other read
        held = ports.access.graph_permissions(entra)
        principal = grant.principal_id(admin_token, entra, ports.app_client_id) if held is not None else None
        if principal is None:
            raise Conflict(
                "The app has no service principal in the customer's tenant yet: an admin gives admin consent first "
                "(the onboarding page's first item), then grants.",
                code="consentFirst",
            )
        has = {name.lower() for name in held or []}
        wanted = graph_permissions(tenant.cloud_pc_backend, uses_of(ports, tenant))
        missing = [p.name for p in wanted if p.name.lower() not in has]  # as the report lists them
        for name in missing:
            role = graph.role_ids.get(name)
            if role is None:
                raise Unavailable(f"Microsoft Graph offers no application permission {name} here.", code="noSuchRole")
            made = grant.assign_app_role(admin_token, entra, principal, graph.resource_id, role)
            granted.append(GrantedPermission(permission=name, outcome="granted" if made else "alreadyHeld"))
    return GraphGrant(granted=granted, report=onboarding_report(ports, tenant))
