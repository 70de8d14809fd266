"""HTTP routes of Spot Groups: the review and creation of a group, its session hosts, its image updates (and their
cancel), and its deletion."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import azure.durable_functions as df

from orchestrators import names
from orchestrators.starting import start_spot_group_work
from shared.models.base import Page
from shared.models.image_updates import ImageUpdate, ImageUpdateList
from shared.models.session_hosts import HostReplacement, SessionHost, SessionHostList
from shared.models.spot_groups import SpotGroup, SpotGroupCreate, SpotGroupMemberList, SpotGroupReview, SpotGroupUpdate
from shared.ports.admin_ports import AdminPorts
from shared.ports.bundles import SpotGroupPorts
from shared.services.spot_pc import image_updates
from shared.services.spot_pc import spot_groups as service
from shared.services.spot_pc.host_records import live_hosts
from shared.services.spot_pc.spot_group_access import members_with_access, reconcile_access
from shared.services.spot_pc.spot_group_hosts import replace_with_consent
from triggers.http_api import Api, created, page_of
from triggers.http_request import PAGING, VALIDATE_ONLY, ApiRequest, QueryParam
from triggers.http_responses import ApiResponse

log = logging.getLogger(__name__)
GROUPS = "tenants/{tenantId}/spotGroups"
GROUP = f"{GROUPS}/{{spotGroupId}}"
DRAIN_TIMEOUT = QueryParam(
    "drainTimeoutMinutes",
    "How long the hosts' users have to sign out before their hosts go (default 60).",
    {"type": "integer", "minimum": 0, "maximum": 1440},
)


def blueprint(api: Api, ports: AdminPorts, cloud: SpotGroupPorts) -> df.Blueprint:
    bp = df.Blueprint()
    routes = api.section(bp, "Spot Groups")

    @routes.post(
        GROUPS,
        "createSpotGroup",
        "Create a Spot Group: a host pool and session hosts, deployed in the background",
        body=SpotGroupCreate,
        response=SpotGroup,
        status=201,
        query=(VALIDATE_ONLY,),
        durable=True,
        review=SpotGroupReview,
    )
    async def create_spot_group(req: ApiRequest) -> ApiResponse:
        tenant_id = req.param("tenantId")
        data = req.body(SpotGroupCreate)
        if req.validate_only:
            return ApiResponse(200, service.plan(ports, tenant_id, data)[1])
        group, run = service.create_spot_group(ports, tenant_id, data)
        await start_spot_group_work(req.durable, run)
        return created(req, group, GROUP.format(tenantId=tenant_id, spotGroupId=group.id))

    @routes.get(GROUPS, "listSpotGroups", "List Spot Groups", response=Page[SpotGroup], query=PAGING)
    def list_spot_groups(req: ApiRequest) -> dict[str, Any]:
        tenant_id = req.param("tenantId")
        return page_of(req, *ports.spot_groups.list_spot_groups(tenant_id, top=req.top, skip_token=req.skip_token))

    @routes.get(GROUP, "getSpotGroup", "Get a Spot Group", response=SpotGroup)
    def get_spot_group(req: ApiRequest) -> SpotGroup:
        return ports.spot_groups.get_spot_group(req.param("tenantId"), req.param("spotGroupId"))

    @routes.get(
        f"{GROUP}/sessionHosts",
        "listSessionHosts",
        "A Spot Group's session hosts, with their live state",
        response=SessionHostList,
    )
    def list_session_hosts(req: ApiRequest) -> SessionHostList:
        group = ports.spot_groups.get_spot_group(req.param("tenantId"), req.param("spotGroupId"))
        return SessionHostList(value=live_hosts(cloud, group))

    @routes.post(
        f"{GROUP}/sessionHosts/{{sessionHostName}}/replace",
        "replaceSessionHost",
        "Rebuild a personal group's host from the group's image, with its user's consent (userConsented: true): the "
        "app repairs a broken personal host in place (restart, then its agent installed again) and asks for this "
        "only when that did not help; a pooled group's broken hosts it replaces itself",
        body=HostReplacement,
        response=SessionHost,
        status=202,
        durable=True,
    )
    async def replace_session_host(req: ApiRequest) -> ApiResponse:
        tenant_id, group_id = req.param("tenantId"), req.param("spotGroupId")
        host, run = replace_with_consent(
            cloud, tenant_id, group_id, req.param("sessionHostName"), req.body(HostReplacement)
        )
        await start_spot_group_work(req.durable, run)
        location = req.url(f"{GROUP}/sessionHosts".format(tenantId=tenant_id, spotGroupId=group_id))
        return ApiResponse(202, host, {"Location": location})

    @routes.get(
        f"{GROUP}/users",
        "listSpotGroupUsers",
        "The members of a Spot Group's groups in order: who holds the desktop (at most licenseCount) and who waits "
        "for a license",
        response=SpotGroupMemberList,
    )
    def list_spot_group_users(req: ApiRequest) -> SpotGroupMemberList:
        group = ports.spot_groups.get_spot_group(req.param("tenantId"), req.param("spotGroupId"))
        return SpotGroupMemberList(value=members_with_access(cloud, group))

    @routes.get(
        f"{GROUP}/imageUpdates",
        "listImageUpdates",
        "A Spot Group's rolling image updates, newest first",
        response=ImageUpdateList,
    )
    def list_image_updates(req: ApiRequest) -> ImageUpdateList:
        tenant_id = req.param("tenantId")
        group = ports.spot_groups.get_spot_group(tenant_id, req.param("spotGroupId"))
        hosts = ports.spot_groups.list_hosts(tenant_id, group.id)
        updates = ports.spot_groups.list_image_updates(tenant_id, group.id)
        return ImageUpdateList(value=[image_updates.with_progress(u, hosts) for u in updates])

    @routes.get(f"{GROUP}/imageUpdates/{{updateId}}", "getImageUpdate", "A rolling image update", response=ImageUpdate)
    def get_image_update(req: ApiRequest) -> ImageUpdate:
        tenant_id, group_id = req.param("tenantId"), req.param("spotGroupId")
        update = ports.spot_groups.get_image_update(tenant_id, group_id, req.param("updateId"))
        return image_updates.with_progress(update, ports.spot_groups.list_hosts(tenant_id, group_id))

    @routes.post(
        f"{GROUP}/imageUpdates/{{updateId}}/cancel",
        "cancelImageUpdate",
        "Cancel a rolling image update, running or waiting for its maintenance window: the hosts already replaced "
        "keep the new version, the others the old one, and the group is ready again; 409 once it has ended",
        response=ImageUpdate,
        status=202,
        durable=True,
    )
    async def cancel_image_update(req: ApiRequest) -> ApiResponse:
        tenant_id, group_id, update_id = req.param("tenantId"), req.param("spotGroupId"), req.param("updateId")
        update, waiting = image_updates.cancel_image_update(ports, tenant_id, group_id, update_id)
        group = ports.spot_groups.get_spot_group(tenant_id, group_id)
        run = names.spot_group_instance_id(tenant_id, group_id, "deploy")
        hosts = [names.spot_group_host_instance_id(run, group.revision, index) for index in waiting]
        told = await asyncio.gather(
            *(req.durable.raise_event(h, names.IMAGE_UPDATE_CANCELLED, None) for h in hosts), return_exceptions=True
        )
        # a host whose run has not started (a later batch) or has ended hears nothing: the next one to ask sees the
        # cancel, as does a host's run that was between two calls
        log.info(
            "Image update %s cancelled; %d of %d waiting host runs told",
            update_id,
            sum(not isinstance(t, BaseException) for t in told),
            len(hosts),
        )
        location = req.url(
            f"{GROUP}/imageUpdates/{{updateId}}".format(tenantId=tenant_id, spotGroupId=group_id, updateId=update_id)
        )
        return ApiResponse(202, update, {"Location": location})

    @routes.patch(
        GROUP,
        "updateSpotGroup",
        "Update a Spot Group: its names, groups, profile path or number of licenses",
        body=SpotGroupUpdate,
        response=SpotGroup,
        durable=True,
        review=False,
        responses={
            "202": {
                "description": "Saved; the host pool and hosts follow while it is 'updating'.",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SpotGroup"}}},
            }
        },
    )
    async def update_spot_group(req: ApiRequest) -> ApiResponse:
        tenant_id, group_id = req.param("tenantId"), req.param("spotGroupId")
        patch = req.body(SpotGroupUpdate)
        group, run = service.update_spot_group(ports, tenant_id, group_id, patch, if_match=req.if_match)
        if run is None:
            if "license_count" in patch.model_fields_set:  # the hosts stay: the desktop's holders follow here
                await asyncio.to_thread(reconcile_access, cloud, group)
                group = ports.spot_groups.get_spot_group(tenant_id, group_id)
            return ApiResponse(200, group, {"ETag": group.etag or ""})
        await start_spot_group_work(req.durable, run)
        location = req.url(GROUP.format(tenantId=tenant_id, spotGroupId=group_id))
        return ApiResponse(202, group, {"ETag": group.etag or "", "Location": location})

    @routes.delete(
        GROUP,
        "deleteSpotGroup",
        "Delete a Spot Group: its hosts drained and removed, then its host pool",
        response=SpotGroup,
        status=202,
        durable=True,
        query=(DRAIN_TIMEOUT,),
    )
    async def delete_spot_group(req: ApiRequest) -> ApiResponse:
        tenant_id, group_id = req.param("tenantId"), req.param("spotGroupId")
        minutes = int(req.query("drainTimeoutMinutes") or service.DRAIN_TIMEOUT_MINUTES)  # checked by its schema
        group, run = service.delete_spot_group(
            ports, tenant_id, group_id, if_match=req.if_match, drain_timeout_minutes=minutes
        )
        await start_spot_group_work(req.durable, run)
        location = req.url(GROUP.format(tenantId=tenant_id, spotGroupId=group_id))
        return ApiResponse(202, group, {"Location": location})

    return bp
