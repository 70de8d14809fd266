"""Microsoft.Authorization: role assignments at any scope, and the caller's permissions at a scope.

Role assignments live under their scope's id (`{scope}/providers/Microsoft.Authorization/roleAssignments/{guid}`),
so deleting a VM or a resource group removes the assignments scoped to it. A second assignment of the same
role to the same principal at the same scope is refused with 409 RoleAssignmentExists, as ARM does; the
same assignment PUT again under its own name answers it unchanged.
An assignment names a role that exists (built-in or the tenant's custom one, offered at that scope) and a principal
of the caller's directory (400 PrincipalNotFound otherwise, as ARM answers). The permissions read answers the
caller's roles at the scope and above (rbac.py); the administrator's token owns the subscription. The fault
`subscriptionPermissions` fails that read, which is what the connection's permission check looks at.
"""

from __future__ import annotations

import re
from typing import Any

from azure_emulator.arm import common, rbac, routing
from azure_emulator.consent import service_principals
from azure_emulator.graph.directory_rows import GROUP, USER
from azure_emulator.identity import HOME_TENANT_ID, MANAGED_IDENTITY_PRINCIPAL_ID
from azure_emulator.server import ApiError, Context, Request, Response
from azure_emulator.tokens import principal_id

PROVIDER = r"/providers/Microsoft\.Authorization"
SCOPE = r"/arm(?P<scope>/.+?)"
ASSIGNMENT_TYPE = rbac.ASSIGNMENT_TYPE
OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
# the principal types a role assignment takes (Microsoft.Authorization 2022-04-01, RoleAssignmentProperties)
PRINCIPAL_TYPES = ("User", "Group", "ServicePrincipal", "ForeignGroup", "Device")
GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
PRINCIPAL_FILTER = re.compile(r"principalId\s+eq\s+'([^']+)'", re.IGNORECASE)


def _scope(request: Request) -> str:
    # the SDKs write an empty parent path as `Microsoft.Network//virtualNetworks`: ARM reads it as one slash
    return "/" + re.sub("/+", "/", request.params["scope"]).strip("/")


def _check_scope(ctx: Context, scope: str) -> None:
    """The scope must exist: a resource group, or a resource the emulator keeps."""
    parts = scope.strip("/").split("/")
    if len(parts) < 2 or parts[0].lower() != "subscriptions":
        raise ApiError(400, "InvalidScope", f"'{scope}' is not a scope role assignments can have.")
    if len(parts) >= 4:
        common.require_group(ctx, parts[1], parts[3])
    if len(parts) > 4 and common.get(ctx, scope) is None:
        raise ApiError(404, "ResourceNotFound", f"The resource {scope} was not found.")


def _assignments(ctx: Context, scope: str) -> list[dict[str, Any]]:
    sub = scope.strip("/").split("/")[1]
    return ctx.store.scan(
        common.RESOURCE, f"/subscriptions/{sub}/".lower(), where=lambda d: d["resource"]["type"] == ASSIGNMENT_TYPE
    )


def principal_exists(ctx: Context, tenant: str, principal: str) -> bool:
    """A user or group of the tenant's directory, an app's service principal there, or its administrator."""
    wanted = principal.lower()
    if ctx.store.get(USER, f"{tenant}/{wanted}") or ctx.store.get(GROUP, f"{tenant}/{wanted}"):
        return True
    if tenant == HOME_TENANT_ID and wanted == MANAGED_IDENTITY_PRINCIPAL_ID:  # the app's own identity, at home
        return True
    return wanted == principal_id(tenant) or wanted in service_principals(ctx.store, tenant)


def _full(block: dict[str, Any]) -> dict[str, Any]:
    return {name: list(block.get(name) or []) for name in ("actions", "notActions", "dataActions", "notDataActions")}


def _related(assignment_scope: str, scope: str, at_or_above_only: bool) -> bool:
    a, s = assignment_scope.lower().rstrip("/"), scope.lower().rstrip("/")
    above_or_at = s == a or s.startswith(a + "/")
    below = a.startswith(s + "/")
    return above_or_at or (below and not at_or_above_only)


