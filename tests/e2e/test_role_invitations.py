"""Co-workers given a tenant's role by name: one of the organization's own by sign-in name, a customer's admin from
the tenant's directory, an outsider invited by e-mail as a guest; each signs in with their role, and the audit log
names them."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from azure_emulator.development_issuer import HOME_TENANT_ID
from tests.conftest import Tokens
from tests.e2e.test_audit_log import audit_log, changed, one
from tests.utils.api_client import ApiClient
from tests.utils.graph_admin import GraphAdmin
from tests.utils.wizard import Tenant, emulator_from_environment


@pytest.fixture(scope="module")
def organization() -> GraphAdmin:
    """The organization's own Entra tenant (the app's home), where the provider's staff are."""
    return GraphAdmin(emulator_from_environment(), HOME_TENANT_ID)


def staff(directory: GraphAdmin, display_name: str, domain: str) -> tuple[str, str]:
    """A user of `directory` named `display_name`: its object id and sign-in name."""
    nickname = f"{display_name.split()[0].lower()}{uuid.uuid4().hex[:6]}"
    upn = f"{nickname}@{domain}"
    user_id = directory.create_user(upn=upn)
    directory.call("PATCH", f"{directory.graph}/users/{user_id}", {"displayName": display_name})
    return user_id, upn


def signed_in_as(api: ApiClient, tokens: Tokens, principal_id: str) -> ApiClient:
    """The API as that user calls it once signed in to the organization's tenant (their token's `oid`)."""
    return ApiClient(api.base_url, tokens.signed(f"user-{principal_id[:8]}", claims={"oid": principal_id}))


def role_seen(client: ApiClient, tenant: Tenant) -> str | None:
    me = client.get("/me")
    assert me.status_code == 200, me.text
    return next((t["role"] for t in me.json()["tenants"] if t["tenantId"] == tenant.id), None)


def assigned(api: ApiClient, tenant: Tenant, body: dict[str, Any]) -> dict[str, Any]:
    reply = api.post(f"{tenant.path}/roleAssignments", body)
    assert reply.status_code == 201, reply.text
    return dict(reply.json())


def test_a_co_worker_by_sign_in_name_and_an_outsider_by_e_mail_get_their_roles_and_the_log_names_them(
    api: ApiClient, tokens: Tokens, organization: GraphAdmin
) -> None:
    tenant = Tenant(api)
    ada_id, ada_upn = staff(organization, "Ada Lovelace", f"msp{uuid.uuid4().hex[:6]}.example")
    found = api.get(f"{tenant.path}/directoryPrincipals", params={"search": ada_upn.split("@")[0]})
    assert found.status_code == 200, found.text
    assert [(p["id"], p["kind"], p["displayName"], p["directory"]) for p in found.json()["value"]] == [
        (ada_id, "user", "Ada Lovelace", "organization")
    ]

    ada = assigned(api, tenant, {"userPrincipalName": ada_upn.upper(), "role": "operator"})
    assert (ada["principalId"], ada["principalName"], ada["userPrincipalName"]) == (ada_id, "Ada Lovelace", ada_upn)
    assert (ada["principalType"], ada["directory"]) == ("user", "organization")
    assert role_seen(signed_in_as(api, tokens, ada_id), tenant) == "operator"

    # a customer's own admin, from the tenant's linked directory
    charles_id, charles_upn = staff(tenant.graph, "Charles Babbage", tenant.domain)
    by_search = api.get(f"{tenant.path}/directoryPrincipals", params={"search": "babb", "directory": "tenant"})
    assert [p["id"] for p in by_search.json()["value"]] == [charles_id]
    charles = assigned(api, tenant, {"userPrincipalName": charles_upn, "role": "reader"})
    assert (charles["principalId"], charles["directory"]) == (charles_id, "tenant")

    email = f"dana{uuid.uuid4().hex[:6]}@fabrikam.example"
    invitation = {"email": email, "displayName": "Dana Scully", "role": "reader", "sendInvitationMessage": False}
    reply = api.post(f"{tenant.path}/roleInvitations", invitation)
    assert reply.status_code == 201, reply.text
    invited = reply.json()
    guest_id, held = invited["id"], invited["roleAssignment"]
    assert (invited["status"], invited["invitationSent"]) == ("PendingAcceptance", False)
    assert invited["inviteRedeemUrl"].startswith("https://")
    assert (held["principalId"], held["principalType"], held["mail"], held["role"]) == (
        guest_id,
        "guest",
        email,
        "reader",
    )
    assert "#EXT#@" in held["userPrincipalName"]
    guest = organization.call("GET", f"{organization.graph}/users/{guest_id}", params={"$select": "userType,mail"})
    assert (guest["userType"], guest["mail"]) == ("Guest", email)
    # the guest follows the link and signs in: the role was theirs from the start
    session = organization.emulator.session()
    redeem = f"{organization.emulator.base_url}/emulator/tenants/{HOME_TENANT_ID}/users/{guest_id}/redeemInvitation"
    assert session.post(redeem, timeout=30).status_code == 200
    assert role_seen(signed_in_as(api, tokens, guest_id), tenant) == "reader"

    listed = api.get(f"{tenant.path}/roleAssignments").json()["value"]
    roles = {a["principalId"]: a["role"] for a in listed}
    assert (roles[ada_id], roles[charles_id], roles[guest_id]) == ("operator", "reader", "reader")

    events = audit_log(api, tenant)
    by_upn = one(events, "createRoleAssignment", ada_id)
    assert by_upn["result"] == "success" and by_upn["resourceDisplayName"] == "Ada Lovelace"
    assert changed(by_upn)["userPrincipalName"] == (None, ada_upn)
    by_mail = one(events, "createRoleInvitation", guest_id)
    assert by_mail["result"] == "success" and by_mail["resourceDisplayName"] == "Dana Scully"
    assert changed(by_mail)["mail"] == (None, email)
    assert changed(by_mail)["role"] == (None, "reader")

    removed = api.delete(f"{tenant.path}/roleAssignments/{guest_id}")
    assert removed.status_code == 204, removed.text
    gone = one(audit_log(api, tenant), "deleteRoleAssignment", guest_id)
    assert gone["resourceDisplayName"] == "Dana Scully" and changed(gone)["mail"] == (email, None)


