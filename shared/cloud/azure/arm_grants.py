"""AzureGrant over ARM: role writes made with a customer administrator's own token, which is held for one call.

The token is the administrator's delegated ARM token (user_impersonation), passed in by the caller: each call builds
its client around it and closes it, so nothing keeps it. The app's own identity in the customer's tenant is read from
the app's own ARM token there (its `oid`), and other services' principals through Graph, as the report finds them.
"""

from __future__ import annotations

import uuid
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Any

from azure.core.exceptions import ClientAuthenticationError, HttpResponseError, ResourceExistsError
from azure.core.rest import HttpRequest
from azure.mgmt.authorization import AuthorizationManagementClient
from azure.mgmt.authorization.v2022_04_01.models import Permission, RoleAssignmentCreateParameters, RoleDefinition
from azure.mgmt.compute import ComputeManagementClient

from shared.cloud.azure.arm_inventory import SUBSCRIPTIONS_API
from shared.cloud.azure.arm_network_checks import permissions_allow
from shared.cloud.azure.credentials import AzureCredentials, GivenToken, token_claims
from shared.cloud.azure.graph_client import GraphClients
from shared.cloud.azure.tenant_access import PERMISSIONS_API
from shared.cloud.azure.transport import ARM_PATIENCE, http_transport
from shared.ports.azure_grant import ADMIN_TOKEN_REFUSED, WRITE_REFUSED, CustomRoleFound, SubscriptionSeen
from shared.ports.cloud_errors import CloudError

ARM_SCOPE = "https://management.azure.com/.default"
STEP = "grantAzureAccess"


