"""A tenant's Entra administrator grants the app Microsoft Graph application permissions one by one, as app role
assignments to its service principal (https://learn.microsoft.com/graph/permissions-grant-via-msgraph), signed in
with Graph's delegated scope, and the emulator holds them to Graph's rules."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import jwt
import pytest
import requests

from azure_emulator.graph import app_roles, permissions
from azure_emulator.launcher import EmulatorProcess
from azure_emulator.tokens import principal_id
from tests.utils.admin_sign_in import azure_admin_token
from tests.utils.arm_admin import Controls, emulator_token

GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
GRAPH = "https://graph.microsoft.com"
GRAPH_SCOPE = f"{GRAPH}/.default"
GRANTING = f"{GRAPH}/AppRoleAssignment.ReadWrite.All {GRAPH}/Application.Read.All"
CLOUD_PC_READ_WRITE = "3b4349e1-8cf5-45a3-95b7-69d1751d3e6a"  # Microsoft's id of CloudPC.ReadWrite.All
MAIL_SEND = "b633e1c5-b582-4048-a93e-9f11b44c7e96"
EVERY_CUSTOMER = ["User.Read.All", "Group.Read.All", "Directory.Read.All"]
DENIED = ("Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
ALREADY = "Permission being assigned already exists on the object"


class Tenant:
    """A customer's Entra tenant where the app was consented to with the three permissions every customer grants."""

    def __init__(self, emulator: EmulatorProcess) -> None:
        self.emulator = emulator
        self.id, self.app = str(uuid.uuid4()), str(uuid.uuid4())
        self.graph = f"{emulator.base_url}/graph/v1.0"
        self.controls = Controls(emulator, self.id)
        self.controls.app_access(self.app, consented=True, graphPermissions=EVERY_CUSTOMER)
        self.app_principal = principal_id(self.id, self.app)
        self.graph_principal = principal_id(self.id, GRAPH_APP_ID)

    def signed_in(self, name: str, roles: list[str], scope: str = GRANTING) -> requests.Session:
        """`name`, a user of the tenant holding the Entra `roles`, signed in on the sign-in page for `scope`."""
        url = f"{self.emulator.base_url}/emulator/tenants/{self.id}/signInUsers/{name}"
        put = self.emulator.session().put(url, json={"directoryRoles": roles}, timeout=30)
        assert put.status_code == 200 and put.json()["directoryRoles"] == roles, put.text
        session = self.emulator.session()
        session.headers["Authorization"] = f"Bearer {azure_admin_token(self.emulator, self.id, name, scope=scope)}"
        return session

    def app_token(self, app: str | None = None) -> str:
        form = {
            "grant_type": "client_credentials",
            "client_id": app or self.app,
            "client_secret": "s",
            "scope": GRAPH_SCOPE,
        }
        reply = self.emulator.session().post(
            f"{self.emulator.base_url}/{self.id}/oauth2/v2.0/token", data=form, timeout=30
        )
        assert reply.status_code == 200, reply.text
        return str(reply.json()["access_token"])

    def roles(self, token: str | None = None) -> list[str]:
        return sorted(jwt.decode(token or self.app_token(), options={"verify_signature": False})["roles"])

    def assignment(self, role_id: str, principal: str | None = None) -> dict[str, str]:
        return {
            "principalId": principal or self.app_principal,
            "resourceId": self.graph_principal,
            "appRoleId": role_id,
        }

    def assign(self, session: requests.Session, role_id: str, **body: str) -> requests.Response:
        url = f"{self.graph}/servicePrincipals/{self.graph_principal}/appRoleAssignedTo"
        return session.post(url, json={**self.assignment(role_id), **body}, timeout=30)


@pytest.fixture
def tenant(azure_emulator: EmulatorProcess) -> Tenant:
    return Tenant(azure_emulator)


def error(reply: requests.Response) -> tuple[int, str, str]:
    found = reply.json()["error"]
    return reply.status_code, found["code"], found["message"]


