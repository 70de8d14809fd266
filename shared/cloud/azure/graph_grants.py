"""GraphGrant over Microsoft Graph: app role assignments made with a customer administrator's own Graph token, which
is held for one call (https://learn.microsoft.com/graph/api/serviceprincipal-post-approleassignedto)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from azure.core.exceptions import ClientAuthenticationError

from shared.catalog.graph_permissions import GRAPH_APP_ID
from shared.cloud.azure.credentials import GivenToken, token_claims
from shared.cloud.azure.graph_client import GraphClient, GraphError, error_of, odata_string
from shared.ports.azure_grant import ADMIN_TOKEN_REFUSED, WRITE_REFUSED
from shared.ports.cloud_errors import CloudError
from shared.ports.graph_grant import GraphAppRoles

STEP = "grantGraphPermissions"
# Graph's answer to an app role its principal holds already (a 400 Request_BadRequest): the grant counts it as held
ALREADY_ASSIGNED = "Permission being assigned already exists"


class GraphGrants:
    """Implements GraphGrant (shared.ports.graph_grant)."""

    def __init__(self, graph_endpoint: str) -> None:
        self._endpoint = graph_endpoint

    @contextmanager
    def _client(self, admin_token: str, entra_tenant_id: str) -> Iterator[GraphClient]:
        """A client around the administrator's token, closed when done; Graph's refusals of it as CloudErrors. A token
        of another tenant is refused here: Graph would take it, and act in that other tenant."""
        try:
            credential = GivenToken(admin_token)
            tenant = str(token_claims(admin_token).get("tid") or "")
        except (ValueError, IndexError, TypeError) as exc:  # not a JWT at all
            raise CloudError(STEP, ADMIN_TOKEN_REFUSED, "The administrator's token is not a token.") from exc
        if tenant.lower() != entra_tenant_id.lower():
            raise CloudError(
                STEP, ADMIN_TOKEN_REFUSED, f"That sign-in is to another Entra tenant ({tenant or 'none'})."
            )
        client = GraphClient(self._endpoint, credential)
        try:
            yield client
        except ClientAuthenticationError as exc:
            raise CloudError(STEP, ADMIN_TOKEN_REFUSED, f"Entra refused the administrator's sign-in: {exc}") from exc
        except GraphError as exc:
            if exc.status == 401:
                raise CloudError(STEP, ADMIN_TOKEN_REFUSED, f"Graph refused the sign-in: {exc}") from exc
            if exc.status == 403:
                raise CloudError(
                    STEP,
                    WRITE_REFUSED,
                    "Graph refused the administrator's call: granting the app its permissions takes the Privileged "
                    "Role Administrator or Global Administrator role, and the sign-in's consent to "
                    "AppRoleAssignment.ReadWrite.All and Application.Read.All.",
                ) from exc
            raise
        finally:
            client.close()

    def graph_app_roles(self, admin_token: str, entra_tenant_id: str) -> GraphAppRoles:
        with self._client(admin_token, entra_tenant_id) as client:
            found = client.call(
                "GET", f"servicePrincipals(appId='{GRAPH_APP_ID}')", step=STEP, params={"$select": "id,appRoles"}
            )
        roles = {str(r["value"]): str(r["id"]) for r in found.get("appRoles") or [] if r.get("value")}
        return GraphAppRoles(resource_id=str(found["id"]), role_ids=roles)

    def principal_id(self, admin_token: str, entra_tenant_id: str, app_id: str) -> str | None:
        params = {"$filter": f"appId eq {odata_string(app_id)}", "$select": "id"}
        with self._client(admin_token, entra_tenant_id) as client:
            found = list(client.pages("servicePrincipals", step=STEP, params=params))
        return str(found[0]["id"]) if found else None

    def assign_app_role(
        self, admin_token: str, entra_tenant_id: str, principal_id: str, resource_id: str, app_role_id: str
    ) -> bool:
        body = {"principalId": principal_id, "resourceId": resource_id, "appRoleId": app_role_id}
        with self._client(admin_token, entra_tenant_id) as client:
            response = client.send("POST", f"servicePrincipals/{resource_id}/appRoleAssignedTo", step=STEP, body=body)
            if response.status_code == 400 and ALREADY_ASSIGNED in response.text():
                return False
            if response.status_code >= 400:
                raise error_of(STEP, response)
        return True
