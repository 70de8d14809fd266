"""Microsoft.ManagedServices (Azure Lighthouse): registration definitions and assignments, which delegate a subscription
or a resource group of the customer's tenant to principals of a managing tenant, each with a built-in role.

Shapes and routes: azure-rest-api-specs, specification/managedservices/resource-manager/Microsoft.ManagedServices/
stable/2022-10-01/managedservices.json (a definition requires `managedByTenantId` and `authorizations`, an assignment
`registrationDefinitionId`). What a delegation may hold, and who may make one:
- the roles: built-in ones only, never Owner, none with DataActions; User Access Administrator only with
  `delegatedRoleDefinitionIds`, and only to assign those roles to managed identities
  (https://learn.microsoft.com/azure/lighthouse/concepts/tenants-users-roles);
- the customer's deployer holds Owner (Microsoft.Authorization/roleAssignments/write) on the subscription
  (https://learn.microsoft.com/azure/lighthouse/how-to/onboard-customer): checked here besides the type's own action.
What it allows (rbac.delegated_permissions): a principal of the managing tenant (token `tid` = managedByTenantId,
`oid` = an authorization's principalId) holds that authorization's role at the assignment's scope and below.
Removing the assignment (or its definition, or the resource group it is in) removes that access.
"""

from __future__ import annotations

import re
from typing import Any

from azure_emulator.arm import common, rbac, routing
from azure_emulator.server import ApiError, Context, Request, Response

NAMESPACE = "Microsoft.ManagedServices"
DEFINITION_TYPE = f"{NAMESPACE}/registrationDefinitions"
ASSIGNMENT_TYPE = f"{NAMESPACE}/registrationAssignments"
SCOPE = r"/arm(?P<scope>/subscriptions/[^/]+(/resourceGroups/[^/]+)?)/providers/Microsoft\.ManagedServices"
GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
USER_ACCESS_ADMINISTRATOR = "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9"


def _guid_name(request: Request, what: str) -> str:
    name = request.params["name"]
    if not GUID.match(name):
        # the spec names both by a GUID (registrationDefinitionId, registrationAssignmentId); ARM's code not confirmed
        raise ApiError(400, "InvalidRequestParameter", f"The {what} id '{name}' must be a GUID.")
    return name.lower()


def _checked_authorization(index: int, item: Any) -> dict[str, Any]:
    """One authorization as the tenants-users-roles page allows it, else 400 naming it."""
    field = f"properties.authorizations[{index}]"
    if not isinstance(item, dict):
        raise ApiError(400, "InvalidAuthorization", f"{field} must be an object.", target=field)
    principal = str(item.get("principalId") or "")
    if not GUID.match(principal):
        raise ApiError(400, "InvalidAuthorization", f"{field}.principalId must be an object id (a GUID).", target=field)
    role = rbac.definition_id_guid(str(item.get("roleDefinitionId") or ""))
    definition = rbac.built_in_roles().get(role)
    # https://learn.microsoft.com/azure/lighthouse/concepts/tenants-users-roles: built-in roles only, never Owner,
    # none with DataActions, and User Access Administrator only naming the roles it may give managed identities
    if definition is None:
        raise ApiError(
            400,
            "RoleDefinitionNotSupported",
            f"{field}.roleDefinitionId '{role}' is not a built-in role: Azure Lighthouse takes no custom role.",
            target=field,
        )
    name = definition["properties"]["roleName"]
    if role == OWNER or any(block.get("dataActions") for block in definition["properties"]["permissions"]):
        raise ApiError(
            400,
            "RoleDefinitionNotSupported",
            f"{field}: the role '{name}' is not supported by Azure Lighthouse (Owner, and roles with DataActions).",
            target=field,
        )
    delegated = item.get("delegatedRoleDefinitionIds") or []
    if not isinstance(delegated, list) or not all(isinstance(d, str) for d in delegated):
        raise ApiError(400, "InvalidAuthorization", f"{field}.delegatedRoleDefinitionIds must be a list of role ids.")
    if role == USER_ACCESS_ADMINISTRATOR and not delegated:
        raise ApiError(
            400,
            "DelegatedRoleDefinitionIdsRequired",
            f"{field}: User Access Administrator needs delegatedRoleDefinitionIds, the built-in roles it may assign "
            "to managed identities.",
            target=field,
        )
    return {
        "principalId": principal,
        "principalIdDisplayName": item.get("principalIdDisplayName"),
        "roleDefinitionId": role,
        **({"delegatedRoleDefinitionIds": [rbac.definition_id_guid(d) for d in delegated]} if delegated else {}),
    }