def test_an_administrator_grants_one_permission_and_the_apps_next_token_carries_it(tenant: Tenant) -> None:
    before = tenant.app_token()
    admin = tenant.signed_in("pra", ["Privileged Role Administrator"])
    # Microsoft Graph's service principal, found as a script finds it, with Microsoft's ids for its app roles
    graph = admin.get(f"{tenant.graph}/servicePrincipals(appId='{GRAPH_APP_ID}')", timeout=30)
    assert graph.status_code == 200, graph.text
    assert (graph.json()["id"], graph.json()["displayName"]) == (tenant.graph_principal, "Microsoft Graph")
    role = next(r for r in graph.json()["appRoles"] if r["value"] == "CloudPC.ReadWrite.All")
    assert role["id"] == CLOUD_PC_READ_WRITE
    assert (role["allowedMemberTypes"], role["isEnabled"], role["origin"]) == (["Application"], True, "Application")
    by_id = admin.get(f"{tenant.graph}/servicePrincipals/{tenant.graph_principal}", timeout=30).json()
    filtered = admin.get(
        f"{tenant.graph}/servicePrincipals", params={"$filter": f"appId eq '{GRAPH_APP_ID}'"}, timeout=30
    ).json()["value"]
    assert by_id["appRoles"] == graph.json()["appRoles"] == filtered[0]["appRoles"]
    app = admin.get(f"{tenant.graph}/servicePrincipals(appId='{tenant.app}')", timeout=30).json()
    assert (app["id"], app["appRoles"]) == (tenant.app_principal, [])

    made = tenant.assign(admin, CLOUD_PC_READ_WRITE)
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["@odata.context"].endswith(
        f"$metadata#servicePrincipals('{tenant.graph_principal}')/appRoleAssignedTo/$entity"
    )
    assert {k: body[k] for k in ("appRoleId", "principalId", "principalType", "resourceId", "resourceDisplayName")} == {
        "appRoleId": CLOUD_PC_READ_WRITE,
        "principalId": tenant.app_principal,
        "principalType": "ServicePrincipal",
        "resourceId": tenant.graph_principal,
        "resourceDisplayName": "Microsoft Graph",
    }
    assert body["principalDisplayName"] and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", body["createdDateTime"])
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", body["id"])

    assert tenant.roles() == sorted([*EVERY_CUSTOMER, "CloudPC.ReadWrite.All"])  # the next token
    assert tenant.roles(before) == sorted(EVERY_CUSTOMER)  # a token already issued does not change
    assert "CloudPC.ReadWrite.All" in tenant.controls.app_access(tenant.app)["graphPermissions"]  # one record

    listed = admin.get(f"{tenant.graph}/servicePrincipals/{tenant.graph_principal}/appRoleAssignedTo", timeout=30)
    assert listed.status_code == 200, listed.text
    assert listed.json()["@odata.context"].endswith(f"servicePrincipals('{tenant.graph_principal}')/appRoleAssignedTo")
    mine = [a for a in listed.json()["value"] if a["principalId"] == tenant.app_principal]
    assert len(mine) == 4 and body["id"] in {a["id"] for a in mine}  # the consented three are assignments too
    held = admin.get(f"{tenant.graph}/servicePrincipals(appId='{tenant.app}')/appRoleAssignments", timeout=30)
    assert held.status_code == 200 and sorted(a["id"] for a in held.json()["value"]) == sorted(a["id"] for a in mine)

    again = tenant.assign(admin, CLOUD_PC_READ_WRITE)
    assert error(again)[:2] == (400, "Request_BadRequest") and ALREADY in error(again)[2]

    url = f"{tenant.graph}/servicePrincipals/{tenant.graph_principal}/appRoleAssignedTo/{body['id']}"
    assert admin.delete(url, timeout=30).status_code == 204
    assert tenant.roles() == sorted(EVERY_CUSTOMER)
    assert error(admin.delete(url, timeout=30))[:2] == (404, "Request_ResourceNotFound")
    # the same assignment again has the same id, as Graph's ids are the assignment's for its lifetime
    assert tenant.assign(admin, CLOUD_PC_READ_WRITE).json()["id"] == body["id"]


def test_a_global_administrator_or_the_app_itself_may_grant_and_the_principals_side_writes_too(tenant: Tenant) -> None:
    admin = tenant.signed_in("ga", ["Global Administrator"])
    assert tenant.assign(admin, MAIL_SEND).status_code == 201
    # an app holding AppRoleAssignment.ReadWrite.All with Application.Read.All needs no directory role
    granter = str(uuid.uuid4())
    tenant.controls.app_access(
        granter, consented=True, graphPermissions=["AppRoleAssignment.ReadWrite.All", "Application.Read.All"]
    )
    app = tenant.emulator.session()
    app.headers["Authorization"] = f"Bearer {tenant.app_token(granter)}"
    url = f"{tenant.graph}/servicePrincipals/{tenant.app_principal}/appRoleAssignments"
    made = app.post(url, json=tenant.assignment(CLOUD_PC_READ_WRITE), timeout=30)
    assert made.status_code == 201, made.text
    assert made.json()["@odata.context"].endswith(
        f"servicePrincipals('{tenant.app_principal}')/appRoleAssignments/$entity"
    )
    assert tenant.roles() == sorted([*EVERY_CUSTOMER, "CloudPC.ReadWrite.All", "Mail.Send"])
    other = app.post(url, json=tenant.assignment(MAIL_SEND, tenant.graph_principal), timeout=30)
    assert error(other)[:2] == (400, "Request_BadRequest")  # the principal must be the one addressed


