"""HTTP routes of Cloud PCs: list with filters, get, the timeline, and the retry/reprovision/end-grace actions."""

from __future__ import annotations

from typing import Any, get_args

import azure.durable_functions as df

from orchestrators.starting import start_provisioning
from shared.errors import ErrorDetail, ValidationFailed
from shared.models.base import ApiModel, Page
from shared.models.cloud_pcs import CloudPc, CloudPcEvent, CloudPcStatus
from shared.services import lifecycle
from shared.services.engine_ports import EnginePorts
from shared.storage.tenants import TenantRepository
from triggers.http_api import PAGING, Api, ApiRequest, ApiResponse, QueryParam, page_of

CLOUD_PCS = "tenants/{tenantId}/cloudPCs"
CLOUD_PC = "tenants/{tenantId}/cloudPCs/{cloudPcId}"
STATUSES = set(get_args(CloudPcStatus))
FILTERS = (
    QueryParam("status", "Only Cloud PCs in this status.", {"type": "string", "enum": sorted(STATUSES)}),
    QueryParam("provisioningPolicyId", "Only Cloud PCs of this policy."),
    QueryParam("userId", "Only this user's Cloud PCs."),
)


class CloudPcTimeline(ApiModel):
    value: list[CloudPcEvent]


def blueprint(api: Api, ports: EnginePorts, tenants: TenantRepository) -> df.Blueprint:
    bp = df.Blueprint()
    routes = api.section(bp, "Cloud PCs")

    @routes.get(CLOUD_PCS, "listCloudPcs", "List Cloud PCs", response=Page[CloudPc], query=(*FILTERS, *PAGING))
    def list_cloud_pcs(req: ApiRequest) -> dict[str, Any]:
        tenant_id = req.param("tenantId")
        tenants.get_tenant(tenant_id)
        filters = {f.name: value for f in FILTERS if (value := req.query(f.name)) is not None}
        if "status" in filters and filters["status"] not in STATUSES:
            raise ValidationFailed.of(
                ErrorDetail("invalidQueryParameter", f"status must be one of {', '.join(sorted(STATUSES))}.", "status")
            )
        return page_of(req, *ports.cloud_pcs.list_cloud_pcs(tenant_id, filters, top=req.top, skip_token=req.skip_token))

    @routes.get(CLOUD_PC, "getCloudPc", "Get a Cloud PC", response=CloudPc)
    def get_cloud_pc(req: ApiRequest) -> CloudPc:
        tenant_id = req.param("tenantId")
        tenants.get_tenant(tenant_id)
        return ports.cloud_pcs.get_cloud_pc(tenant_id, req.param("cloudPcId"))

    @routes.get(f"{CLOUD_PC}/events", "listCloudPcEvents", "A Cloud PC's timeline", response=CloudPcTimeline)
    def list_events(req: ApiRequest) -> CloudPcTimeline:
        """Every stage, step and attempt with times and outcome; kept after the Cloud PC is deprovisioned."""
        tenant_id, cloud_pc_id = req.param("tenantId"), req.param("cloudPcId")
        tenants.get_tenant(tenant_id)
        events = ports.cloud_pcs.list_events(tenant_id, cloud_pc_id)
        if not events:
            ports.cloud_pcs.get_cloud_pc(tenant_id, cloud_pc_id)  # 404 for an id that never existed
        return CloudPcTimeline(value=events)

    async def start(req: ApiRequest, cloud_pc: CloudPc) -> ApiResponse:
        item = {"cloudPcId": cloud_pc.id, "run": cloud_pc.run}
        await start_provisioning(req.durable, cloud_pc.tenant_id, [item], ports.max_attempts)
        return accepted(req, cloud_pc)

    def accepted(req: ApiRequest, cloud_pc: CloudPc) -> ApiResponse:
        location = req.url(f"tenants/{cloud_pc.tenant_id}/cloudPCs/{cloud_pc.id}")
        return ApiResponse(202, cloud_pc, {"Location": location, "Operation-Location": location})

    @routes.post(
        f"{CLOUD_PC}/reprovision",
        "reprovisionCloudPc",
        "Delete and recreate from the policy's current settings (provisioned, provisionedWithWarnings or failed)",
        response=CloudPc,
        status=202,
        durable=True,
    )
    async def reprovision(req: ApiRequest) -> ApiResponse:
        tenant_id = req.param("tenantId")
        tenants.get_tenant(tenant_id)
        return await start(req, lifecycle.reprovision(ports, tenant_id, req.param("cloudPcId")))

    @routes.post(
        f"{CLOUD_PC}/retry",
        "retryCloudPc",
        "Start a fresh set of attempts (failed only)",
        response=CloudPc,
        status=202,
        durable=True,
    )
    async def retry(req: ApiRequest) -> ApiResponse:
        tenant_id = req.param("tenantId")
        tenants.get_tenant(tenant_id)
        return await start(req, lifecycle.retry(ports, tenant_id, req.param("cloudPcId")))

    @routes.post(
        f"{CLOUD_PC}/endGracePeriod",
        "endGracePeriod",
        "Deprovision now (inGracePeriod only)",
        response=CloudPc,
        status=202,
    )
    def end_grace_period(req: ApiRequest) -> ApiResponse:
        tenant_id = req.param("tenantId")
        tenants.get_tenant(tenant_id)
        return accepted(req, lifecycle.end_grace_period(ports, tenant_id, req.param("cloudPcId")))

    return bp
