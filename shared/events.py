"""Queue messages the app sends itself: directory changes (`directory-events`), Graph lifecycle events to act on
(`directory-subscriptions`), bulk actions to run (ids only), tenants whose alert rules to evaluate
(`alert-evaluations`), alert notices to deliver (`alert-deliveries`) and a timer's work for one group, connection or
tenant (`timer-work`)."""

from __future__ import annotations

import json
import math
from datetime import datetime
from typing import Literal

from azure.core.exceptions import ResourceExistsError
from azure.storage.queue import QueueClient
from opentelemetry.trace import SpanKind
from pydantic import Field, StrictBool

from shared import telemetry
from shared.models.alerts import AlertDelivery
from shared.models.base import InputModel

MAX_IDS_PER_MESSAGE = 500  # keeps a message well under the 64 KiB queue limit


class DirectoryEvent(InputModel):
    """`{"tenantId", "userIds"}` or `{"tenantId", "groupIds"}`: a hint to re-read the directory."""

    tenant_id: str = Field(min_length=1, max_length=64)
    user_ids: list[str] = Field(default=[], max_length=5000)
    group_ids: list[str] = Field(default=[], max_length=5000)
    full: StrictBool = False  # every assigned group and every Cloud PC of the tenant (the drift reconcile)
    traceparent: str | None = Field(default=None, max_length=55)  # the sender's trace (shared/telemetry.py)

    @property
    def reads_groups(self) -> bool:
        """A full or group hint reads the groups' members; a hint about users alone reads each user's memberships."""
        return self.full or bool(self.group_ids)

    def merged(self, other: DirectoryEvent) -> DirectoryEvent:
        """One hint of the same tenant and kind that says what both say (a full one says everything)."""
        if self.full or other.full:
            return self.model_copy(update={"full": True, "user_ids": [], "group_ids": []})
        return self.model_copy(
            update={
                "user_ids": list(dict.fromkeys([*self.user_ids, *other.user_ids])),
                "group_ids": list(dict.fromkeys([*self.group_ids, *other.group_ids])),
            }
        )


def directory_event_messages(
    tenant_id: str, user_ids: list[str] | None, group_ids: list[str] | None, full: bool = False
) -> list[str]:
    """The event as one or more queue messages, each below the size limit."""
    messages = [json.dumps({"tenantId": tenant_id, "full": True})] if full else []
    for key, ids in (("groupIds", group_ids or []), ("userIds", user_ids or [])):
        for start in range(0, len(ids), MAX_IDS_PER_MESSAGE):
            chunk = ids[start : start + MAX_IDS_PER_MESSAGE]
            messages.append(json.dumps({"tenantId": tenant_id, key: chunk}, separators=(",", ":")))
    return messages


class SubscriptionLifecycleMessage(InputModel):
    """`{"tenantId", "subscriptionId", "lifecycleEvent"}`: a verified Graph lifecycle event, acted on after the
    webhook answered Graph."""

    tenant_id: str = Field(min_length=1, max_length=64)
    subscription_id: str = Field(min_length=1, max_length=64)
    lifecycle_event: str = Field(min_length=1, max_length=64)
    traceparent: str | None = Field(default=None, max_length=55)  # the sender's trace (shared/telemetry.py)


class BulkActionMessage(InputModel):
    """`{"tenantId", "bulkActionId"}`: run the bulk action's items that have no result yet."""

    tenant_id: str = Field(min_length=1, max_length=64)
    bulk_action_id: str = Field(min_length=1, max_length=64)
    traceparent: str | None = Field(default=None, max_length=55)  # the sender's trace (shared/telemetry.py)


class RolloutMessage(InputModel):
    """`{"templateId", "rolloutId"}`: apply the template to the roll-out's tenants that have no result yet."""

    template_id: str = Field(min_length=1, max_length=64)
    rollout_id: str = Field(min_length=1, max_length=64)
    traceparent: str | None = Field(default=None, max_length=55)


class AlertEvaluationMessage(InputModel):
    """`{"tenantId"}`: evaluate the tenant's enabled alert rules now."""

    tenant_id: str = Field(min_length=1, max_length=64)
    traceparent: str | None = Field(default=None, max_length=55)  # the sender's trace (shared/telemetry.py)


