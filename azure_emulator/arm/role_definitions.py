"""Microsoft.Authorization role definitions: Microsoft's built-in roles (read-only) and the tenant's custom roles.

A custom role (https://learn.microsoft.com/azure/role-based-access-control/custom-roles) is PUT at a subscription
or resource group under a GUID with `roleName`, `permissions` and `assignableScopes`. ARM refuses an action no
provider has (400 InvalidActionOrNotAction), a root (`/`) assignable scope, and a second custom role of the same
name in the directory (409 RoleDefinitionWithSameNameExists); a role still assigned cannot be deleted (409
RoleDefinitionHasAssignments). Lists take `$filter=roleName eq '...'` (how `az role assignment create --role NAME`
finds a role) and `$filter=type eq 'CustomRole'`.
"""

from __future__ import annotations

import re
from typing import Any

from azure_emulator.arm import common, rbac, routing
from azure_emulator.server import ApiError, Context, Request, Response

DEFINITIONS = r"/arm(?P<scope>(?:/.+?)?)/providers/Microsoft\.Authorization/roleDefinitions"
FILTER = re.compile(r"^\s*(roleName|type)\s+eq\s+'([^']*)'\s*$", re.IGNORECASE)
PERMISSION_FIELDS = ("actions", "notActions", "dataActions", "notDataActions")


def _scope(request: Request) -> str:
    return "/" + re.sub("/+", "/", request.params["scope"]).strip("/")


def _shown(definition: dict[str, Any], scope: str) -> dict[str, Any]:
    """A definition as ARM shows it at a scope: built-in ones under the scope's id, custom ones under their own."""
    shown = dict(definition)
    if shown["properties"]["type"] == "BuiltInRole" and scope != "/":
        shown["id"] = f"{scope}{definition['id']}"
    return shown


def _check_assignable_scopes(ctx: Context, scopes: Any) -> list[str]:
    if not isinstance(scopes, list) or not scopes or not all(isinstance(s, str) and s for s in scopes):
        raise ApiError(400, "InvalidAssignableScopes", "'assignableScopes' must list at least one scope.")
    checked = []
    for scope in scopes:
        parts = scope.strip("/").split("/")
        if scope.strip() == "/" or parts[0].lower() != "subscriptions" or len(parts) < 2:
            raise ApiError(
                400,
                "InvalidAssignableScopes",
                f"'{scope}' cannot be an assignable scope of a custom role: use subscriptions or resource groups.",
            )
        if len(parts) >= 4:
            common.require_group(ctx, parts[1], parts[3])
        checked.append("/" + "/".join(parts))
    return checked


def _check_permissions(permissions: Any) -> list[dict[str, list[str]]]:
    if not isinstance(permissions, list) or not permissions:
        raise ApiError(400, "InvalidRoleDefinition", "'permissions' must list at least one permission block.")
    blocks = []
    for block in permissions:
        if not isinstance(block, dict):
            raise ApiError(400, "InvalidRoleDefinition", "Each permission block must be an object.")
        checked = {name: list(block.get(name) or []) for name in PERMISSION_FIELDS}
        rbac.check_actions(checked["actions"] + checked["notActions"], "actions")
        rbac.check_actions(checked["dataActions"] + checked["notDataActions"], "dataActions", data=True)
        blocks.append(checked)
    return blocks


