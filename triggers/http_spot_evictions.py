"""HTTP routes of Spot host evictions: the Scheduled Events a Spot host's watcher posts, and a group's evictions."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import azure.durable_functions as df

from orchestrators.starting import start_spot_group_work
from shared.models.base import Page
from shared.models.spot_group_records import HostEviction, HostEvictions, ScheduledEvents
from shared.ports.bundles import SpotGroupPorts
from shared.services.spot_pc import host_evictions as service
from triggers.http_api import Api, page_of
from triggers.http_request import PAGING, ApiRequest
from triggers.http_responses import ApiResponse

log = logging.getLogger(__name__)
GROUP = "tenants/{tenantId}/spotGroups/{spotGroupId}"


def blueprint(api: Api, ports: SpotGroupPorts) -> df.Blueprint:
    bp = df.Blueprint()
    routes = api.section(bp, "Spot Groups")

    @routes.post(
        "scheduledEvents",
        "postScheduledEvents",
        "A Spot host's Scheduled Events, posted by its watcher with the VM's managed identity: a Preempt is acted on",
        description="The host whose VM's system-assigned identity is the token's oid is drained, its users are "
        "shown the group's evictionMessage, and it is replaced, once per EventId; the answer lists the evictions "
        "recorded by this delivery (none for a repeated one).",
        body=ScheduledEvents,
        response=HostEvictions,
        status=202,
        review=False,
        durable=True,
    )
    async def post_scheduled_events(req: ApiRequest) -> ApiResponse:
        assert req.identity is not None  # the gate let in a managed identity only
        document = req.body(ScheduledEvents)
        heard = await asyncio.to_thread(service.hear, ports, req.tenant.id, req.identity, document)
        for run in heard.runs:  # a start lost here is made good by the next optimization (a host still busy)
            try:
                await start_spot_group_work(req.durable, run)
            except Exception:
                log.exception("The %s of host %s after an eviction could not be started", run.host_work, run.host)
        return ApiResponse(202, HostEvictions(value=heard.evictions))

    @routes.get(
        f"{GROUP}/evictions",
        "listSpotGroupEvictions",
        "A Spot Group's hosts evicted by Azure, newest first: who was on each, how many were told, and how long "
        "until its replacement took sessions",
        response=Page[HostEviction],
        query=PAGING,
    )
    def list_evictions(req: ApiRequest) -> dict[str, Any]:
        tenant_id = req.param("tenantId")
        group = ports.spot_groups.get_spot_group(tenant_id, req.param("spotGroupId"))
        return page_of(
            req, *ports.schedules.list_evictions(tenant_id, group.id, top=req.top, skip_token=req.skip_token)
        )

    return bp
