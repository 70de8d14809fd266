"""The emulator's sendMail (https://learn.microsoft.com/graph/api/user-sendmail): 202 and the message recorded, 404
for a user the tenant lacks, 400 for a message without recipients; the control lists what was sent."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from azure_emulator.launcher import EmulatorProcess
from tests.utils.graph_admin import GraphAdmin, GraphAdminError

MESSAGE: dict[str, Any] = {
    "subject": "[warning] 2 licenses left", "body": {"contentType": "HTML", "content": "<p>2 left</p>"},
    "toRecipients": [{"emailAddress": {"address": "ops@contoso.example"}}],
}  # fmt: skip


def sent(emulator: EmulatorProcess, tenant_id: str) -> list[dict[str, object]]:
    reply = emulator.session().get(f"{emulator.base_url}/emulator/graph/sentMail", params={"tenantId": tenant_id},
                                   timeout=10)  # fmt: skip
    reply.raise_for_status()
    return list(reply.json()["value"])


def test_mail_sent_as_a_user_by_id_or_name_is_accepted_and_recorded(azure_emulator: EmulatorProcess) -> None:
    admin = GraphAdmin(azure_emulator, str(uuid.uuid4()))
    user_id = admin.create_user()
    upn = admin.user(user_id)["userPrincipalName"]
    reply = admin.session.post(f"{admin.graph}/users/{upn}/sendMail", json={"message": MESSAGE,
                                                                          "saveToSentItems": False})  # fmt: skip
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
    user_id = admin.create_user()
    with pytest.raises(GraphAdminError, match="400 ErrorInvalidRecipients"):
        admin.call("POST", f"{admin.graph}/users/{user_id}/sendMail", {"message": {**MESSAGE, "toRecipients": []}})
    assert sent(azure_emulator, admin.tenant_id) == []
