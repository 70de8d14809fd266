"""The NoticeSender over the wire: notices POSTed to an HTTPS receiver the app trusts as it trusts Azure (retried by
the delivery's backoff when it fails), e-mail through the emulator's Graph sendMail, and Mail.Send in the onboarding
report only for a tenant that e-mails."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from ipaddress import ip_network

import pytest
import requests

from azure_emulator.launcher import APP_CLIENT_ID, EmulatorProcess
from shared.bootstrap import Services
from shared.catalog.graph_permissions import GRAPH_PERMISSIONS
from shared.cloud.azure.alert_notices import ADDRESS_REFUSED, ANSWER_REFUSED, WEBHOOK_BODY_CAP, AlertNotices
from shared.cloud.azure.credentials import AzureCredentials
from shared.cloud.azure.graph_client import GraphClients
from shared.models.alerts import AlertRuleCreate, StoredChannel
from shared.models.tenants import Tenant
from shared.ports.cloud_errors import CloudError
from shared.services.access.onboarding import onboarding_report
from shared.services.monitoring import alert_channels, alert_delivery, alert_rules
from shared.services.monitoring.alert_evaluation import evaluate_tenant
from shared.settings import Settings
from tests.fakes import Fakes
from tests.fakes.seed import cloud_pc, tenant
from tests.unit.test_alert_delivery import SECRET, Ports, message
from tests.unit.test_onboarding_email import EMAILED, HOOKED, Rules, rule
from tests.utils.graph_admin import GraphAdmin
from tests.utils.onboarding import grant_app
from tests.utils.webhook_receiver import WebhookReceiver

APP_TENANT = "alerting-tenant"
LOOPBACK = [ip_network("127.0.0.0/8")]


@dataclass
class Customer:
    entra: str
    notices: AlertNotices
    admin: GraphAdmin
    emulator: EmulatorProcess
    graph: GraphClients

    def grant(self, permissions: list[str]) -> None:
        """What the tenant's admin left the app in Graph (Enterprise applications, Permissions)."""
        reply = self.emulator.session().put(
            f"{self.emulator.base_url}/emulator/tenants/{self.entra}/apps/{APP_CLIENT_ID}",
            json={"consented": True, "graphPermissions": permissions},
            timeout=30,
        )
        assert reply.status_code == 200, reply.text

    def sent_mail(self) -> list[dict[str, object]]:
        reply = requests.get(
            f"{self.emulator.base_url}/emulator/graph/sentMail", params={"tenantId": self.entra}, timeout=10
        )
        reply.raise_for_status()
        return list(reply.json()["value"])


@pytest.fixture
def customer(azure_environment: dict[str, str], azure_emulator: EmulatorProcess) -> Iterator[Customer]:
    entra = str(uuid.uuid4())
    grant_app(azure_emulator, entra)
    settings = Settings()  # the environment points the app at the emulator, and trusts its CA
    credentials = AzureCredentials(settings, {APP_TENANT: entra}.get)
    graph = GraphClients(credentials, settings.graph_endpoint)
    notices = AlertNotices(graph, private_networks=LOOPBACK)  # the tests' receivers listen on loopback
    yield Customer(entra, notices, GraphAdmin(azure_emulator, entra), azure_emulator, graph)
    notices.close()
    graph.close()
    credentials.close()


@pytest.fixture
def receiver(azure_emulator: EmulatorProcess) -> Iterator[WebhookReceiver]:
    with WebhookReceiver.of(azure_emulator) as started:
        yield started


def test_a_notice_is_posted_as_given(customer: Customer, receiver: WebhookReceiver) -> None:
    headers = {"Content-Type": "application/json", "X-CloudPC-Delivery-Id": "x.raised.0"}
    asyncio.run(customer.notices.post_json(receiver.url("/hooks/a"), b'{"a":1}', headers))
    [received] = receiver.requests
    assert received.path == "/hooks/a" and received.body == b'{"a":1}'
    assert received.headers["content-type"] == "application/json" and received.headers["x-cloudpc-delivery-id"]


