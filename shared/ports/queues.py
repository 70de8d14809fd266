"""The queues the app sends itself work on: directory changes, Graph lifecycle events, bulk actions, template
roll-outs, the tenants whose alert rules to evaluate and the timers' work (their adapters and messages are in
shared/events.py; alert notices' is in alerts.py)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from shared.events import TimerWorkName


class EventPublisher(Protocol):
    def publish_directory_event(
        self,
        tenant_id: str,
        *,
        user_ids: list[str] | None = None,
        group_ids: list[str] | None = None,
        full: bool = False,
        delay_s: float = 0.0,
    ) -> None:
        """A hint to re-read the directory, acted on `delay_s` from now."""
        ...


class SubscriptionLifecycleQueue(Protocol):
    def enqueue_lifecycle(self, tenant_id: str, subscription_id: str, lifecycle_event: str) -> None: ...


class BulkActionQueue(Protocol):
    def enqueue_bulk_action(self, tenant_id: str, bulk_action_id: str, delay_s: float = 0.0) -> None:
        """Run the bulk action's items without a result, `delay_s` from now."""
        ...


class TemplateRolloutQueue(Protocol):
    def enqueue_rollout(self, template_id: str, rollout_id: str) -> None:
        """Run the roll-out's tenants without a result."""
        ...


class AlertEvaluationQueue(Protocol):
    def enqueue_alert_evaluation(self, tenant_id: str) -> None: ...


class TimerWorkQueue(Protocol):
    def enqueue_timer_work(
        self, work: TimerWorkName, tenant_id: str, subject_id: str | None, tick: datetime, delay_s: float = 0.0
    ) -> None:
        """One group's, connection's (`subject_id`) or tenant's share of the `work` of a timer's run at `tick`, taken
        `delay_s` from now."""
        ...
