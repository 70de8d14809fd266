"""An organization's alert rules, applied to every tenant: each tenant's evaluation reads them once and keeps their
alerts as its own (deduplicated per tenant), the timer then fans out to every tenant, e-mail is refused, a deleted
rule resolves its alerts everywhere, a notice finds its rule; and the alerts of many tenants listed newest first."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from shared.errors import ValidationFailed
from shared.models.alerts import ORGANIZATION, AlertDelivery, AlertRuleCreate
from shared.services.monitoring import alert_delivery, alert_rules
from shared.services.monitoring.alert_evaluation import evaluate_tenant, tenants_to_evaluate
from tests.fakes import Fakes
from tests.fakes.seed import cloud_pc, tenant

HOOK = "https://hooks.example.com/msp"
SECRET = "s3cret-s3cret-s3cret"
CONTOSO, FABRIKAM = "contoso", "fabrikam"


def rule_body(**fields: Any) -> AlertRuleCreate:
    return AlertRuleCreate.model_validate(
        {
            "displayName": "Failures everywhere",
            "kind": "provisioningFailed",
            "channels": [{"kind": "webhook", "url": HOOK, "secret": SECRET}],
            **fields,
        }
    )


def organization_rule(fakes: Fakes, **fields: Any) -> str:
    return alert_rules.create_alert_rule(fakes.alert_ports(), ORGANIZATION, rule_body(**fields)).id


def two_tenants_failing(fakes: Fakes) -> None:
    for tenant_id in (CONTOSO, FABRIKAM):
        tenant(fakes, tenant_id)
        cloud_pc(
            fakes,
            "ann",
            tenant_id=tenant_id,
            status="failed",
            status_detail={"code": "QuotaExceeded", "message": "Quota"},
        )


class CountingAlerts:
    """The alert store, counting the reads of each partition's rules."""

    def __init__(self, alerts: Any) -> None:
        self._alerts = alerts
        self.rule_reads: list[str] = []

    def list_all_alert_rules(self, tenant_id: str) -> Any:
        self.rule_reads.append(tenant_id)
        return self._alerts.list_all_alert_rules(tenant_id)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._alerts, name)


def test_a_tenants_evaluation_applies_the_organizations_rules_read_once_and_keeps_the_alerts_in_the_tenant() -> None:
    fakes = Fakes()
    two_tenants_failing(fakes)
    rule_id = organization_rule(fakes)
    own = alert_rules.create_alert_rule(fakes.alert_ports(), CONTOSO, rule_body(displayName="Contoso's own"))
    counting = CountingAlerts(fakes.alerts)

    assert evaluate_tenant(fakes.alert_ports(alerts=counting), CONTOSO).raised == 2
    assert sorted(counting.rule_reads) == sorted([CONTOSO, ORGANIZATION])
    [alert] = fakes.alerts.open_alerts(CONTOSO, rule_id)
    assert (alert.tenant_id, alert.rule_id, alert.subject) == (CONTOSO, rule_id, "policy:finance:QuotaExceeded")
    assert len(fakes.alerts.open_alerts(CONTOSO, own.id)) == 1
    assert fakes.alerts.list_alerts(FABRIKAM)[0] == [] and fakes.alerts.list_alerts(ORGANIZATION)[0] == []
    assert [(m.tenant_id, m.channel, m.event) for m in fakes.alert_queues.deliveries] == [
        (CONTOSO, 0, "raised"),
        (CONTOSO, 0, "raised"),
    ]


def test_an_organization_rules_alert_is_deduplicated_per_tenant_and_resolved_in_each() -> None:
    fakes = Fakes()
    two_tenants_failing(fakes)
    rule_id = organization_rule(fakes)
    for tenant_id in (CONTOSO, FABRIKAM, CONTOSO):
        evaluate_tenant(fakes.alert_ports(), tenant_id)
    assert [len(fakes.alerts.open_alerts(t, rule_id)) for t in (CONTOSO, FABRIKAM)] == [1, 1]
    assert len(fakes.alert_queues.deliveries) == 2  # one raise in each tenant, the second sighting silent

    cloud_pc(fakes, "ann", tenant_id=FABRIKAM, status="provisioned")
    fakes.clock.advance(minutes=5)
    assert evaluate_tenant(fakes.alert_ports(), FABRIKAM).resolved == 1
    assert evaluate_tenant(fakes.alert_ports(), CONTOSO).resolved == 0
    assert [len(fakes.alerts.open_alerts(t, rule_id)) for t in (CONTOSO, FABRIKAM)] == [1, 0]


def test_the_timer_fans_out_to_every_tenant_once_the_organization_has_an_enabled_rule() -> None:
    fakes = Fakes()
    two_tenants_failing(fakes)
    tenant(fakes, "northwind")
    alert_rules.create_alert_rule(fakes.alert_ports(), CONTOSO, rule_body())
    assert tenants_to_evaluate(fakes.alert_ports()) == [CONTOSO]
    rule_id = organization_rule(fakes, enabled=False)
    assert tenants_to_evaluate(fakes.alert_ports()) == [CONTOSO]
    alert_rules.update_alert_rule(
        fakes.alert_ports(),
        ORGANIZATION,
        rule_id,
        alert_rules.AlertRuleUpdate(enabled=True),
        if_match=None,
        dry_run=False,
    )
    assert tenants_to_evaluate(fakes.alert_ports()) == [CONTOSO, FABRIKAM, "northwind"]


