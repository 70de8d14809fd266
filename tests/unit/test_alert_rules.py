"""Alert rules kept: every rule checked before anything is saved, each error naming its field; a webhook's secret in
the secret store, kept while its URL stays, gone with its channel or rule; an alert acknowledged by an admin."""

from __future__ import annotations

from ipaddress import ip_network
from typing import Any

import pytest
from pydantic import ValidationError

from shared.errors import Conflict, ValidationFailed
from shared.models.alerts import AlertRuleCreate, AlertRuleUpdate, masked_url, webhook_secret_name
from shared.ports.bundles import AlertPorts
from shared.services.monitoring import alert_rules
from shared.services.monitoring.alert_conditions import Condition
from shared.services.monitoring.alert_evaluation import apply, reconcile
from tests.fakes import Fakes
from tests.fakes.seed import TENANT

HOOK = "https://hooks.example.com/alerts"
SECRET = "s3cret-s3cret-s3cret"


def rule_body(**fields: Any) -> AlertRuleCreate:
    body = {"displayName": "Failures", "kind": "provisioningFailed", **fields}
    return AlertRuleCreate.model_validate(body)


def ports(fakes: Fakes, **overrides: Any) -> AlertPorts:
    fakes.notices.mailboxes.add((TENANT, "alerts@contoso.com"))
    return fakes.alert_ports(**overrides)


def refusal(call: Any) -> list[tuple[str, str | None]]:
    with pytest.raises(ValidationFailed) as caught:
        call()
    return [(detail.code, detail.target) for detail in caught.value.details]


def test_a_rule_is_saved_with_its_webhook_secret_in_the_store_and_never_in_the_rule() -> None:
    fakes = Fakes()
    channels = [
        {"kind": "webhook", "url": HOOK, "secret": SECRET},
        {"kind": "email", "mailbox": "alerts@contoso.com", "to": ["ops@contoso.com"]},
    ]
    rule = alert_rules.create_alert_rule(ports(fakes), TENANT, rule_body(channels=channels))
    stored = fakes.alerts.get_alert_rule(TENANT, rule.id)
    assert fakes.secrets.secrets == {webhook_secret_name(TENANT, rule.id, HOOK): SECRET}
    wire = stored.model_dump(mode="json", by_alias=True)
    assert wire["channels"][0] == {"kind": "webhook", "url": HOOK, "mailbox": None, "to": [], "secretSet": True}
    assert SECRET not in str(fakes.tables.entities("AlertRules"))
    assert stored.channels[0].secret_name == webhook_secret_name(TENANT, rule.id, HOOK)


def test_every_broken_rule_is_named_in_one_refusal_and_nothing_is_saved() -> None:
    fakes = Fakes()
    channels = [
        {"kind": "webhook", "url": "http://hooks.example.com/x", "secret": SECRET},
        {"kind": "teams", "url": "https://10.0.0.5/teams"},
        {"kind": "email", "mailbox": "nobody@contoso.com", "to": ["ops@contoso.com"]},
        {"kind": "webhook", "url": HOOK},
    ]
    body = rule_body(kind="licensesLow", channels=channels)
    assert refusal(lambda: alert_rules.create_alert_rule(ports(fakes), TENANT, body)) == [
        ("thresholdRequired", "threshold"),
        ("httpsRequired", "channels[0].url"),
        ("privateAddress", "channels[1].url"),
        ("mailboxNotFound", "channels[2].mailbox"),
        ("secretRequired", "channels[3].secret"),
    ]
    assert fakes.tables.entities("AlertRules") == [] and fakes.secrets.secrets == {}


def test_a_threshold_on_a_kind_that_takes_none_is_refused() -> None:
    body = rule_body(threshold=3)
    assert refusal(lambda: alert_rules.create_alert_rule(ports(Fakes()), TENANT, body)) == [
        ("thresholdNotAllowed", "threshold")
    ]


