"""HTTP routes of tenants' summaries: the counts an admin portal shows on every refresh, for one tenant or all."""

from __future__ import annotations

from typing import Any

import azure.durable_functions as df

from shared.models.base import Page
from shared.models.summary import TenantSummary
from shared.ports.admin_ports import AdminPorts
from shared.ports.alerts import AlertStore
from shared.ports.bundles import AccessPorts, SummaryPorts
from shared.ports.engine_ports import EnginePorts
from shared.services.access import roles
from shared.services.access.summary import tenant_summaries, tenant_summary
from triggers.http_api import Api, page_of
from triggers.http_request import PAGING, ApiRequest


def blueprint(
    api: Api, admin: AdminPorts, engine: EnginePorts, alerts: AlertStore, access_ports: AccessPorts
) -> df.Blueprint:
    bp = df.Blueprint()
    routes = api.section(bp, "Tenants")
    ports = SummaryPorts(
        engine.cloud_pcs, admin.connections, admin.spot_groups, engine.refusals, admin.clock, alerts, admin.templates
    )

    @routes.get(
        "tenants/{tenantId}/summary",
        "getTenantSummary",
        "Count the tenant's Cloud PCs by status, and its connections and Spot Groups that need a look",
        response=TenantSummary,
    )
    def get_summary(req: ApiRequest) -> TenantSummary:
        """One query per collection, reading only the column it counts: cheap enough for every refresh."""
        return tenant_summary(ports, req.tenant)

    @routes.get(
        "summaries",
        "listTenantSummaries",
        "Count each tenant's Cloud PCs by status, and its connections and Spot Groups that need a look, for every "
        "tenant the caller holds a role on",
        description="A page of the tenants listTenants lists, each with its getTenantSummary: every collection read "
        "once for the page, whatever its number of tenants.",
        response=Page[TenantSummary],
        query=PAGING,
    )
    def list_summaries(req: ApiRequest) -> dict[str, Any]:
        tenants, skip_token = roles.tenant_page(access_ports, req.caller, top=req.top, skip_token=req.skip_token)
        return page_of(req, tenant_summaries(ports, tenants), skip_token)

    return bp
