"""HTTP routes about one directory user: the provisioning explanation (which policy wins for them, and why)."""

from __future__ import annotations

import azure.durable_functions as df

from shared.models.explanations import ProvisioningExplanation
from shared.ports.engine_ports import EnginePorts
from shared.services.cloud_pcs.explanation import explain_user
from triggers.http_api import Api
from triggers.http_directory import reading_directory, require_linked
from triggers.http_request import ApiRequest

USER = "tenants/{tenantId}/users/{userId}"


def blueprint(api: Api, ports: EnginePorts) -> df.Blueprint:
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
        require_linked(req.tenant, "users to explain")
        with reading_directory():
            return explain_user(ports, tenant_id, req.param("userId"))

    return bp
