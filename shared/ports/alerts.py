"""The alert ports: rules and alerts kept in tables, the queue that carries notices, and the channels that send them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from shared.models.alerts import Alert, AlertDelivery, AlertRule, AlertStatus


class AlertStore(Protocol):
    def get_alert_rule(self, tenant_id: str, rule_id: str) -> AlertRule: ...

    def list_alert_rules(
        self, tenant_id: str, *, top: int | None = None, skip_token: str | None = None
    ) -> tuple[list[AlertRule], str | None]: ...

    def list_all_alert_rules(self, tenant_id: str) -> list[AlertRule]: ...

    def tenants_with_enabled_rules(self) -> list[str]:
        """The tenants with an enabled rule (ORGANIZATION: an organization rule), reading the rules' keys only."""
        ...

    def put_alert_rule(
        self, rule: AlertRule, *, if_match: str | None = None, if_none_match: bool = False
    ) -> AlertRule: ...

    def delete_alert_rule(self, tenant_id: str, rule_id: str, *, if_match: str | None = None) -> None: ...

    def get_alert(self, tenant_id: str, alert_id: str) -> Alert: ...

    def list_alerts(
        self,
        tenant_id: str,
        *,
        status: AlertStatus | None = None,
        top: int | None = None,
        skip_token: str | None = None,
    ) -> tuple[list[Alert], str | None]: ...

    def list_alerts_of(
        self,
        tenant_ids: list[str],
        *,
        status: AlertStatus | None = None,
        top: int | None = None,
        skip_token: str | None = None,
    ) -> tuple[list[Alert], str | None]:
        """The alerts of these tenants together, newest first."""
        ...

    def open_alerts(self, tenant_id: str, rule_id: str) -> list[Alert]:
        """The rule's alerts not yet resolved: the ones a new sighting deduplicates against."""
        ...

    def count_open_alerts(self, tenant_id: str) -> int:
        """Active and acknowledged alerts, in one query."""
        ...

    def count_open_alerts_per_tenant(self) -> dict[str, int]:
        """count_open_alerts of every tenant that has any, in one query across tenants."""
        ...

    def put_alert(self, alert: Alert, *, if_match: str | None = None, if_none_match: bool = False) -> Alert:
        """Create-only (`if_none_match`) raises it: Conflict when its rule and subject have an open alert already,
        so two evaluations at once raise it once; a write that resolves it lets the next sighting raise a new one."""
        ...


class AlertDeliveryQueue(Protocol):
    def enqueue_alert_delivery(self, delivery: AlertDelivery, delay_s: float = 0.0) -> None: ...


class NoticeSender(Protocol):
    """Sends a notice out of the app: an HTTPS POST to a webhook (a tenant's endpoint or a Teams incoming webhook),
    or an e-mail through Graph from a mailbox of the customer's. Each raises a CloudError on refusal or failure."""

    def post_json(self, url: str, body: bytes, headers: Mapping[str, str]) -> None: ...

    def send_mail(self, tenant_id: str, mailbox: str, to: list[str], subject: str, html: str) -> None: ...

    def mailbox_exists(self, tenant_id: str, mailbox: str) -> bool: ...