def _require_owner(ctx: Context, request: Request, scope: str) -> None:
    # onboarding needs Owner on the subscription, not only the type's write (how-to/onboard-customer)
    rbac.authorize(ctx, request, "Microsoft.Authorization/roleAssignments/write", scope)


def definition_of(ctx: Context, assignment: dict[str, Any]) -> dict[str, Any] | None:
    """The registration definition an assignment names, if it is still there."""
    found = common.get(ctx, str(assignment["resource"]["properties"]["registrationDefinitionId"]))
    return found


def index_assignment(ctx: Context, doc: dict[str, Any], definition: dict[str, Any], present: bool) -> None:
    """Keep the delegations' index (managing tenant/principal/assignment -> the assignment's id and scope)."""
    props = definition["resource"]["properties"]
    assignment_id = doc["resource"]["id"]
    for authorization in props["authorizations"]:
        key = f"{props['managedByTenantId']}/{authorization['principalId']}/{assignment_id}".lower()
        if present:
            scope = common.parent_of(common.parent_of(assignment_id))  # .../providers/Microsoft.ManagedServices
            ctx.store.put(rbac.DELEGATION_INDEX, key, {"id": assignment_id, "scope": scope})
        else:
            ctx.store.delete(rbac.DELEGATION_INDEX, key)


def _put_request(ctx: Context, request: Request, what: str) -> tuple[str, str, dict[str, Any]]:
    """A PUT's scope (its group must exist), its GUID name and its properties, once the caller may deploy there."""
    scope, name = request.params["scope"], _guid_name(request, what)
    if "/resourcegroups/" in scope.lower():
        common.require_group(ctx, *scope.strip("/").split("/")[1:4:2])
    _require_owner(ctx, request, scope)
    return scope, name, common.properties(common.body_object(request))