def test_a_failing_endpoint_is_transient_with_its_retry_after_and_a_refusal_is_not(
    customer: Customer, receiver: WebhookReceiver
) -> None:
    receiver.answer(503, retry_after_s=120)
    receiver.answer(404, body=b"no such hook here")
    with pytest.raises(CloudError) as held:
        asyncio.run(customer.notices.post_json(receiver.url(), b"{}", {}))
    assert held.value.transient and held.value.status == 503 and held.value.retry_after_s == 120
    with pytest.raises(CloudError) as refused:
        asyncio.run(customer.notices.post_json(receiver.url("/secret-path"), b"{}", {}))
    assert not refused.value.transient and refused.value.status == 404
    assert "no such hook here" in str(refused.value) and "secret-path" not in str(refused.value)


def test_an_endpoint_that_is_not_there_is_transient(customer: Customer) -> None:
    with pytest.raises(CloudError) as unanswered:
        asyncio.run(customer.notices.post_json("https://127.0.0.1:9/hook", b"{}", {}))
    assert unanswered.value.transient and "127.0.0.1" not in str(unanswered.value)


def test_a_500_then_a_200_is_delivered_on_the_second_attempt_signed_both_times(
    customer: Customer, receiver: WebhookReceiver
) -> None:
    ports = Ports()
    ports.alerts.add()
    ports.alerts.rule.channels[0].url = receiver.url()
    ports = dataclasses.replace(ports, notices=customer.notices)  # type: ignore[arg-type]
    receiver.answer(500)
    first = asyncio.run(alert_delivery.deliver(ports, message()))
    assert first is not None and first.status == "pending" and "500" in (first.last_error or "")
    [(again, delay)] = ports.deliveries.sent
    assert delay == alert_delivery.BACKOFF_S[0]
    second = asyncio.run(alert_delivery.deliver(ports, again))
    assert second is not None and second.status == "delivered" and second.attempts == 2
    assert len(receiver.requests) == 2
    for received in receiver.requests:
        assert alert_channels.signed_by(SECRET, received.body, received.headers["x-cloudpc-signature"])
    assert len({r.headers["x-cloudpc-delivery-id"] for r in receiver.requests}) == 1  # one notice, deduplicable


def test_a_receiver_that_answers_200_and_trickles_its_body_is_given_up_at_the_deadline(
    customer: Customer, receiver: WebhookReceiver
) -> None:
    notices = AlertNotices(customer.graph, private_networks=LOOPBACK, deadline_s=2.0)
    receiver.answer(200, flow="trickle")
    with pytest.raises(CloudError) as stalled:
        asyncio.run(notices.post_json(receiver.url(), b"{}", {}))
    # past the deadline whether the status came first (as it does unless the machine is very slow) or not
    assert "within 2 s" in str(stalled.value)


def test_a_receiver_that_answers_an_endless_body_is_refused_past_the_cap(
    customer: Customer, receiver: WebhookReceiver
) -> None:
    receiver.answer(200, flow="endless")
    with pytest.raises(CloudError) as endless:
        asyncio.run(customer.notices.post_json(receiver.url(), b"{}", {}))
    assert endless.value.code == ANSWER_REFUSED and not endless.value.transient
    assert f"over {WEBHOOK_BODY_CAP} bytes" in str(endless.value)
    asyncio.run(customer.notices.post_json(receiver.url(), b"{}", {}))  # the next notice is delivered as usual


async def rebound(host: str, port: int) -> list[str]:
    """DNS answering for a name that was public when its rule was saved: loopback now."""
    return ["127.0.0.1"]


def test_a_name_public_when_its_rule_was_saved_and_loopback_at_delivery_fails_there_naming_the_address(
    customer: Customer, receiver: WebhookReceiver
) -> None:
    port = receiver.url().split(":")[2].split("/")[0]
    fakes = Fakes()
    tenant(fakes, "contoso")
    cloud_pc(
        fakes, "ann", tenant_id="contoso", status="failed", status_detail={"code": "QuotaExceeded", "message": "Q"}
    )
    saved = fakes.alert_ports(resolve_host=lambda host: ["20.50.2.1"])  # the name's DNS answer when the rule is saved
    hook = {"kind": "webhook", "url": f"https://localhost:{port}/hook", "secret": SECRET}
    body = AlertRuleCreate.model_validate({"displayName": "Failures", "kind": "provisioningFailed", "channels": [hook]})
    alert_rules.create_alert_rule(saved, "contoso", body)
    evaluate_tenant(fakes.alert_ports(), "contoso")
    [raised] = fakes.alert_queues.deliveries
    delivering = fakes.alert_ports(notices=AlertNotices(customer.graph, resolve_host=rebound))
    row = asyncio.run(alert_delivery.deliver(delivering, raised))
    assert row is not None and row.status == "failed" and receiver.requests == []
    assert "resolved to 127.0.0.1, not a public address" in (row.last_error or "")
    [alert] = fakes.alerts.list_alerts("contoso")[0]
    assert alert.deliveries == [row]  # the reason is on the alert's delivery record