@pytest.mark.parametrize(
    "addresses",
    [
        ["127.0.0.1"],
        ["169.254.169.254"],
        ["52.178.17.3", "192.168.1.4"],
        ["::1"],
        ["::ffff:10.1.2.3"],
        ["100.64.0.1"],  # the shared address space of carrier NAT
        ["168.63.129.16"],  # Azure's platform address
        ["::ffff:168.63.129.16"],
    ],
)
def test_a_host_name_resolving_to_an_internal_address_is_refused(addresses: list[str]) -> None:
    body = rule_body(channels=[{"kind": "teams", "url": "https://teams.example.com/hook"}])
    with_dns = ports(Fakes(), resolve_host=lambda host: addresses)
    assert refusal(lambda: alert_rules.create_alert_rule(with_dns, TENANT, body)) == [
        ("privateAddress", "channels[0].url")
    ]


@pytest.mark.parametrize("url", [f"{HOOK}\x00", f"{HOOK}\n", f"{HOOK}/a b", f"{HOOK}\x7f"])
def test_a_url_is_judged_to_its_last_character(url: str) -> None:
    body = rule_body(channels=[{"kind": "teams", "url": url}])
    assert refusal(lambda: alert_rules.create_alert_rule(ports(Fakes()), TENANT, body)) == [
        ("httpsRequired", "channels[0].url")
    ]


@pytest.mark.parametrize("secret", [f" {SECRET}", f"{SECRET}\t", f"{SECRET}\x00"])
def test_a_secret_is_taken_as_given_or_refused(secret: str) -> None:
    with pytest.raises(ValidationError) as raised:
        rule_body(channels=[{"kind": "webhook", "url": HOOK, "secret": secret}])
    assert [error["loc"][-1] for error in raised.value.errors()] == ["secret"]


def test_the_networks_the_settings_allow_may_be_reached_and_no_other() -> None:
    allowed = ports(Fakes(), private_networks=[ip_network("127.0.0.0/8")])
    local = rule_body(channels=[{"kind": "webhook", "url": "https://127.0.0.1:8443/hook", "secret": SECRET}])
    assert alert_rules.create_alert_rule(allowed, TENANT, local).channels[0].url == "https://127.0.0.1:8443/hook"
    private = rule_body(channels=[{"kind": "teams", "url": "https://10.0.0.1/hook"}])
    assert refusal(lambda: alert_rules.create_alert_rule(allowed, TENANT, private)) == [
        ("privateAddress", "channels[0].url")
    ]


def test_a_host_that_does_not_resolve_is_refused() -> None:
    def no_such_host(host: str) -> list[str]:
        raise OSError("Name or service not known")

    body = rule_body(channels=[{"kind": "teams", "url": "https://nowhere.invalid/hook"}])
    assert refusal(lambda: alert_rules.create_alert_rule(ports(Fakes(), resolve_host=no_such_host), TENANT, body)) == [
        ("hostNotFound", "channels[0].url")
    ]


def test_validate_only_saves_nothing_and_writes_no_secret() -> None:
    fakes = Fakes()
    body = rule_body(channels=[{"kind": "webhook", "url": HOOK, "secret": SECRET}])
    rule = alert_rules.create_alert_rule(ports(fakes), TENANT, body, dry_run=True)
    assert rule.channels[0].secret_set
    assert fakes.tables.entities("AlertRules") == [] and fakes.secrets.secrets == {}


def test_an_update_without_a_secret_keeps_it_and_a_dropped_webhook_loses_it() -> None:
    fakes = Fakes()
    other = "https://other.example.com/hook"
    body = rule_body(
        channels=[
            {"kind": "webhook", "url": HOOK, "secret": SECRET},
            {"kind": "webhook", "url": other, "secret": SECRET + "2"},
        ]
    )
    rule = alert_rules.create_alert_rule(ports(fakes), TENANT, body)
    patch = AlertRuleUpdate.model_validate(
        {"channels": [{"kind": "teams", "url": "https://teams.example.com/x"}, {"kind": "webhook", "url": HOOK}]}
    )
    updated = alert_rules.update_alert_rule(ports(fakes), TENANT, rule.id, patch, if_match=None, dry_run=False)
    assert [(c.kind, c.secret_set) for c in updated.channels] == [("teams", True), ("webhook", True)]
    teams = masked_url("https://teams.example.com/x")  # the address is a credential: shown masked, kept in Key Vault
    assert updated.channels[0].url == teams and teams.startswith("https://teams.example.com/…")
    assert fakes.secrets.secrets == {
        webhook_secret_name(TENANT, rule.id, HOOK): SECRET,
        webhook_secret_name(TENANT, rule.id, teams): "https://teams.example.com/x",
    }
    again = AlertRuleUpdate.model_validate({"channels": [{"kind": "teams", "url": teams}]})  # sent back as shown
    kept = alert_rules.update_alert_rule(ports(fakes), TENANT, rule.id, again, if_match=None, dry_run=False)
    assert [c.url for c in kept.channels] == [teams]
    assert fakes.secrets.secrets == {webhook_secret_name(TENANT, rule.id, teams): "https://teams.example.com/x"}