TimerWorkName = Literal[
    "optimizeSpotGroup", "watchCloudPcUse", "reclaimUnused", "recheckConnection", "mendCloudPcCopies"
]


class TimerWork(InputModel):
    """`{"work", "tenantId", "subjectId", "tick"}`: one group's, connection's (`subjectId`) or tenant's share of a
    timer's run, done as at the timer's `tick`."""

    work: TimerWorkName
    tenant_id: str = Field(min_length=1, max_length=64)
    subject_id: str | None = Field(default=None, min_length=1, max_length=64)
    tick: datetime
    traceparent: str | None = Field(default=None, max_length=55)  # the sender's trace (shared/telemetry.py)


class _Queue:
    """One queue, created on first use, sent base64-encoded JSON (what the Functions queue trigger expects)."""

    def __init__(self, queue: QueueClient) -> None:
        self._queue = queue  # from StorageAccount.queue: base64 encoding set
        self._created = False

    def send(self, message: str, delay_s: float = 0.0) -> None:
        """Send `message` (a JSON object) with the current trace context in it as `traceparent`: storage-queue
        triggers carry no trace context of their own, so the reader continues the trace from the body. With
        `delay_s`, the message is seen that much later (whole seconds, the queue's visibility timeout)."""
        body = json.loads(message)
        name = self._queue.queue_name
        with telemetry.span(f"send {name}", kind=SpanKind.PRODUCER, ids=telemetry.ids_of(body)):
            if (parent := telemetry.traceparent()) is not None:
                message = json.dumps({**body, telemetry.TRACEPARENT: parent}, separators=(",", ":"))
            if not self._created:
                try:
                    self._queue.create_queue()
                except ResourceExistsError:
                    pass
                self._created = True
            later = {"visibility_timeout": math.ceil(delay_s)} if delay_s > 0 else {}
            self._queue.send_message(message, **later)


class QueueBulkActions(_Queue):
    def enqueue_bulk_action(self, tenant_id: str, bulk_action_id: str, delay_s: float = 0.0) -> None:
        message = BulkActionMessage(tenant_id=tenant_id, bulk_action_id=bulk_action_id)
        self.send(message.model_dump_json(by_alias=True), delay_s)


class QueueTemplateRollouts(_Queue):
    def enqueue_rollout(self, template_id: str, rollout_id: str) -> None:
        self.send(RolloutMessage(template_id=template_id, rollout_id=rollout_id).model_dump_json(by_alias=True))


class QueueEventPublisher(_Queue):
    def publish_directory_event(
        self,
        tenant_id: str,
        *,
        user_ids: list[str] | None = None,
        group_ids: list[str] | None = None,
        full: bool = False,
        delay_s: float = 0.0,
    ) -> None:
        for message in directory_event_messages(tenant_id, user_ids, group_ids, full):
            self.send(message, delay_s)


class QueueSubscriptionLifecycle(_Queue):
    def enqueue_lifecycle(self, tenant_id: str, subscription_id: str, lifecycle_event: str) -> None:
        message = SubscriptionLifecycleMessage(
            tenant_id=tenant_id, subscription_id=subscription_id, lifecycle_event=lifecycle_event
        )
        self.send(message.model_dump_json(by_alias=True, exclude_none=True))


class QueueAlertEvaluations(_Queue):
    def enqueue_alert_evaluation(self, tenant_id: str) -> None:
        self.send(AlertEvaluationMessage(tenant_id=tenant_id).model_dump_json(by_alias=True, exclude_none=True))


class QueueAlertDeliveries(_Queue):
    def enqueue_alert_delivery(self, delivery: AlertDelivery, delay_s: float = 0.0) -> None:
        self.send(delivery.model_dump_json(by_alias=True), delay_s)


class QueueTimerWork(_Queue):
    def enqueue_timer_work(
        self, work: TimerWorkName, tenant_id: str, subject_id: str | None, tick: datetime, delay_s: float = 0.0
    ) -> None:
        message = TimerWork.model_validate({"work": work, "tenantId": tenant_id, "subjectId": subject_id, "tick": tick})
        self.send(message.model_dump_json(by_alias=True, exclude_none=True), delay_s)