def test_a_loopback_address_in_the_url_is_refused_unless_the_settings_allow_it(
    customer: Customer, receiver: WebhookReceiver
) -> None:
    refusing = AlertNotices(customer.graph)
    with pytest.raises(CloudError) as refused:
        asyncio.run(refusing.post_json(receiver.url(), b"{}", {}))
    assert refused.value.code == ADDRESS_REFUSED and not refused.value.transient and receiver.requests == []
    asyncio.run(customer.notices.post_json(receiver.url(), b"{}", {}))
    assert len(receiver.requests) == 1


def test_a_name_is_connected_to_at_the_address_its_resolver_checked(
    customer: Customer, receiver: WebhookReceiver
) -> None:
    port = receiver.url().split(":")[2].split("/")[0]
    asked: list[str] = []

    async def resolve(host: str, port: int) -> list[str]:
        asked.append(host)
        return ["127.0.0.1"]

    notices = AlertNotices(customer.graph, resolve_host=resolve, private_networks=LOOPBACK)
    asyncio.run(notices.post_json(f"https://localhost:{port}/hook", b"{}", {}))
    asyncio.run(notices.post_json(f"https://localhost:{port}/hook", b"{}", {}))
    assert asked == ["localhost", "localhost"] and len(receiver.requests) == 2  # resolved again at each notice


def test_mail_is_sent_as_the_tenants_mailbox_and_recorded(customer: Customer) -> None:
    _, sender = customer.admin.mailbox_user()
    customer.notices.send_mail(APP_TENANT, sender, ["ops@contoso.example"], "[critical] it broke", "<p>it &amp; it</p>")
    [sent] = customer.sent_mail()
    assert sent["from"] == sender and sent["to"] == ["ops@contoso.example"]
    assert sent["subject"] == "[critical] it broke" and sent["body"] == "<p>it &amp; it</p>"
    assert sent["contentType"] == "HTML" and sent["saveToSentItems"] is False


def test_mail_from_a_mailbox_that_does_not_exist_is_refused_for_good(customer: Customer) -> None:
    with pytest.raises(CloudError) as refused:
        customer.notices.send_mail(APP_TENANT, "nobody@contoso.example", ["ops@contoso.example"], "s", "b")
    assert refused.value.status == 404 and refused.value.code == "ErrorInvalidUser" and not refused.value.transient
    assert customer.sent_mail() == []


def test_mail_without_mail_send_is_refused_naming_the_permission(customer: Customer) -> None:
    customer.grant([p.name for p in GRAPH_PERMISSIONS if p.name != "Mail.Send"])
    _, sender = customer.admin.mailbox_user()
    with pytest.raises(CloudError) as refused:
        customer.notices.send_mail(APP_TENANT, sender, ["ops@contoso.example"], "s", "b")
    assert refused.value.status == 403 and refused.value.permission_denied and "Mail.Send" in str(refused.value)
    assert customer.sent_mail() == []


def test_what_exchange_makes_of_a_sender_is_read_without_sending(customer: Customer) -> None:
    """The mailbox's settings read: a mailbox, a user without one, one an access policy keeps the app from, nobody;
    without MailboxSettings.Read, only whether the user exists."""
    admin = customer.admin
    inside, sender = admin.mailbox_user()
    _, excluded = admin.mailbox_user()
    bare = admin.user(admin.create_user())["userPrincipalName"]
    standing = partial(customer.notices.sender_standing, APP_TENANT)
    assert [standing(sender), standing(inside), standing(bare), standing("nobody@contoso.example")] == [
        "canSend",
        "canSend",
        "noMailbox",
        "noUser",
    ]
    group = admin.create_group(mail_enabled=True)
    admin.add_member(group, inside)
    admin.restrict_app_to(APP_CLIENT_ID, group)
    assert (standing(sender), standing(excluded)) == ("canSend", "policyExcludes")
    with pytest.raises(CloudError) as refused:  # the send meets what the check read
        customer.notices.send_mail(APP_TENANT, excluded, ["ops@contoso.example"], "s", "b")
    assert (refused.value.status, refused.value.code) == (403, "ErrorAccessDenied") and not refused.value.transient
    customer.grant([p.name for p in GRAPH_PERMISSIONS if p.name != "MailboxSettings.Read"])
    customer.graph.renew(customer.entra)  # a token without the permission at once
    assert (standing(excluded), standing(bare), standing("nobody@contoso.example")) == (
        "userExists",
        "userExists",
        "noUser",
    )
    assert customer.sent_mail() == []


