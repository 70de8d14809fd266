"""TenantAccess over Entra and ARM: the Graph permissions in the app's own token, its actions per resource group.

A Graph token for the app in the customer's tenant lists the application permissions granted in its `roles` claim
(Entra refuses the token with AADSTS700016 when no admin has consented to the app there); ARM's permissions API
answers what the app's role assignments let it do on a scope. Both are what the app itself would meet at work.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from azure.core.exceptions import ClientAuthenticationError, HttpResponseError

from shared.cloud.azure.arm_clients import ArmClients
from shared.cloud.azure.arm_network_checks import permissions_allow
from shared.cloud.azure.credentials import NOT_CONSENTED, AzureCredentials, token_claims
from shared.cloud.azure.graph_client import GraphClients, odata_string
from shared.ports.cloud_errors import CloudError
from shared.ports.tenant_access import TenantInformation

PERMISSIONS_API = "2022-04-01"
MANAGED_SERVICES_API = "2022-10-01"


class AzureTenantAccess:
    """Implements TenantAccess (shared.ports.tenant_access)."""

    def __init__(
        self, credentials: AzureCredentials, clients: ArmClients, graph_endpoint: str, graph: GraphClients | None = None
    ) -> None:
        self._credentials, self._clients, self._graph = credentials, clients, graph
        self._scope = f"{graph_endpoint.rstrip('/')}/.default"

    def graph_permissions(self, entra_tenant_id: str) -> list[str] | None:
        try:
            # a fresh credential: consent taken back an hour ago must show, whatever token the app still holds
            token = self._credentials.uncached(entra_tenant_id).get_token(self._scope).token
        except ClientAuthenticationError as exc:
            if any(code in str(exc) for code in NOT_CONSENTED):
                return None
            raise
        claims = token_claims(token)
        # an admin reads this after granting: the app's own calls use the grant at once, and a refusal for want of
        # consent the app still remembered is forgotten
        if self._graph is not None:
            self._graph.renew(entra_tenant_id)
        else:
            self._credentials.forget(entra_tenant_id)
        return sorted(str(role) for role in claims.get("roles", []))

    def find_tenant(self, domain_name: str) -> TenantInformation | None:
        """Graph's tenant lookup by domain, asked in the app's own tenant, where the app holds
        CrossTenantInformation.ReadBasic.All (https://learn.microsoft.com/graph/api/
        tenantrelationship-findtenantinformationbydomainname)."""
        if self._graph is None:
            return None
        own = self._graph.client_for_entra(self._credentials.own_entra_tenant_id())
        path = f"tenantRelationships/findTenantInformationByDomainName(domainName={odata_string(domain_name)})"
        found = own.get_or_none(path, step="findTenant")
        if found is None:
            return None
        return TenantInformation(
            tenant_id=str(found["tenantId"]),
            display_name=str(found.get("displayName") or ""),
            default_domain_name=str(found.get("defaultDomainName") or domain_name),
            federation_brand_name=found.get("federationBrandName"),
        )

    def missing_actions(
        self,
        tenant_id: str,
        subscription_id: str,
        resource_group: str | None,
        actions: tuple[str, ...],
        *,
        in_customer_tenant: bool = False,
    ) -> list[str] | None:
        # as the customer's tenant's registration: asked of a site's group only (the subscription's read below goes
        # through the identity the app works with)
        clients = self._clients.user_roles if in_customer_tenant else self._clients.authorization
        authorization = clients(tenant_id, subscription_id)
        try:
            if resource_group is not None:
                permissions = list(authorization.permissions.list_for_resource_group(resource_group))
            else:
                permissions = self._subscription_permissions(tenant_id, subscription_id)
        except HttpResponseError as exc:
            if exc.status_code == 403:  # AuthorizationFailed: no role at all there, not even to read
                return list(actions)
            if exc.status_code == 404:  # no such subscription or group (yet): nothing to tell
                return None
            raise
        return [action for action in actions if not permissions_allow(permissions, (action,))]

    def service_role_held(
        self, tenant_id: str, subscription_id: str, scope: str, app_id: str, role_definition_id: str
    ) -> bool | None:
        """The service principal through Graph (servicePrincipals by appId), then its role assignments that apply to
        the scope (at it or above: ARM's list for a scope without atScope() also lists those below, left out here)."""
        if self._graph is None:
            return None
        step = "serviceRoleHeld"
        params = {"$filter": f"appId eq '{app_id}'", "$select": "id"}
        try:
            found = list(self._graph.client(tenant_id).pages("servicePrincipals", step=step, params=params))
        except CloudError:  # Graph refused (Directory.Read.All missing, which the report shows) or failed
            return None
        if not found:
            return False
        principal = str(found[0]["id"])
        authorization = self._clients.authorization(tenant_id, subscription_id)
        try:
            held = authorization.role_assignments.list_for_scope(scope, filter=f"principalId eq '{principal}'")
            assignments = list(held)
        except HttpResponseError as exc:
            if exc.status_code in (403, 404):  # no read there, or no such group: nothing to tell
                return None
            raise
        wanted, here = role_definition_id.lower(), scope.lower().rstrip("/")
        return any(
            str(a.role_definition_id or "").rstrip("/").rsplit("/", 1)[-1].lower() == wanted
            and (here + "/").startswith(str(a.scope or "").lower().rstrip("/") + "/")
            for a in assignments
        )

    def delegated_roles(self, tenant_id: str, subscription_id: str, scope: str) -> set[str] | None:
        """The registration assignments at the subscription and at the scope, each with its definition
        (https://learn.microsoft.com/rest/api/managedservices/registration-assignments/list): the roles of the
        authorizations naming the app's own principal in its own tenant, from those assigned at the scope or above."""
        own_tenant, own_principal = self.app_identity()
        subscription = f"/subscriptions/{subscription_id}"
        held: set[str] = set()
        for at in dict.fromkeys([subscription, scope]):
            url = (
                f"{self._clients.endpoint}{at}/providers/Microsoft.ManagedServices/registrationAssignments"
                f"?api-version={MANAGED_SERVICES_API}&$expandRegistrationDefinition=true"
            )
            response = self._clients.get_url(tenant_id, subscription_id, url, "readDelegations")
            if response.status_code == 403:  # no delegation reaching here lets the app read (Reader does)
                continue
            if response.status_code == 404:
                return None
            if response.status_code >= 400:
                raise HttpResponseError(response=response)
            for assignment in response.json().get("value") or []:
                definition = (assignment.get("properties") or {}).get("registrationDefinition") or {}
                props = definition.get("properties") or {}
                if str(props.get("managedByTenantId") or "").lower() != own_tenant.lower():
                    continue
                held |= {
                    str(a.get("roleDefinitionId") or "").rstrip("/").rsplit("/", 1)[-1].lower()
                    for a in props.get("authorizations") or []
                    if str(a.get("principalId") or "").lower() == own_principal.lower()
                    and not a.get("delegatedRoleDefinitionIds")
                }
        return held

    def app_identity(self) -> tuple[str, str]:
        return self._credentials.own_entra_tenant_id(), self._credentials.own_principal_id()

    def _subscription_permissions(self, tenant_id: str, subscription_id: str) -> list[Any]:
        """ARM's permissions at subscription scope (the SDK offers only a group's and a resource's)."""
        url = (
            f"{self._clients.endpoint}/subscriptions/{subscription_id}/providers/Microsoft.Authorization/permissions"
            f"?api-version={PERMISSIONS_API}"
        )
        response = self._clients.get_url(tenant_id, subscription_id, url, "readPermissions")
        if response.status_code >= 400:
            raise HttpResponseError(response=response)
        return [
            SimpleNamespace(actions=block.get("actions") or [], not_actions=block.get("notActions") or [])
            for block in response.json().get("value") or []
        ]
