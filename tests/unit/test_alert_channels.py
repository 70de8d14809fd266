"""What each channel is sent of an alert: the webhook's signed body, the Teams card, the e-mail."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime

from shared.models.alerts import Alert, AlertNotice, AlertRule, StoredChannel
from shared.services.monitoring import alert_channels

NOW = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)
SECRET = "a-secret-of-sixteen-or-more"
RULE = AlertRule(
    id="rule-1",
    created_date_time=NOW,
    last_modified_date_time=NOW,
    tenant_id="t1",
    display_name="Provisioning failed",
    kind="provisioningFailed",
    severity="critical",
    channels=[StoredChannel(kind="webhook", url="https://h/x")],
)
ALERT = Alert(
    id="alert-1",
    created_date_time=NOW,
    last_modified_date_time=NOW,
    tenant_id="t1",
    rule_id="rule-1",
    kind="provisioningFailed",
    severity="critical",
    subject="policy:p1:QuotaExceeded",
    subject_name="<b>Sales</b> & co",
    summary="3 Cloud PCs of <Sales> failed: QuotaExceeded",
    count=3,
    raised_date_time=NOW,
    last_seen_date_time=NOW,
)


def notice(event: str = "raised", portal_url: str | None = "https://app.example/api/portal/") -> AlertNotice:
    alert = ALERT if event == "raised" else ALERT.model_copy(update={"status": "resolved", "resolved_date_time": NOW})
    return alert_channels.notice_of(alert, RULE, event, portal_url)  # type: ignore[arg-type]


def test_the_webhook_body_is_the_notice_by_alias_signed_over_its_exact_bytes() -> None:
    sent = alert_channels.webhook_request(notice(), 0, SECRET, NOW)
    body = json.loads(sent.body)
    assert body["alertId"] == "alert-1" and body["event"] == "raised" and body["ruleName"] == "Provisioning failed"
    expected = "sha256=" + hmac.new(SECRET.encode(), sent.body, hashlib.sha256).hexdigest()
    assert sent.headers[alert_channels.SIGNATURE_HEADER] == expected
    assert alert_channels.signed_by(SECRET, sent.body, expected)
    assert not alert_channels.signed_by(SECRET, sent.body + b" ", expected)  # a byte changed: not the body signed
    assert not alert_channels.signed_by("another-secret-entirely", sent.body, expected)
    assert sent.headers[alert_channels.TIMESTAMP_HEADER] == str(int(NOW.timestamp()))
    assert SECRET not in sent.body.decode() and SECRET not in json.dumps(sent.headers)


def test_the_delivery_id_names_the_alert_event_and_channel_and_is_the_same_on_a_resend() -> None:
    first = alert_channels.webhook_request(notice(), 2, SECRET, NOW)
    again = alert_channels.webhook_request(notice(), 2, SECRET, NOW.replace(minute=5))
    resolved = alert_channels.webhook_request(notice("resolved"), 2, SECRET, NOW)
    ids = [r.headers[alert_channels.DELIVERY_ID_HEADER] for r in (first, again, resolved)]
    assert ids[0] == ids[1] == "alert-1.raised.2" and ids[2] == "alert-1.resolved.2"


def test_a_webhook_without_a_secret_is_sent_unsigned() -> None:
    assert alert_channels.SIGNATURE_HEADER not in alert_channels.webhook_request(notice(), 0, None, NOW).headers


def test_the_teams_card_is_an_adaptive_card_message_with_a_link_to_the_portal() -> None:
    message = json.loads(alert_channels.teams_request(notice(), 1).body)
    assert message["type"] == "message"
    [attachment] = message["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard" and card["version"] == alert_channels.CARD_VERSION
    texts = [block.get("text") for block in card["body"]]
    assert "Provisioning failed" in texts and ALERT.summary in texts
    facts = {fact["title"]: fact["value"] for block in card["body"] for fact in block.get("facts", [])}
    assert facts["Severity"] == "critical" and facts["Count"] == "3" and facts["Raised"] == "2026-11-26 15:00 UTC"
    [action] = card["actions"]
    assert action == {
        "type": "Action.OpenUrl",
        "title": "Open in the portal",
        "url": "https://app.example/api/portal/#/tenants/t1/alerts/alert-1",
    }


def test_a_resolved_card_says_so_and_without_a_portal_address_has_no_button() -> None:
    card = json.loads(alert_channels.teams_request(notice("resolved", None), 1).body)["attachments"][0]["content"]
    assert card["body"][0]["text"] == "Resolved: Provisioning failed" and "actions" not in card
    assert {"title": "Resolved", "value": "2026-11-26 15:00 UTC"} in card["body"][2]["facts"]


def test_the_email_subject_names_the_severity_and_its_html_escapes_the_alert() -> None:
    mail = alert_channels.email(notice())
    assert mail.subject == "[critical] 3 Cloud PCs of <Sales> failed: QuotaExceeded"
    assert "<Sales>" not in mail.html and "&lt;Sales&gt;" in mail.html
    assert "<b>Sales</b>" not in mail.html and "&lt;b&gt;Sales&lt;/b&gt; &amp; co" in mail.html
    assert "This alert is active." in mail.html


def test_the_resolved_email_says_resolved() -> None:
    mail = alert_channels.email(notice("resolved"))
    assert mail.subject.startswith("[critical] Resolved: ") and "This alert is resolved." in mail.html
