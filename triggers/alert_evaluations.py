"""The timer that fans alert evaluation out, one queue message per tenant with an enabled rule (every tenant when the
organization has one), and the queue trigger that evaluates a tenant's rules and the organization's."""

from __future__ import annotations

import asyncio
import logging

import azure.durable_functions as df
import azure.functions as func
from opentelemetry.trace import SpanKind

from shared import telemetry
from shared.events import AlertEvaluationMessage
from shared.ports.bundles import AlertPorts
from shared.services.monitoring import alert_evaluation
from shared.settings import Settings

log = logging.getLogger(__name__)


def blueprint(settings: Settings, ports: AlertPorts) -> df.Blueprint:
    bp = df.Blueprint()

    @bp.function_name("evaluateAlerts")
    @bp.timer_trigger(arg_name="timer", schedule=settings.alert_evaluation_schedule, run_on_startup=False)
    def evaluate_alerts(timer: func.TimerRequest) -> None:
        """Each tenant's evaluation is its own message, so a slow or failing tenant holds up no other."""
        tenants = alert_evaluation.tenants_to_evaluate(ports)
        for tenant_id in tenants:
            ports.evaluations.enqueue_alert_evaluation(tenant_id)
        if tenants:
            log.info("Alert evaluation queued for %d tenants", len(tenants))

    @bp.function_name("alertEvaluations")
    @bp.queue_trigger(arg_name="message", queue_name=settings.alert_evaluations_queue, connection="AzureWebJobsStorage")
    async def alert_evaluations(message: func.QueueMessage, context: func.Context) -> None:
        """A rule that cannot be evaluated is logged and the tenant's other rules go on; a malformed message rests
        in the poison queue after maxDequeueCount."""
        request = AlertEvaluationMessage.model_validate_json(message.get_body())
        with telemetry.span(
            f"process {settings.alert_evaluations_queue}",
            kind=SpanKind.CONSUMER,
            parent=request.traceparent,
            invocation=context,
            ids={"tenantId": request.tenant_id},
        ):
            outcome = await asyncio.to_thread(alert_evaluation.evaluate_tenant, ports, request.tenant_id)
            if outcome.raised or outcome.resolved or outcome.failed_rules:
                log.info(
                    "Alerts of tenant %s: %d raised, %d resolved, %d rules failed",
                    request.tenant_id,
                    outcome.raised,
                    outcome.resolved,
                    len(outcome.failed_rules),
                )

    return bp