def test_a_bad_or_unknown_sign_in_name_is_a_400_naming_the_field_and_nothing_is_saved(api: ApiClient) -> None:
    tenant = Tenant(api)
    before = api.get(f"{tenant.path}/roleAssignments").json()["value"]
    for upn, code in (
        ("not a sign-in name", None),
        ("ada@", None),
        (f"nobody{uuid.uuid4().hex[:6]}@msp.example", "userNotFound"),
    ):
        reply = api.post(f"{tenant.path}/roleAssignments", {"userPrincipalName": upn, "role": "reader"})
        assert reply.status_code == 400, reply.text
        error = reply.json()["error"]
        assert [d["target"] for d in error["details"]] == ["userPrincipalName"], error
        if code is not None:
            assert error["details"][0]["code"] == code
    both = {"userPrincipalName": "ada@msp.example", "principalId": str(uuid.uuid4()), "role": "reader"}
    reply = api.post(f"{tenant.path}/roleAssignments", both)
    assert reply.status_code == 400 and reply.json()["error"]["details"][0]["target"] == "userPrincipalName"
    bad_mail = api.post(f"{tenant.path}/roleInvitations", {"email": "dana@@fabrikam", "role": "reader"})
    assert bad_mail.status_code == 400 and bad_mail.json()["error"]["details"][0]["target"] == "email"
    assert api.get(f"{tenant.path}/roleAssignments").json()["value"] == before


def test_a_search_is_only_text_whatever_it_holds(api: ApiClient) -> None:
    tenant = Tenant(api)
    # quotes, AND and OR are $search's own syntax, and URL and OData characters: only text to look for here
    for odd in ('"', "\\", 'x" OR "displayName:a', "a OR b", "AND", "%", "&$top=1", "#", "ü", "\n", "op&"):
        found = {}
        for directory in ("tenant", "organization"):
            reply = api.get(f"{tenant.path}/directoryPrincipals", params={"search": odd, "directory": directory})
            assert reply.status_code == 200, (odd, directory, reply.text)
            found[directory] = reply.json()["value"]
        # the tenant's directory is this test's own (the organization's is shared with other tests): nobody matches
        assert found["tenant"] == [], odd


def test_only_an_owner_looks_people_up_or_invites(api: ApiClient, tokens: Tokens) -> None:
    tenant = Tenant(api)
    reader = f"reader-{uuid.uuid4().hex[:8]}"
    assigned(api, tenant, {"principalId": tokens.principal_id(reader), "role": "reader"})
    client = ApiClient(api.base_url, tokens(reader))
    assert client.get(f"{tenant.path}/directoryPrincipals", params={"search": "a"}).status_code == 403
    invite = {"email": "someone@fabrikam.example", "role": "reader"}
    assert client.post(f"{tenant.path}/roleInvitations", invite).status_code == 403
    for query in ({}, {"search": ""}, {"search": "a" * 101}, {"search": "a", "directory": "elsewhere"}):
        refused = api.get(f"{tenant.path}/directoryPrincipals", params=query)
        assert refused.status_code == 400, query
        assert refused.json()["error"]["details"][0]["target"] == ("directory" if "directory" in query else "search")
