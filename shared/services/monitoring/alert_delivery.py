"""One channel's notice of one alert event carried out: sent, recorded on the alert, and on a transient failure sent
again later by the app's own backoff (the queue's poison handling is for malformed messages only).

A delivery is a coroutine: a webhook's POST is awaited on the event loop, so that a slow receiver holds no thread
other work needs; the store, the vault and Graph's sendMail, which answer at once, are called on a thread each."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from shared.errors import DomainError, NotFound
from shared.models.alerts import ORGANIZATION, Alert, AlertDelivery, AlertRule, ChannelDelivery, StoredChannel
from shared.ports.alerts import AlertDeliveryQueue, NoticeSender
from shared.ports.cloud_errors import CloudError
from shared.ports.secret_store import SecretStore
from shared.services.engine import mail_senders
from shared.services.engine.updates import update_with_etag
from shared.services.monitoring import alert_channels
from shared.services.monitoring.alert_transitions import CHANNEL_DELIVERIES

log = logging.getLogger(__name__)

# the wait after each failed attempt; the attempt after the last wait is the last one
BACKOFF_S: tuple[float, ...] = (30.0, 120.0, 600.0, 1800.0, 7200.0)
MAX_ATTEMPTS = len(BACKOFF_S) + 1
ERROR_MAX = 300  # what is kept of a failure's words


class DeliveredAlerts(Protocol):
    """What a delivery reads and writes of the alert store: the alert, its rule, the alert again on its etag."""

    def get_alert(self, tenant_id: str, alert_id: str) -> Alert: ...

    def get_alert_rule(self, tenant_id: str, rule_id: str) -> AlertRule: ...

    def put_alert(self, alert: Alert, *, if_match: str | None = None, if_none_match: bool = False) -> Alert: ...


class AlertDeliveryPorts(Protocol):
    @property
    def alerts(self) -> DeliveredAlerts: ...
    @property
    def notices(self) -> NoticeSender: ...
    @property
    def secrets(self) -> SecretStore: ...
    @property
    def deliveries(self) -> AlertDeliveryQueue: ...
    @property
    def clock(self) -> Callable[[], datetime]: ...
    @property
    def portal_url(self) -> str | None: ...


@dataclass(frozen=True)
class Failure:
    error: str
    transient: bool
    retry_after_s: float | None = None


def backoff_s(attempts: int, retry_after_s: float | None = None) -> float | None:
    """The wait before the next attempt after `attempts` failed ones (the service's Retry-After when longer);
    None when they are all spent."""
    if attempts >= MAX_ATTEMPTS:
        return None
    return max(BACKOFF_S[attempts - 1], retry_after_s or 0.0)


def _failure(exc: Exception) -> Failure:
    """How a send failed: a CloudError as its status says; a missing secret, or a mailbox Exchange will not send
    from, for good and in the admin's words; anything else (a vault that did not answer) worth another attempt."""
    if isinstance(exc, CloudError):
        return Failure(f"{exc.code}: {exc}"[:ERROR_MAX], exc.transient, exc.retry_after_s)
    if isinstance(exc, DomainError):
        return Failure(str(exc)[:ERROR_MAX], False)
    return Failure(f"{type(exc).__name__}: {exc}"[:ERROR_MAX], True)


async def _send(ports: AlertDeliveryPorts, alert: Alert, rule: AlertRule, message: AlertDelivery) -> None:
    channel = rule.channels[message.channel]
    notice = alert_channels.notice_of(alert, rule, message.event, ports.portal_url)
    if channel.kind == "email":
        mail = alert_channels.email(notice)
        try:
            await asyncio.to_thread(
                ports.notices.send_mail, alert.tenant_id, str(channel.mailbox), channel.to, mail.subject, mail.html
            )
        except CloudError as exc:  # a mailbox Exchange will not send from: given up at once, the reason in words
            raise mail_senders.refused_sender(exc, str(channel.mailbox)) or exc from None
        return
    # a secret (a webhook's signing key, a Teams channel's address) is read at each send, so a changed one applies
    # at once; it is never logged
    secret = await asyncio.to_thread(ports.secrets.get_secret, channel.secret_name) if channel.secret_name else None
    if channel.kind == "teams":
        if secret is None:
            raise NotFound("The Teams channel's address is not in Key Vault.", code="notFound", target="url")
        card = alert_channels.teams_request(notice, message.channel)
        await ports.notices.post_json(secret, card.body, card.headers)
        return
    request = alert_channels.webhook_request(notice, message.channel, secret, ports.clock())
    await ports.notices.post_json(str(channel.url), request.body, request.headers)


def _row(alert: Alert, channel: StoredChannel, message: AlertDelivery) -> ChannelDelivery:
    found = next((d for d in alert.deliveries if d.channel == message.channel and d.event == message.event), None)
    return found or ChannelDelivery(channel=message.channel, kind=channel.kind, event=message.event)


def _record(ports: AlertDeliveryPorts, message: AlertDelivery, moved: ChannelDelivery) -> None:
    """The delivery's row on the alert, written on its etag: another channel's delivery may write the alert at once."""

    def change(alert: Alert) -> Alert:
        others = [d for d in alert.deliveries if (d.channel, d.event) != (moved.channel, moved.event)]
        return alert.model_copy(update={"deliveries": [*others, moved]})

    update_with_etag(
        lambda: ports.alerts.get_alert(message.tenant_id, message.alert_id),
        change,
        lambda alert, etag: ports.alerts.put_alert(alert, if_match=etag),
        if_match=None,
    )


def _rule_of(alerts: DeliveredAlerts, alert: Alert) -> AlertRule:
    """The tenant's own rule, else the organization's: an organization rule's alerts are kept in each tenant."""
    try:
        return alerts.get_alert_rule(alert.tenant_id, alert.rule_id)
    except NotFound:
        return alerts.get_alert_rule(ORGANIZATION, alert.rule_id)


async def deliver(ports: AlertDeliveryPorts, message: AlertDelivery) -> ChannelDelivery | None:
    """Send the notice the message names, once: a delivered (or given up) one, or a message of an attempt already
    made, does nothing. Never raises for the channel's failure. The row as recorded, None when nothing was done."""
    found = await asyncio.to_thread(_found, ports, message)
    if found is None:
        return None
    alert, rule, row = found
    try:
        await _send(ports, alert, rule, message)
    except Exception as exc:  # every failure of the channel's is this rule's to retry or give up, never the queue's
        return await asyncio.to_thread(_failed, ports, message, alert, row, _failure(exc))
    delivered = CHANNEL_DELIVERIES.move(
        row,
        "deliver",
        attempts=row.attempts + 1,
        last_error=None,
        next_attempt_date_time=None,
        delivered_date_time=ports.clock(),
    )
    await asyncio.to_thread(_record, ports, message, delivered)
    return delivered


def _found(ports: AlertDeliveryPorts, message: AlertDelivery) -> tuple[Alert, AlertRule, ChannelDelivery] | None:
    """The alert, its rule and the notice's row, when this message's attempt is still to make."""
    try:
        alert = ports.alerts.get_alert(message.tenant_id, message.alert_id)
        rule = _rule_of(ports.alerts, alert)
    except NotFound:
        log.info("Alert %s or its rule is gone: its notice is not sent", message.alert_id)
        return None
    if message.channel >= len(rule.channels):
        log.info("Alert %s's rule no longer has channel %d", alert.id, message.channel)
        return None
    row = _row(alert, rule.channels[message.channel], message)
    if row.status != "pending" or message.attempt <= row.attempts:
        return None  # a duplicate message: this attempt was made, or the notice has its outcome
    return alert, rule, row


def _failed(
    ports: AlertDeliveryPorts, message: AlertDelivery, alert: Alert, row: ChannelDelivery, failure: Failure
) -> ChannelDelivery:
    """The failed attempt recorded: sent again after its backoff while it is transient and attempts are left."""
    attempts = row.attempts + 1
    wait = backoff_s(attempts, failure.retry_after_s) if failure.transient else None
    log.warning(
        "Alert %s's %s notice to channel %d failed (attempt %d): %s",
        alert.id,
        message.event,
        message.channel,
        attempts,
        failure.error,
    )
    if wait is None:
        given_up = CHANNEL_DELIVERIES.move(
            row, "give_up", attempts=attempts, last_error=failure.error, next_attempt_date_time=None
        )
        _record(ports, message, given_up)
        return given_up
    retried = CHANNEL_DELIVERIES.move(
        row,
        "retry",
        attempts=attempts,
        last_error=failure.error,
        next_attempt_date_time=ports.clock() + timedelta(seconds=wait),
    )
    # queued before it is recorded: had the record failed, this message comes back and sends again (a receiver
    # dedupes on the delivery id); the other way round, a failed enqueue would leave the notice pending for ever
    ports.deliveries.enqueue_alert_delivery(message.model_copy(update={"attempt": attempts + 1}), wait)
    _record(ports, message, retried)
    return retried
