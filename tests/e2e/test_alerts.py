"""Alerts end to end: the evaluateAlerts timer (run by the host's admin endpoint, as Core Tools runs a timer) queues
the tenant's evaluation, whose queue trigger raises an alert while its condition holds, dates it again without a
second alert, and resolves it once the condition clears; the API lists it by status and the summary counts it."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

import requests

from shared.bootstrap import Services
from shared.models.cloud_pcs import CloudPc
from shared.services.monitoring import alert_channels
from tests.e2e.test_provisioning import cloud_pcs, provision_one
from tests.utils.api_client import ApiClient, eventually
from tests.utils.webhook_receiver import Received, WebhookReceiver
from tests.utils.wizard import Tenant, emulator_from_environment

SECRET = "a-webhook-secret-of-the-tenant"


def run_evaluation(api: ApiClient) -> None:
    base = api.base_url.removesuffix("/api")
    invoked = api.session.post(f"{base}/admin/functions/evaluateAlerts", json={"input": ""}, timeout=60)
    assert invoked.status_code == 202, invoked.text


def test_an_alert_is_raised_by_the_timer_deduplicated_and_resolved(api: ApiClient, app_services: Services) -> None:
    tenant_id = api.created("/tenants", {"displayName": f"Alerts {uuid.uuid4().hex[:6]}"})["id"]
    rule = api.created(
        f"/tenants/{tenant_id}/alertRules",
        {"displayName": "Grace ending", "kind": "graceEndingSoon", "threshold": 24, "severity": "critical"},
    )
    now = app_services.alerts.clock()
    pc = CloudPc(
        id="cpc-ann",
        tenant_id=tenant_id,
        display_name="Finance - ann",
        user_id="ann",
        user_principal_name="ann@contoso.com",
        service_plan_id="p",
        service_plan_name="P",
        provisioning_policy_id="finance",
        provisioning_policy_name="Finance",
        status="inGracePeriod",
        grace_period_end_date_time=now + timedelta(hours=2),
        created_date_time=now,
        last_modified_date_time=now,
    )
    app_services.alerts.cloud_pcs.upsert_cloud_pc(pc)
    alerts = f"/tenants/{tenant_id}/alerts"

    def active() -> dict[str, Any]:
        listed = api.get(f"{alerts}?status=active").json()["value"]
        assert len(listed) == 1, listed
        return dict(listed[0])

    run_evaluation(api)
    raised = eventually(active)
    assert (raised["ruleId"], raised["severity"], raised["items"]) == (rule["id"], "critical", ["cpc-ann"])
    assert api.get(f"/tenants/{tenant_id}/summary").json()["activeAlerts"] == 1

    run_evaluation(api)
    eventually(lambda: _seen_after(active(), raised))  # dated again, not raised again
    assert len(api.get(alerts).json()["value"]) == 1

    app_services.alerts.cloud_pcs.upsert_cloud_pc(pc.model_copy(update={"status": "provisioned"}))
    run_evaluation(api)

    def resolved() -> dict[str, Any]:
        listed = api.get(f"{alerts}?status=resolved").json()["value"]
        assert [a["id"] for a in listed] == [raised["id"]]
        return dict(listed[0])

    assert eventually(resolved)["resolvedDateTime"]
    assert api.get(f"/tenants/{tenant_id}/summary").json()["activeAlerts"] == 0


def _seen_after(alert: dict[str, Any], first: dict[str, Any]) -> None:
    assert alert["id"] == first["id"] and alert["lastSeenDateTime"] > first["lastSeenDateTime"]


def test_a_failed_provisioning_is_told_on_every_channel_and_its_retry_resolves_it(api: ApiClient) -> None:
    """The issue's path: a Cloud PC fails (a full subnet: one attempt), the rule's webhook receives the alert signed
    with its secret, Teams a card and the ops mailbox an e-mail sent through Graph from the tenant's own mailbox; the
    admin's retry provisions it, and the next evaluation resolves the alert and tells every channel so."""
    emulator = emulator_from_environment()
    tenant = Tenant(api)
    tenant.fault("createNic", 1, "SubnetIsFull")  # a refusal every attempt would meet: one attempt, then failed
    sender_id = tenant.user("alerts", [])
    tenant.graph.give_mailbox(sender_id)  # a mailbox to send from: a license with Exchange Online
    sender = tenant.graph.user(sender_id)["userPrincipalName"]
    with WebhookReceiver.of(emulator) as receiver:
        channels = [
            {"kind": "webhook", "url": receiver.url("/hook"), "secret": SECRET},
            {"kind": "teams", "url": receiver.url("/teams")},
            {"kind": "email", "mailbox": sender, "to": ["ops@contoso.example"]},
        ]
        api.created(
            f"{tenant.path}/alertRules",
            {
                "displayName": "Provisioning failed",
                "kind": "provisioningFailed",
                "severity": "critical",
                "channels": channels,
            },
        )
        tenant.onboard()  # e-mail is used now: the report asks for Mail.Send, which the customer's admin grants
        failed = provision_one(api, tenant)
        assert (failed["status"], failed["statusDetail"]["code"]) == ("failed", "SubnetIsFull")

        run_evaluation(api)
        hook, card = eventually(lambda: _posted(receiver, 2))
        assert alert_channels.signed_by(SECRET, hook.body, hook.headers["x-cloudpc-signature"])
        raised = json.loads(hook.body)
        assert (raised["event"], raised["kind"], raised["count"]) == ("raised", "provisioningFailed", 1)
        assert raised["severity"] == "critical" and "SubnetIsFull" in raised["subject"]
        assert json.loads(card.body)["attachments"][0]["contentType"] == "application/vnd.microsoft.card.adaptive"
        [mail] = eventually(lambda: _mailed(emulator, tenant, 1))
        assert mail["from"].lower() == sender.lower() and "critical" in mail["subject"].lower()

        retried = api.post(f"{tenant.path}/cloudPCs/{failed['id']}/retry")
        assert retried.status_code in (200, 202), retried.text
        [provisioned] = eventually(lambda: _provisioned(api, tenant))
        assert provisioned["id"] == failed["id"]

        run_evaluation(api)
        _, _, resolved_hook, resolved_card = eventually(lambda: _posted(receiver, 4))
        resolved = json.loads(resolved_hook.body)
        assert (resolved["event"], resolved["alertId"]) == ("resolved", raised["alertId"])
        assert alert_channels.signed_by(SECRET, resolved_hook.body, resolved_hook.headers["x-cloudpc-signature"])
        assert resolved_card.path == "/teams"
        eventually(lambda: _mailed(emulator, tenant, 2))

        def all_delivered() -> None:  # a delivery is recorded once its channel answered: a moment after the mail
            alert = api.get(f"{tenant.path}/alerts/{raised['alertId']}").json()
            assert alert["status"] == "resolved" and {d["status"] for d in alert["deliveries"]} == {"delivered"}

        eventually(all_delivered)


def _posted(receiver: WebhookReceiver, count: int) -> list[Received]:
    """The receiver's requests once there are `count`, the webhook's before the card's at each event."""
    got = list(receiver.requests)
    assert len(got) == count, [r.path for r in got]
    events = [got[i : i + 2] for i in range(0, count, 2)]
    return [r for pair in events for r in sorted(pair, key=lambda r: r.path != "/hook")]


def _mailed(emulator: Any, tenant: Tenant, count: int) -> list[dict[str, Any]]:
    reply = requests.get(
        f"{emulator.base_url}/emulator/graph/sentMail",
        params={"tenantId": tenant.entra_id},
        verify=emulator.ca_bundle,
        timeout=30,
    )
    assert reply.status_code == 200, reply.text
    sent = list(reply.json()["value"])
    assert len(sent) == count, sent
    return sent


def _provisioned(api: ApiClient, tenant: Tenant) -> list[dict[str, Any]]:
    found = cloud_pcs(api, tenant)
    assert [pc["status"] for pc in found] == ["provisioned"], found
    return found
