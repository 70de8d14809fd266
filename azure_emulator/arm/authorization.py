"""Microsoft.Authorization: role assignments at any scope, and the caller's permissions at a scope.

Role assignments live under their scope's id (`{scope}/providers/Microsoft.Authorization/roleAssignments/{guid}`),
so deleting a VM or a resource group removes the assignments scoped to it. A second assignment of the same
role to the same principal at the same scope is refused with 409 RoleAssignmentExists, as ARM does; the
same assignment PUT again under its own name answers it unchanged.
The emulated principals hold every permission (`*`) unless a fault is armed: `subscriptionPermissions`
fails the permissions read, which is what the connection's permission check looks at.
"""

from __future__ import annotations

import re
from typing import Any

from azure_emulator.arm import common
from azure_emulator.consent import consent_of
from azure_emulator.server import ApiError, Context, Request, Response

PROVIDER = r"/providers/Microsoft\.Authorization"
SCOPE = r"/arm(?P<scope>/.+?)"
ASSIGNMENT_TYPE = "Microsoft.Authorization/roleAssignments"
BUILT_IN_ROLES = {
    "8e3af657-a8ff-443c-a75c-2fe8c4bcb635": "Owner",
    "b24988ac-6180-42a0-ab88-20f7382dd24c": "Contributor",
    "acdd72a7-3385-48ef-bd42-f606fba81ae7": "Reader",
    "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9": "User Access Administrator",
    "4d97b98b-1d4f-4787-a291-c67834d212e7": "Network Contributor",
    "9980e02c-c2be-4d73-94e8-173b1dc7cf3c": "Virtual Machine Contributor",
    "fb879df8-f326-4884-b1cf-06f3ad86be52": "Virtual Machine User Login",
    "1c0163c0-47e6-4577-8991-ea5c82e286e4": "Virtual Machine Administrator Login",
    "1d18fff3-a72a-46b5-b4a9-0b38a3cd7e63": "Desktop Virtualization User",
}
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


def _related(assignment_scope: str, scope: str, at_or_above_only: bool) -> bool:
    a, s = assignment_scope.lower().rstrip("/"), scope.lower().rstrip("/")
    above_or_at = s == a or s.startswith(a + "/")
    below = a.startswith(s + "/")
    return above_or_at or (below and not at_or_above_only)


def register(ctx: Context) -> None:
    assignment = SCOPE + PROVIDER + r"/roleAssignments/(?P<name>[^/]+)"

    @common.route(ctx, "PUT", assignment, operation="assignUser")
    def put_assignment(request: Request) -> Response:
        scope, name = _scope(request), request.params["name"]
        if not GUID.match(name):
            raise ApiError(400, "InvalidRoleAssignmentId", f"The role assignment ID '{name}' is not valid: use a GUID.")
        _check_scope(ctx, scope)
        props = common.properties(common.body_object(request))
        role_definition = str(props.get("roleDefinitionId") or "")
        principal = str(props.get("principalId") or "")
        if role_definition.rstrip("/").rsplit("/", 1)[-1].lower() not in BUILT_IN_ROLES:
            raise ApiError(
                400, "RoleDefinitionDoesNotExist", f"The role definition '{role_definition}' does not exist."
            )
        if not GUID.match(principal):
            raise ApiError(400, "InvalidPrincipalId", "principalId must be the object id (a GUID) of a principal.")
        assignment_id = f"{scope}/providers/Microsoft.Authorization/roleAssignments/{name}"
        role_guid = role_definition.rstrip("/").rsplit("/", 1)[-1].lower()
        existing = common.get(ctx, assignment_id)
        if existing is not None:
            old = existing["resource"]["properties"]
            if old["principalId"].lower() == principal.lower() and old["roleDefinitionId"].lower().endswith(role_guid):
                return Response(200, common.shown(existing))
            raise ApiError(400, "RoleAssignmentUpdateNotPermitted", "Tenant ID, application ID, principal ID, and "
                           "scope are not allowed to be updated.")  # fmt: skip
        for other in common.children(ctx, f"{scope}/providers/Microsoft.Authorization", "roleAssignments"):
            p = other["resource"]["properties"]
            if (p["principalId"].lower() == principal.lower()
                    and p["roleDefinitionId"].lower().endswith(role_guid)):  # fmt: skip
                raise ApiError(409, "RoleAssignmentExists", "The role assignment already exists.")
        now = common.now_iso(ctx.clock)
        caller = str((request.claims or {}).get("oid") or "")
        doc = {
            "resource": {
                "id": assignment_id, "name": name, "type": ASSIGNMENT_TYPE,
                "properties": {
                    "roleDefinitionId": role_definition, "principalId": principal,
                    "principalType": props.get("principalType") or "User", "scope": scope,
                    "condition": props.get("condition"), "conditionVersion": props.get("conditionVersion"),
                    "description": props.get("description"),
                    "createdOn": now, "updatedOn": now, "createdBy": caller, "updatedBy": caller,
                },
            },
            "meta": {"tid": common.tid_of(request)},
        }  # fmt: skip
        common.put(ctx, doc)
        return Response(201, common.shown(doc))

    @common.route(ctx, "GET", assignment, operation="getRoleAssignment")
    def get_assignment(request: Request) -> Response:
        assignment_id = f"{_scope(request)}/providers/Microsoft.Authorization/roleAssignments/{request.params['name']}"
        doc = common.get(ctx, assignment_id)
        if doc is None:
            raise ApiError(
                404, "RoleAssignmentNotFound", f"The role assignment '{request.params['name']}' is not found."
            )
        return Response(200, common.shown(doc))

    @common.route(ctx, "DELETE", assignment, operation="deleteRoleAssignment")
    def delete_assignment(request: Request) -> Response:
        assignment_id = f"{_scope(request)}/providers/Microsoft.Authorization/roleAssignments/{request.params['name']}"
        doc = common.get(ctx, assignment_id)
        if doc is None:
            return Response(204)
        common.delete(ctx, assignment_id)
        return Response(200, common.shown(doc))

    @common.route(ctx, "GET", SCOPE + PROVIDER + r"/roleAssignments", operation="listRoleAssignments")
    def list_assignments(request: Request) -> Response:
        scope = _scope(request)
        expression = request.q("$filter") or ""
        at_scope = "atscope()" in expression.replace(" ", "").lower()
        principal = PRINCIPAL_FILTER.search(expression)
        found = [
            d for d in _assignments(ctx, scope)
            if _related(d["resource"]["properties"]["scope"], scope, at_scope)
            and (principal is None or d["resource"]["properties"]["principalId"].lower() == principal.group(1).lower())
        ]  # fmt: skip
        return common.listing(ctx, request, found)

    @common.route(ctx, "GET", SCOPE + PROVIDER + r"/permissions", operation="listPermissions")
    def list_permissions(request: Request) -> Response:
        scope = _scope(request)
        _check_scope(ctx, scope)
        ctx.controls.raise_fault("subscriptionPermissions")  # the connection check that reads them
        claims = request.claims or {}
        actions = list(consent_of(ctx.store, str(claims.get("tid", "")), str(claims.get("appid", ""))).azure_actions)
        permission = {"actions": actions, "notActions": [], "dataActions": [], "notDataActions": []}
        return Response(200, {"value": [permission]})