def test_an_update_checks_the_threshold_against_the_kind_it_keeps() -> None:
    fakes = Fakes()
    rule = alert_rules.create_alert_rule(ports(fakes), TENANT, rule_body(kind="graceEndingSoon", threshold=24))
    patch = AlertRuleUpdate.model_validate({"threshold": None})
    assert refusal(
        lambda: alert_rules.update_alert_rule(ports(fakes), TENANT, rule.id, patch, if_match=None, dry_run=False)
    ) == [("thresholdRequired", "threshold")]
    assert fakes.alerts.get_alert_rule(TENANT, rule.id).threshold == 24


def test_deleting_a_rule_deletes_its_secrets_and_resolves_its_open_alerts() -> None:
    fakes = Fakes()
    the_ports = ports(fakes)
    rule = alert_rules.create_alert_rule(
        the_ports, TENANT, rule_body(channels=[{"kind": "webhook", "url": HOOK, "secret": SECRET}])
    )
    apply(
        the_ports,
        reconcile(TENANT, rule, [], [Condition("policy:p:E", "P: E", "Failed.", 1)], fakes.clock(), fakes.new_id),
        fakes.clock(),
    )
    alert_rules.delete_alert_rule(the_ports, TENANT, rule.id, if_match=None)
    assert fakes.secrets.secrets == {}
    assert [a.status for a in fakes.alerts.list_alerts(TENANT)[0]] == ["resolved"]
    assert fakes.alerts.count_open_alerts(TENANT) == 0


def test_turning_a_rule_off_resolves_its_open_alerts_at_once() -> None:
    """No evaluation looks at a tenant whose rules are all off, so the update resolves them itself."""
    fakes = Fakes()
    the_ports = ports(fakes)
    rule = alert_rules.create_alert_rule(the_ports, TENANT, rule_body())
    apply(
        the_ports,
        reconcile(TENANT, rule, [], [Condition("policy:p:E", "P: E", "Failed.", 1)], fakes.clock(), fakes.new_id),
        fakes.clock(),
    )
    alert_rules.update_alert_rule(
        the_ports, TENANT, rule.id, AlertRuleUpdate(enabled=False), if_match=None, dry_run=False
    )
    assert [a.status for a in fakes.alerts.list_alerts(TENANT)[0]] == ["resolved"]
    assert fakes.alerts.count_open_alerts(TENANT) == 0


def test_an_alert_is_acknowledged_with_who_did_and_a_resolved_one_cannot_be() -> None:
    fakes = Fakes()
    the_ports = ports(fakes)
    rule = alert_rules.create_alert_rule(the_ports, TENANT, rule_body())
    condition = Condition("policy:p:E", "P: E", "Failed.", 1)
    apply(the_ports, reconcile(TENANT, rule, [], [condition], fakes.clock(), fakes.new_id), fakes.clock())
    [alert] = fakes.alerts.open_alerts(TENANT, rule.id)
    fakes.clock.advance(minutes=3)
    acked = alert_rules.acknowledge_alert(the_ports, TENANT, alert.id, by="ann@contoso.com")
    assert (acked.status, acked.acknowledged_by, acked.acknowledged_date_time) == (
        "acknowledged",
        "ann@contoso.com",
        fakes.clock(),
    )
    assert fakes.alerts.count_open_alerts(TENANT) == 1
    still_open = [fakes.alerts.get_alert(TENANT, alert.id)]
    apply(the_ports, reconcile(TENANT, rule, still_open, [], fakes.clock(), fakes.new_id), fakes.clock())
    with pytest.raises(Conflict):
        alert_rules.acknowledge_alert(the_ports, TENANT, alert.id, by="ann@contoso.com")
