"""HTTP routes of Cloud PCs: list with filters, get, where its user connects, the timeline (the actions are in
http_cloud_pc_actions)."""

from __future__ import annotations

from typing import Any, get_args

import azure.durable_functions as df
from pydantic import Field

from shared.errors import ErrorDetail, ValidationFailed
from shared.models.base import ApiModel, Page
from shared.models.cloud_pcs import CloudPc, CloudPcEvent, CloudPcLaunchInfo, CloudPcStatus, RestorePointList
from shared.ports.engine_ports import EnginePorts
from shared.services.cloud_pcs import cloud_pc_actions, desktop_brokering
from shared.services.cloud_pcs.restore_points import restore_points
from triggers.http_api import Api, page_of
from triggers.http_request import PAGING, ApiRequest, QueryParam

CLOUD_PCS = "tenants/{tenantId}/cloudPCs"
CLOUD_PC = "tenants/{tenantId}/cloudPCs/{cloudPcId}"
STATUSES = set(get_args(CloudPcStatus))
FILTERS = (
    QueryParam("status", "Only Cloud PCs in this status.", {"type": "string", "enum": sorted(STATUSES)}),
    QueryParam("provisioningPolicyId", "Only Cloud PCs of this policy."),
    QueryParam("userId", "Only this user's Cloud PCs."),
)
SEARCH = QueryParam(
    "search",
    "Only Cloud PCs whose userPrincipalName, displayName or managedDeviceName starts with this text, in any case "
    "(each character matches itself or its upper- or lower-case form; no match inside a name). "
    "Combines with the other filters and with paging.",
    {"type": "string", "maxLength": 100},
)
NEVER_CONNECTED = QueryParam(
    "neverConnected",
    "true: only the provisioned Cloud PCs nobody was seen connected to (lastConnectedDateTime absent). Combines with "
    "the other filters, search and paging.",
    {"type": "boolean"},
)


class CloudPcView(CloudPc):
    allowed_actions: list[str] = Field(
        description="The actions its status allows now (the state machine's rule; the caller's role is apart)."
    )


def view_of(ports: EnginePorts, cloud_pc: CloudPc) -> CloudPcView:
    return CloudPcView(**dict(cloud_pc), allowed_actions=cloud_pc_actions.offered(ports, cloud_pc))


class CloudPcTimeline(ApiModel):
    value: list[CloudPcEvent]


def blueprint(api: Api, ports: EnginePorts) -> df.Blueprint:
    bp = df.Blueprint()
    routes = api.section(bp, "Cloud PCs")

    @routes.get(
        CLOUD_PCS,
        "listCloudPcs",
        "List Cloud PCs",
        response=Page[CloudPc],
        query=(*FILTERS, SEARCH, NEVER_CONNECTED, *PAGING),
    )
    def list_cloud_pcs(req: ApiRequest) -> dict[str, Any]:
        tenant_id = req.param("tenantId")
        filters = {f.name: value for f in FILTERS if (value := req.query(f.name)) is not None}
        if "status" in filters and filters["status"] not in STATUSES:
            raise ValidationFailed.of(
                ErrorDetail("invalidQueryParameter", f"status must be one of {', '.join(sorted(STATUSES))}.", "status")
            )
        found = ports.cloud_pcs.list_cloud_pcs(
            tenant_id,
            filters,
            search=req.query(SEARCH.name),
            never_connected=req.flag(NEVER_CONNECTED.name),
            top=req.top,
            skip_token=req.skip_token,
        )
        return page_of(req, *found)

    @routes.get(CLOUD_PC, "getCloudPc", "Get a Cloud PC", response=CloudPcView)
    def get_cloud_pc(req: ApiRequest) -> CloudPcView:
        tenant_id = req.param("tenantId")
        return view_of(ports, ports.cloud_pcs.get_cloud_pc(tenant_id, req.param("cloudPcId")))

    @routes.get(
        f"{CLOUD_PC}/snapshots",
        "listCloudPcSnapshots",
        "A Windows 365 Cloud PC's restore points",
        response=RestorePointList,
    )
    def list_snapshots(req: ApiRequest) -> RestorePointList:
        return RestorePointList(value=restore_points(ports, req.param("tenantId"), req.param("cloudPcId")))

    @routes.get(
        f"{CLOUD_PC}/launchInfo", "getCloudPcLaunchInfo", "Where a Cloud PC's user connects", response=CloudPcLaunchInfo
    )
    def get_launch_info(req: ApiRequest) -> CloudPcLaunchInfo:
        """409 wrongStatus until it is provisioned, and in its grace period."""
        return desktop_brokering.launch_info(ports, req.param("tenantId"), req.param("cloudPcId"))

    @routes.get(f"{CLOUD_PC}/events", "listCloudPcEvents", "A Cloud PC's timeline", response=CloudPcTimeline)
    def list_events(req: ApiRequest) -> CloudPcTimeline:
        """Every stage, step and attempt with times and outcome; kept after the Cloud PC is deprovisioned."""
        tenant_id, cloud_pc_id = req.param("tenantId"), req.param("cloudPcId")
        events = ports.cloud_pcs.list_events(tenant_id, cloud_pc_id)
        if not events:
            ports.cloud_pcs.get_cloud_pc(tenant_id, cloud_pc_id)  # 404 for an id that never existed
        return CloudPcTimeline(value=events)

    return bp
