"""Azure RBAC in the emulated ARM: what an app's role assignments let it do, custom roles, and the consent behind it."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import jwt
import pytest
import requests

from azure_emulator.app import build_context
from azure_emulator.arm import rbac
from azure_emulator.launcher import EmulatorProcess
from azure_emulator.server import Context, Request, Route, dispatch
from tests.utils.admin_sign_in import OWNER, azure_admin_token, give_role, put_in_directory
from tests.utils.arm_admin import ArmAdmin, Controls, emulator_token
from tests.utils.graph_admin import GraphAdmin

REGION = "westeurope"
READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
VM_CONTRIBUTOR = "9980e02c-c2be-4d73-94e8-173b1dc7cf3c"
NETWORK_CONTRIBUTOR = "4d97b98b-1d4f-4787-a291-c67834d212e7"
DEFINITIONS = "providers/Microsoft.Authorization/roleDefinitions"
ARM_SCOPE = "https://management.azure.com/.default"
GRAPH_SCOPE = "https://graph.microsoft.com/.default"
GRAPH = "https://graph.microsoft.com"
# the message of a refusal: 'The client '{client}' with object id '{oid}' ... action '{action}' over scope '{scope}''
REFUSAL = re.compile(r"The client '([^']*)' with object id '([^']*)' .* perform action '([^']*)' over scope '([^']*)'")


def refusal(reply: Any) -> tuple[str, str, str, str]:
    """client, object id, action and scope of a 403 AuthorizationFailed (fails on anything else); `reply` an HTTP
    reply or the in-process emulator's Response."""
    body = reply.json() if isinstance(reply, requests.Response) else reply.body
    status = reply.status_code if isinstance(reply, requests.Response) else reply.status
    assert (status, body["error"]["code"]) == (403, "AuthorizationFailed"), body
    found = REFUSAL.search(body["error"]["message"])
    assert found is not None, body["error"]["message"]
    client, oid, action, scope = found.groups()
    return client, oid, action, scope


def app_token(emu: EmulatorProcess, tenant: str, client_id: str, scope: str = ARM_SCOPE) -> requests.Response:
    form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": "s3cret", "scope": scope}
    with emu.session() as session:
        return session.post(f"{emu.base_url}/{tenant}/oauth2/v2.0/token", data=form, timeout=30)


@dataclass
class App:
    """An app consented to in the admin's tenant, calling ARM with its own (client credentials) token."""

    admin: ArmAdmin
    client_id: str
    principal_id: str  # its service principal's object id in the tenant: the token's oid
    session: requests.Session

    def call(self, method: str, resource_id: str, body: Any = None) -> requests.Response:
        return self.session.request(method, self.admin.url(resource_id), json=body, timeout=60)

    def grant(self, role: str, scope: str) -> str:
        """A role assignment for the app (by the admin); `role` a built-in role's GUID or a custom role's id."""
        return assign(self.admin, self.principal_id, role, scope, "ServicePrincipal")


def role_id(admin: ArmAdmin, role: str) -> str:
    return role if role.startswith("/") else f"/subscriptions/{admin.subscription_id}/{DEFINITIONS}/{role}"


def assign(admin: ArmAdmin, principal: str, role: str, scope: str, principal_type: str = "User") -> str:
    body = {
        "properties": {
            "roleDefinitionId": role_id(admin, role),
            "principalId": principal,
            "principalType": principal_type,
        }
    }
    return str(admin.ok("PUT", f"{scope}/providers/Microsoft.Authorization/roleAssignments/{uuid.uuid4()}", body)["id"])


def consented_app(admin: ArmAdmin) -> App:
    client_id = str(uuid.uuid4())
    grant = Controls(admin.emulator, admin.tenant_id).app_access(client_id, consented=True)
    reply = app_token(admin.emulator, admin.tenant_id, client_id)
    assert reply.status_code == 200, reply.text
    session = admin.emulator.session()
    session.headers["Authorization"] = f"Bearer {reply.json()['access_token']}"
    return App(admin, client_id, str(grant["servicePrincipalId"]), session)


@pytest.fixture
def app(admin: ArmAdmin) -> App:
    return consented_app(admin)