def test_an_organization_rule_takes_no_email_channel_naming_the_field_and_nothing_is_saved() -> None:
    fakes = Fakes()
    fakes.notices.mailboxes.add((ORGANIZATION, "alerts@msp.example"))
    channels = [
        {"kind": "teams", "url": HOOK},
        {"kind": "email", "mailbox": "alerts@msp.example", "to": ["ops@msp.example"]},
    ]
    with pytest.raises(ValidationFailed) as caught:
        organization_rule(fakes, channels=channels)
    assert [(d.code, d.target) for d in caught.value.details] == [("channelNotForOrganization", "channels[1].kind")]
    assert fakes.alerts.list_all_alert_rules(ORGANIZATION) == []


def test_a_deleted_organization_rule_resolves_its_alerts_in_every_tenant_and_forgets_its_secret() -> None:
    fakes = Fakes()
    two_tenants_failing(fakes)
    rule_id = organization_rule(fakes)
    for tenant_id in (CONTOSO, FABRIKAM):
        evaluate_tenant(fakes.alert_ports(), tenant_id)
    alert_rules.delete_alert_rule(fakes.alert_ports(), ORGANIZATION, rule_id, if_match=None)
    assert [fakes.alerts.count_open_alerts(t) for t in (CONTOSO, FABRIKAM)] == [0, 0]
    assert fakes.secrets.secrets == {}


def test_a_notice_of_an_organization_rules_alert_is_sent_with_the_organizations_webhook() -> None:
    fakes = Fakes()
    two_tenants_failing(fakes)
    organization_rule(fakes)
    evaluate_tenant(fakes.alert_ports(), CONTOSO)
    [message] = fakes.alert_queues.deliveries
    delivered = asyncio.run(alert_delivery.deliver(fakes.alert_ports(), message))
    assert delivered is not None and delivered.status == "delivered"
    [(url, body, _)] = fakes.notices.posted
    assert url == HOOK and f'"tenantId":"{CONTOSO}"' in body.decode()
    gone = AlertDelivery(tenant_id=CONTOSO, alert_id="0000000000000-none", channel=0, event="raised")
    assert asyncio.run(alert_delivery.deliver(fakes.alert_ports(), gone)) is None


def test_the_alerts_of_many_tenants_are_listed_newest_first_in_pages_with_their_tenants_names() -> None:
    fakes = Fakes()
    names = {CONTOSO: "Contoso", FABRIKAM: "Fabrikam"}
    for tenant_id in (*names, "northwind"):
        tenant(fakes, tenant_id)
    rule_id = organization_rule(fakes)
    raised = []
    for minute, tenant_id in enumerate([CONTOSO, FABRIKAM, "northwind", FABRIKAM, CONTOSO]):
        fakes.clock.advance(minutes=1)
        cloud_pc(
            fakes,
            f"u{minute}",
            tenant_id=tenant_id,
            status="failed",
            status_detail={"code": f"E{minute}", "message": "m"},
        )
        evaluate_tenant(fakes.alert_ports(), tenant_id)
        if tenant_id in names:
            raised.append((tenant_id, f"policy:finance:E{minute}"))
    assert all(alert.rule_id == rule_id for t in names for alert in fakes.alerts.list_alerts(t)[0])

    first, token = alert_rules.alerts_of_tenants(fakes.alerts, names, None, top=3, skip_token=None)
    rest, last = alert_rules.alerts_of_tenants(fakes.alerts, names, None, top=3, skip_token=token)
    listed = [*first, *rest]
    assert token is not None and last is None and len(first) == 3
    assert [(a.tenant_id, a.subject) for a in listed] == list(reversed(raised))
    assert [a.tenant_name for a in listed] == [names[t] for t, _ in reversed(raised)]
    assert alert_rules.alerts_of_tenants(fakes.alerts, names, "resolved", top=3, skip_token=None) == ([], None)
    assert alert_rules.alerts_of_tenants(fakes.alerts, {}, None, top=3, skip_token=None) == ([], None)


def test_an_organization_rule_is_kept_apart_from_every_tenants_rules() -> None:
    fakes = Fakes()
    tenant(fakes, CONTOSO)
    rule_id = organization_rule(fakes)
    assert [r.id for r in fakes.alerts.list_all_alert_rules(ORGANIZATION)] == [rule_id]
    assert fakes.alerts.list_all_alert_rules(CONTOSO) == []
    stored = fakes.alerts.get_alert_rule(ORGANIZATION, rule_id)
    assert stored.tenant_id == ORGANIZATION
    assert fakes.secrets.secrets == {stored.channels[0].secret_name: SECRET}
