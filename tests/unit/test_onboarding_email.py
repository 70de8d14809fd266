"""Mail.Send is asked of a tenant only while the app e-mails from its mailboxes: an enabled alert rule with an e-mail
channel, or a reclaim rule that e-mails users."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from shared.catalog.graph_permissions import EMAIL, graph_permissions, graph_permissions_for
from shared.models.alerts import AlertRule, StoredChannel
from shared.models.tenants import ReclaimRule, Tenant
from shared.services.access.onboarding import plan_onboarding, uses_email

NOW = datetime(2026, 11, 26, tzinfo=UTC)
TENANT = Tenant(
    id="t1", display_name="Contoso", entra_tenant_id="e1", created_date_time=NOW, last_modified_date_time=NOW
)
EMAILED = StoredChannel(kind="email", mailbox="alerts@contoso.example", to=["ops@contoso.example"])
HOOKED = StoredChannel(kind="webhook", url="https://hooks.example/a")


def rule(rule_id: str, *channels: StoredChannel, enabled: bool = True) -> AlertRule:
    return AlertRule(
        id=rule_id,
        created_date_time=NOW,
        last_modified_date_time=NOW,
        tenant_id="t1",
        display_name=rule_id,
        kind="licensesLow",
        severity="warning",
        threshold=2,
        enabled=enabled,
        channels=list(channels),
    )


@dataclass
class Rules:
    """list_alert_rules, one rule a page: the check reads every page."""

    rules: list[AlertRule] = field(default_factory=list)

    def list_alert_rules(
        self, tenant_id: str, *, top: int | None = None, skip_token: str | None = None
    ) -> tuple[list[AlertRule], str | None]:
        at = int(skip_token or 0)
        return self.rules[at : at + 1], str(at + 1) if at + 1 < len(self.rules) else None


@dataclass
class Ports:
    alerts: Rules | None


def test_only_an_enabled_rule_with_an_email_channel_uses_email() -> None:
    assert not uses_email(Ports(None), TENANT)  # type: ignore[arg-type]
    assert not uses_email(Ports(Rules([rule("a", HOOKED), rule("b", EMAILED, enabled=False)])), TENANT)  # type: ignore[arg-type]
    assert uses_email(Ports(Rules([rule("a", HOOKED), rule("b"), rule("c", HOOKED, EMAILED)])), TENANT)  # type: ignore[arg-type]


def test_a_reclaim_rule_that_emails_users_uses_email() -> None:
    emailing = ReclaimRule(enabled=True, email_user=True, mailbox="it@contoso.example")
    assert uses_email(Ports(None), TENANT.model_copy(update={"reclaim": emailing}))  # type: ignore[arg-type]
    quiet = [emailing.model_copy(update={"enabled": False}), ReclaimRule(enabled=True)]
    assert not any(uses_email(Ports(None), TENANT.model_copy(update={"reclaim": r})) for r in quiet)  # type: ignore[arg-type]


def test_the_report_lists_mail_send_only_for_a_tenant_that_emails() -> None:
    granted = [p.name for p in graph_permissions("azure")]
    without = plan_onboarding(TENANT, "https://consent", granted, [], "app")
    assert "Mail.Send" not in {item.name for item in without.items} and without.ready
    emailing = plan_onboarding(TENANT, "https://consent", granted, [], "app", uses=frozenset({EMAIL}))
    [item] = [item for item in emailing.items if item.name == "Mail.Send"]
    assert item.status == "missing" and not emailing.ready and "Mail.Send" in (item.fix or "")
    assert [i.status for i in emailing.items if i.name == "MailboxSettings.Read"] == ["missing"]  # the sender's check
    mail = [*granted, "Mail.Send", "MailboxSettings.Read"]
    assert plan_onboarding(TENANT, "https://consent", mail, [], "app", uses=frozenset({EMAIL})).ready


def test_a_refused_send_names_mail_send() -> None:
    assert graph_permissions_for("POST", "users/alerts@contoso.example/sendMail") == ["Mail.Send"]