def custom_role(admin: ArmAdmin, actions: list[str], not_actions: list[str] | None = None, **props: Any) -> Any:
    """PUT of a custom role at the subscription: the reply (check it) and the role's id."""
    guid = str(uuid.uuid4())
    resource_id = f"/subscriptions/{admin.subscription_id}/{DEFINITIONS}/{guid}"
    body = {
        "properties": {
            "roleName": f"Custom {guid}",
            "description": "a test's role",
            "permissions": [{"actions": actions, "notActions": not_actions or []}],
            "assignableScopes": [f"/subscriptions/{admin.subscription_id}"],
            **props,
        }
    }
    return admin.call("PUT", resource_id, body), resource_id


def vm_in(admin: ArmAdmin, rg: str) -> str:
    subnet = admin.virtual_network(rg, "vnet")
    return str(admin.virtual_machine(rg, "vm", subnet)["id"])


def nic_body(subnet_id: str) -> dict[str, Any]:
    config = {"name": "ipconfig1", "properties": {"subnet": {"id": subnet_id}}}
    return {"location": REGION, "properties": {"ipConfigurations": [config]}}


# --- every ARM route is checked --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def local() -> Iterator[Context]:
    """The emulator's routes, built in this process and called without a socket."""
    ctx = build_context(None)
    try:
        yield ctx
    finally:
        for halt in ctx.background:
            halt()


NAMED_GROUP = re.compile(r"\(\?P<(\w+)>(?:[^()]|\([^()]*\))*\)")
SAMPLES = {"scope": "/subscriptions/{sub}/resourceGroups/rg", "ns": "Microsoft.Compute", "type": "virtualMachines"}


def sample_path(route: Route, sub: str) -> str:
    """A path the route's pattern matches, each parameter a plausible value (optional parts included)."""

    def value(group: re.Match[str]) -> str:
        return sub if group.group(1) == "sub" else SAMPLES.get(group.group(1), "x").format(sub=sub)

    path = NAMED_GROUP.sub(value, route.pattern.pattern)
    path = path.removeprefix("^").removesuffix("/?$").replace("(?:", "").replace(")?", "").replace("\\.", ".")
    assert route.pattern.match(path), (route.pattern.pattern, path)
    return path


def local_call(ctx: Context, method: str, path: str, token: str = "", body: bytes = b"", form: bool = False) -> Any:
    """The emulator's answer (its Response, body not yet serialized) to one request."""
    headers = {"authorization": f"Bearer {token}"} if token else {}
    if body:
        headers["content-type"] = "application/x-www-form-urlencoded" if form else "application/json"
    path, _, query = path.partition("?")
    params = dict(pair.split("=", 1) for pair in query.split("&") if pair)
    return dispatch(ctx, Request(method, path, params, headers, body, "https://127.0.0.1"))


def test_every_arm_route_names_an_action_and_refuses_an_app_without_a_role(local: Context) -> None:
    tenant, sub, client_id = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
    consent = json.dumps({"consented": True}).encode()
    assert local_call(local, "PUT", f"/emulator/tenants/{tenant}/apps/{client_id}", body=consent).status == 200
    form = urlencode(
        {"grant_type": "client_credentials", "client_id": client_id, "client_secret": "s", "scope": ARM_SCOPE}
    ).encode()
    issued = local_call(local, "POST", f"/{tenant}/oauth2/v2.0/token", body=form, form=True)
    assert issued.status == 200, issued.body
    token = issued.body["access_token"]
    routes = [route for route in local.router.routes if route.api == "arm"]
    assert len(routes) > 50  # the providers registered
    for route in routes:
        path = sample_path(route, sub)
        assert local.router.match(route.method, path)[0] is route, path
        if route.operation == "listSubscriptions":  # no action: it answers what the caller holds a role in
            listed = local_call(local, route.method, f"{path}?api-version=2022-12-01", token)
            assert (listed.status, listed.body["value"]) == (200, [])
            continue
        reply = local_call(local, route.method, f"{path}?api-version=2024-07-01", token)
        client, _, action, scope = refusal(reply)
        assert client == client_id and scope == path.removeprefix("/arm")
        assert action and action.lower() in rbac.known_actions(), (route.method, path, action)


# --- refusals, inheritance, wildcards, notActions ----------------------------------------------------------
def test_an_app_without_a_role_is_refused_naming_itself_the_action_and_the_scope(admin: ArmAdmin, app: App) -> None:
    vm_id = vm_in(admin, "rg")
    client, oid, action, scope = refusal(app.call("GET", vm_id))
    assert (client, oid, action, scope) == (
        app.client_id,
        app.principal_id,
        "Microsoft.Compute/virtualMachines/read",
        vm_id,
    )
    assert refusal(app.call("DELETE", vm_id))[2] == "Microsoft.Compute/virtualMachines/delete"
    assert admin.vm("rg", "vm") is not None  # the refused delete did nothing
    assert admin.call("GET", vm_id).status_code == 200  # the tenant's administrator is not checked


