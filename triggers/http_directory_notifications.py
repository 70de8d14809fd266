"""Graph change notifications: the webhook Graph posts to, its lifecycle twin, the queue acting on lifecycle events,
and the timer keeping subscriptions.

Both URLs are anonymous (Graph sends no token): a notification counts only when its clientState matches the
one the subscription was made with. Graph wants a 2xx within 3 s, else it retries and may throttle the endpoint
(https://learn.microsoft.com/graph/change-notifications-delivery-webhooks): the webhooks call no Graph API, they
queue (directory events; lifecycle events on `directory-subscriptions`) and answer 202.
"""

from __future__ import annotations

import logging
from typing import Any

import azure.durable_functions as df
import azure.functions as func
from opentelemetry.trace import SpanKind

from shared import telemetry
from shared.events import SubscriptionLifecycleMessage
from shared.models.directory_subscriptions import ChangeNotificationCollection
from shared.ports.access_stores import TenantStore
from shared.ports.queues import EventPublisher
from shared.services.access.directory_subscriptions import DirectorySubscriptions
from shared.settings import Settings
from triggers.http_api import Api
from triggers.http_request import ApiRequest, QueryParam
from triggers.http_responses import ApiResponse, HttpError

log = logging.getLogger(__name__)
MAX_TOKEN_LENGTH = 1024
VALIDATION = QueryParam(
    "validationToken",
    "Graph's validation handshake: echoed back as text/plain (200) without reading the body.",
    {"type": "string", "maxLength": MAX_TOKEN_LENGTH},
)
HANDSHAKE = {
    "description": "Graph's validation handshake: the validationToken, echoed back; the body is not read.",
    "content": {"text/plain": {"schema": {"type": "string", "maxLength": MAX_TOKEN_LENGTH}}},
}


def validation_echo(req: ApiRequest) -> func.HttpResponse | None:
    """Graph's handshake when a subscription is made: 200 text/plain with the token, within 10 s."""
    token = req.raw.params.get("validationToken")
    if token is None:
        return None
    if len(token) > MAX_TOKEN_LENGTH:
        raise HttpError(400, "invalidValidationToken", "The validation token is too long.", "validationToken")
    headers = {"Content-Type": "text/plain; charset=utf-8"}  # Graph checks it; set whatever the host would infer
    return func.HttpResponse(token, status_code=200, headers=headers, mimetype="text/plain", charset="utf-8")


def notifications_of(req: ApiRequest) -> list[dict[str, Any]]:
    value = req.json().get("value")
    if not isinstance(value, list):
        raise HttpError(400, "invalidNotification", 'The body must be {"value": [notifications]}.', "value")
    return [item for item in value if isinstance(item, dict)]


def blueprint(
    api: Api,
    settings: Settings,
    subscriptions: DirectorySubscriptions | None,
    tenants: TenantStore,
    events: EventPublisher,
) -> df.Blueprint:
    if subscriptions is None:
        raise RuntimeError("The composition root must set AdminPorts.directory_subscriptions (DirectorySubscriptions).")
    bp = df.Blueprint()
    routes = api.section(bp, "Directory notifications")
    webhook: dict[str, Any] = {
        "status": 202,
        "review": False,
        "query": (VALIDATION,),
        "body": ChangeNotificationCollection,
        "responses": {"200": HANDSHAKE},
    }

    @routes.post(
        "directoryNotifications", "directoryNotifications", "Graph change notifications (users, groups)", **webhook
    )
    def notifications(req: ApiRequest) -> Any:
        echo = validation_echo(req)
        if echo is not None:
            return echo
        for hint in subscriptions.hints(notifications_of(req)):
            if hint.user_ids:
                events.publish_directory_event(hint.tenant_id, user_ids=list(hint.user_ids))
            if hint.group_ids:
                events.publish_directory_event(hint.tenant_id, group_ids=list(hint.group_ids))
        return ApiResponse(202)

    @routes.post(
        "directoryNotifications/lifecycle",
        "directoryLifecycleNotifications",
        "Graph lifecycle notifications (reauthorizationRequired; subscriptionRemoved and missed too, if sent)",
        **webhook,
    )
    def lifecycle(req: ApiRequest) -> Any:
        echo = validation_echo(req)
        if echo is not None:
            return echo
        for item in notifications_of(req):
            tenant_id = subscriptions.accept_lifecycle(item)
            if tenant_id is not None:  # notifications were lost: reconcile the whole tenant, as the drift timer does
                events.publish_directory_event(tenant_id, full=True)
        return ApiResponse(202)

    @bp.function_name("directorySubscriptionLifecycle")
    @bp.queue_trigger(
        arg_name="message", queue_name=settings.directory_subscriptions_queue, connection="AzureWebJobsStorage"
    )
    def act_on_lifecycle(message: func.QueueMessage, context: func.Context) -> None:
        """A lifecycle event the webhook verified: renew or re-create the subscription. A failure raises, so the
        queue tries again (and the renewal timer catches up after maxDequeueCount)."""
        work = SubscriptionLifecycleMessage.model_validate_json(message.get_body())
        with telemetry.span(
            f"process {settings.directory_subscriptions_queue}",
            kind=SpanKind.CONSUMER,
            parent=work.traceparent,
            invocation=context,
            ids={"tenantId": work.tenant_id},
        ):
            tenant_id = subscriptions.act_on_lifecycle(work.tenant_id, work.subscription_id, work.lifecycle_event)
            if tenant_id is not None:
                events.publish_directory_event(tenant_id, full=True)

    @bp.function_name("renewDirectorySubscriptions")
    @bp.timer_trigger(arg_name="timer", schedule=settings.subscription_renewal_schedule, run_on_startup=False)
    def renew_subscriptions(timer: func.TimerRequest) -> None:
        """Every linked tenant keeps a users and a groups subscription; those expiring within a day are renewed."""
        outcome = subscriptions.keep_alive(tenants.iter_tenants())
        log.info(
            "Graph subscriptions: %d created, %d renewed, %d removed, %d tenants failed",
            outcome.created,
            outcome.renewed,
            outcome.removed,
            outcome.failed,
        )

    return bp
