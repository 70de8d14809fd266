"""The timers that fan out (the Spot Group optimization, the use watch, the reclaim rule, the health checks and the
mend of the Cloud PCs' sorted copies), each queueing what is due, and the queue trigger that does one group's,
connection's or tenant's share of a tick."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

import azure.durable_functions as df
import azure.functions as func
from azure.core.exceptions import (
    AzureError,
    ServiceRequestError,
    ServiceRequestTimeoutError,
    ServiceResponseError,
    ServiceResponseTimeoutError,
)
from opentelemetry.trace import SpanKind

from orchestrators import names
from orchestrators.starting import start_all, start_orchestration, start_spot_group_work
from shared import telemetry
from shared.events import TimerWork, TimerWorkName
from shared.models.orchestrations import HealthCheckRun
from shared.ports.admin_ports import AdminPorts
from shared.ports.bundles import SpotGroupPorts, TimerWorkPorts
from shared.ports.cloud_errors import NOT_ANSWERING, UNANSWERED, CloudError
from shared.ports.engine_ports import EnginePorts
from shared.services.cloud_pcs import reclaim
from shared.services.configuration import connections
from shared.services.engine.timer_work import held, is_stale, queue_due, recheck_before
from shared.services.spot_pc import personal_power, spot_group_hosts, spot_group_power
from shared.settings import Settings

log = logging.getLogger(__name__)
Handler = Callable[[TimerWork, df.DurableOrchestrationClient], Awaitable[None]]


def unanswered(work: TimerWork, exc: AzureError) -> CloudError:
    """An Azure SDK call that got no answer, as the CloudError its adapter would have made: naming the host that did
    not answer, which the SDK's error keeps on the request it wraps."""
    request = getattr(getattr(exc, "inner_exception", None), "request", None)
    host = urlsplit(str(getattr(request, "url", "") or "")).hostname
    silent = f"{host or 'A service'} did not answer"
    code = NOT_ANSWERING if isinstance(exc, ServiceRequestTimeoutError | ServiceResponseTimeoutError) else UNANSWERED
    return CloudError(work.work, code, f"{silent}: {exc}", reason=silent)


