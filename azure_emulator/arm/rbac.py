"""Azure RBAC as ARM enforces it: role definitions (Microsoft's built-in ones and custom ones), the role assignments
of a principal at a scope and above, and the check every ARM request passes before its handler runs.

How ARM decides (https://learn.microsoft.com/azure/role-based-access-control/overview#how-azure-rbac-determines-if-a-user-has-access-to-a-resource):
a caller may perform an action at a scope when one of its role assignments at that scope or above (management
group, subscription, resource group, resource: here, a prefix of the request's path) holds a role definition
whose permissions grant it: an `actions` entry matches (`*` is a wildcard, case-insensitive) and no `notActions`
entry of the same permission block does (https://learn.microsoft.com/azure/role-based-access-control/role-definitions#actions).
Refused: 403 `AuthorizationFailed`, naming the client, the action and the scope
(https://learn.microsoft.com/azure/role-based-access-control/troubleshooting#symptom---unable-to-assign-a-role).

Some writes are checked on a second resource too, as ARM's linked access checks are: a NIC placed in a subnet
needs `Microsoft.Network/virtualNetworks/subnets/join/action` there, a VM needs `.../networkInterfaces/join/action`
on its NIC and read on its image (https://learn.microsoft.com/azure/virtual-network/virtual-network-network-interface#permissions).

Who is checked: an app's token (`idtyp: app`, the client-credentials grant), a managed identity's, and a user's
signed in through the sign-in page with ARM's scope (a delegated token: the user's own role assignments decide, as
for any principal). The tokens `POST /emulator/token` issues stand in for the customer's own administrator, signed in
with `az login`, who owns the subscriptions they set up; they are not checked, as an Owner at subscription scope would
pass every check here.
Conditions (ABAC) of a role or of its assignment are evaluated for the role-assignment attributes that delegation
uses (conditions.py); one the emulator cannot read grants nothing, so it is never kinder than Azure about one.

Built-in roles come from `built_in_roles.json` (Microsoft's published definitions, with their source and date).
Custom roles are resources `{scope}/providers/Microsoft.Authorization/roleDefinitions/{guid}`.
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

from azure_emulator.arm import common, conditions
from azure_emulator.server import ApiError, Context, Request

DEFINITION_TYPE = "Microsoft.Authorization/roleDefinitions"
ASSIGNMENT_TYPE = "Microsoft.Authorization/roleAssignments"
ASSIGNMENT_INDEX = "arm.roleAssignmentByPrincipal"  # principal/assignment id -> the assignment's id and scope
DELEGATION_INDEX = "arm.delegationByPrincipal"  # managing tenant/principal/registration assignment -> its id, scope
CUSTOM_INDEX = "arm.customRoleDefinition"  # GUID -> the custom role's resource id
DATA_FILE = Path(__file__).with_name("built_in_roles.json")
GUID = re.compile(r"[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
# the actions every ARM route of the emulator names (filled in by `routing.route` at registration), with the
# built-in roles' own: what a custom role's actions are checked against, as ARM checks them against its providers'
OPERATIONS: set[str] = {
    "Microsoft.Network/virtualNetworks/subnets/join/action",
    "Microsoft.Network/networkInterfaces/join/action",
}  # and the linked access checks' actions
DATA_OPERATIONS: set[str] = set()  # the data actions the emulated data planes check (Key Vault's)


@cache
def built_in_roles() -> dict[str, dict[str, Any]]:
    """Microsoft's built-in role definitions by lower-cased GUID, as ARM shows them."""
    data = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    roles: dict[str, dict[str, Any]] = {}
    for role in data["roles"]:
        guid = role["id"].lower()
        if role.get("condition"):  # Microsoft publishes a role's condition inside its permission block
            role["permissions"] = [{**block, "condition": role["condition"]} for block in role["permissions"]]
        roles[guid] = {
            "id": f"/providers/{DEFINITION_TYPE}/{guid}",
            "name": guid,
            "type": DEFINITION_TYPE,
            "properties": {
                "roleName": role["roleName"],
                "type": "BuiltInRole",
                "description": "",
                "assignableScopes": ["/"],
                "permissions": role["permissions"],
            },
        }
    return roles


def known_actions(data: bool = False) -> set[str]:
    """Every action the emulated providers have: their routes' and those the built-in roles name outright (with
    `data`, the data actions the built-in roles name)."""
    field = "dataActions" if data else "actions"
    named = {
        action.lower()
        for role in built_in_roles().values()
        for block in role["properties"]["permissions"]
        for action in block.get(field, [])
        if "*" not in action
    }
    return named | {action.lower() for action in (DATA_OPERATIONS if data else OPERATIONS)}


