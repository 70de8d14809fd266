"""HTTP routes of one view over every tenant: the Cloud PCs and session hosts of the caller's tenants in one list
each (searched, filtered, sorted, paged alike), and one bulk action across tenants."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, get_args

import azure.durable_functions as df

from shared.models.base import Page, new_id
from shared.models.cloud_pcs import CloudPcStatus
from shared.models.cross_tenant import (
    CLOUD_PC_ORDERS,
    SESSION_HOST_ORDERS,
    CrossTenantBulkAction,
    CrossTenantBulkActionCreate,
    CrossTenantQuery,
    TenantCloudPc,
    TenantSessionHost,
)
from shared.models.session_hosts import HostStatus
from shared.ports.bundles import AccessPorts
from shared.ports.engine_ports import EnginePorts
from shared.ports.queues import BulkActionQueue
from shared.ports.spot_pc_stores import SpotGroupStore
from shared.ports.stores import BulkActionStore
from shared.services.access import cross_tenant
from shared.services.cloud_pcs import bulk_across_tenants
from triggers.http_api import Api, page_of
from triggers.http_request import PAGING, ApiRequest, QueryParam
from triggers.http_responses import ApiResponse

TENANT_IDS = QueryParam(
    "tenantId",
    "Only these tenants (ids, comma-separated or the parameter repeated), each one the caller holds a role on; "
    "absent: every tenant the caller holds a role on.",
)


def search_param(names: str) -> QueryParam:
    return QueryParam(
        "search",
        f"Only the rows whose {names} starts with this text, in any case (as the tenant's own list searches).",
        {"type": "string", "maxLength": 100},
    )


def status_param(statuses: Sequence[str]) -> QueryParam:
    return QueryParam("status", "Only the rows in this status.", {"type": "string", "enum": sorted(statuses)})


def order_param(orders: Sequence[str]) -> QueryParam:
    return QueryParam(
        "orderBy",
        f"The order: {', '.join(orders)} (the tenant's name), each ascending or with ' desc' descending; ties go "
        f"by tenant name. Default {orders[0]}.",
        {"type": "string", "enum": [f"{order}{way}" for order in orders for way in ("", " asc", " desc")]},
    )


CLOUD_PC_QUERY = (
    search_param("userPrincipalName, displayName or managedDeviceName"),
    status_param(get_args(CloudPcStatus)),
    TENANT_IDS,
    order_param(CLOUD_PC_ORDERS),
    *PAGING,
)
SESSION_HOST_QUERY = (
    search_param("name"),
    status_param(get_args(HostStatus)),
    TENANT_IDS,
    order_param(SESSION_HOST_ORDERS),
    *PAGING,
)


def blueprint(
    api: Api,
    access_ports: AccessPorts,
    engine: EnginePorts,
    spot_groups: SpotGroupStore,
    bulks: BulkActionStore,
    queue: BulkActionQueue,
) -> df.Blueprint:
    bp = df.Blueprint()
    routes = api.section(bp, "Across tenants")

    def query_of(req: ApiRequest, orders: Sequence[str]) -> CrossTenantQuery:
        """The request's list across tenants (its parameters checked against their schema already)."""
        asked = req.query(TENANT_IDS.name)
        ids = [tenant_id.strip() for tenant_id in asked.split(",")] if asked is not None else None
        reached = cross_tenant.reach(access_ports, req.caller, ids, field=TENANT_IDS.name)
        order, _, way = (req.query("orderBy") or orders[0]).partition(" ")
        status = req.query("status")
        return CrossTenantQuery(
            tenant_names={tenant.tenant_id: tenant.display_name for tenant in reached},
            order_by=order,
            descending=way == "desc",
            search=req.query("search"),
            equals={"status": status} if status else {},
        )

    @routes.get(
        "cloudPCs",
        "listCloudPcsAcrossTenants",
        "List the Cloud PCs of every tenant the caller may read, searched, filtered and sorted",
        description="One list over the caller's tenants (or those tenantId names), each row with its tenant's name. "
        "The search, status and paging are those of listCloudPcs; nextLink keeps the order and filters.",
        response=Page[TenantCloudPc],
        query=CLOUD_PC_QUERY,
    )
    def list_cloud_pcs(req: ApiRequest) -> dict[str, Any]:
        query = query_of(req, CLOUD_PC_ORDERS)
        return page_of(req, *engine.cloud_pcs.search_cloud_pcs(query, top=req.top, skip_token=req.skip_token))

    @routes.get(
        "sessionHosts",
        "listSessionHostsAcrossTenants",
        "List the Spot Group session hosts of every tenant the caller may read, searched, filtered and sorted",
        description="As listCloudPcsAcrossTenants, for session hosts: each with its tenant and Spot Group, and its "
        "user (assignedUserId) where the group is personal. Status is the host's as the app last saw it.",
        response=Page[TenantSessionHost],
        query=SESSION_HOST_QUERY,
    )
    def list_session_hosts(req: ApiRequest) -> dict[str, Any]:
        query = query_of(req, SESSION_HOST_ORDERS)
        return page_of(req, *spot_groups.search_hosts(query, top=req.top, skip_token=req.skip_token))

    @routes.post(
        "bulkActions",
        "createBulkActionAcrossTenants",
        "One action on the Cloud PCs of several tenants that match a filter (retry every failed one, say): one bulk "
        "action in each tenant, each tenant answering for itself",
        description="Each tenant's bulk action is the one createBulkAction starts (follow it with getBulkAction); "
        "a tenant that refuses (a role below operator, nothing matching, more than 1,000 matching) is listed with "
        "why, and the others still start. A tenant the caller holds no role on is a 400 naming it: nothing starts.",
        body=CrossTenantBulkActionCreate,
        response=CrossTenantBulkAction,
        status=202,
    )
    def create_bulk_action(req: ApiRequest) -> ApiResponse:
        request = req.body(CrossTenantBulkActionCreate)
        reached = cross_tenant.reach(access_ports, req.caller, request.tenant_ids, field="tenantIds", indexed=True)
        done = bulk_across_tenants.bulk_across(engine, bulks, queue, reached, request, new_id)
        return ApiResponse(202, done)

    return bp
