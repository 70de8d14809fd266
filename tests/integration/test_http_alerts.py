"""Alert rules and alerts over HTTP on Azurite: CRUD with If-Match and validateOnly, bad input refused naming each
field with nothing saved, alerts listed by status and acknowledged by the caller, and the summary's count; the
organization's rules, its owner's alone, and the alerts across the tenants a caller holds a role on."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable
from dataclasses import replace
from ipaddress import ip_network
from typing import Any

import pytest

from azure_emulator.launcher import APP_CLIENT_ID, EmulatorProcess
from shared.bootstrap import Services
from shared.services.monitoring.alert_evaluation import evaluate_tenant
from tests.conftest import Tokens
from tests.fakes.alerts import FakeNotices
from tests.integration.conftest import create_app
from tests.utils.function_client import FunctionClient
from tests.utils.graph_admin import GraphAdmin
from tests.utils.onboarding import grant_app

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
    channels = [
        {"kind": "webhook", "url": HOOK, "secret": "a-webhook-secret-of-some-length"},
        {"kind": "email", "mailbox": "alerts@contoso.com", "to": ["ops@contoso.com"]},
    ]
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
    refused = alert_client.post(
        rules,
        rule_body(
            kind="licensesLow",
            channels=[
                {"kind": "webhook", "url": "http://hooks.example.com/x", "secret": "a-webhook-secret-of-some-length"},
                {"kind": "email", "mailbox": "nobody@contoso.com", "to": ["ops@contoso.com"]},
            ],
        ),
    )
    assert refused.status == 400, refused.text
    targets = {(d["code"], d["target"]) for d in refused.json()["error"]["details"]}
    assert targets == {
        ("thresholdRequired", "threshold"),
        ("httpsRequired", "channels[0].url"),
        ("mailboxNotFound", "channels[1].mailbox"),
    }

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

    pc = CloudPc(
        id="cpc-1",
        tenant_id=tenant_id,
        display_name="PC",
        user_id="u",
        user_principal_name="u@x.com",
        service_plan_id="p",
        service_plan_name="P",
        provisioning_policy_id="pol",
        provisioning_policy_name="Pol",
        status="inGracePeriod",
        created_date_time=now,
        last_modified_date_time=now,
        grace_period_end_date_time=now,
    )
    ports.cloud_pcs.upsert_cloud_pc(pc)
    assert evaluate_tenant(ports, tenant_id).raised == 1

    alerts = f"/api/tenants/{tenant_id}/alerts"
    [alert] = alert_client.get(f"{alerts}?status=active").json()["value"]
    assert alert["subject"] == "tenant:graceEndingSoon" and alert["items"] == ["cpc-1"]
    assert alert_client.get(f"{alerts}?status=resolved").json()["value"] == []
    assert alert_client.get(f"{alerts}?status=gone").status == 400
    summary = alert_client.get(f"/api/tenants/{tenant_id}/summary").json()
    assert (summary["activeAlerts"], summary["mostSevereAlert"]["alertId"]) == (1, alert["id"])
    [across] = alert_client.get("/api/summaries").json()["value"]
    assert across["mostSevereAlert"] == {"alertId": alert["id"], "severity": alert["severity"]}

    acked = alert_client.post(f"{alerts}/{alert['id']}/acknowledge")
    assert acked.status == 200, acked.text
    assert acked.json()["status"] == "acknowledged" and acked.json()["acknowledgedBy"]
    assert alert_client.get(f"{alerts}/{alert['id']}").json()["status"] == "acknowledged"
    assert alert_client.get(f"{alerts}/nope").error_code == "notFound"


def grace_ending(services: Services, tenant_id: str) -> None:
    """A Cloud PC whose grace period ends now: what a graceEndingSoon rule sees."""
    from shared.models.cloud_pcs import CloudPc

    now = services.alerts.clock()
    services.alerts.cloud_pcs.upsert_cloud_pc(
        CloudPc(
            id="cpc-1",
            tenant_id=tenant_id,
            display_name="PC",
            user_id="u",
            user_principal_name="u@x.com",
            service_plan_id="p",
            service_plan_name="P",
            provisioning_policy_id="pol",
            provisioning_policy_name="Pol",
            status="inGracePeriod",
            created_date_time=now,
            last_modified_date_time=now,
            grace_period_end_date_time=now,
        )
    )


def as_principal(client: FunctionClient, token: str) -> FunctionClient:
    other = copy.copy(client)
    other.token = token
    return other


def test_organization_rules_are_the_organization_owners_and_their_alerts_each_tenants(
    alert_client: FunctionClient, make_tenant: Callable[..., str], alert_services: Services, tokens: Tokens
) -> None:
    contoso, fabrikam = make_tenant(displayName="Contoso"), make_tenant(displayName="Fabrikam")
    assignment = {
        "principalId": tokens.principal_id("alerts-admin"),
        "principalName": "alerts-admin",
        "role": "administrator",
    }
    assert alert_client.post(f"/api/tenants/{contoso}/roleAssignments", assignment).status == 201
    tenant_admin = as_principal(alert_client, tokens("alerts-admin"))
    webhook = {"kind": "webhook", "url": HOOK, "secret": "a-webhook-secret-of-some-length"}
    body = rule_body(kind="graceEndingSoon", threshold=24, channels=[webhook])

    assert tenant_admin.post("/api/alertRules", body).error_code == "forbidden"
    assert tenant_admin.get("/api/alertRules").error_code == "forbidden"
    email = alert_client.post(
        "/api/alertRules",
        rule_body(channels=[{"kind": "email", "mailbox": "alerts@contoso.com", "to": ["ops@contoso.com"]}]),
    )
    assert email.status == 400, email.text
    assert [(d["code"], d["target"]) for d in email.json()["error"]["details"]] == [
        ("channelNotForOrganization", "channels[0].kind")
    ]
    created = alert_client.post("/api/alertRules", body)
    assert created.status == 201, created.text
    rule = created.json()
    assert created.headers["Location"].endswith(f"/api/alertRules/{rule['id']}")
    assert rule["tenantId"] == "~organization" and rule["channels"][0]["secretSet"] is True
    assert alert_client.get("/api/alertRules").json()["value"] == [rule]
    assert alert_client.get(f"/api/alertRules/{rule['id']}").json() == rule
    assert alert_client.get(f"/api/tenants/{contoso}/alertRules").json()["value"] == []
    assert tenant_admin.get(f"/api/alertRules/{rule['id']}").error_code == "forbidden"
    assert tenant_admin.patch(f"/api/alertRules/{rule['id']}", {"enabled": False}).error_code == "forbidden"
    assert tenant_admin.delete(f"/api/alertRules/{rule['id']}").error_code == "forbidden"

    for tenant_id in (contoso, fabrikam):
        grace_ending(alert_services, tenant_id)
        assert evaluate_tenant(alert_services.alerts, tenant_id).raised == 1
    everything = alert_client.get("/api/alerts?status=active&top=1")
    assert everything.status == 200, everything.text
    first = everything.json()
    second = alert_client.get(first["nextLink"]).json()
    listed = [*first["value"], *second["value"]]
    assert "nextLink" not in second and [a["ruleId"] for a in listed] == [rule["id"]] * 2
    assert sorted((a["tenantId"], a["tenantName"]) for a in listed) == sorted(
        [(contoso, "Contoso"), (fabrikam, "Fabrikam")]
    )
    assert listed[0]["id"] < listed[1]["id"]  # newest first: ids count down from the year 2286
    [own] = tenant_admin.get("/api/alerts").json()["value"]
    assert (own["tenantId"], own["tenantName"], own["subject"]) == (contoso, "Contoso", "tenant:graceEndingSoon")
    assert tenant_admin.get(f"/api/tenants/{contoso}/alerts/{own['id']}").json()["ruleId"] == rule["id"]
    assert as_principal(alert_client, tokens("alerts-nobody")).get("/api/alerts").json()["value"] == []
    assert alert_client.get("/api/alerts?status=gone").status == 400
    assert alert_client.get("/api/alerts?skipToken=forged").json()["error"]["target"] == "skipToken"

    changed = alert_client.patch(
        f"/api/alertRules/{rule['id']}", {"severity": "critical"}, headers={"If-Match": rule["etag"]}
    )
    assert changed.status == 200 and changed.json()["severity"] == "critical"
    assert alert_client.delete(f"/api/alertRules/{rule['id']}").status == 204
    assert alert_client.get("/api/alerts?status=active").json()["value"] == []
    assert alert_client.get(f"/api/alertRules/{rule['id']}").error_code == "notFound"


def test_a_sender_the_app_cannot_send_as_is_refused_at_its_field_for_an_alert_rule_and_the_reclaim_rule(
    client: FunctionClient, make_tenant: Callable[..., str], azure_emulator: EmulatorProcess
) -> None:
    """The app's own Graph client asks the emulator's Exchange about each sender a save names: a user without a
    mailbox and a mailbox the tenant's application access policy leaves out are refused with the reason, and nothing
    is saved."""
    entra = str(uuid.uuid4())
    grant_app(azure_emulator, entra)
    tenant_id = make_tenant(entraTenantId=entra)
    admin = GraphAdmin(azure_emulator, entra)
    bare = admin.user(admin.create_user())["userPrincipalName"]
    inside, sender = admin.mailbox_user()
    _, excluded = admin.mailbox_user()
    group = admin.create_group(mail_enabled=True)
    admin.add_member(group, inside)
    admin.restrict_app_to(APP_CLIENT_ID, group)  # the customer's admin scoped the app to the alerts' mailbox
    refusals = [
        (bare, "mailboxNotEnabled", f"{bare} has no Exchange Online mailbox"),
        (excluded, "sendAsDenied", f"The app may not send as {excluded}: an application access policy excludes it"),
    ]

    def refused_at(reply: Any, target: str) -> tuple[str, str]:
        assert reply.status == 400, reply.text
        [detail] = reply.json()["error"]["details"]
        assert detail["target"] == target
        return detail["code"], detail["message"]

    rules = f"/api/tenants/{tenant_id}/alertRules"
    for mailbox, code, words in refusals:
        channels = [{"kind": "email", "mailbox": mailbox, "to": ["ops@contoso.com"]}]
        found_code, message = refused_at(client.post(rules, rule_body(channels=channels)), "channels[0].mailbox")
        assert found_code == code and message.startswith(words), message
    assert client.get(rules).json()["value"] == []
    channels = [{"kind": "email", "mailbox": sender, "to": ["ops@contoso.com"]}]
    assert client.post(rules, rule_body(channels=channels)).status == 201

    tenant = f"/api/tenants/{tenant_id}"
    rule = {"enabled": True, "unusedDays": 30, "noticeDays": 14, "emailUser": True}
    for mailbox, code, words in refusals:
        found_code, message = refused_at(
            client.patch(tenant, {"reclaim": {**rule, "mailbox": mailbox}}), "reclaim.mailbox"
        )
        assert found_code == code and message.startswith(words), message
    assert client.get(tenant).json().get("reclaim") is None
    saved = client.patch(tenant, {"reclaim": {**rule, "mailbox": sender}})
    assert saved.status == 200 and saved.json()["reclaim"]["mailbox"] == sender, saved.text
