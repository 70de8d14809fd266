"""Timer triggers: periodic work no request starts (lifecycle sweeps, pending starts, connection health re-checks,
the marketplace images and the list prices read again)."""

from __future__ import annotations

import asyncio
import logging
import threading

import azure.durable_functions as df
import azure.functions as func

from orchestrators import names
from orchestrators.starting import (
    start_all,
    start_background_work,
    start_orchestration,
    start_provisioning,
    start_spot_group_work,
)
from shared.models.orchestrations import HealthCheckRun
from shared.models.tenants import Tenant
from shared.ports.admin_ports import AdminPorts
from shared.ports.bundles import AuditPorts, PricePorts, SpotGroupPorts
from shared.ports.engine_ports import EnginePorts
from shared.services.access import audit
from shared.services.cloud_pcs import lifecycle, pending_starts, reclaim
from shared.services.configuration import connections
from shared.services.costs import price_refresh
from shared.services.spot_pc import (
    image_sets,
    marketplace_images,
    personal_power,
    spot_group_hosts,
    spot_group_power,
    spot_groups,
)
from shared.services.spot_pc.image_sets import QUIET
from shared.settings import Settings

log = logging.getLogger(__name__)


def blueprint(
    settings: Settings, ports: AdminPorts, engine: EnginePorts, audit_ports: AuditPorts,
    spot_groups_ports: SpotGroupPorts, prices: PricePorts,
) -> df.Blueprint:  # fmt: skip
    bp = df.Blueprint()
    started = threading.Event()  # set by the first run in this worker: the host's start-up run

    @bp.function_name("lifecycleSweep")
    @bp.timer_trigger(arg_name="timer", schedule=settings.lifecycle_sweep_schedule, run_on_startup=False)
    def lifecycle_sweep(timer: func.TimerRequest) -> None:
        """Expired grace periods are deprovisioned and due clean-ups done; only due work is read."""
        done = lifecycle.sweep(engine)
        if done:
            log.info("Lifecycle sweep handled %d due items", done)
        settled = audit.settle_interrupted(audit_ports)
        if settled:
            log.info("Settled %d audit events left pending by interrupted requests", settled)

    @bp.function_name("startPendingProvisioning")
    @bp.timer_trigger(arg_name="timer", schedule=settings.pending_sweep_schedule, run_on_startup=False)
    @bp.durable_client_input(client_name="client")
    async def start_pending_provisioning(timer: func.TimerRequest, client: df.DurableOrchestrationClient) -> None:
        """Cloud PCs a reconcile created but died before starting are started within a minute, not when its
        message's lease ends; only tenants with a due start check are read."""
        for tenant in await asyncio.to_thread(pending_starts.due_starts, engine):
            try:
                begun = await start_provisioning(client, tenant.runs)  # one under way is left alone
                await asyncio.to_thread(pending_starts.settle, engine, tenant)
            except Exception:  # its checks stay due: the next sweep tries again; other tenants go on
                log.exception("Pending starts of tenant %s failed; they are tried again", tenant.tenant_id)
                continue
            if begun:
                log.warning("Started %d Cloud PCs of tenant %s a reconcile had left pending", begun, tenant.tenant_id)

    @bp.function_name("resumeQuietWork")
    @bp.timer_trigger(arg_name="timer", schedule=settings.lifecycle_sweep_schedule, run_on_startup=False)
    @bp.durable_client_input(client_name="client")
    async def resume_quiet_work(timer: func.TimerRequest, client: df.DurableOrchestrationClient) -> None:
        """Image builds and removals, and Spot Group deployments and removals, quiet for a while are started
        again: one a crash kept from starting begins; one under way is left alone."""
        quiet_since = ports.clock() - QUIET
        images = await asyncio.to_thread(image_sets.unfinished_work, ports, quiet_since=quiet_since)
        groups = await asyncio.to_thread(spot_groups.unfinished_work, ports, quiet_since=quiet_since)
        begun = 0
        for run in [*images, *groups]:
            try:
                begun += await start_background_work(client, run)
            except Exception:  # the next sweep tries again; the others go on
                log.exception("Background work %s could not be started", run)
        if begun:
            log.warning("Started %d image or Spot Group runs that had nothing running", begun)

    @bp.function_name("optimizeSpotGroups")
    @bp.timer_trigger(arg_name="timer", schedule=settings.spot_optimize_schedule, run_on_startup=False)
    @bp.durable_client_input(client_name="client")
    async def optimize_spot_groups(timer: func.TimerRequest, client: df.DurableOrchestrationClient) -> None:
        """Spot Groups at the time this run read once for every group: a pooled group's hosts started, drained and
        deallocated as its schedule and sessions ask (and made and deleted, when it scales); a personal group's hosts
        stopped once their users are away.
        Each power action Azure took is followed to its end."""
        started = stopped = 0
        now = spot_groups_ports.clock()
        for group in await asyncio.to_thread(spot_groups_ports.spot_groups.list_ready):
            try:
                plan = await asyncio.to_thread(spot_group_power.optimize, spot_groups_ports, group, now)
                personal = await asyncio.to_thread(personal_power.apply_personal_power, spot_groups_ports, group, now)
                repairing = await asyncio.to_thread(spot_group_hosts.repair, spot_groups_ports, group, now,
                                                    spot_group_power.slot_of(now))  # fmt: skip
            except Exception:  # this group waits for the next sweep; the others go on
                log.exception("Spot Group %s could not be optimized now", group.name)
                continue
            started, stopped = started + len(plan.start), stopped + len(plan.stop) + len(personal.decisions)
            for host_run in [*plan.scale, *repairing]:  # hosts made, deleted or replaced
                try:
                    await start_spot_group_work(client, host_run)
                except Exception:  # the host stays as it is; the next run starts its run again
                    log.exception("The %s of host %s of %s could not be started", host_run.host_work, host_run.host,
                                  group.name)  # fmt: skip
            for run in [*plan.follow, *personal.follow]:
                instance_id = names.host_power_instance_id(run.tenant_id, run.spot_group_id, run.event.id)
                try:
                    await start_orchestration(client, names.FOLLOW_HOST_POWER, instance_id, run)
                except Exception:  # its line stays as Azure took it; the next run decides again
                    log.exception("The %s of %s could not be followed", run.event.action, run.event.host)
        if started or stopped:
            log.info("Spot Groups optimized: %d hosts started, %d deallocated", started, stopped)

    @bp.function_name("watchCloudPcUse")
    @bp.timer_trigger(arg_name="timer", schedule=settings.use_watch_schedule, run_on_startup=False)
    @bp.durable_client_input(client_name="client")
    async def watch_cloud_pc_use(timer: func.TimerRequest, client: df.DurableOrchestrationClient) -> None:
        """Each tenant's Cloud PCs at the time this run read: whose user is connected, and which its policy's power
        rules put to sleep (each sleep followed to its end by its VM action) or found woken."""
        now, asleep, woken = engine.clock(), 0, 0
        for tenant_id in await asyncio.to_thread(_tenant_ids, ports):
            try:
                watch = await asyncio.to_thread(engine.backends.of(tenant_id).watch_use, engine, tenant_id, now)
                await start_all(client, names.RUN_CLOUD_PC_ACTION, [
                    (names.cloud_pc_action_instance_id(r.tenant_id, r.cloud_pc_id, r.request_id), r)
                    for r in watch.sleeps])  # fmt: skip
            except Exception:  # this tenant waits for the next run; the others go on
                log.exception("The use of tenant %s's Cloud PCs could not be watched now", tenant_id)
                continue
            asleep, woken = asleep + len(watch.sleeps), woken + watch.woken
        if asleep or woken:
            log.info("Cloud PCs watched: %d put to sleep, %d found awake", asleep, woken)

    @bp.function_name("importCloudPcUsage")
    @bp.timer_trigger(arg_name="timer", schedule=settings.usage_report_schedule, run_on_startup=False)
    def import_cloud_pc_usage(timer: func.TimerRequest) -> None:
        """Each tenant's connections from its backend's own report (Windows 365's), once a day, into its usage."""
        now, written = engine.clock(), 0
        for tenant_id in _tenant_ids(ports):
            try:
                written += engine.backends.of(tenant_id).import_usage(engine, tenant_id, now)
            except Exception:  # this tenant waits for the next run; the others go on
                log.exception("The usage of tenant %s's Cloud PCs could not be read now", tenant_id)
        if written:
            log.info("Usage read from the backends' reports: %d Cloud PC days", written)

    @bp.function_name("reclaimUnused")
    @bp.timer_trigger(arg_name="timer", schedule=settings.reclaim_schedule, run_on_startup=False)
    def reclaim_unused(timer: func.TimerRequest) -> None:
        """The tenants' reclaim rules, one tenant after another (a run is a query per status and a few writes, as the
        use watch's loop is): unused Cloud PCs announced, put in their grace period, or kept on a connection."""
        for tenant in _tenants(ports):
            if not tenant.reclaiming:
                continue
            try:
                done = reclaim.reclaim_unused(engine, tenant)
            except Exception:  # this tenant waits for the next run; the others go on
                log.exception("The reclaim rule of tenant %s could not run now", tenant.id)
                continue
            if any(done.values()):
                log.info("Reclaim rule of tenant %s: %s", tenant.id, done)

    @bp.function_name("recheckConnections")
    @bp.timer_trigger(arg_name="timer", schedule=settings.health_check_schedule, run_on_startup=False)
    @bp.durable_client_input(client_name="client")
    async def recheck_connections(timer: func.TimerRequest, client: df.DurableOrchestrationClient) -> None:
        """Every connection's checks run again (every 6 hours by default), as Windows 365 does."""
        started = 0
        for connection in await asyncio.to_thread(ports.connections.list_all_connections):
            run = await asyncio.to_thread(connections.request_health_checks, ports, connection.tenant_id, connection.id)
            await start_orchestration(
                client,
                names.CONNECTION_HEALTH_CHECK,
                names.health_check_instance_id(run.tenant_id, run.id, run.health_check_run),
                HealthCheckRun.of(run, push=False),  # Windows 365 re-checks its own: its results are only read
            )
            started += 1
        log.info("Health checks started for %d connections", started)

    @bp.function_name("refreshMarketplaceImages")
    @bp.timer_trigger(arg_name="timer", schedule=settings.marketplace_refresh_schedule, run_on_startup=False)
    def refresh_marketplace_images(timer: func.TimerRequest) -> None:
        """Each region's marketplace images read again once a day, so a list asked for is rarely a day old."""
        log.info("Marketplace images read again in %d regions", marketplace_images.refresh_regions(ports))

    @bp.function_name("refreshPrices")
    @bp.timer_trigger(arg_name="timer", schedule=settings.price_refresh_schedule, run_on_startup=True)
    def refresh_prices(timer: func.TimerRequest) -> None:
        """Azure's list prices read once a day into the cache, and at the host's start when it holds none yet (the
        cost reports would have no price until the first daily run). A run whose reads partly failed raises after
        the rest, so the host's telemetry shows it; the failed ones keep the days before."""
        first = not started.is_set()
        started.set()
        outcome = price_refresh.refresh_prices(prices, only_when_empty=first)
        if outcome.read:
            log.info("List prices read: %s", ", ".join(outcome.read))

    return bp


def _tenant_ids(ports: AdminPorts) -> list[str]:
    return [tenant.id for tenant in _tenants(ports)]


def _tenants(ports: AdminPorts) -> list[Tenant]:
    found, token = [], None
    while True:
        page, token = ports.tenants.list_tenants(top=100, skip_token=token)
        found += page
        if token is None:
            return found
