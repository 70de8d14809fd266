"""The emulator's Graph invites an outsider by e-mail as a guest user, as Graph's B2B invitations do, and finds users
and service principals by name only as an advanced query."""

from __future__ import annotations

import uuid
from urllib.parse import quote

import requests

from azure_emulator.graph.invitations import guest_upn
from azure_emulator.launcher import EmulatorProcess
from tests.emulator.test_graph_permissions import DENIED, App

EVENTUAL = {"ConsistencyLevel": "eventual"}


def invite(app: App, email: str, **more: object) -> requests.Response:
    body = {"invitedUserEmailAddress": email, "inviteRedirectUrl": "https://portal.example/", **more}
    return app.call("POST", "/invitations", body)


def test_an_invitation_makes_a_pending_guest_whom_a_redemption_accepts(azure_emulator: EmulatorProcess) -> None:
    app = App(azure_emulator)
    app.grant("User.Invite.All", "User.Read.All")
    email = f"dana{uuid.uuid4().hex[:6]}@fabrikam.example"
    reply = invite(app, email, invitedUserDisplayName="Dana Scully", sendInvitationMessage=False)
    assert reply.status_code == 201, reply.text
    invitation = reply.json()
    assert (invitation["status"], invitation["invitedUserType"], invitation["sendInvitationMessage"]) == (
        "PendingAcceptance",
        "Guest",
        False,
    )
    assert invitation["inviteRedeemUrl"].startswith("https://")
    guest_id = invitation["invitedUser"]["id"]
    fields = "id,displayName,userPrincipalName,mail,userType,externalUserState"
    guest = app.session.get(f"{app.graph}/users/{guest_id}", params={"$select": fields}, timeout=30).json()
    default_domain = f"{uuid.UUID(app.tenant_id).hex}.onmicrosoft.com"
    upn = guest_upn(email, default_domain)
    assert upn == f"{email.replace('@', '_')}#EXT#@{default_domain}"
    assert {k: guest[k] for k in fields.split(",")} == {
        "id": guest_id,
        "displayName": "Dana Scully",
        "userPrincipalName": upn,
        "mail": email,
        "userType": "Guest",
        "externalUserState": "PendingAcceptance",
    }
    by_upn = app.session.get(f"{app.graph}/users/{quote(upn)}", params={"$select": "id"}, timeout=30)
    assert by_upn.json()["id"] == guest_id

    again = invite(app, email.upper())  # the same address again: the same guest
    assert again.json()["invitedUser"]["id"] == guest_id

    session = azure_emulator.session()
    assert session.get(invitation["inviteRedeemUrl"], timeout=30).status_code == 200  # the guest follows the link
    state = app.session.get(f"{app.graph}/users/{guest_id}", params={"$select": "externalUserState"}, timeout=30)
    assert state.json()["externalUserState"] == "Accepted"
    control = f"{azure_emulator.base_url}/emulator/tenants/{app.tenant_id}/users/{guest_id}/redeemInvitation"
    assert session.post(control, timeout=30).status_code == 200  # a test's way, the same outcome
    member = (
        f"{azure_emulator.base_url}/emulator/tenants/{app.tenant_id}/users/{app.admin.create_user()}/redeemInvitation"
    )
    assert session.post(member, timeout=30).status_code == 404  # only a guest redeems


def test_an_invitation_needs_user_invite_all_and_a_valid_address(azure_emulator: EmulatorProcess) -> None:
    app = App(azure_emulator)
    app.grant("User.Read.All")
    refused = invite(app, "someone@fabrikam.example")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == DENIED["code"]
    app.grant("User.Invite.All")
    for bad in ("not-an-address", "a!b@fabrikam.example", ".dot@fabrikam.example", "x@y", ""):
        reply = invite(app, bad)
        assert reply.status_code == 400 and reply.json()["error"]["code"] == "Request_BadRequest", bad
    no_redirect = app.call("POST", "/invitations", {"invitedUserEmailAddress": "ok@fabrikam.example"})
    assert no_redirect.status_code == 400


def test_users_and_service_principals_are_found_by_name_only_with_the_eventual_header(
    azure_emulator: EmulatorProcess,
) -> None:
    app = App(azure_emulator)
    app.grant("User.Read.All", "Application.Read.All")
    ada = app.admin.create_user("ada")
    app.admin.call("PATCH", f"{app.admin.graph}/users/{ada}", {"displayName": "Ada Lovelace"})
    search = {"$search": '"displayName:ada"', "$count": "true"}
    for path in ("users", "servicePrincipals"):
        without = app.session.get(f"{app.graph}/{path}", params=search, timeout=30)
        assert without.status_code == 400 and "ConsistencyLevel" in without.json()["error"]["message"], path
    users = app.session.get(f"{app.graph}/users", params=search, headers=EVENTUAL, timeout=30).json()
    assert [u["displayName"] for u in users["value"]] == ["Ada Lovelace"] and users["@odata.count"] == 1
    windows = {"$search": '"displayName:windows"', "$select": "id,appId,displayName"}
    found = app.session.get(f"{app.graph}/servicePrincipals", params=windows, headers=EVENTUAL, timeout=30).json()
    assert [p["displayName"] for p in found["value"]] == ["Windows 365"]


def test_and_or_inside_a_search_clause_are_its_text_and_a_stray_word_is_refused(
    azure_emulator: EmulatorProcess,
) -> None:
    app = App(azure_emulator)
    app.grant("User.Read.All")
    ada = app.admin.create_user("ada")
    app.admin.call("PATCH", f"{app.admin.graph}/users/{ada}", {"displayName": "Ada Or Byron"})

    def search(text: str) -> requests.Response:
        return app.session.get(f"{app.graph}/users", params={"$search": text}, headers=EVENTUAL, timeout=30)

    assert [u["id"] for u in search('"displayName:ada OR byron"').json()["value"]] == [ada]
    assert [u["id"] for u in search('"displayName:nobody" OR "displayName:byron"').json()["value"]] == [ada]
    for refused in (
        '"displayName:ada" byron',
        '"displayName:ada" OR',
        "displayName:ada",
        '"displayName:ada" XOR "x:y"',
    ):
        reply = search(refused)
        assert reply.status_code == 400 and reply.json()["error"]["code"] == "Request_UnsupportedQuery", refused
