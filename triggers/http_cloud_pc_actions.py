"""HTTP routes of Cloud PC actions (one Cloud PC or many in a bulk action), and the queue trigger running bulk ones."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import Any

import azure.durable_functions as df
import azure.functions as func
from opentelemetry.trace import SpanKind

from orchestrators import names
from orchestrators.starting import follow_backend, start_all, start_provisioning
from shared import telemetry
from shared.events import BulkActionMessage
from shared.models.base import Page, new_id
from shared.models.cloud_pc_actions import (
    ActionName,
    BulkAction,
    BulkActionCreate,
    BulkActionReview,
    RenameRequest,
    ResizeRequest,
    RestoreRequest,
)
from shared.models.cloud_pc_work import Performed
from shared.models.cloud_pcs import CloudPc
from shared.models.orchestrations import ProvisionInput
from shared.ports.engine_ports import EnginePorts
from shared.ports.queues import BulkActionQueue
from shared.ports.stores import BulkActionStore
from shared.services.cloud_pcs import bulk_actions, cloud_pc_actions
from shared.settings import Settings
from triggers.http_api import Api, page_of
from triggers.http_request import PAGING, VALIDATE_ONLY, ApiRequest
from triggers.http_responses import ApiResponse

log = logging.getLogger(__name__)
CLOUD_PC = "tenants/{tenantId}/cloudPCs/{cloudPcId}"
BULK_ACTIONS = "tenants/{tenantId}/bulkActions"
# (action, summary) of the actions without a body: one route each, all through cloud_pc_actions.perform
ACTIONS: tuple[tuple[ActionName, str], ...] = (
    ("reprovision", "Delete and recreate from the policy's current settings (provisioned, with warnings, failed)"),
    ("retry", "Start a fresh set of attempts (failed only)"),
    ("endGracePeriod", "Deprovision now (inGracePeriod only)"),
    ("reboot", "Restart the VM (provisioned or provisionedWithWarnings)"),
    ("powerOn", "Start the VM (provisioned or provisionedWithWarnings)"),
    ("powerOff", "Deallocate the VM: it stops and is not billed (provisioned or provisionedWithWarnings)"),
    ("troubleshoot", "Check the VM, its extensions, the Entra and Intune devices and the user's sign-in role"),
)


async def start_work(client: df.DurableOrchestrationClient, performed: Iterable[Performed]) -> None:
    """Start what the applied actions left to run; deterministic instance ids make a repeated start a no-op."""
    runs, actions, followed = [], [], set()
    for done in performed:
        if done.follow_backend:
            followed.add(done.cloud_pc.tenant_id)
        if done.provisioning_run is not None:
            c = done.cloud_pc
            runs.append(ProvisionInput.starting(c.tenant_id, c.id, done.provisioning_run))
        if done.vm_action is not None:
            a = done.vm_action
            actions.append((names.cloud_pc_action_instance_id(a.tenant_id, a.cloud_pc_id, a.request_id), a))
    if runs:
        await start_provisioning(client, runs)
    if actions:
        await start_all(client, names.RUN_CLOUD_PC_ACTION, actions)
    for tenant_id in followed:  # the backend carries the actions out: its follower brings in what it reports
        await follow_backend(client, tenant_id, new_id())


def blueprint(
    api: Api,
    settings: Settings,
    ports: EnginePorts,
    bulks: BulkActionStore,
    queue: BulkActionQueue,
) -> df.Blueprint:
    bp = df.Blueprint()
    routes = api.section(bp, "Cloud PC actions")

    def accepted(req: ApiRequest, cloud_pc: CloudPc) -> ApiResponse:
        location = req.url(f"tenants/{cloud_pc.tenant_id}/cloudPCs/{cloud_pc.id}")
        return ApiResponse(202, cloud_pc, {"Location": location, "Operation-Location": location})

    async def act(req: ApiRequest, action: ActionName, target_service_plan_id: str | None = None) -> ApiResponse:
        tenant_id = req.param("tenantId")
        performed = await asyncio.to_thread(
            cloud_pc_actions.perform,
            ports,
            tenant_id,
            req.param("cloudPcId"),
            action,
            request_id=new_id(),
            target_service_plan_id=target_service_plan_id,
        )
        await start_work(req.durable, [performed])
        return accepted(req, performed.cloud_pc)

    def action_route(action: ActionName, summary: str) -> None:
        @routes.post(f"{CLOUD_PC}/{action}", f"{action}CloudPc", summary, response=CloudPc, status=202, durable=True)
        async def route(req: ApiRequest) -> ApiResponse:
            return await act(req, action)

    for action, summary in ACTIONS:
        action_route(action, summary)

    @routes.post(
        f"{CLOUD_PC}/resize",
        "resizeCloudPc",
        "Move to another service plan: the user's license moves, the VM is resized in place (status resizing)",
        body=ResizeRequest,
        response=CloudPc,
        status=202,
        durable=True,
    )
    async def resize(req: ApiRequest) -> ApiResponse:
        """API.md's codes: 202; 409 `noFreeLicense`. One more 409, `licenseAssignedByGroup`, for a case the contract
        predates: the user's license comes from a group (Entra group-based licensing), which only the group can move."""
        return await act(req, "resize", req.body(ResizeRequest).target_service_plan_id)

    @routes.post(
        f"{CLOUD_PC}/rename",
        "renameCloudPc",
        "Change the friendly name (the device name never changes)",
        body=RenameRequest,
        response=CloudPc,
    )
    def rename(req: ApiRequest) -> CloudPc:
        tenant_id = req.param("tenantId")
        return cloud_pc_actions.rename(ports, tenant_id, req.param("cloudPcId"), req.body(RenameRequest).display_name)

    @routes.post(
        f"{CLOUD_PC}/restore",
        "restoreCloudPc",
        "Restore a Windows 365 Cloud PC to one of its restore points (status restoring, then provisioned)",
        body=RestoreRequest,
        response=CloudPc,
        status=202,
        durable=True,
    )
    async def restore(req: ApiRequest) -> ApiResponse:
        snapshot_id = req.body(RestoreRequest).snapshot_id
        performed = await asyncio.to_thread(
            cloud_pc_actions.restore_snapshot,
            ports,
            req.param("tenantId"),
            req.param("cloudPcId"),
            snapshot_id,
            new_id(),
        )
        await start_work(req.durable, [performed])
        return accepted(req, performed.cloud_pc)

    @routes.post(
        f"{CLOUD_PC}/createSnapshot",
        "createCloudPcSnapshot",
        "Have Windows 365 take a restore point now",
        response=CloudPc,
        status=202,
        durable=True,
    )
    async def create_snapshot(req: ApiRequest) -> ApiResponse:
        performed = await asyncio.to_thread(
            cloud_pc_actions.create_snapshot, ports, req.param("tenantId"), req.param("cloudPcId"), new_id()
        )
        await start_work(req.durable, [performed])
        return accepted(req, performed.cloud_pc)

    # --- bulk actions -------------------------------------------------------------------------------------
    @routes.post(
        BULK_ACTIONS,
        "createBulkAction",
        "One action on many Cloud PCs, each reported on its own; validateOnly says which would be refused",
        body=BulkActionCreate,
        response=BulkAction,
        status=202,
        query=(VALIDATE_ONLY,),
        review=BulkActionReview,
    )
    def create_bulk_action(req: ApiRequest) -> ApiResponse:
        tenant_id = req.param("tenantId")
        request = req.body(BulkActionCreate)
        if req.validate_only:
            return ApiResponse(200, bulk_actions.review(ports, tenant_id, request))
        bulk = bulk_actions.start(ports, bulks, queue, tenant_id, request, new_id)
        location = req.url(f"{BULK_ACTIONS.replace('{tenantId}', tenant_id)}/{bulk.id}")
        return ApiResponse(202, bulk, {"Location": location, "Operation-Location": location})

    @routes.get(BULK_ACTIONS, "listBulkActions", "List bulk actions", response=Page[BulkAction], query=PAGING)
    def list_bulk_actions(req: ApiRequest) -> dict[str, Any]:
        tenant_id = req.param("tenantId")
        return page_of(req, *bulks.list_bulk_actions(tenant_id, top=req.top, skip_token=req.skip_token))

    @routes.get(
        f"{BULK_ACTIONS}/{{bulkActionId}}",
        "getBulkAction",
        "A bulk action with every item's result",
        response=BulkAction,
    )
    def get_bulk_action(req: ApiRequest) -> BulkAction:
        tenant_id = req.param("tenantId")
        bulk = bulks.get_bulk_action(tenant_id, req.param("bulkActionId"))
        return bulk_actions.summarized(bulk, bulks.list_items(tenant_id, bulk.id))

    @bp.function_name("bulkActions")
    @bp.queue_trigger(arg_name="message", queue_name=settings.bulk_actions_queue, connection="AzureWebJobsStorage")
    @bp.durable_client_input(client_name="client")
    async def run_bulk_action(
        message: func.QueueMessage, client: df.DurableOrchestrationClient, context: func.Context
    ) -> None:
        """Run the bulk action's items without a result (bulk_actions.run), and queue it again when it says so."""
        request = BulkActionMessage.model_validate_json(message.get_body())
        with telemetry.span(
            f"process {settings.bulk_actions_queue}",
            kind=SpanKind.CONSUMER,
            parent=request.traceparent,
            invocation=context,
            ids={"tenantId": request.tenant_id},
        ):
            await _run_bulk_action(request, client)

    async def _run_bulk_action(request: BulkActionMessage, client: df.DurableOrchestrationClient) -> None:
        loop = asyncio.get_running_loop()

        def start(performed: list[Performed]) -> None:  # from the service's thread: the client is the loop's
            asyncio.run_coroutine_threadsafe(start_work(client, performed), loop).result()

        ran = await asyncio.to_thread(bulk_actions.run, ports, bulks, request.tenant_id, request.bulk_action_id, start)
        if ran.again_in_s is not None:
            queue.enqueue_bulk_action(request.tenant_id, request.bulk_action_id, ran.again_in_s)
        log.info("Bulk %s %s: %s", ran.summary.action, ran.summary.id, ran.summary.counts.model_dump())

    return bp
