"""Timer triggers: periodic work no request starts (lifecycle sweeps, pending starts, quiet work resumed, the usage
reports, the marketplace images and the list prices read again); those that fan out are in timer_work.py."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

import azure.durable_functions as df
import azure.functions as func

from orchestrators.starting import start_background_work, start_provisioning
from shared.models.tenants import Tenant
from shared.ports.admin_ports import AdminPorts
from shared.ports.bundles import AuditPorts, PricePorts
from shared.ports.engine_ports import EnginePorts
from shared.services.access import audit
from shared.services.cloud_pcs import due_sweep, pending_starts
from shared.services.costs import price_refresh
from shared.services.spot_pc import image_sets, marketplace_images, spot_groups
from shared.services.spot_pc.image_sets import QUIET
from shared.settings import Settings

log = logging.getLogger(__name__)


def blueprint(
    settings: Settings, ports: AdminPorts, engine: EnginePorts, audit_ports: AuditPorts, prices: PricePorts
) -> df.Blueprint:
    bp = df.Blueprint()

    @bp.function_name("lifecycleSweep")
    @bp.timer_trigger(arg_name="timer", schedule=settings.lifecycle_sweep_schedule, run_on_startup=False)
    def lifecycle_sweep(timer: func.TimerRequest) -> None:
        """Expired grace periods are deprovisioned and due clean-ups done; only due work is read."""
        done = due_sweep.sweep(engine)
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

    @bp.function_name("refreshMarketplaceImages")
    @bp.timer_trigger(arg_name="timer", schedule=settings.marketplace_refresh_schedule, run_on_startup=False)
    def refresh_marketplace_images(timer: func.TimerRequest) -> None:
        """Each region's marketplace images read again once a day, so a list asked for is rarely a day old."""
        log.info("Marketplace images read again in %d regions", marketplace_images.refresh_regions(ports))

    @bp.function_name("refreshPrices")
    @bp.timer_trigger(arg_name="timer", schedule=settings.price_refresh_schedule, run_on_startup=True)
    def refresh_prices(timer: func.TimerRequest) -> None:
        """The list prices today lacks read into the cache (price_refresh.py): each region's once a day, a new
        region's or size's at the next run. A run whose reads partly failed raises after the rest, so the host's
        telemetry shows it; the failed ones keep the days before and are tried again at the next run."""
        outcome = price_refresh.refresh_prices(prices, datetime.now(UTC).date())
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