def test_a_role_at_the_subscription_grants_below_it_and_one_at_a_group_only_there(admin: ArmAdmin) -> None:
    vms = {rg: vm_in(admin, rg) for rg in ("rg-a", "rg-b")}
    everywhere, one_group = consented_app(admin), consented_app(admin)
    everywhere.grant(READER, f"/subscriptions/{admin.subscription_id}")
    one_group.grant(READER, admin.group_id("rg-a"))
    for vm_id in vms.values():
        assert everywhere.call("GET", vm_id).status_code == 200
    assert everywhere.call("GET", admin.group_id("rg-b")).status_code == 200
    assert one_group.call("GET", vms["rg-a"]).json()["id"] == vms["rg-a"]
    assert refusal(one_group.call("GET", vms["rg-b"]))[2:] == ("Microsoft.Compute/virtualMachines/read", vms["rg-b"])
    group = refusal(one_group.call("GET", admin.group_id("rg-b")))
    assert group[2:] == ("Microsoft.Resources/subscriptions/resourceGroups/read", admin.group_id("rg-b"))


def test_an_app_sees_a_subscription_once_it_holds_a_role_in_it_at_any_scope(admin: ArmAdmin, app: App) -> None:
    """ "Subscriptions - List" answers the subscriptions the caller can reach, and needs no action of its own
    (https://learn.microsoft.com/rest/api/resources/subscriptions/list)."""
    vm_in(admin, "rg")

    def listed() -> list[str]:
        reply = app.session.get(
            f"{admin.emulator.base_url}/arm/subscriptions", params={"api-version": "2022-12-01"}, timeout=30
        )
        assert reply.status_code == 200, reply.text
        return [s["subscriptionId"] for s in reply.json()["value"]]

    assert listed() == []
    assignment = app.grant(READER, admin.group_id("rg"))  # a role in one resource group is enough to see it
    assert listed() == [admin.subscription_id]
    admin.ok("DELETE", assignment)
    assert listed() == []
    old = app.session.get(
        f"{admin.emulator.base_url}/arm/subscriptions", params={"api-version": "2099-01-01"}, timeout=30
    )
    assert (old.status_code, old.json()["error"]["code"]) == (400, "InvalidApiVersionParameter")


def test_readers_wildcard_reads_but_does_not_write(admin: ArmAdmin, app: App) -> None:
    vm_id = vm_in(admin, "rg")
    app.grant(READER, admin.group_id("rg"))
    assert app.call("GET", vm_id).status_code == 200
    image = admin.resource_id("rg", "Microsoft.Compute", "images", "golden")
    disk = {"osType": "Windows", "osState": "Generalized", "blobUri": "https://golden.blob.core.windows.net/v/g.vhd"}
    body = {"location": REGION, "properties": {"hyperVGeneration": "V2", "storageProfile": {"osDisk": disk}}}
    assert refusal(app.call("PUT", image, body))[2:] == ("Microsoft.Compute/images/write", image)
    assert admin.call("GET", image).status_code == 404


def test_not_actions_take_back_what_a_wildcard_grants(admin: ArmAdmin, app: App) -> None:
    vm_id = vm_in(admin, "rg")
    reply, role = custom_role(admin, ["Microsoft.Compute/*"], ["Microsoft.Compute/virtualMachines/delete"])
    assert reply.status_code == 201, reply.text
    app.grant(role, admin.group_id("rg"))
    assert refusal(app.call("DELETE", vm_id))[2:] == ("Microsoft.Compute/virtualMachines/delete", vm_id)
    assert admin.vm("rg", "vm") is not None
    vm = admin.call("GET", vm_id).json()
    written = app.call("PUT", vm_id, {"location": REGION, "properties": vm["properties"]})  # the same VM: a write
    assert written.status_code == 200, written.text
    gallery = app.call("PUT", admin.resource_id("rg", "Microsoft.Compute", "galleries", "gal"), {"location": REGION})
    assert gallery.status_code in (200, 201), gallery.text