def register(ctx: Context) -> None:
    one = DEFINITIONS + r"/(?P<name>[^/]+)"

    @routing.route(
        ctx, "GET", one, operation="getRoleDefinition", action="Microsoft.Authorization/roleDefinitions/read"
    )
    def get_definition(request: Request) -> Response:
        found = rbac.find_definition(ctx, request.params["name"])
        if found is None:
            raise ApiError(
                404,
                "RoleDefinitionDoesNotExist",
                f"The specified role definition with ID '{request.params['name']}' does not exist.",
            )
        return Response(200, _shown(found, _scope(request)))

    @routing.route(
        ctx, "GET", DEFINITIONS, operation="listRoleDefinitions", action="Microsoft.Authorization/roleDefinitions/read"
    )
    def list_definitions(request: Request) -> Response:
        scope = _scope(request)
        expression = request.q("$filter") or ""
        wanted = FILTER.match(expression) if expression else None
        if expression and wanted is None:
            raise ApiError(400, "InvalidFilterInQueryString", f"The filter '{expression}' is not supported.")
        found = [
            _shown(d, scope)
            for d in rbac.all_definitions(ctx, common.tid_of(request))
            if any(rbac.under(s, scope) or rbac.under(scope, s) for s in d["properties"]["assignableScopes"])
        ]
        if wanted is not None:
            field = "roleName" if wanted.group(1).lower() == "rolename" else "type"
            found = [d for d in found if str(d["properties"][field]).lower() == wanted.group(2).lower()]
        return Response(200, {"value": found})

    @routing.route(
        ctx, "PUT", one, operation="putRoleDefinition", action="Microsoft.Authorization/roleDefinitions/write"
    )
    def put_definition(request: Request) -> Response:
        scope, name = _scope(request), request.params["name"].lower()
        if not rbac.GUID.fullmatch(name):
            raise ApiError(400, "InvalidRoleDefinitionId", f"The role definition ID '{name}' is not valid: use a GUID.")
        if name in rbac.built_in_roles():
            raise ApiError(403, "RoleDefinitionUpdateNotPermitted", "A built-in role definition cannot be changed.")
        props = common.properties(common.body_object(request))
        role_name = props.get("roleName")
        if not isinstance(role_name, str) or not role_name.strip():
            raise ApiError(400, "InvalidRoleDefinition", "'roleName' is required.")
        permissions = _check_permissions(props.get("permissions"))
        scopes = _check_assignable_scopes(ctx, props.get("assignableScopes"))
        for other in rbac.all_definitions(ctx, common.tid_of(request)):
            if other["name"].lower() != name and other["properties"]["roleName"].lower() == role_name.lower():
                raise ApiError(
                    409,
                    "RoleDefinitionWithSameNameExists",
                    "A custom role with the same name already exists in this directory.",
                )
        resource_id = f"{scope.rstrip('/')}/providers/{rbac.DEFINITION_TYPE}/{name}"
        doc = {
            "resource": {
                "id": resource_id,
                "name": name,
                "type": rbac.DEFINITION_TYPE,
                "properties": {
                    "roleName": role_name,
                    "type": "CustomRole",
                    "description": str(props.get("description") or ""),
                    "assignableScopes": scopes,
                    "permissions": permissions,
                },
            },
            "meta": {"tid": common.tid_of(request)},
        }
        common.put(ctx, doc)
        rbac.index_custom(ctx, name, resource_id)
        # 201 whether it creates or updates: the only answer the REST specification gives this PUT
        # (azure-rest-api-specs, specification/authorization/.../2022-04-01/authorization-RoleDefinitionsCalls.json,
        # RoleDefinitions_CreateOrUpdate), which the SDKs `az role definition update` goes through accept alone
        return Response(201, common.shown(doc))

    @routing.route(
        ctx, "DELETE", one, operation="deleteRoleDefinition", action="Microsoft.Authorization/roleDefinitions/delete"
    )
    def delete_definition(request: Request) -> Response:
        name = request.params["name"].lower()
        if name in rbac.built_in_roles():
            raise ApiError(403, "RoleDefinitionUpdateNotPermitted", "A built-in role definition cannot be deleted.")
        found = [c for c in rbac.custom_definitions(ctx) if c["resource"]["name"].lower() == name]
        if not found:
            return Response(204)
        in_use = ctx.store.scan(
            common.RESOURCE,
            where=lambda d: (
                d["resource"]["type"] == rbac.ASSIGNMENT_TYPE
                and rbac.definition_id_guid(d["resource"]["properties"]["roleDefinitionId"]) == name
            ),
        )
        if in_use:
            raise ApiError(
                409, "RoleDefinitionHasAssignments", "There are existing role assignments referencing the role."
            )
        common.delete(ctx, found[0]["resource"]["id"])
        rbac.index_custom(ctx, name, None)
        return Response(200, common.shown(found[0]))