def blueprint(
    settings: Settings, ports: TimerWorkPorts, admin: AdminPorts, engine: EnginePorts, spot_groups: SpotGroupPorts
) -> df.Blueprint:
    bp = df.Blueprint()
    schedules: dict[TimerWorkName, str] = {
        "optimizeSpotGroup": settings.spot_optimize_schedule,
        "watchCloudPcUse": settings.use_watch_schedule,
        "reclaimUnused": settings.reclaim_schedule,
        "recheckConnection": settings.health_check_schedule,
        "mendCloudPcCopies": settings.copies_mend_schedule,
    }

    def queue(work: TimerWorkName) -> None:
        queued = queue_due(ports, work, engine.clock(), schedules[work])
        if queued:
            log.info("%s queued for %d", work, queued)

    @bp.function_name("optimizeSpotGroups")
    @bp.timer_trigger(arg_name="timer", schedule=settings.spot_optimize_schedule, run_on_startup=False)
    def optimize_spot_groups(timer: func.TimerRequest) -> None:
        """Each ready Spot Group at this tick: a pooled group's hosts started, drained and deallocated as its
        schedule and sessions ask (and made and deleted, when it scales); a personal group's hosts stopped once
        their users are away; broken hosts repaired."""
        queue("optimizeSpotGroup")

    @bp.function_name("watchCloudPcUse")
    @bp.timer_trigger(arg_name="timer", schedule=settings.use_watch_schedule, run_on_startup=False)
    def watch_cloud_pc_use(timer: func.TimerRequest) -> None:
        """Each azure tenant's Cloud PCs at this tick: whose user is connected, and which its policy's power rules
        put to sleep or found woken (Windows 365 keeps its own running)."""
        queue("watchCloudPcUse")

    @bp.function_name("reclaimUnused")
    @bp.timer_trigger(arg_name="timer", schedule=settings.reclaim_schedule, run_on_startup=False)
    def reclaim_unused(timer: func.TimerRequest) -> None:
        """The reclaim rule of each tenant that turned it on: unused Cloud PCs announced, put in their grace
        period, or kept on a connection."""
        queue("reclaimUnused")

    @bp.function_name("recheckConnections")
    @bp.timer_trigger(arg_name="timer", schedule=settings.health_check_schedule, run_on_startup=False)
    def recheck_connections(timer: func.TimerRequest) -> None:
        """The checks of each connection unchanged for half a period run again (every 6 hours by default), as
        Windows 365 does."""
        queue("recheckConnection")

    @bp.function_name("mendCloudPcCopies")
    @bp.timer_trigger(arg_name="timer", schedule=settings.copies_mend_schedule, run_on_startup=False)
    def mend_cloud_pc_copies(timer: func.TimerRequest) -> None:
        """Each tenant's sorted copies of its Cloud PCs, which the view across tenants pages through, set right
        daily: Cloud PCs stored before the copies were (an upgraded deployment) come into it."""
        queue("mendCloudPcCopies")

    async def optimize_group(work: TimerWork, client: df.DurableOrchestrationClient) -> None:
        """A repeated delivery decides again on the hosts' rows, which say what was asked, and writes the tick's
        slot's lines and starts its instance ids again: nothing is done twice."""
        assert work.subject_id is not None
        group = await asyncio.to_thread(spot_groups.spot_groups.find_spot_group, work.tenant_id, work.subject_id)
        if group is None or group.status != "ready":  # removed or changing since the tick: its run looks after it
            return
        now = work.tick
        plan = await asyncio.to_thread(spot_group_power.optimize, spot_groups, group, now)
        personal = await asyncio.to_thread(personal_power.apply_personal_power, spot_groups, group, now)
        repairing = await asyncio.to_thread(
            spot_group_hosts.repair, spot_groups, group, now, spot_group_power.slot_of(now)
        )
        for host_run in [*plan.scale, *repairing]:  # hosts made, deleted or replaced
            try:
                await start_spot_group_work(client, host_run)
            except Exception:  # the host stays as it is; the next tick starts its run again
                log.exception(
                    "The %s of host %s of %s could not be started", host_run.host_work, host_run.host, group.name
                )
        for run in [*plan.follow, *personal.follow]:
            instance_id = names.host_power_instance_id(run.tenant_id, run.spot_group_id, run.event.id)
            try:
                await start_orchestration(client, names.FOLLOW_HOST_POWER, instance_id, run)
            except Exception:  # its line stays as Azure took it; the next tick decides again
                log.exception("The %s of %s could not be followed", run.event.action, run.event.host)
        stopped = len(plan.stop) + len(personal.decisions)
        if plan.start or stopped:
            log.info("Spot Group %s optimized: %d hosts started, %d deallocated", group.name, len(plan.start), stopped)

    async def watch_tenant(work: TimerWork, client: df.DurableOrchestrationClient) -> None:
        """A repeated delivery finds the sleeps begun (each Cloud PC moved, on its etag) and the connected time
        counted up to the tick."""
        tenant = await asyncio.to_thread(ports.tenants.find_tenant, work.tenant_id)
        if tenant is None:  # removed since the tick
            return
        watch = await asyncio.to_thread(engine.backends.of_tenant(tenant).watch_use, engine, work.tenant_id, work.tick)
        await start_all(
            client,
            names.RUN_CLOUD_PC_ACTION,
            [(names.cloud_pc_action_instance_id(r.tenant_id, r.cloud_pc_id, r.request_id), r) for r in watch.sleeps],
        )
        if watch.sleeps or watch.woken:
            log.info(
                "Cloud PCs of tenant %s watched: %d put to sleep, %d found awake",
                work.tenant_id,
                len(watch.sleeps),
                watch.woken,
            )

    async def reclaim_tenant(work: TimerWork, client: df.DurableOrchestrationClient) -> None:
        """A repeated delivery finds the Cloud PCs already moved: each step is written on its etag first."""
        tenant = await asyncio.to_thread(ports.tenants.find_tenant, work.tenant_id)
        if tenant is None:  # removed since the tick
            return
        done = await asyncio.to_thread(reclaim.reclaim_unused, engine, tenant)
        if any(done.values()):
            log.info("Reclaim rule of tenant %s: %s", tenant.id, done)

    async def recheck_connection(work: TimerWork, client: df.DurableOrchestrationClient) -> None:
        """A repeated delivery finds the connection changed at the tick, and leaves it."""
        assert work.subject_id is not None
        since = recheck_before(work.tick, schedules[work.work])
        run = await asyncio.to_thread(
            connections.recheck, admin, work.tenant_id, work.subject_id, unchanged_since=since
        )
        if run is not None:
            await start_orchestration(
                client,
                names.CONNECTION_HEALTH_CHECK,
                names.health_check_instance_id(run.tenant_id, run.id, run.health_check_run),
                HealthCheckRun.of(run, push=False),  # Windows 365 re-checks its own: its results are only read
            )

    async def mend_copies(work: TimerWork, client: df.DurableOrchestrationClient) -> None:
        """A repeated delivery finds the copies set right, and changes nothing."""
        mended = await asyncio.to_thread(engine.cloud_pcs.mend_copies, work.tenant_id)
        if mended:
            log.info("Sorted copies of tenant %s's Cloud PCs: %d set right", work.tenant_id, mended)

    handlers: dict[TimerWorkName, Handler] = {
        "optimizeSpotGroup": optimize_group,
        "watchCloudPcUse": watch_tenant,
        "reclaimUnused": reclaim_tenant,
        "recheckConnection": recheck_connection,
        "mendCloudPcCopies": mend_copies,
    }

    @bp.function_name("timerWork")
    @bp.queue_trigger(arg_name="message", queue_name=settings.timer_work_queue, connection="AzureWebJobsStorage")
    @bp.durable_client_input(client_name="client")
    async def timer_work(
        message: func.QueueMessage, client: df.DurableOrchestrationClient, context: func.Context
    ) -> None:
        """One share of a tick; a failing one is retried and, after maxDequeueCount, rests in the poison queue, as
        a malformed message does. One taken after its timer ticked again is dropped: that tick queued its own."""
        work = TimerWork.model_validate_json(message.get_body())
        with telemetry.span(
            f"process {settings.timer_work_queue}",
            kind=SpanKind.CONSUMER,
            parent=work.traceparent,
            invocation=context,
            ids={"tenantId": work.tenant_id},
        ):
            if is_stale(work.tick, schedules[work.work], engine.clock()):
                log.warning(
                    "%s of %s %s at %s dropped: its timer has ticked since",
                    work.work,
                    work.tenant_id,
                    work.subject_id or "",
                    work.tick.isoformat(),
                )
                return
            try:
                await handlers[work.work](work, client)
            except (CloudError, ServiceRequestError, ServiceResponseError) as exc:
                held_by = exc if isinstance(exc, CloudError) else unanswered(work, exc)
                if not held_by.transient:
                    raise
                # a throttle or a service that did not answer is no failure of the work: a warning naming it, and
                # the share queued again for then (a failed invocation would log a traceback and retry at once)
                again = await asyncio.to_thread(held, ports, work, held_by)
                log.warning(
                    "%s of %s %s at %s held: %s",
                    work.work,
                    work.tenant_id,
                    work.subject_id or "",
                    work.tick.isoformat(),
                    again,
                )

    return bp