# --- custom roles -------------------------------------------------------------------------------------------
def test_custom_roles_are_validated_and_a_refused_put_changes_nothing(admin: ArmAdmin, directory: GraphAdmin) -> None:
    for actions, wrong in (
        (["Microsoft.Compute/virtualMachines/fly/action"], "an action Compute does not have"),
        (["Contoso.Widgets/widgets/read"], "a provider ARM does not have"),
    ):
        reply, role = custom_role(admin, actions)
        assert (reply.status_code, reply.json()["error"]["code"]) == (400, "InvalidActionOrNotAction"), wrong
        assert admin.call("GET", role).status_code == 404
    reply, role = custom_role(admin, ["Microsoft.Compute/*/read"], assignableScopes=["/"])
    assert reply.status_code == 400 and reply.json()["error"]["code"] == "InvalidAssignableScopes"
    assert admin.call("GET", role).status_code == 404

    made, role = custom_role(admin, ["Microsoft.Compute/*/read"])
    assert made.status_code == 201, made.text
    name = made.json()["properties"]["roleName"]
    twin, twin_id = custom_role(admin, ["Microsoft.Network/*/read"], roleName=name)
    assert (twin.status_code, twin.json()["error"]["code"]) == (409, "RoleDefinitionWithSameNameExists")
    assert admin.call("GET", twin_id).status_code == 404
    spoiled = dict(made.json()["properties"], permissions=[{"actions": ["Microsoft.Compute/virtualMachines/fly"]}])
    assert admin.call("PUT", role, {"properties": spoiled}).status_code == 400
    assert admin.call("GET", role).json() == made.json()  # the earlier state

    assignment = assign(admin, directory.create_user(), role, f"/subscriptions/{admin.subscription_id}")
    in_use = admin.call("DELETE", role)
    assert (in_use.status_code, in_use.json()["error"]["code"]) == (409, "RoleDefinitionHasAssignments")
    assert admin.call("GET", role).json() == made.json()
    admin.ok("DELETE", assignment)
    assert admin.call("DELETE", role).status_code == 200
    assert admin.call("GET", role).status_code == 404


def test_a_role_assignment_needs_a_known_principal_and_role(admin: ArmAdmin, directory: GraphAdmin) -> None:
    admin.resource_group("rg")
    scope = admin.group_id("rg")
    stranger = {"properties": {"roleDefinitionId": role_id(admin, READER), "principalId": str(uuid.uuid4())}}
    reply = admin.call("PUT", f"{scope}/providers/Microsoft.Authorization/roleAssignments/{uuid.uuid4()}", stranger)
    assert (reply.status_code, reply.json()["error"]["code"]) == (400, "PrincipalNotFound")
    unknown_role = {
        "properties": {"roleDefinitionId": role_id(admin, str(uuid.uuid4())), "principalId": directory.create_user()}
    }
    reply = admin.call("PUT", f"{scope}/providers/Microsoft.Authorization/roleAssignments/{uuid.uuid4()}", unknown_role)
    assert (reply.status_code, reply.json()["error"]["code"]) == (400, "RoleDefinitionDoesNotExist")
    assert admin.role_assignments("rg") == []


# --- linked access checks -----------------------------------------------------------------------------------
def test_a_nic_in_another_groups_subnet_needs_join_there(admin: ArmAdmin, app: App) -> None:
    subnet = admin.virtual_network("rg-net", "vnet")
    admin.resource_group("rg-vm")
    app.grant(VM_CONTRIBUTOR, admin.group_id("rg-vm"))
    nic = admin.resource_id("rg-vm", "Microsoft.Network", "networkInterfaces", "nic")
    refused = app.call("PUT", nic, nic_body(subnet))
    client, _, action, scope = refusal(refused)
    assert (client, action, scope) == (app.client_id, "Microsoft.Network/virtualNetworks/subnets/join/action", subnet)
    assert admin.call("GET", nic).status_code == 404
    app.grant(NETWORK_CONTRIBUTOR, admin.group_id("rg-net"))  # which holds Microsoft.Network/*: join included
    made = app.call("PUT", nic, nic_body(subnet))
    assert made.status_code in (200, 201), made.text


# --- the caller's permissions ---------------------------------------------------------------------------------
def blocks(*roles: dict[str, Any]) -> list[str]:
    fields = ("actions", "notActions", "dataActions", "notDataActions")
    return sorted(
        json.dumps({f: list(block.get(f) or []) for f in fields}, sort_keys=True)
        for role in roles
        for block in role["properties"]["permissions"]
    )


