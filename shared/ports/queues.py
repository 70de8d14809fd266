"""The queues the app sends itself work on: directory changes, Graph lifecycle events, bulk actions and the tenants
whose alert rules to evaluate (their adapters and messages are in shared/events.py; alert notices' is in alerts.py)."""

from __future__ import annotations

from typing import Protocol


class EventPublisher(Protocol):
    def publish_directory_event(
        self,
        tenant_id: str,
        *,
        user_ids: list[str] | None = None,
        group_ids: list[str] | None = None,
        full: bool = False,
    ) -> None: ...


class SubscriptionLifecycleQueue(Protocol):
    def enqueue_lifecycle(self, tenant_id: str, subscription_id: str, lifecycle_event: str) -> None: ...


class BulkActionQueue(Protocol):
    def enqueue_bulk_action(self, tenant_id: str, bulk_action_id: str, delay_s: float = 0.0) -> None:
        """Run the bulk action's items without a result, `delay_s` from now."""
        ...


class AlertEvaluationQueue(Protocol):
    def enqueue_alert_evaluation(self, tenant_id: str) -> None: ...
