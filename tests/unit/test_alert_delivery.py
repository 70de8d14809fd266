"""An alert's notice carried to one channel: sent once, retried with backoff on a transient failure, given up on a
refusal or when its attempts are spent; never raising for the channel's failure."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from shared.errors import NotFound, PreconditionFailed
from shared.models.alerts import (
    Alert,
    AlertDelivery,
    AlertRule,
    AlertStatus,
    StoredChannel,
    masked_url,
    webhook_secret_name,
)
from shared.ports.alerts import SenderStanding
from shared.ports.cloud_errors import CloudError
from shared.services.monitoring import alert_channels, alert_delivery
from shared.services.monitoring.alert_delivery import BACKOFF_S, MAX_ATTEMPTS, backoff_s

NOW = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)
SECRET = "a-secret-of-sixteen-or-more"
TEAMS = "https://teams.example/webhookb2/token"  # a credential: kept in Key Vault, masked on the rule
CHANNELS = [
    StoredChannel(kind="webhook", url="https://hooks.example/a", secret_set=True),
    StoredChannel(kind="teams", url=masked_url(TEAMS), secret_set=True),
    StoredChannel(kind="email", mailbox="alerts@contoso.example", to=["ops@contoso.example"]),
]


class Alerts:
    """The smallest AlertStore this needs: one rule, alerts with etags, a write conditional on them."""

    def __init__(self) -> None:
        self.rule = AlertRule(
            id="rule-1",
            created_date_time=NOW,
            last_modified_date_time=NOW,
            tenant_id="t1",
            display_name="Provisioning failed",
            kind="provisioningFailed",
            severity="critical",
            channels=CHANNELS,
        )
        self.alerts: dict[str, Alert] = {}
        self.writes = 0
        self.interleave: Callable[[], object] | None = None  # another writer, once, between a read and a write

    def add(self) -> Alert:
        alert = Alert(
            id="alert-1",
            created_date_time=NOW,
            last_modified_date_time=NOW,
            tenant_id="t1",
            rule_id="rule-1",
            kind="provisioningFailed",
            severity="critical",
            subject="policy:p1:Quota",
            subject_name="Sales",
            summary="3 Cloud PCs failed",
            count=3,
            raised_date_time=NOW,
            last_seen_date_time=NOW,
            etag="e0",
        )
        self.alerts[alert.id] = alert
        return alert

    def get_alert_rule(self, tenant_id: str, rule_id: str) -> AlertRule:
        if rule_id != self.rule.id:
            raise NotFound.resource("Alert rule", rule_id, "ruleId")
        return self.rule

    def list_alert_rules(
        self, tenant_id: str, *, top: int | None = None, skip_token: str | None = None
    ) -> tuple[list[AlertRule], str | None]:
        return [self.rule], None

    def put_alert_rule(self, rule: AlertRule, *, if_match: str | None = None, if_none_match: bool = False) -> AlertRule:
        raise AssertionError("a delivery never writes a rule")

    def delete_alert_rule(self, tenant_id: str, rule_id: str, *, if_match: str | None = None) -> None:
        raise AssertionError("a delivery never deletes a rule")

    def list_alerts(
        self,
        tenant_id: str,
        *,
        status: AlertStatus | None = None,
        top: int | None = None,
        skip_token: str | None = None,
    ) -> tuple[list[Alert], str | None]:
        return list(self.alerts.values()), None

    def open_alerts(self, tenant_id: str, rule_id: str) -> list[Alert]:
        return [alert for alert in self.alerts.values() if alert.status != "resolved"]

    def get_alert(self, tenant_id: str, alert_id: str) -> Alert:
        if alert_id not in self.alerts:
            raise NotFound.resource("Alert", alert_id, "alertId")
        return self.alerts[alert_id]

    def put_alert(self, alert: Alert, *, if_match: str | None = None, if_none_match: bool = False) -> Alert:
        if self.interleave is not None:
            other, self.interleave = self.interleave, None
            other()
        if if_match is not None and self.alerts[alert.id].etag != if_match:
            raise PreconditionFailed.stale("Alert", alert.id)
        self.writes += 1
        saved = alert.model_copy(update={"etag": f"e{self.writes}"})
        self.alerts[alert.id] = saved
        return saved


@dataclass
class Sender:
    failures: list[Exception] = field(default_factory=list)  # raised by the next sends, in order
    posts: list[tuple[str, bytes, dict[str, str]]] = field(default_factory=list)
    mails: list[tuple[str, str, list[str], str, str]] = field(default_factory=list)

    def _fail(self) -> None:
        if self.failures:
            raise self.failures.pop(0)

    async def post_json(self, url: str, body: bytes, headers: Mapping[str, str]) -> None:
        self._fail()
        self.posts.append((url, body, dict(headers)))

    def send_mail(self, tenant_id: str, mailbox: str, to: list[str], subject: str, html: str) -> None:
        self._fail()
        self.mails.append((tenant_id, mailbox, to, subject, html))

    def sender_standing(self, tenant_id: str, mailbox: str) -> SenderStanding:
        return "canSend"


@dataclass
class Secrets:
    # the name the rule gives its webhook's secret
    values: dict[str, str] = field(
        default_factory=lambda: {
            webhook_secret_name("t1", "rule-1", "https://hooks.example/a"): SECRET,
            webhook_secret_name("t1", "rule-1", masked_url(TEAMS)): TEAMS,
        }
    )

    def get_secret(self, name: str) -> str:
        if name not in self.values:
            raise NotFound(f"Secret '{name}' was not found.", code="notFound", target="secret")
        return self.values[name]

    def set_secret(self, name: str, value: str) -> None:
        self.values[name] = value

    def delete_secret(self, name: str) -> None:
        self.values.pop(name, None)


@dataclass
class Queue:
    sent: list[tuple[AlertDelivery, float]] = field(default_factory=list)

    def enqueue_alert_delivery(self, delivery: AlertDelivery, delay_s: float = 0.0) -> None:
        self.sent.append((delivery, delay_s))


@dataclass
class Ports:
    alerts: Alerts = field(default_factory=Alerts)
    notices: Sender = field(default_factory=Sender)
    secrets: Secrets = field(default_factory=Secrets)
    deliveries: Queue = field(default_factory=Queue)
    now: list[datetime] = field(default_factory=lambda: [NOW])
    portal_url: str | None = "https://app.example/api/portal/"

    @property
    def clock(self) -> Callable[[], datetime]:
        return lambda: self.now[0]


def failure(status: int, retry_after_s: float | None = None) -> CloudError:
    error = CloudError("alertWebhook", f"http{status}", f"The endpoint answered HTTP {status}.")
    error.status, error.retry_after_s = status, retry_after_s
    return error


def message(channel: int = 0, attempt: int = 1, event: str = "raised") -> AlertDelivery:
    return AlertDelivery.model_validate(
        {"tenantId": "t1", "alertId": "alert-1", "channel": channel, "event": event, "attempt": attempt}
    )


@pytest.fixture
def ports() -> Ports:
    made = Ports()
    made.alerts.add()
    return made


def test_the_backoff_waits_longer_each_time_and_a_longer_retry_after_wins() -> None:
    assert [backoff_s(n) for n in range(1, MAX_ATTEMPTS + 1)] == [*BACKOFF_S, None]
    assert BACKOFF_S == (30.0, 120.0, 600.0, 1800.0, 7200.0) and MAX_ATTEMPTS == 6
    assert backoff_s(1, retry_after_s=90) == 90 and backoff_s(2, retry_after_s=5) == 120
    assert backoff_s(MAX_ATTEMPTS, retry_after_s=5) is None


def test_a_webhook_notice_is_signed_with_the_rules_secret_and_recorded_delivered(ports: Ports) -> None:
    row = asyncio.run(alert_delivery.deliver(ports, message()))
    [(url, body, headers)] = ports.notices.posts
    assert url == "https://hooks.example/a" and alert_channels.signed_by(SECRET, body, headers["X-CloudPC-Signature"])
    assert row is not None and row.status == "delivered" and row.attempts == 1 and row.delivered_date_time == NOW
    [stored] = ports.alerts.alerts["alert-1"].deliveries
    assert stored == row and ports.deliveries.sent == []


def test_a_duplicate_message_of_a_delivered_notice_does_nothing(ports: Ports) -> None:
    asyncio.run(alert_delivery.deliver(ports, message()))
    writes = ports.alerts.writes
    assert asyncio.run(alert_delivery.deliver(ports, message())) is None
    assert len(ports.notices.posts) == 1 and ports.alerts.writes == writes


def test_a_transient_failure_is_retried_later_with_the_next_attempt_queued(ports: Ports) -> None:
    ports.notices.failures = [failure(503)]
    row = asyncio.run(alert_delivery.deliver(ports, message()))
    assert row is not None and row.status == "pending" and row.attempts == 1
    assert row.last_error is not None and "503" in row.last_error
    assert row.next_attempt_date_time == NOW + timedelta(seconds=BACKOFF_S[0])
    assert ports.deliveries.sent == [(message(attempt=2), BACKOFF_S[0])]
    assert (
        asyncio.run(alert_delivery.deliver(ports, message(attempt=1))) is None
    )  # the failed attempt's message seen again
    ports.now[0] = NOW + timedelta(seconds=30)
    row = asyncio.run(alert_delivery.deliver(ports, message(attempt=2)))
    assert row is not None and row.status == "delivered" and row.attempts == 2 and row.last_error is None
    assert len(ports.notices.posts) == 1 and len(ports.deliveries.sent) == 1


def test_a_throttle_waits_as_long_as_its_retry_after_says(ports: Ports) -> None:
    ports.notices.failures = [failure(429, retry_after_s=300)]
    asyncio.run(alert_delivery.deliver(ports, message()))
    assert ports.deliveries.sent == [(message(attempt=2), 300.0)]


def test_a_refusal_fails_the_notice_at_once(ports: Ports) -> None:
    ports.notices.failures = [failure(404)]
    row = asyncio.run(alert_delivery.deliver(ports, message()))
    assert row is not None and row.status == "failed" and row.attempts == 1 and "404" in (row.last_error or "")
    assert ports.deliveries.sent == []


def test_a_notice_whose_attempts_run_out_fails(ports: Ports) -> None:
    ports.notices.failures = [failure(500) for _ in range(MAX_ATTEMPTS)]
    row = asyncio.run(alert_delivery.deliver(ports, message()))
    for attempt in range(2, MAX_ATTEMPTS + 1):
        assert row is not None and row.status == "pending"
        row = asyncio.run(alert_delivery.deliver(ports, message(attempt=attempt)))
    assert row is not None and row.status == "failed" and row.attempts == MAX_ATTEMPTS
    assert [delay for _, delay in ports.deliveries.sent] == list(BACKOFF_S)
    assert ports.notices.posts == []


def test_a_failure_of_any_kind_never_raises_and_a_missing_secret_fails_for_good(ports: Ports) -> None:
    ports.notices.failures = [RuntimeError("connection reset")]
    row = asyncio.run(alert_delivery.deliver(ports, message()))
    assert row is not None and row.status == "pending" and "RuntimeError" in (row.last_error or "")
    ports.secrets.values.clear()
    row = asyncio.run(alert_delivery.deliver(ports, message(attempt=2)))
    assert row is not None and row.status == "failed"


def test_the_secret_never_reaches_the_recorded_error(ports: Ports) -> None:
    ports.notices.failures = [failure(400)]
    asyncio.run(alert_delivery.deliver(ports, message()))
    assert SECRET not in ports.alerts.alerts["alert-1"].model_dump_json()


def test_teams_gets_the_card_and_email_goes_through_graph(ports: Ports) -> None:
    asyncio.run(alert_delivery.deliver(ports, message(channel=1)))
    asyncio.run(alert_delivery.deliver(ports, message(channel=2)))
    [(url, body, headers)] = ports.notices.posts
    assert url == TEAMS and b"AdaptiveCard" in body and "X-CloudPC-Signature" not in headers
    [(tenant, mailbox, to, subject, html)] = ports.notices.mails
    assert (tenant, mailbox, to) == ("t1", "alerts@contoso.example", ["ops@contoso.example"])
    assert subject == "[critical] 3 Cloud PCs failed" and "3 Cloud PCs failed" in html
    statuses = {(d.channel, d.kind): d.status for d in ports.alerts.alerts["alert-1"].deliveries}
    assert statuses == {(1, "teams"): "delivered", (2, "email"): "delivered"}


def test_another_channels_write_in_between_is_kept(ports: Ports) -> None:
    asyncio.run(alert_delivery.deliver(ports, message(channel=1)))
    ports.alerts.interleave = lambda: ports.alerts.put_alert(
        ports.alerts.alerts["alert-1"].model_copy(update={"count": 4})
    )
    asyncio.run(alert_delivery.deliver(ports, message(channel=2)))
    stored = ports.alerts.alerts["alert-1"]
    assert stored.count == 4 and {d.channel for d in stored.deliveries} == {1, 2}


def test_an_alert_or_channel_that_is_gone_sends_nothing(ports: Ports) -> None:
    assert asyncio.run(alert_delivery.deliver(ports, message(channel=7))) is None
    assert asyncio.run(alert_delivery.deliver(ports, message().model_copy(update={"alert_id": "gone"}))) is None
    assert ports.notices.posts == [] and ports.notices.mails == []