class ArmGrants:
    """Implements AzureGrant (shared.ports.azure_grant)."""

    def __init__(self, credentials: AzureCredentials, arm_endpoint: str, graph: GraphClients | None) -> None:
        self._credentials, self._graph = credentials, graph
        self._endpoint = arm_endpoint.rstrip("/")

    @contextmanager
    def _client(self, admin_token: str, subscription_id: str = "-", kind: Any = AuthorizationManagementClient) -> Any:
        """A client of `kind` around the administrator's token, closed when done (`kind` ComputeManagementClient for
        raw reads: the multi-API authorization client sends no raw request); ARM's refusals as CloudErrors."""
        try:
            credential = GivenToken(admin_token)
        except (ValueError, IndexError, TypeError) as exc:  # not a JWT at all
            raise CloudError(STEP, ADMIN_TOKEN_REFUSED, "The administrator's token is not a token.") from exc
        client = kind(credential, subscription_id, base_url=self._endpoint, transport=http_transport(ARM_PATIENCE))
        try:
            with client:
                yield client
        except ClientAuthenticationError as exc:
            raise CloudError(STEP, ADMIN_TOKEN_REFUSED, f"Azure refused the administrator's sign-in: {exc}") from exc
        except HttpResponseError as exc:
            if exc.status_code == 401:
                raise CloudError(STEP, ADMIN_TOKEN_REFUSED, f"Azure refused the sign-in: {exc.message}") from exc
            if exc.status_code == 403:
                raise CloudError(STEP, WRITE_REFUSED, str(exc.message)) from exc
            raise

    def _get(self, client: ComputeManagementClient, url: str) -> Any:
        response = client.send_request(HttpRequest("GET", url))
        if response.status_code >= 400:
            raise HttpResponseError(response=response)
        return response.json()

    def subscriptions(self, admin_token: str, asked: tuple[str, ...]) -> list[SubscriptionSeen]:
        found: list[SubscriptionSeen] = []
        with self._client(admin_token, kind=ComputeManagementClient) as client:
            url: str | None = f"{self._endpoint}/subscriptions?api-version={SUBSCRIPTIONS_API}"
            rows: list[dict[str, Any]] = []
            while url:
                body = self._get(client, url)
                rows += [row for row in body.get("value") or [] if isinstance(row, dict) and row.get("subscriptionId")]
                url = body.get("nextLink")
            for row in rows:
                sub = str(row["subscriptionId"])
                permissions = self._get(
                    client,
                    f"{self._endpoint}/subscriptions/{sub}/providers/Microsoft.Authorization/permissions"
                    f"?api-version={PERMISSIONS_API}",
                )
                blocks = [
                    SimpleNamespace(actions=b.get("actions") or [], not_actions=b.get("notActions") or [])
                    for b in permissions.get("value") or []
                ]
                lacking = tuple(action for action in asked if not permissions_allow(blocks, (action,)))
                found.append(
                    SubscriptionSeen(sub, str(row.get("displayName") or sub), str(row.get("state") or ""), lacking)
                )
        return found

    def app_principal_id(self, tenant_id: str) -> str:
        try:
            # a fresh credential: consent given a moment ago counts, whatever refusal the app still remembers
            entra = self._credentials.entra_tenant_id(tenant_id)
            token = self._credentials.uncached(entra).get_token(ARM_SCOPE).token
        except ClientAuthenticationError as exc:
            raise CloudError(STEP, "notConsented", str(exc)) from exc
        # consented: the app's own calls there (the service principals' look-up next) forget any refusal remembered
        if self._graph is not None:
            self._graph.renew(entra)
        else:
            self._credentials.forget(entra)
        return str(token_claims(token)["oid"])

    def service_principal_id(self, tenant_id: str, app_id: str) -> str | None:
        if self._graph is None:
            return None
        params = {"$filter": f"appId eq '{app_id}'", "$select": "id"}
        try:
            found = list(self._graph.client(tenant_id).pages("servicePrincipals", step=STEP, params=params))
        except CloudError:  # Graph refused (a permission the report names) or failed: that role is left to the report
            return None
        return str(found[0]["id"]) if found else None

    def find_custom_role(self, admin_token: str, subscription_id: str, role_name: str) -> CustomRoleFound | None:
        with self._client(admin_token, subscription_id) as client:
            escaped = role_name.replace("'", "''")
            listed = client.role_definitions.list(
                f"/subscriptions/{subscription_id}", filter=f"roleName eq '{escaped}'"
            )
            for role in listed:
                if str(role.role_type or "").lower() == "customrole" and role.name:
                    return CustomRoleFound(str(role.name), tuple(role.assignable_scopes or ()))
        return None

    def put_custom_role(
        self, admin_token: str, subscription_id: str, role_definition_id: str, role: dict[str, Any]
    ) -> None:
        with self._client(admin_token, subscription_id) as client:
            client.role_definitions.create_or_update(
                f"/subscriptions/{subscription_id}",
                role_definition_id,
                RoleDefinition(
                    role_name=role["roleName"],
                    description=role["description"],
                    role_type=role["type"],
                    permissions=[
                        Permission(actions=p["actions"], not_actions=p["notActions"]) for p in role["permissions"]
                    ],
                    assignable_scopes=role["assignableScopes"],
                ),
            )

    def assign(
        self, admin_token: str, scope: str, role_definition_id: str, principal_id: str, condition: str | None
    ) -> bool:
        subscription_id = scope.strip("/").split("/")[1]
        definition = (
            f"/subscriptions/{subscription_id}/providers/Microsoft.Authorization/roleDefinitions/{role_definition_id}"
        )
        # the same name on every try, so that a retry finds its own assignment rather than making a second
        name = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{scope.lower()}/{principal_id}/{role_definition_id}".lower()))
        parameters = RoleAssignmentCreateParameters(
            role_definition_id=definition,
            principal_id=principal_id,
            principal_type="ServicePrincipal",
            condition=condition,
            condition_version="2.0" if condition else None,
        )
        with self._client(admin_token, subscription_id) as client:
            try:
                client.role_assignments.create(scope, name, parameters)
            except ResourceExistsError:  # RoleAssignmentExists: held already, under another name
                return False
        return True

    def put_resource(self, admin_token: str, resource_id: str, api_version: str, body: dict[str, Any]) -> None:
        subscription_id = resource_id.strip("/").split("/")[1]
        url = f"{self._endpoint}{resource_id}?api-version={api_version}"
        with self._client(admin_token, subscription_id, kind=ComputeManagementClient) as client:
            response = client.send_request(HttpRequest("PUT", url, json=body))
            if response.status_code >= 400:
                raise HttpResponseError(response=response)
