"""Fakes of the alert ports that are not tables: the notices' sender (which mailboxes exist, what was sent) and the
queues of evaluations and notices, each keeping what was sent to it."""

from __future__ import annotations

from collections.abc import Mapping

from shared.models.alerts import AlertDelivery
from shared.ports.alerts import SenderStanding


class FakeNotices:
    """The NoticeSender: the app can send as `mailboxes` (per tenant), and `standings` says otherwise of others;
    posts and mails are kept, never sent."""

    def __init__(self) -> None:
        self.mailboxes: set[tuple[str, str]] = set()
        self.standings: dict[tuple[str, str], SenderStanding] = {}
        self.posted: list[tuple[str, bytes, dict[str, str]]] = []
        self.mailed: list[tuple[str, str, list[str], str, str]] = []

    async def post_json(self, url: str, body: bytes, headers: Mapping[str, str]) -> None:
        self.posted.append((url, body, dict(headers)))

    def send_mail(self, tenant_id: str, mailbox: str, to: list[str], subject: str, html: str) -> None:
        self.mailed.append((tenant_id, mailbox, to, subject, html))

    def sender_standing(self, tenant_id: str, mailbox: str) -> SenderStanding:
        key = (tenant_id, mailbox.lower())
        return "canSend" if key in self.mailboxes else self.standings.get(key, "noUser")


class RecordingAlertQueues:
    """The AlertDeliveryQueue and the AlertEvaluationQueue: each message kept as the queue would carry it."""

    def __init__(self) -> None:
        self.deliveries: list[AlertDelivery] = []
        self.evaluations: list[str] = []

    def enqueue_alert_delivery(self, delivery: AlertDelivery, delay_s: float = 0.0) -> None:
        self.deliveries.append(delivery)

    def enqueue_alert_evaluation(self, tenant_id: str) -> None:
        self.evaluations.append(tenant_id)
