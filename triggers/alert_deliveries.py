"""Queue trigger that sends one alert notice to one channel (`alert-deliveries`)."""

from __future__ import annotations

import json
import logging

import azure.durable_functions as df
import azure.functions as func
from opentelemetry.trace import SpanKind

from shared import telemetry
from shared.models.alerts import AlertDelivery
from shared.ports.bundles import AlertPorts
from shared.services.monitoring import alert_delivery
from shared.settings import Settings

log = logging.getLogger(__name__)


def blueprint(settings: Settings, ports: AlertPorts) -> df.Blueprint:
    bp = df.Blueprint()

    @bp.function_name("alertDeliveries")
    @bp.queue_trigger(arg_name="message", queue_name=settings.alert_deliveries_queue, connection="AzureWebJobsStorage")
    async def deliver(message: func.QueueMessage, context: func.Context) -> None:
        """A channel's failure is the delivery's to retry or give up (alert_delivery.deliver never raises for it);
        only a malformed message raises, and rests in the poison queue for an operator."""
        body = json.loads(message.get_body())
        request = AlertDelivery.model_validate(body)
        with telemetry.span(
            f"process {settings.alert_deliveries_queue}",
            kind=SpanKind.CONSUMER,
            parent=body.get(telemetry.TRACEPARENT),
            invocation=context,
            ids={"tenantId": request.tenant_id},
        ):
            row = await alert_delivery.deliver(ports, request)
            if row is not None:
                log.info(
                    "Alert %s's %s notice to channel %d: %s after %d attempts",
                    request.alert_id,
                    request.event,
                    request.channel,
                    row.status,
                    row.attempts,
                )

    return bp