def matches(pattern: str, action: str) -> bool:
    """An ARM action pattern (`*` a wildcard anywhere, case-insensitive) against one action."""
    return fnmatch.fnmatchcase(action.lower(), pattern.lower())


def grants(
    permissions: Iterable[dict[str, Any]],
    action: str,
    attributes: conditions.Attributes | None = None,
    data: bool = False,
) -> bool:
    """Whether a permission block grants `action`: an `actions` match that no `notActions` of its block takes back
    (`dataActions` and `notDataActions` for a data action), and whose conditions (the role's own, its
    assignment's) hold for the request's `attributes`."""
    granted, taken_back = ("dataActions", "notDataActions") if data else ("actions", "notActions")
    return any(
        any(matches(a, action) for a in block.get(granted, []))
        and not any(matches(n, action) for n in block.get(taken_back, []))
        and all(conditions.evaluate(c, action, attributes or {}) for c in block.get("conditions", []))
        for block in permissions
    )


def definition_id_guid(role_definition_id: str) -> str:
    return role_definition_id.rstrip("/").rsplit("/", 1)[-1].lower()


def find_definition(ctx: Context, role_definition_id: str) -> dict[str, Any] | None:
    """A built-in role by its GUID, or a custom one by its full id or its GUID under any scope of the store."""
    guid = definition_id_guid(role_definition_id)
    built_in = built_in_roles().get(guid)
    if built_in is not None:
        return built_in
    indexed = ctx.store.get(CUSTOM_INDEX, guid)
    found = common.get(ctx, indexed["id"]) if indexed else None
    return dict(found["resource"]) if found else None


def custom_definitions(ctx: Context, tenant: str | None = None) -> list[dict[str, Any]]:
    """The custom roles (of one Entra tenant's directory, when named), through their index: a role check must not
    scan every resource."""
    found = (common.get(ctx, entry["id"]) for entry in ctx.store.scan(CUSTOM_INDEX))
    return [doc for doc in found if doc is not None and (tenant is None or doc["meta"]["tid"] == tenant)]


def index_custom(ctx: Context, guid: str, resource_id: str | None) -> None:
    """Keep the custom roles' index (GUID -> id) with the store; None: the role is gone."""
    if resource_id is None:
        ctx.store.delete(CUSTOM_INDEX, guid.lower())
    else:
        ctx.store.put(CUSTOM_INDEX, guid.lower(), {"id": resource_id})


def all_definitions(ctx: Context, tenant: str) -> list[dict[str, Any]]:
    """The built-in roles and the tenant's custom ones, as ARM shows them."""
    return [*built_in_roles().values(), *(doc["resource"] for doc in custom_definitions(ctx, tenant))]


def under(scope: str, path: str) -> bool:
    """Whether `path` is `scope` or inside it (ARM scopes are case-insensitive)."""
    s, p = scope.lower().rstrip("/"), path.lower().rstrip("/")
    return s in ("", "/") or p == s or p.startswith(s + "/")


def assignments_of(ctx: Context, principal_id: str, path: str) -> list[dict[str, Any]]:
    """The principal's role assignments at `path` or above, through the index by principal (an assignment removed
    with its scope, a deleted VM or group, drops out here)."""
    found = []
    for entry in ctx.store.scan(ASSIGNMENT_INDEX, f"{principal_id.lower()}/"):
        if not under(entry["scope"], path):
            continue
        doc = common.get(ctx, entry["id"])
        if doc is not None:
            found.append(doc["resource"])
    return found


def index_assignment(ctx: Context, principal_id: str, assignment_id: str, scope: str | None) -> None:
    """Keep the assignments' index (principal -> assignment id and scope) with the store; None: it is gone."""
    key = f"{principal_id}/{assignment_id}".lower()
    if scope is None:
        ctx.store.delete(ASSIGNMENT_INDEX, key)
    else:
        ctx.store.put(ASSIGNMENT_INDEX, key, {"id": assignment_id, "scope": scope})


def permissions_at(ctx: Context, principal_id: str, path: str) -> list[dict[str, Any]]:
    """The permission blocks of every role the principal holds at `path` or above, each with the conditions that
    limit it (`conditions`: its role's and its assignment's)."""
    blocks: list[dict[str, Any]] = []
    for assignment in assignments_of(ctx, principal_id, path):
        definition = find_definition(ctx, assignment["properties"]["roleDefinitionId"])
        if definition is None:
            continue
        for block in definition["properties"]["permissions"]:
            limits = [c for c in (block.get("condition"), assignment["properties"].get("condition")) if c]
            blocks.append({**block, "conditions": limits})
    return blocks


