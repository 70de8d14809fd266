"""The emulator's sendMail (https://learn.microsoft.com/graph/api/user-sendmail): 202 and the message recorded, 404
for a user the tenant lacks or one without an Exchange Online mailbox, 403 for a mailbox an application access policy
keeps the app from, 400 for a message without recipients; the control lists what was sent. The mailbox's settings
are read under the same rules, with their own permission."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from azure_emulator.launcher import EmulatorProcess
from tests.emulator.test_graph_permissions import App
from tests.utils.graph_admin import MAILBOX_SKU, GraphAdmin, GraphAdminError

MESSAGE: dict[str, Any] = {
    "subject": "[warning] 2 licenses left",
    "body": {"contentType": "HTML", "content": "<p>2 left</p>"},
    "toRecipients": [{"emailAddress": {"address": "ops@contoso.example"}}],
}


def sent(emulator: EmulatorProcess, tenant_id: str) -> list[dict[str, object]]:
    reply = emulator.session().get(
        f"{emulator.base_url}/emulator/graph/sentMail", params={"tenantId": tenant_id}, timeout=10
    )
    reply.raise_for_status()
    return list(reply.json()["value"])


def test_mail_sent_as_a_user_by_id_or_name_is_accepted_and_recorded(azure_emulator: EmulatorProcess) -> None:
    admin = GraphAdmin(azure_emulator, str(uuid.uuid4()))
    user_id, upn = admin.mailbox_user()
    reply = admin.session.post(
        f"{admin.graph}/users/{upn}/sendMail", json={"message": MESSAGE, "saveToSentItems": False}
    )
    assert reply.status_code == 202 and reply.content == b""
    admin.call("POST", f"{admin.graph}/users/{user_id}/sendMail", {"message": MESSAGE})
    first, second = sent(azure_emulator, admin.tenant_id)
    assert first["from"] == upn and first["to"] == ["ops@contoso.example"] and first["subject"] == MESSAGE["subject"]
    assert first["body"] == "<p>2 left</p>" and first["saveToSentItems"] is False and second["saveToSentItems"] is True
    assert sent(azure_emulator, str(uuid.uuid4())) == []  # another tenant's mail is its own


def test_mail_from_nobody_or_to_nobody_is_refused(azure_emulator: EmulatorProcess) -> None:
    admin = GraphAdmin(azure_emulator, str(uuid.uuid4()))
    with pytest.raises(GraphAdminError, match="404 ErrorInvalidUser"):
        admin.call("POST", f"{admin.graph}/users/nobody@contoso.example/sendMail", {"message": MESSAGE})
    user_id, _ = admin.mailbox_user()
    with pytest.raises(GraphAdminError, match="400 ErrorInvalidRecipients"):
        admin.call("POST", f"{admin.graph}/users/{user_id}/sendMail", {"message": {**MESSAGE, "toRecipients": []}})
    assert sent(azure_emulator, admin.tenant_id) == []


NO_MAILBOX = "404 MailboxNotEnabledForRESTAPI: The mailbox is either inactive, soft-deleted, or is hosted on-premise."


def test_only_a_user_licensed_for_exchange_online_has_a_mailbox_to_send_from_or_read(
    azure_emulator: EmulatorProcess,
) -> None:
    admin = GraphAdmin(azure_emulator, str(uuid.uuid4()))
    user_id = admin.create_user()
    admin.assign_licenses(user_id, "w365-enterprise-2vcpu-4gb-128gb")  # a Cloud PC's license: no Exchange
    for method, path, body in [("POST", "sendMail", {"message": MESSAGE}), ("GET", "mailboxSettings", None)]:
        with pytest.raises(GraphAdminError, match=NO_MAILBOX):
            admin.call(method, f"{admin.graph}/users/{user_id}/{path}", body)
    admin.give_mailbox(user_id)
    admin.call("POST", f"{admin.graph}/users/{user_id}/sendMail", {"message": MESSAGE})
    settings = admin.call("GET", f"{admin.graph}/users/{user_id}/mailboxSettings")
    assert settings["userPurpose"] == {"value": "user"} and settings["timeZone"] == "UTC"
    # the suite kept with its Exchange Online plan disabled, then removed: no mailbox either way
    disabled = [{"skuId": MAILBOX_SKU, "disabledPlans": ["efb87545-963c-4e0d-99df-69c6916d9eb0"]}]
    admin.call("POST", f"{admin.graph}/users/{user_id}/assignLicense", {"addLicenses": disabled, "removeLicenses": []})
    with pytest.raises(GraphAdminError, match=NO_MAILBOX):
        admin.call("POST", f"{admin.graph}/users/{user_id}/sendMail", {"message": MESSAGE})
    admin.call(
        "POST", f"{admin.graph}/users/{user_id}/assignLicense", {"addLicenses": [], "removeLicenses": [MAILBOX_SKU]}
    )
    with pytest.raises(GraphAdminError, match=NO_MAILBOX):
        admin.call("GET", f"{admin.graph}/users/{user_id}/mailboxSettings")
    with pytest.raises(GraphAdminError, match="404 ErrorInvalidUser"):
        admin.call("GET", f"{admin.graph}/users/nobody@contoso.example/mailboxSettings")
    assert len(sent(azure_emulator, admin.tenant_id)) == 1


def test_an_application_access_policy_keeps_the_app_to_its_groups_mailboxes(azure_emulator: EmulatorProcess) -> None:
    app = App(azure_emulator)
    app.grant("Mail.Send", "MailboxSettings.Read")
    inside, _ = app.admin.mailbox_user()
    outside, _ = app.admin.mailbox_user()
    group = app.admin.create_group(mail_enabled=True)
    app.admin.add_member(group, inside)
    assert app.call("POST", f"/users/{outside}/sendMail", {"message": MESSAGE}).status_code == 202  # no policy yet
    app.admin.restrict_app_to(app.app_id, group)
    assert app.call("POST", f"/users/{inside}/sendMail", {"message": MESSAGE}).status_code == 202
    assert app.call("GET", f"/users/{inside}/mailboxSettings").status_code == 200
    for method, path, body in [("POST", "sendMail", {"message": MESSAGE}), ("GET", "mailboxSettings", None)]:
        refused = app.call(method, f"/users/{outside}/{path}", body)
        assert refused.status_code == 403, refused.text
        error = refused.json()["error"]
        assert (error["code"], error["message"]) == ("ErrorAccessDenied", "Access to OData is disabled.")
    app.admin.call("POST", f"{app.admin.graph}/users/{outside}/sendMail", {"message": MESSAGE})  # delegated: not scoped
    app.admin.restrict_app_to(app.app_id, group, "DenyAccess")  # the other way round
    assert app.call("POST", f"/users/{inside}/sendMail", {"message": MESSAGE}).status_code == 403
    assert app.call("POST", f"/users/{outside}/sendMail", {"message": MESSAGE}).status_code == 202
    policy = f"{azure_emulator.base_url}/emulator/tenants/{app.tenant_id}/applicationAccessPolicies/{app.app_id}"
    assert app.admin.session.get(policy).json() == {"appId": app.app_id, "groupId": group, "accessRight": "DenyAccess"}
    assert app.admin.session.delete(policy).status_code == 204
    assert app.call("POST", f"/users/{inside}/sendMail", {"message": MESSAGE}).status_code == 202
    assert len(sent(azure_emulator, app.tenant_id)) == 5


def test_a_policy_takes_a_mail_enabled_security_group_of_the_tenant(azure_emulator: EmulatorProcess) -> None:
    admin = GraphAdmin(azure_emulator, str(uuid.uuid4()))
    policy = f"{azure_emulator.base_url}/emulator/tenants/{admin.tenant_id}/applicationAccessPolicies/{uuid.uuid4()}"
    for body in [
        {"groupId": admin.create_group()},
        {"groupId": str(uuid.uuid4())},
        {"groupId": admin.create_group(mail_enabled=True), "accessRight": "ReadOnly"},
    ]:
        refused = admin.session.put(policy, json=body)
        assert refused.status_code == 400, refused.text
    assert admin.session.get(policy).status_code == 404


def test_reading_a_mailboxs_settings_needs_mailbox_settings_read(azure_emulator: EmulatorProcess) -> None:
    app = App(azure_emulator)
    user_id, _ = app.admin.mailbox_user()
    app.grant("Mail.Send", "User.Read.All")
    refused = app.call("GET", f"/users/{user_id}/mailboxSettings")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "Authorization_RequestDenied"
    for granted in ("MailboxSettings.Read", "MailboxSettings.ReadWrite"):
        app.grant(granted)
        assert app.call("GET", f"/users/{user_id}/mailboxSettings").status_code == 200