def test_graph_refuses_what_it_refuses(tenant: Tenant) -> None:
    # a signed-in user without a directory role, or with one that does not reach Microsoft Graph's app roles
    for name, roles in (("nobody", []), ("appadmin", ["Application Administrator"])):
        user = tenant.signed_in(name, roles)
        assert error(tenant.assign(user, CLOUD_PC_READ_WRITE)) == (403, *DENIED)
        assert user.get(f"{tenant.graph}/servicePrincipals/{tenant.graph_principal}", timeout=30).status_code == 200
        listed = user.get(f"{tenant.graph}/servicePrincipals/{tenant.graph_principal}/appRoleAssignedTo", timeout=30)
        assert listed.status_code == (200 if roles else 403)  # an Application Administrator may list them
    # a Privileged Role Administrator whose token lacks the scope
    reading = tenant.signed_in("reader", ["Privileged Role Administrator"], scope=f"{GRAPH}/Application.Read.All")
    assert error(tenant.assign(reading, CLOUD_PC_READ_WRITE)) == (403, *DENIED)
    # an operation whose page's delegated row the emulator does not hold refuses a signed-in user's token
    users = tenant.signed_in("lister", ["Global Administrator"], scope=f"{GRAPH}/User.Read.All")
    assert error(users.get(f"{tenant.graph}/users", timeout=30)) == (403, *DENIED)

    admin = tenant.signed_in("pra", ["Privileged Role Administrator"])
    nobodys = principal_id(tenant.id, str(uuid.uuid4()))  # an app nobody consented to has no service principal
    assert error(tenant.assign(admin, CLOUD_PC_READ_WRITE, principalId=nobodys))[:2] == (
        404,
        "Request_ResourceNotFound",
    )
    assert error(tenant.assign(admin, str(uuid.uuid4())))[:2] == (400, "Request_BadRequest")  # not a role of Graph's
    assert error(tenant.assign(admin, CLOUD_PC_READ_WRITE, resourceId=tenant.app_principal))[:2] == (
        400,
        "Request_BadRequest",
    )
    assert error(tenant.assign(admin, CLOUD_PC_READ_WRITE, appRoleId="CloudPC.ReadWrite.All"))[:2] == (
        400,
        "Request_BadRequest",
    )
    unknown = admin.post(
        f"{tenant.graph}/servicePrincipals/{uuid.uuid4()}/appRoleAssignedTo",
        json=tenant.assignment(CLOUD_PC_READ_WRITE),
        timeout=30,
    )
    assert error(unknown)[:2] == (404, "Request_ResourceNotFound")
    assert tenant.roles() == sorted(EVERY_CUSTOMER)  # nothing was granted
    bad = tenant.emulator.session().put(
        f"{tenant.emulator.base_url}/emulator/tenants/{tenant.id}/signInUsers/someone",
        json={"directoryRoles": ["Supreme Leader"]},
        timeout=30,
    )
    assert bad.status_code == 400, bad.text


def test_consent_again_keeps_an_app_role_granted_since_and_revoking_consent_drops_it(
    azure_emulator: EmulatorProcess,
) -> None:
    tenant = Tenant(azure_emulator)
    app = str(uuid.uuid4())
    registered = azure_emulator.session().put(
        f"{azure_emulator.base_url}/emulator/applications/{app}", json={"graphPermissions": EVERY_CUSTOMER}, timeout=30
    )
    assert registered.status_code == 200
    administrator = azure_emulator.session()
    administrator.headers["Authorization"] = f"Bearer {emulator_token(azure_emulator, tenant.id, GRAPH)[0]}"

    def consent() -> None:
        reply = administrator.get(
            f"{azure_emulator.base_url}/{tenant.id}/v2.0/adminconsent",
            params={"client_id": app, "scope": GRAPH_SCOPE},
            timeout=30,
        )
        assert reply.status_code == 200, reply.text

    consent()
    granted = tenant.assign(administrator, CLOUD_PC_READ_WRITE, principalId=principal_id(tenant.id, app))
    assert granted.status_code == 201, granted.text
    consent()
    assert tenant.roles(tenant.app_token(app)) == sorted([*EVERY_CUSTOMER, "CloudPC.ReadWrite.All"])
    tenant.controls.app_access(app, consented=False)  # the service principal goes, with its assignments
    consent()
    assert tenant.roles(tenant.app_token(app)) == sorted(EVERY_CUSTOMER)


def test_every_application_permission_the_emulator_names_has_microsofts_app_role_or_is_named_missing() -> None:
    named = {
        permission
        for entry in permissions.entries().values()
        for options in (entry.application or (), *entry.by_resource.values())
        for option in options
        for permission in option
    }
    roles = app_roles.graph_app_roles()
    values = {role["value"] for role in roles}
    assert named <= values | set(app_roles.not_found()), sorted(named - values - set(app_roles.not_found()))
    assert not values & set(app_roles.not_found())
    ids = [role["id"] for role in roles]
    assert len(set(ids)) == len(ids) and all(re.fullmatch(r"[0-9a-f-]{36}", i) for i in ids)
    data: dict[str, Any] = json.loads(app_roles.DATA.read_text(encoding="utf-8"))
    assert {"source", "retrieved"} <= set(data)
