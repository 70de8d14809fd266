"""HTTP routes about one directory user: the provisioning explanation (which policy wins for them, and why)."""

from __future__ import annotations

from typing import Protocol

import azure.durable_functions as df

from shared.cloud.ports import CloudError
from shared.errors import Conflict, Unavailable
from shared.models.explanations import ProvisioningExplanation
from shared.models.tenants import Tenant
from shared.services.engine_ports import EnginePorts
from shared.services.explanation import explain_user
from triggers.http_api import Api, ApiRequest

USER = "tenants/{tenantId}/users/{userId}"


class Tenants(Protocol):
    """All this route needs of the tenant repository: the tenant, or NotFound (404)."""

    def get_tenant(self, tenant_id: str) -> Tenant: ...


def blueprint(api: Api, ports: EnginePorts, tenants: Tenants) -> df.Blueprint:
    bp = df.Blueprint()
    routes = api.section(bp, "Users")

    @routes.get(
        f"{USER}/provisioningExplanation",
        "getProvisioningExplanation",
        "Which policy wins for the user and why, their licenses, and the Cloud PCs they have and would get",
        response=ProvisioningExplanation,
    )
    def get_explanation(req: ApiRequest) -> ProvisioningExplanation:
        tenant_id = req.param("tenantId")
        tenant = tenants.get_tenant(tenant_id)
        if not tenant.entra_tenant_id:
            raise Conflict(
                f"Tenant '{tenant.display_name}' is not linked to a Microsoft Entra tenant, so it has no users to "
                "explain; set its entraTenantId first.",
                code="tenantNotLinked",
                target="entraTenantId",
            )
        try:
            return explain_user(ports, tenant_id, req.param("userId"))
        except CloudError as exc:  # Graph throttled or failed: the caller can ask again, it is not their input
            raise Unavailable(
                f"Microsoft Graph could not be read ({exc.code}): {exc}", code="directoryUnavailable"
            ) from exc

    return bp