def register(ctx: Context) -> None:
    definition = SCOPE + r"/registrationDefinitions/(?P<name>[^/]+)"
    assignment = SCOPE + r"/registrationAssignments/(?P<name>[^/]+)"

    @routing.route(
        ctx,
        "PUT",
        definition,
        operation="putRegistrationDefinition",
        action="Microsoft.ManagedServices/registrationDefinitions/write",
    )
    def put_definition(request: Request) -> Response:
        scope, name, props = _put_request(ctx, request, "registration definition")
        managed_by = str(props.get("managedByTenantId") or "")
        if not GUID.match(managed_by):
            raise ApiError(
                400,
                "InvalidManagedByTenantId",
                "properties.managedByTenantId must be a tenant id (a GUID).",
                target="properties.managedByTenantId",
            )
        if managed_by.lower() == common.tid_of(request).lower():
            # not confirmed on a Microsoft page: a delegation names another tenant than the customer's own
            raise ApiError(
                400,
                "InvalidManagedByTenantId",
                "A subscription cannot be delegated to its own tenant.",
                target="properties.managedByTenantId",
            )
        items = props.get("authorizations")
        if not isinstance(items, list) or not items:
            raise ApiError(
                400,
                "InvalidAuthorization",
                "properties.authorizations must list at least one authorization.",
                target="properties.authorizations",
            )
        resource_id = f"{scope}/providers/{DEFINITION_TYPE}/{name}"
        existing = common.get(ctx, resource_id)
        doc = {
            "resource": {
                "id": resource_id,
                "name": name,
                "type": DEFINITION_TYPE,
                "properties": {
                    "registrationDefinitionName": str(props.get("registrationDefinitionName") or name),
                    "description": props.get("description"),
                    "managedByTenantId": managed_by,
                    "manageeTenantId": common.tid_of(request),
                    "authorizations": [_checked_authorization(i, item) for i, item in enumerate(items)],
                    "provisioningState": "Succeeded",
                },
            },
            "meta": {"tid": common.tid_of(request)},
        }
        if existing is not None:  # an update: the assignments that name it now give what it gives now
            for found in _assignments_naming(ctx, resource_id):
                index_assignment(ctx, found, existing, present=False)
        common.put(ctx, doc)
        for found in _assignments_naming(ctx, resource_id):
            index_assignment(ctx, found, doc, present=True)
        return Response(200 if existing else 201, common.shown(doc))

    @routing.route(
        ctx,
        "GET",
        definition,
        operation="getRegistrationDefinition",
        action="Microsoft.ManagedServices/registrationDefinitions/read",
    )
    def get_definition(request: Request) -> Response:
        scope, name = request.params["scope"], request.params["name"]
        return Response(200, common.shown(common.require(ctx, f"{scope}/providers/{DEFINITION_TYPE}/{name}")))

    @routing.route(
        ctx,
        "DELETE",
        definition,
        operation="deleteRegistrationDefinition",
        action="Microsoft.ManagedServices/registrationDefinitions/delete",
    )
    def delete_definition(request: Request) -> Response:
        resource_id = f"{request.params['scope']}/providers/{DEFINITION_TYPE}/{request.params['name']}"
        doc = common.get(ctx, resource_id)
        if doc is None:
            return Response(204)
        for found in _assignments_naming(ctx, resource_id):
            index_assignment(ctx, found, doc, present=False)
        common.delete(ctx, resource_id)
        return Response(200)

    @routing.route(
        ctx,
        "PUT",
        assignment,
        operation="putRegistrationAssignment",
        action="Microsoft.ManagedServices/registrationAssignments/write",
    )
    def put_assignment(request: Request) -> Response:
        scope, name, props = _put_request(ctx, request, "registration assignment")
        definition_id = str(props.get("registrationDefinitionId") or "")
        found = common.get(ctx, definition_id) if definition_id else None
        subscription = "/".join(scope.strip("/").split("/")[:2]).lower()
        if (
            found is None
            or found["resource"]["type"] != DEFINITION_TYPE
            or not definition_id.strip("/").lower().startswith(subscription + "/")
        ):
            # an assignment names a definition of its own subscription (the spec's examples; code not confirmed)
            raise ApiError(
                400,
                "RegistrationDefinitionNotFound",
                f"properties.registrationDefinitionId '{definition_id}' names no registration definition of this "
                "subscription.",
                target="properties.registrationDefinitionId",
            )
        resource_id = f"{scope}/providers/{ASSIGNMENT_TYPE}/{name}"
        existing = common.get(ctx, resource_id)
        if existing is not None:
            old = definition_of(ctx, existing)
            if old is not None:
                index_assignment(ctx, existing, old, present=False)
        doc = {
            "resource": {
                "id": resource_id,
                "name": name,
                "type": ASSIGNMENT_TYPE,
                "properties": {"registrationDefinitionId": found["resource"]["id"], "provisioningState": "Succeeded"},
            },
            "meta": {"tid": common.tid_of(request)},
        }
        common.put(ctx, doc)
        index_assignment(ctx, doc, found, present=True)
        return Response(200 if existing else 201, common.shown(doc))

    def shown_assignment(request: Request, doc: dict[str, Any]) -> dict[str, Any]:
        shown = common.shown(doc)
        if (request.q("$expandRegistrationDefinition") or "").lower() == "true":
            found = definition_of(ctx, doc)
            if found is not None:
                shown["properties"]["registrationDefinition"] = common.shown(found)
        return shown

    @routing.route(
        ctx,
        "GET",
        assignment,
        operation="getRegistrationAssignment",
        action="Microsoft.ManagedServices/registrationAssignments/read",
    )
    def get_assignment(request: Request) -> Response:
        scope, name = request.params["scope"], request.params["name"]
        return Response(
            200, shown_assignment(request, common.require(ctx, f"{scope}/providers/{ASSIGNMENT_TYPE}/{name}"))
        )

    @routing.route(
        ctx,
        "GET",
        SCOPE + r"/registrationAssignments",
        operation="listRegistrationAssignments",
        action="Microsoft.ManagedServices/registrationAssignments/read",
    )
    def list_assignments(request: Request) -> Response:
        # the assignments made at this scope (not confirmed: whether ARM lists those below it too)
        docs = common.children(ctx, f"{request.params['scope']}/providers/{NAMESPACE}", "registrationAssignments")
        return common.listing(ctx, request, docs, lambda doc: shown_assignment(request, doc))

    @routing.route(
        ctx,
        "DELETE",
        assignment,
        operation="deleteRegistrationAssignment",
        action="Microsoft.ManagedServices/registrationAssignments/delete",
    )
    def delete_assignment(request: Request) -> Response:
        resource_id = f"{request.params['scope']}/providers/{ASSIGNMENT_TYPE}/{request.params['name']}"
        doc = common.get(ctx, resource_id)
        if doc is None:
            return Response(204)
        found = definition_of(ctx, doc)
        if found is not None:
            index_assignment(ctx, doc, found, present=False)
        common.delete(ctx, resource_id)
        return Response(200)


def _assignments_naming(ctx: Context, definition_id: str) -> list[dict[str, Any]]:
    """The assignments (of the definition's subscription) that name a definition."""
    return common.of_type(
        ctx,
        ASSIGNMENT_TYPE,
        where=lambda d: d["resource"]["properties"]["registrationDefinitionId"].lower() == definition_id.lower(),
    )