def test_the_onboarding_report_asks_mail_send_only_of_a_tenant_that_emails(
    services: Services, azure_emulator: EmulatorProcess
) -> None:
    entra = str(uuid.uuid4())
    tenant = Tenant.model_validate(
        {
            "id": str(uuid.uuid4()),
            "displayName": "Contoso",
            "entraTenantId": entra,
            "cloudPcBackend": "windows365",
            "createdDateTime": "2026-11-26T00:00:00Z",
            "lastModifiedDateTime": "2026-11-26T00:00:00Z",
        }
    )
    grant_app(azure_emulator, entra)
    customer = Customer(entra, None, None, azure_emulator, None)  # type: ignore[arg-type]
    customer.grant([p.name for p in GRAPH_PERMISSIONS if p.name != "Mail.Send"])
    # the rules' store (#50's alert tables) stood in for by what its list answers
    hooked = dataclasses.replace(services.onboarding, alerts=Rules([rule("a", HOOKED)]))  # type: ignore[arg-type]
    emailing = dataclasses.replace(services.onboarding, alerts=Rules([rule("a", HOOKED), rule("b", EMAILED)]))  # type: ignore[arg-type]

    def mail_send(ports: object) -> str | None:
        report = onboarding_report(ports, tenant)  # type: ignore[arg-type]
        return next((item.status for item in report.items if item.name == "Mail.Send"), None)

    assert mail_send(hooked) is None
    assert mail_send(emailing) == "missing"
    customer.grant([p.name for p in GRAPH_PERMISSIONS])  # the admin consents again, to what the report lists
    assert mail_send(emailing) == "present"


def test_a_notice_from_a_sender_exchange_refuses_fails_at_once_saying_why_without_a_traceback(
    customer: Customer, caplog: pytest.LogCaptureFixture
) -> None:
    """A sender that lost its mailbox, or that a policy left out, since its rule was saved: the delivery is given up
    at its first attempt (no retry can change Exchange's answer), its last error in the admin's words."""
    admin = customer.admin
    bare = admin.user(admin.create_user())["userPrincipalName"]
    inside, _ = admin.mailbox_user()
    _, excluded = admin.mailbox_user()
    group = admin.create_group(mail_enabled=True)
    admin.add_member(group, inside)
    admin.restrict_app_to(APP_CLIENT_ID, group)
    ports = dataclasses.replace(Ports(), notices=customer.notices)  # type: ignore[arg-type]
    for mailbox, words in [
        (bare, f"{bare} has no Exchange Online mailbox: license it for Exchange Online, or name a user that has one."),
        (excluded, f"The app may not send as {excluded}: an application access policy excludes it."),
    ]:
        alert = ports.alerts.add()
        ports.alerts.alerts[alert.id] = alert.model_copy(update={"tenant_id": APP_TENANT})
        email = StoredChannel(kind="email", mailbox=mailbox, to=["ops@contoso.example"])
        ports.alerts.rule = ports.alerts.rule.model_copy(update={"channels": [email]})
        caplog.clear()
        row = asyncio.run(alert_delivery.deliver(ports, message().model_copy(update={"tenant_id": APP_TENANT})))
        assert row is not None and (row.status, row.attempts, row.next_attempt_date_time) == ("failed", 1, None)
        assert (row.last_error or "").startswith(words), row.last_error
        assert ports.alerts.alerts[alert.id].deliveries == [row]  # what the alert's API and the portal show
        assert ports.deliveries.sent == []  # not sent again
        # the app's own records (azure-identity logs its credential chain's tries at DEBUG, with their exceptions)
        told = [r for r in caplog.records if r.name.startswith("shared.")]
        assert [r for r in told if r.exc_info] == [] and any(words in r.getMessage() for r in told)
    assert customer.sent_mail() == []