def _assignment_attributes(props: dict[str, Any]) -> dict[str, list[str]]:
    """What role conditions test of a role assignment: its role (by GUID), principal and principal type."""
    role = rbac.definition_id_guid(str(props.get("roleDefinitionId") or ""))
    principal, kind = str(props.get("principalId") or "").lower(), str(props.get("principalType") or "User").lower()
    prefix = "microsoft.authorization/roleassignments:"
    return {f"{prefix}roledefinitionid": [role], f"{prefix}principalid": [principal], f"{prefix}principaltype": [kind]}


def register(ctx: Context) -> None:
    assignment = SCOPE + PROVIDER + r"/roleAssignments/(?P<name>[^/]+)"

    def requested(request: Request) -> dict[str, dict[str, list[str]]]:
        body = request.json()
        props = body.get("properties") if isinstance(body, dict) else None
        return {"request": _assignment_attributes(props if isinstance(props, dict) else {})}

    def existing(request: Request) -> dict[str, dict[str, list[str]]]:
        doc = common.get(ctx, f"{_scope(request)}/providers/{ASSIGNMENT_TYPE}/{request.params['name']}")
        return {"resource": _assignment_attributes(doc["resource"]["properties"] if doc else {})}

    @routing.route(
        ctx,
        "PUT",
        assignment,
        operation="assignUser",
        action="Microsoft.Authorization/roleAssignments/write",
        attributes=requested,
    )
    def put_assignment(request: Request) -> Response:
        scope, name = _scope(request), request.params["name"]
        if not GUID.match(name):
            raise ApiError(400, "InvalidRoleAssignmentId", f"The role assignment ID '{name}' is not valid: use a GUID.")
        _check_scope(ctx, scope)
        props = common.properties(common.body_object(request))
        role_definition = str(props.get("roleDefinitionId") or "")
        principal = str(props.get("principalId") or "")
        definition = rbac.find_definition(ctx, role_definition) if role_definition else None
        if definition is None:
            raise ApiError(
                400, "RoleDefinitionDoesNotExist", f"The role definition '{role_definition}' does not exist."
            )
        if not any(rbac.under(s, scope) for s in definition["properties"]["assignableScopes"]):
            # the role is not offered at this scope (its assignableScopes); ARM's exact code was not confirmed
            raise ApiError(
                400,
                "InvalidRoleAssignmentScope",
                f"The role '{definition['properties']['roleName']}' is not available for assignment at '{scope}': "
                "it may be assigned only within its assignableScopes.",
            )
        if not GUID.match(principal):
            raise ApiError(400, "InvalidPrincipalId", "principalId must be the object id (a GUID) of a principal.")
        tenant = common.tid_of(request)
        if not principal_exists(ctx, tenant, principal):
            # https://learn.microsoft.com/azure/role-based-access-control/troubleshooting (PrincipalNotFound)
            raise ApiError(
                400,
                "PrincipalNotFound",
                f"Principal {principal.replace('-', '')} does not exist in the directory {tenant}. Check that you "
                "have the correct principal ID.",
            )
        assignment_id = f"{scope}/providers/Microsoft.Authorization/roleAssignments/{name}"
        role_guid = role_definition.rstrip("/").rsplit("/", 1)[-1].lower()
        existing = common.get(ctx, assignment_id)
        if existing is not None:
            old = existing["resource"]["properties"]
            if old["principalId"].lower() == principal.lower() and old["roleDefinitionId"].lower().endswith(role_guid):
                return Response(200, common.shown(existing))
            raise ApiError(
                400,
                "RoleAssignmentUpdateNotPermitted",
                "Tenant ID, application ID, principal ID, and scope are not allowed to be updated.",
            )
        for other in common.children(ctx, f"{scope}/providers/Microsoft.Authorization", "roleAssignments"):
            p = other["resource"]["properties"]
            if p["principalId"].lower() == principal.lower() and p["roleDefinitionId"].lower().endswith(role_guid):
                raise ApiError(409, "RoleAssignmentExists", "The role assignment already exists.")
        now = common.now_iso(ctx.clock)
        caller = str((request.claims or {}).get("oid") or "")
        principal_type = props.get("principalType") or "User"
        if principal_type not in PRINCIPAL_TYPES:
            raise ApiError(400, "InvalidPrincipalType", f"principalType must be one of {', '.join(PRINCIPAL_TYPES)}.")
        doc = {
            "resource": {
                "id": assignment_id,
                "name": name,
                "type": ASSIGNMENT_TYPE,
                "properties": {
                    "roleDefinitionId": role_definition,
                    "principalId": principal,
                    "principalType": principal_type,
                    "scope": scope,
                    "condition": props.get("condition"),
                    "conditionVersion": props.get("conditionVersion"),
                    "description": props.get("description"),
                    "createdOn": now,
                    "updatedOn": now,
                    "createdBy": caller,
                    "updatedBy": caller,
                },
            },
            "meta": {"tid": tenant},
        }
        common.put(ctx, doc)
        rbac.index_assignment(ctx, principal, assignment_id, scope)
        return Response(201, common.shown(doc))

    @routing.route(
        ctx, "GET", assignment, operation="getRoleAssignment", action="Microsoft.Authorization/roleAssignments/read"
    )
    def get_assignment(request: Request) -> Response:
        assignment_id = f"{_scope(request)}/providers/Microsoft.Authorization/roleAssignments/{request.params['name']}"
        doc = common.get(ctx, assignment_id)
        if doc is None:
            raise ApiError(
                404, "RoleAssignmentNotFound", f"The role assignment '{request.params['name']}' is not found."
            )
        return Response(200, common.shown(doc))

    @routing.route(
        ctx,
        "DELETE",
        assignment,
        operation="deleteRoleAssignment",
        action="Microsoft.Authorization/roleAssignments/delete",
        attributes=existing,
    )
    def delete_assignment(request: Request) -> Response:
        assignment_id = f"{_scope(request)}/providers/Microsoft.Authorization/roleAssignments/{request.params['name']}"
        doc = common.get(ctx, assignment_id)
        if doc is None:
            return Response(204)
        common.delete(ctx, assignment_id)
        rbac.index_assignment(ctx, doc["resource"]["properties"]["principalId"], assignment_id, None)
        return Response(200, common.shown(doc))

    @routing.route(
        ctx,
        "GET",
        SCOPE + PROVIDER + r"/roleAssignments",
        operation="listRoleAssignments",
        action="Microsoft.Authorization/roleAssignments/read",
    )
    def list_assignments(request: Request) -> Response:
        scope = _scope(request)
        expression = request.q("$filter") or ""
        at_scope = "atscope()" in expression.replace(" ", "").lower()
        principal = PRINCIPAL_FILTER.search(expression)
        found = [
            d
            for d in _assignments(ctx, scope)
            if _related(d["resource"]["properties"]["scope"], scope, at_scope)
            and (principal is None or d["resource"]["properties"]["principalId"].lower() == principal.group(1).lower())
        ]
        return common.listing(ctx, request, found)

    @routing.route(
        ctx,
        "GET",
        SCOPE + PROVIDER + r"/permissions",
        operation="listPermissions",
        action="Microsoft.Authorization/permissions/read",
    )
    def list_permissions(request: Request) -> Response:
        scope = _scope(request)
        _check_scope(ctx, scope)
        ctx.controls.raise_fault("subscriptionPermissions")  # the connection check that reads them
        if not rbac.checked(request):  # the emulator's administrator owns the subscription
            owner = rbac.built_in_roles()[OWNER]["properties"]["permissions"]
            return Response(200, {"value": owner})
        blocks = rbac.caller_permissions(ctx, request, scope)
        return Response(200, {"value": [_full(block) for block in blocks]})
