"""Queue trigger for directory change messages, and the timer that reconciles every tenant anyway."""

from __future__ import annotations

import asyncio
import logging

import azure.durable_functions as df
import azure.functions as func
from opentelemetry.trace import SpanKind

from orchestrators.starting import follow_backend, start_provisioning
from shared import telemetry
from shared.events import DirectoryEvent
from shared.models.base import new_id
from shared.models.orchestrations import ProvisionInput
from shared.ports.access_stores import TenantStore
from shared.ports.cloud_errors import CloudError
from shared.ports.engine_ports import EnginePorts
from shared.ports.queues import EventPublisher
from shared.services.cloud_pcs.reconcile import directory_changed, directory_held, started
from shared.services.cloud_pcs.reconcile import drift_reconcile as drift_reconcile_of
from shared.services.engine.coalescing import Coalescer
from shared.services.spot_pc import spot_group_access
from shared.services.spot_pc.spot_group_access import SpotGroupAccessPorts
from shared.settings import Settings

log = logging.getLogger(__name__)


def blueprint(
    settings: Settings,
    ports: EnginePorts,
    tenants: TenantStore,
    events: EventPublisher,
    spot_groups: SpotGroupAccessPorts,
) -> df.Blueprint:
    bp = df.Blueprint()
    # a burst of hints about one tenant runs as one reconcile after the one under way; users' hints apart from
    # groups' (each kind's success clears its own refusal, shared/services/cloud_pcs/reconcile.py)
    hints: Coalescer[tuple[str, bool], DirectoryEvent] = Coalescer(DirectoryEvent.merged)

    async def act_on(event: DirectoryEvent, message_id: str, client: df.DurableOrchestrationClient) -> None:
        try:
            outcome = await asyncio.to_thread(directory_changed, ports, event)
        except CloudError as exc:
            if not exc.transient:
                raise
            # a throttle (or no answer) is waited out as the service said, on the queue rather than a thread: the
            # change is sent again for then, and the tenant's activity says why, with no failure to retry
            wait = await asyncio.to_thread(directory_held, ports, event, exc)
            await asyncio.to_thread(
                events.publish_directory_event,
                event.tenant_id,
                user_ids=event.user_ids,
                group_ids=event.group_ids,
                full=event.full,
                delay_s=wait,
            )
            log.warning(
                "Directory change of tenant %s read again in %.0f s: %s (%s)",
                event.tenant_id,
                wait,
                exc.reason or exc.code,
                exc.step,
            )
            return
        if outcome.follow_backend:  # one follower a tenant
            await follow_backend(client, event.tenant_id, message_id)
        runs = [
            ProvisionInput.starting(event.tenant_id, item.cloud_pc_id, item.run, not_before=item.not_before)
            for item in outcome.to_provision
        ]
        begun = await start_provisioning(client, runs)
        await asyncio.to_thread(started, ports, outcome)  # had it died, the pending-start sweep would start them
        spot_groups_looked = await asyncio.to_thread(spot_group_access.directory_changed, spot_groups, event)
        log.info(
            "Reconciled tenant %s: %d users, %d Cloud PCs created, %d started, %d Spot Groups' access",
            event.tenant_id,
            outcome.users_considered,
            len(outcome.created),
            begun,
            spot_groups_looked,
        )

    @bp.function_name("directoryEvents")
    @bp.queue_trigger(arg_name="message", queue_name=settings.directory_events_queue, connection="AzureWebJobsStorage")
    @bp.durable_client_input(client_name="client")
    async def directory_events(
        message: func.QueueMessage, client: df.DurableOrchestrationClient, context: func.Context
    ) -> None:
        """A hint that users or groups changed: the tenant's backend says what to start (the provisioning of what
        it created, or following the backend, which acts on the directory itself), and the Spot Groups that use a
        changed group give their desktop to whom the license count now says. One arriving while the tenant's
        reconcile of its kind runs waits for it, and is acted on with the others that arrived meanwhile.

        A malformed message raises, so after maxDequeueCount it rests in the poison queue for an operator; so does
        one whose merged run keeps failing.
        """
        event = DirectoryEvent.model_validate_json(message.get_body())
        with telemetry.span(
            f"process {settings.directory_events_queue}",
            kind=SpanKind.CONSUMER,
            parent=event.traceparent,
            invocation=context,
            ids={"tenantId": event.tenant_id},
        ):
            message_id = message.id or new_id()
            key = (event.tenant_id, event.reads_groups)
            if not await hints.run(key, event, lambda merged: act_on(merged, message_id, client)):
                log.info("Directory change of tenant %s acted on with others that arrived with it", event.tenant_id)

    @bp.function_name("driftReconcile")
    @bp.timer_trigger(arg_name="timer", schedule=settings.drift_reconcile_schedule, run_on_startup=False)
    def drift_reconcile(timer: func.TimerRequest) -> None:
        """A full reconcile of each linked tenant (its Spot Groups' access too), through the same queue."""
        log.info("Drift reconcile queued for %d linked tenants", drift_reconcile_of(tenants.iter_tenants(), events))

    return bp
