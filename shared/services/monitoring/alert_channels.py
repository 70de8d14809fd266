"""What each channel is sent of an alert: the signed webhook request, the Teams card and the e-mail (pure)."""

from __future__ import annotations

import hashlib
import hmac
import html
import json
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

from shared.models.alerts import Alert, AlertEvent, AlertNotice, AlertRule

SIGNATURE_HEADER = "X-CloudPC-Signature"
TIMESTAMP_HEADER = "X-CloudPC-Timestamp"
# the same notice sent again (a retry whose first answer was lost) carries the same id: a receiver dedupes on it
DELIVERY_ID_HEADER = "X-CloudPC-Delivery-Id"
SIGNATURE_SCHEME = "sha256="
# Teams renders Adaptive Cards sent to an incoming webhook as a message with one card attachment
# (https://learn.microsoft.com/microsoftteams/platform/webhooks-and-connectors/how-to/connectors-using#send-adaptive-cards-using-an-incoming-webhook);
# 1.4 is the newest version every Teams client renders (https://learn.microsoft.com/microsoftteams/platform/task-modules-and-cards/cards/cards-reference#adaptive-card)
ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"
CARD_VERSION = "1.4"


@dataclass(frozen=True)
class OutgoingRequest:
    body: bytes  # the exact bytes sent, and signed
    headers: dict[str, str]


def portal_link(portal_url: str | None, tenant_id: str, alert_id: str) -> str | None:
    """The alert in the portal (its hash route), where the app knows the portal's address."""
    if not portal_url:
        return None
    return f"{portal_url}#/tenants/{quote(tenant_id, safe='')}/alerts/{quote(alert_id, safe='')}"


def notice_of(alert: Alert, rule: AlertRule, event: AlertEvent, portal_url: str | None) -> AlertNotice:
    return AlertNotice(
        event=event,
        tenant_id=alert.tenant_id,
        alert_id=alert.id,
        rule_id=rule.id,
        rule_name=rule.display_name,
        kind=alert.kind,
        severity=alert.severity,
        subject=alert.subject,
        subject_name=alert.subject_name,
        summary=alert.summary,
        count=alert.count,
        status=alert.status,
        raised_date_time=alert.raised_date_time,
        resolved_date_time=alert.resolved_date_time,
        portal_url=portal_link(portal_url, alert.tenant_id, alert.id),
    )


def delivery_id(notice: AlertNotice, channel: int) -> str:
    return f"{notice.alert_id}.{notice.event}.{channel}"


def signature(secret: str, body: bytes) -> str:
    """The signature header's value: HMAC-SHA256 of the exact body bytes, keyed with the rule's secret, in hex."""
    return SIGNATURE_SCHEME + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signed_by(secret: str, body: bytes, header: str) -> bool:
    """What a receiver checks (docs/alerts.md): the header is the body's signature, compared in constant time."""
    return hmac.compare_digest(signature(secret, body), header)


def _json(document: object) -> bytes:
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()


def webhook_request(notice: AlertNotice, channel: int, secret: str | None, now: datetime) -> OutgoingRequest:
    """The notice as JSON (by alias), signed when the rule's webhook has a secret."""
    body = notice.model_dump_json(by_alias=True).encode()
    headers = {
        "Content-Type": "application/json",
        TIMESTAMP_HEADER: str(int(now.timestamp())),
        DELIVERY_ID_HEADER: delivery_id(notice, channel),
    }
    if secret:
        headers[SIGNATURE_HEADER] = signature(secret, body)
    return OutgoingRequest(body, headers)


def _when(moment: datetime | None) -> str:
    return "" if moment is None else moment.strftime("%Y-%m-%d %H:%M UTC")


def _title(notice: AlertNotice) -> str:
    return f"Resolved: {notice.rule_name}" if notice.event == "resolved" else notice.rule_name


def teams_request(notice: AlertNotice, channel: int) -> OutgoingRequest:
    """An incoming webhook's message carrying one Adaptive Card: title, severity, summary, count and times, with a
    button to the alert in the portal where its address is known."""
    facts = [
        {"title": "Severity", "value": notice.severity},
        {"title": "Subject", "value": notice.subject_name},
        {"title": "Count", "value": str(notice.count)},
        {"title": "Raised", "value": _when(notice.raised_date_time)},
    ]
    if notice.resolved_date_time is not None:
        facts.append({"title": "Resolved", "value": _when(notice.resolved_date_time)})
    card: dict[str, object] = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": CARD_VERSION,
        "body": [
            {
                "type": "TextBlock",
                "text": _title(notice),
                "weight": "Bolder",
                "size": "Medium",
                "wrap": True,
                "color": "Good" if notice.event == "resolved" else "Attention",
            },
            {"type": "TextBlock", "text": notice.summary, "wrap": True},
            {"type": "FactSet", "facts": facts},
        ],
    }
    if notice.portal_url:
        card["actions"] = [{"type": "Action.OpenUrl", "title": "Open in the portal", "url": notice.portal_url}]
    message = {"type": "message", "attachments": [{"contentType": ADAPTIVE_CARD, "contentUrl": None, "content": card}]}
    headers = {"Content-Type": "application/json", DELIVERY_ID_HEADER: delivery_id(notice, channel)}
    return OutgoingRequest(_json(message), headers)


@dataclass(frozen=True)
class Email:
    subject: str
    html: str


def email(notice: AlertNotice) -> Email:
    """`[severity] summary`, and a short HTML body in which every value of the alert's is escaped."""
    resolved = notice.event == "resolved"
    subject = f"[{notice.severity}] {'Resolved: ' if resolved else ''}{notice.summary}"
    rows = [
        ("Rule", notice.rule_name),
        ("Subject", notice.subject_name),
        ("Severity", notice.severity),
        ("Count", str(notice.count)),
        ("Raised", _when(notice.raised_date_time)),
    ]
    if notice.resolved_date_time is not None:
        rows.append(("Resolved", _when(notice.resolved_date_time)))
    table = "".join(f'<tr><th align="left">{html.escape(k)}</th><td>{html.escape(v)}</td></tr>' for k, v in rows)
    lead = "This alert is resolved." if resolved else "This alert is active."
    link = f'<p><a href="{html.escape(notice.portal_url)}">Open it in the portal</a></p>' if notice.portal_url else ""
    body = f"<p>{html.escape(notice.summary)}</p><p>{lead}</p><table>{table}</table>{link}"
    return Email(subject.replace("\r", " ").replace("\n", " "), body)
