"""HTTP route of a tenant's summary: the counts an admin portal shows on every refresh."""

from __future__ import annotations

import azure.durable_functions as df

from shared.models.summary import TenantSummary
from shared.ports.admin_ports import AdminPorts
from shared.ports.alerts import AlertStore
from shared.ports.bundles import SummaryPorts
from shared.ports.engine_ports import EnginePorts
from shared.services.access.summary import tenant_summary
from triggers.http_api import Api
from triggers.http_request import ApiRequest


def blueprint(api: Api, admin: AdminPorts, engine: EnginePorts, alerts: AlertStore) -> df.Blueprint:
    bp = df.Blueprint()
    routes = api.section(bp, "Tenants")
    ports = SummaryPorts(engine.cloud_pcs, admin.connections, admin.spot_groups, engine.refusals, admin.clock, alerts)

    @routes.get(
        "tenants/{tenantId}/summary",
        "getTenantSummary",
        "Count the tenant's Cloud PCs by status, and its connections and Spot Groups that need a look",
        response=TenantSummary,
    )
    def get_summary(req: ApiRequest) -> TenantSummary:
        """One query per collection, reading only the column it counts: cheap enough for every refresh."""
        return tenant_summary(ports, req.tenant)

    return bp