def test_list_permissions_answers_exactly_the_apps_roles_blocks(admin: ArmAdmin, app: App) -> None:
    for rg in ("rg-a", "rg-b"):
        admin.resource_group(rg)
    made, role = custom_role(admin, ["Microsoft.Compute/*"], ["Microsoft.Compute/virtualMachines/delete"])
    app.grant(READER, f"/subscriptions/{admin.subscription_id}")
    app.grant(role, admin.group_id("rg-a"))
    reader = rbac.built_in_roles()[READER]

    def permissions(rg: str) -> list[str]:
        reply = app.call("GET", f"{admin.group_id(rg)}/providers/Microsoft.Authorization/permissions")
        assert reply.status_code == 200, reply.text
        return sorted(json.dumps(block, sort_keys=True) for block in reply.json()["value"])

    assert permissions("rg-a") == blocks(reader, made.json())
    assert permissions("rg-b") == blocks(reader)


# --- consent ----------------------------------------------------------------------------------------------------
def test_admin_consent_grants_exactly_what_the_registration_requests(azure_emulator: EmulatorProcess) -> None:
    tenant = str(uuid.uuid4())
    registered, bare = str(uuid.uuid4()), str(uuid.uuid4())
    requested = ["User.Read.All", "Device.ReadWrite.All"]
    with azure_emulator.session() as session:
        put = session.put(
            f"{azure_emulator.base_url}/emulator/applications/{registered}",
            json={"graphPermissions": requested},
            timeout=30,
        )
        assert put.status_code == 200
        session.headers["Authorization"] = f"Bearer {emulator_token(azure_emulator, tenant, GRAPH)[0]}"

        def principal(app: str) -> requests.Response:
            return session.get(f"{azure_emulator.base_url}/graph/v1.0/servicePrincipals(appId='{app}')", timeout=30)

        for app in (registered, bare):
            assert principal(app).status_code == 404
            refused = app_token(azure_emulator, tenant, app, GRAPH_SCOPE)
            assert (refused.status_code, refused.json()["error_codes"]) == (400, [700016])
            consent = session.get(
                f"{azure_emulator.base_url}/{tenant}/v2.0/adminconsent",
                params={"client_id": app, "scope": GRAPH_SCOPE},
                timeout=30,
            )
            assert consent.status_code == 200, consent.text
        for app, granted in ((registered, requested), (bare, [])):
            reply = app_token(azure_emulator, tenant, app, GRAPH_SCOPE)
            assert reply.status_code == 200, reply.text
            claims = jwt.decode(reply.json()["access_token"], options={"verify_signature": False})
            assert sorted(claims["roles"]) == sorted(granted)
            found = principal(app)
            assert found.status_code == 200 and found.json()["id"] == claims["oid"] and found.json()["appId"] == app


# --- a signed-in user's own token (delegated) ------------------------------------------------------------------
def test_a_signed_in_users_token_is_checked_against_their_own_roles(
    admin: ArmAdmin, azure_emulator: EmulatorProcess
) -> None:
    """The customer's administrator signs in for Azure (user_impersonation) as the one-step grant has them: their
    token passes where their role assignments let it, as ARM checks any principal, and nowhere else."""
    emulator = azure_emulator
    tenant = admin.tenant_id
    frank = put_in_directory(emulator, tenant, "frank")
    token = azure_admin_token(emulator, tenant, "frank")
    headers = {"Authorization": f"Bearer {token}"}
    subscription = f"/subscriptions/{admin.subscription_id}"
    listed = f"{emulator.base_url}/arm/subscriptions?api-version=2022-12-01"
    group = f"{emulator.base_url}/arm{subscription}/resourcegroups/rg-frank?api-version=2021-04-01"
    with emulator.session() as http:
        assert http.get(listed, headers=headers, timeout=30).json()["value"] == []  # no role: no subscription
        refused = http.put(group, json={"location": REGION}, headers=headers, timeout=30)
        assert refusal(refused)[1:3] == (frank, "Microsoft.Resources/subscriptions/resourceGroups/write")
        give_role(admin, frank, READER)
        assert [s["subscriptionId"] for s in http.get(listed, headers=headers, timeout=30).json()["value"]] == [
            admin.subscription_id
        ]
        assert refusal(http.put(group, json={"location": REGION}, headers=headers, timeout=30))[1] == frank
        give_role(admin, frank, OWNER)
        assert http.put(group, json={"location": REGION}, headers=headers, timeout=30).status_code == 201
        # a token for another audience is not ARM's: the request is unauthenticated
        graph_token = azure_admin_token(emulator, tenant, "frank", scope="https://graph.microsoft.com/User.Read")
        other = http.get(listed, headers={"Authorization": f"Bearer {graph_token}"}, timeout=30)
        assert other.status_code == 401, other.text
