"""Alert rules and alerts over HTTP on Azurite: CRUD with If-Match and validateOnly, bad input refused naming each
field with nothing saved, alerts listed by status and acknowledged by the caller, and the summary's count."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from ipaddress import ip_network
from typing import Any

import pytest

from shared.bootstrap import Services
from shared.services.monitoring.alert_evaluation import evaluate_tenant
from tests.fakes.alerts import FakeNotices
from tests.integration.conftest import create_app
from tests.utils.function_client import FunctionClient

HOOK = "https://127.0.0.1:9443/alerts"  # loopback: allowed by the test's private networks, as the test app's are


@pytest.fixture
def notices() -> FakeNotices:
    return FakeNotices()


@pytest.fixture
def alert_services(services: Services, notices: FakeNotices) -> Services:
    """The app's services with Graph's mailbox check in a fake and 127.0.0.0/8 allowed for webhooks."""
    alerts = replace(services.alerts, notices=notices, private_networks=[ip_network("127.0.0.0/8")])
    return replace(services, alerts=alerts)


@pytest.fixture
def alert_client(alert_services: Services, admin_token: str) -> FunctionClient:
    return FunctionClient(create_app(alert_services), admin_token)


def rule_body(**fields: Any) -> dict[str, Any]:
    return {"displayName": "Provisioning failures", "kind": "provisioningFailed", "severity": "critical", **fields}


def test_alert_rule_lifecycle(
    alert_client: FunctionClient, make_tenant: Callable[..., str], alert_services: Services, notices: FakeNotices
) -> None:
    tenant_id = make_tenant()
    notices.mailboxes.add((tenant_id, "alerts@contoso.com"))
    rules = f"/api/tenants/{tenant_id}/alertRules"
    channels = [{"kind": "webhook", "url": HOOK, "secret": "a-webhook-secret-of-some-length"},
                {"kind": "email", "mailbox": "alerts@contoso.com", "to": ["ops@contoso.com"]}]  # fmt: skip
    review = alert_client.post(f"{rules}?validateOnly=true", rule_body(channels=channels))
    assert review.status == 200, review.text
    assert alert_client.get(rules).json()["value"] == []

    created = alert_client.post(rules, rule_body(channels=channels))
    assert created.status == 201, created.text
    rule = created.json()
    assert created.headers["Location"].endswith(f"{rules}/{rule['id']}")
    assert rule["channels"][0] == {"kind": "webhook", "url": HOOK, "mailbox": None, "to": [], "secretSet": True}
    assert "a-webhook-secret" not in created.text and "secretName" not in created.text
    assert alert_client.get(f"{rules}/{rule['id']}").json() == rule

    stale = alert_client.patch(f"{rules}/{rule['id']}", {"enabled": False}, headers={"If-Match": '"stale"'})
    assert stale.status == 412
    changed = alert_client.patch(f"{rules}/{rule['id']}", {"enabled": False}, headers={"If-Match": rule["etag"]})
    assert changed.status == 200 and changed.json()["enabled"] is False
    assert changed.json()["channels"][0]["secretSet"] is True

    assert alert_client.delete(f"{rules}/{rule['id']}").status == 204
    assert alert_client.get(f"{rules}/{rule['id']}").error_code == "notFound"


def test_bad_rules_are_refused_naming_each_field_and_nothing_is_saved(
    alert_client: FunctionClient, make_tenant: Callable[..., str]
) -> None:
    tenant_id = make_tenant()
    rules = f"/api/tenants/{tenant_id}/alertRules"
    refused = alert_client.post(rules, rule_body(kind="licensesLow", channels=[
        {"kind": "webhook", "url": "http://hooks.example.com/x", "secret": "a-webhook-secret-of-some-length"},
        {"kind": "email", "mailbox": "nobody@contoso.com", "to": ["ops@contoso.com"]},
    ]))  # fmt: skip
    assert refused.status == 400, refused.text
    targets = {(d["code"], d["target"]) for d in refused.json()["error"]["details"]}
    assert targets == {("thresholdRequired", "threshold"), ("httpsRequired", "channels[0].url"),
                       ("mailboxNotFound", "channels[1].mailbox")}  # fmt: skip

    below_zero = alert_client.post(rules, rule_body(kind="licensesLow", threshold=-1))
    assert below_zero.status == 400 and below_zero.json()["error"]["target"] == "threshold"
    unknown = alert_client.post(rules, rule_body(kind="cpuTooHigh"))
    assert unknown.status == 400 and unknown.json()["error"]["target"] == "kind"
    private = alert_client.post(rules, rule_body(channels=[{"kind": "teams", "url": "https://10.1.2.3/hook"}]))
    assert private.status == 400 and private.json()["error"]["target"] == "channels[0].url"
    assert alert_client.get(rules).json()["value"] == []


def test_alerts_are_listed_by_status_acknowledged_by_the_caller_and_counted(
    alert_client: FunctionClient, make_tenant: Callable[..., str], alert_services: Services
) -> None:
    tenant_id = make_tenant()
    rule = alert_client.post(f"/api/tenants/{tenant_id}/alertRules", rule_body(kind="graceEndingSoon", threshold=24))
    assert rule.status == 201, rule.text
    ports = alert_services.alerts
    now = ports.clock()
    from shared.models.cloud_pcs import CloudPc

    pc = CloudPc(id="cpc-1", tenant_id=tenant_id, display_name="PC", user_id="u", user_principal_name="u@x.com",
                 service_plan_id="p", service_plan_name="P", provisioning_policy_id="pol",
                 provisioning_policy_name="Pol", status="inGracePeriod", created_date_time=now,
                 last_modified_date_time=now, grace_period_end_date_time=now)  # fmt: skip
    ports.cloud_pcs.upsert_cloud_pc(pc)
    assert evaluate_tenant(ports, tenant_id).raised == 1

    alerts = f"/api/tenants/{tenant_id}/alerts"
    [alert] = alert_client.get(f"{alerts}?status=active").json()["value"]
    assert alert["subject"] == "tenant:graceEndingSoon" and alert["items"] == ["cpc-1"]
    assert alert_client.get(f"{alerts}?status=resolved").json()["value"] == []
    assert alert_client.get(f"{alerts}?status=gone").status == 400
    assert alert_client.get(f"/api/tenants/{tenant_id}/summary").json()["activeAlerts"] == 1

    acked = alert_client.post(f"{alerts}/{alert['id']}/acknowledge")
    assert acked.status == 200, acked.text
    assert acked.json()["status"] == "acknowledged" and acked.json()["acknowledgedBy"]
    assert alert_client.get(f"{alerts}/{alert['id']}").json()["status"] == "acknowledged"
    assert alert_client.get(f"{alerts}/nope").error_code == "notFound"