def delegated_permissions(ctx: Context, tenant: str, principal_id: str, path: str) -> list[dict[str, Any]]:
    """The permission blocks of the built-in roles Azure Lighthouse delegations (managed_services.py) give a principal
    of a managing tenant at `path` or above. Microsoft documents role assignments through a delegation only for User
    Access Administrator, to managed identities (https://learn.microsoft.com/azure/lighthouse/concepts/
    tenants-users-roles), which the emulator does not model: no delegated role writes or deletes access here."""
    blocks: list[dict[str, Any]] = []
    for entry in ctx.store.scan(DELEGATION_INDEX, f"{tenant}/{principal_id}/".lower()):
        if not under(entry["scope"], path):
            continue
        assignment = common.get(ctx, entry["id"])
        definition = (
            common.get(ctx, assignment["resource"]["properties"]["registrationDefinitionId"]) if assignment else None
        )
        if definition is None:
            continue
        for authorization in definition["resource"]["properties"]["authorizations"]:
            if authorization["principalId"].lower() != principal_id.lower():
                continue
            role = built_in_roles().get(authorization["roleDefinitionId"])
            if role is None or authorization.get("delegatedRoleDefinitionIds"):
                continue  # User Access Administrator's limited purpose grants nothing modelled here
            for block in role["properties"]["permissions"]:
                taken_back = [
                    *block.get("notActions", []),
                    "Microsoft.Authorization/*/write",
                    "Microsoft.Authorization/*/delete",
                ]
                blocks.append({**block, "notActions": taken_back, "conditions": []})
    return blocks


def caller_permissions(ctx: Context, request: Request, path: str) -> list[dict[str, Any]]:
    """What the caller's role assignments, and the delegations to its tenant, give it at `path`."""
    claims = request.claims or {}
    principal, tenant = str(claims.get("oid") or ""), str(claims.get("tid") or "")
    return [*permissions_at(ctx, principal, path), *delegated_permissions(ctx, tenant, principal, path)]


def checked(request: Request) -> bool:
    """Whether RBAC applies to the caller: an app, a managed identity or a signed-in user, not the emulator's
    administrator."""
    claims = request.claims or {}
    return claims.get("idtyp") == "app" or request.delegated


def allowed(
    ctx: Context,
    request: Request,
    action: str,
    scope: str,
    attributes: conditions.Attributes | None = None,
    data: bool = False,
) -> bool:
    """Whether the caller may perform `action` (a data action, with `data`) at `scope`; the check is recorded."""
    if not checked(request):
        return True
    claims = request.claims or {}
    principal = str(claims.get("oid") or "")
    granted = grants(caller_permissions(ctx, request, scope), action, attributes, data)
    api = "keyvault" if data else "arm"
    ctx.controls.record_access(str(claims.get("tid") or ""), principal, api, action, scope, granted)
    return granted


def authorize(
    ctx: Context,
    request: Request,
    action: str,
    scope: str | None = None,
    attributes: conditions.Attributes | None = None,
) -> None:
    """403 AuthorizationFailed unless the caller may perform `action` at `scope` (the request's own path), with the
    request's `attributes` for the conditions of its roles."""
    path = scope if scope is not None else request.path.removeprefix("/arm")
    if allowed(ctx, request, action, path, attributes):
        return
    claims = request.claims or {}
    principal = str(claims.get("oid") or "")
    client = str(claims.get("appid") or principal)
    raise ApiError(
        403,
        "AuthorizationFailed",
        f"The client '{client}' with object id '{principal}' does not have authorization to perform action "
        f"'{action}' over scope '{path}' or the scope is invalid. If access was recently granted, please refresh "
        "your credentials.",
    )


def check_actions(actions: list[Any], field: str, data: bool = False) -> None:
    """A custom role's actions must name operations the providers have, as ARM refuses others
    (InvalidActionOrNotAction; https://learn.microsoft.com/azure/role-based-access-control/custom-roles)."""
    known = known_actions(data)
    code = "InvalidDataActionOrNotDataAction" if data else "InvalidActionOrNotAction"
    namespaces = {action.split("/", 1)[0] for action in known}
    for action in actions:
        if not isinstance(action, str) or not action:
            raise ApiError(400, "InvalidRoleDefinition", f"'{field}' must be a list of action strings.")
        if action == "*" or action.startswith("*/"):
            continue
        namespace = action.split("/", 1)[0].lower()
        if "*" not in namespace and namespace not in namespaces:
            raise ApiError(
                400,
                code,
                "The resource provider referenced in the action is not returned in the list of providers from "
                "Azure Resource Manager.",
            )
        if not any(matches(action, op) for op in known):
            raise ApiError(
                400,
                "InvalidActionOrNotAction",
                f"'{action}' does not match any of the actions supported by the providers.",
            )
