"""App role assignments: Microsoft Graph's application permissions granted to an app's service principal one at a
time, as a tenant's administrator grants them without the consent page
(https://learn.microsoft.com/graph/permissions-grant-via-msgraph).

`{sp}` is `servicePrincipals/{id}` or `servicePrincipals(appId='{appId}')`, as the pages address it:
- `POST /{sp}/appRoleAssignedTo` `{"principalId", "resourceId", "appRoleId"}` on the resource (Microsoft Graph):
  201 with the appRoleAssignment (https://learn.microsoft.com/graph/api/serviceprincipal-post-approleassignedto);
- `POST /{sp}/appRoleAssignments` the same written on the principal
  (https://learn.microsoft.com/graph/api/serviceprincipal-post-approleassignments);
- `GET /{sp}/appRoleAssignedTo`, the assignments of the resource's roles
  (https://learn.microsoft.com/graph/api/serviceprincipal-list-approleassignedto), and `GET /{sp}/appRoleAssignments`,
  those the principal holds (https://learn.microsoft.com/graph/api/serviceprincipal-list-approleassignments);
- `DELETE /{sp}/appRoleAssignedTo/{appRoleAssignment-id}`: 204
  (https://learn.microsoft.com/graph/api/serviceprincipal-delete-approleassignedto).

One source of truth: an assignment is a Graph permission of the principal's consent record (consent.py's
`graphPermissions`) whose value is one of Microsoft Graph's app roles (app_roles.py), so the emulator's controls
(`PUT /emulator/tenants/{tid}/apps/{appId}`), admin consent and these routes all read and write the same thing, and
the app's next token in the tenant carries the permission in `roles` (a token already issued does not change). A
permission with no app role here (`app_roles.json`'s `notFound`) still reaches the token but is listed as no
assignment. An assignment's id is derived from its principal and role, as Graph's stays the same for its lifetime;
its `createdDateTime` is kept in `graph.appRoleAssignment` `{tid}/{appId}/{appRoleId}`.

A delegated caller (a user from the sign-in page) also needs one of the Microsoft Entra roles the pages list
(directory_roles.py); for Microsoft Graph's app roles the least privileged is Privileged Role Administrator
(the pages' include rbac-approleassignments-apis-write.md).
"""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any

from azure_emulator import directory_roles
from azure_emulator.consent import KIND as CONSENT
from azure_emulator.consent import (
    MICROSOFT_GRAPH_APP_ID,
    add_graph_permission,
    consent_of,
    has_service_principal,
    remove_graph_permission,
)
from azure_emulator.graph import app_roles
from azure_emulator.graph.common import (
    GUID,
    GraphRoutes,
    bad_request,
    not_found,
    now_iso,
    odata_context,
    require_directory_role,
)
from azure_emulator.graph.directory_rows import GROUP, USER
from azure_emulator.graph.odata import paged
from azure_emulator.graph.service_principals import app_of, display_name
from azure_emulator.server import Context, Request, Response
from azure_emulator.store import Store
from azure_emulator.tokens import principal_id

CREATED = "graph.appRoleAssignment"
SP = rf"/servicePrincipals(?:/(?P<id>{GUID})|\(appId='(?P<app>[^']+)'\))"
GUID_VALUE = re.compile(f"^{GUID}$")
TYPE = "#microsoft.graph.appRoleAssignment"
# Who may write an assignment of Microsoft Graph's app roles in a delegated call: the pages' include lists the roles
# for app role assignments and marks Privileged Role Administrator the least privileged for Microsoft Graph's app
# roles (the others it lists serve other resources' roles); a Global Administrator may too (directory_roles.py).
GRANT_ROLES = (directory_roles.PRIVILEGED_ROLE_ADMINISTRATOR,)
# Who may list a resource's assignments: the list page includes the same roles' list
# (rbac-approleassignments-apis-write.md), without singling out Microsoft Graph.
LIST_ASSIGNED_TO_ROLES = (
    "Directory Synchronization Accounts",
    "Directory Writers",
    "Hybrid Identity Administrator",
    "Identity Governance Administrator",
    directory_roles.PRIVILEGED_ROLE_ADMINISTRATOR,
    "User Administrator",
    "Application Administrator",
    "Cloud Application Administrator",
)
# Who may list a principal's assignments: the read include's roles (rbac-approleassignments-apis-read.md), without
# Guest Inviter (users' assignments only). Not confirmed: the stored copy of this page showed no include; the include
# is the one the pages for reading app role assignments use.
LIST_ASSIGNMENTS_ROLES = ("Directory Readers", *LIST_ASSIGNED_TO_ROLES)
# Graph's refusal of a second assignment of the same role to the same principal, as Graph words it (the app reads
# this phrase as "already held")
ALREADY_ASSIGNED = "Permission being assigned already exists on the object"


def assignment_id(principal: str, role_id: str) -> str:
    """The same id for as long as the assignment lasts, shaped as Graph's are (43 characters of base64url, as the
    pages' examples show): the emulator derives it from the principal and the role."""
    digest = hashlib.sha256(f"{principal.lower()}/{role_id.lower()}".encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _created(store: Store, tenant: str, app: str, role_id: str) -> str:
    key = f"{tenant}/{app}/{role_id}".lower()
    found = store.get(CREATED, key)
    if found is None:  # granted by consent or the emulator's control: it dates from when it is first seen here
        found = store.put(CREATED, key, {"createdDateTime": now_iso()})
    return str(found["createdDateTime"])


def _document(store: Store, tenant: str, app: str, role: dict[str, Any]) -> dict[str, Any]:
    principal = principal_id(tenant, app)
    return {
        "@odata.type": TYPE,
        "id": assignment_id(principal, role["id"]),
        "deletedDateTime": None,
        "appRoleId": role["id"],
        "createdDateTime": _created(store, tenant, app, role["id"]),
        "principalDisplayName": display_name(store, app),
        "principalId": principal,
        "principalType": "ServicePrincipal",
        "resourceDisplayName": display_name(store, MICROSOFT_GRAPH_APP_ID),
        "resourceId": principal_id(tenant, MICROSOFT_GRAPH_APP_ID),
    }


def held_by(store: Store, tenant: str, app: str) -> list[dict[str, Any]]:
    """The assignments of Microsoft Graph's app roles the app's service principal holds in the tenant."""
    if not has_service_principal(store, tenant, app):
        return []
    roles = (app_roles.by_value(value) for value in consent_of(store, tenant, app).graph_permissions)
    found = {role["id"]: role for role in roles if role is not None}
    return [_document(store, tenant, app, role) for role in found.values()]


def assigned_in(store: Store, tenant: str) -> list[dict[str, Any]]:
    """Every assignment of Microsoft Graph's app roles in the tenant."""
    prefix = f"{tenant}/".lower()
    return [doc for key in store.keys(CONSENT, prefix) for doc in held_by(store, tenant, key[len(prefix) :])]


def register(ctx: Context, routes: GraphRoutes) -> None:
    def addressed(request: Request) -> str:
        """The app of the service principal the path names; Graph's 404 for one the tenant does not have."""
        tenant = request.tenant
        if request.params.get("app"):
            app = request.params["app"].lower()
            if not has_service_principal(ctx.store, tenant, app):
                raise not_found(f"servicePrincipals(appId='{request.params['app']}')")
            return app
        found = app_of(ctx.store, tenant, request.params["id"])
        if found is None:
            raise not_found(request.params["id"])
        return found

    def fields(request: Request) -> tuple[str, str, str]:
        """principalId, resourceId and appRoleId, each an object id. Graph's wording for a missing or malformed one
        could not be confirmed; its status (400) and code are those of any invalid request body."""
        body = request.json()
        if not isinstance(body, dict):
            raise bad_request("The request body must be an appRoleAssignment object.")
        values = []
        for name in ("principalId", "resourceId", "appRoleId"):
            value = body.get(name)
            if not isinstance(value, str) or not GUID_VALUE.match(value):
                raise bad_request(f"Invalid value specified for property '{name}' of resource 'AppRoleAssignment'.")
            values.append(value.lower())
        return values[0], values[1], values[2]

    def role_of(resource_app: str, role_id: str) -> dict[str, Any]:
        """The resource's app role `role_id`; 400 when it defines none such (only Microsoft Graph defines any here).
        Graph's wording could not be confirmed on a Microsoft page."""
        role = app_roles.by_id(role_id) if resource_app == MICROSOFT_GRAPH_APP_ID else None
        if role is None:
            raise bad_request(f"Permission being assigned was not found on application '{resource_app}'.")
        return role

    def principal_app(tenant: str, object_id: str) -> str:
        """The app of the service principal `object_id` names. Microsoft Graph's app roles allow applications only
        (`allowedMemberTypes`), so a user or group of the tenant is a 400; an object the tenant does not have (an app
        nobody consented to has no service principal) is Graph's 404 for a missing reference. Graph's words for the
        400 could not be confirmed."""
        app = app_of(ctx.store, tenant, object_id)
        if app is not None:
            return app
        if ctx.store.get(USER, f"{tenant}/{object_id}") or ctx.store.get(GROUP, f"{tenant}/{object_id}"):
            raise bad_request("The app role does not allow assignment to a user or group: it allows applications only.")
        raise not_found(object_id)

    def grant(request: Request, app: str, role: dict[str, Any], entity_set: str) -> Response:
        tenant = request.tenant
        if not add_graph_permission(ctx.store, tenant, app, role["value"]):
            raise bad_request(ALREADY_ASSIGNED)
        ctx.store.put(CREATED, f"{tenant}/{app}/{role['id']}".lower(), {"createdDateTime": now_iso()})
        body = {"@odata.context": odata_context(request, f"{entity_set}/$entity")}
        return Response(201, {**body, **_document(ctx.store, tenant, app, role)})

    @routes.route("POST", SP + "/appRoleAssignedTo", "grantAppRoleAssignedTo")
    def assign_on_resource(request: Request) -> Response:
        tenant, resource_app = request.tenant, addressed(request)
        require_directory_role(ctx, request, GRANT_ROLES)
        principal, resource, role_id = fields(request)
        if resource != principal_id(tenant, resource_app):
            # the page: `resourceId` is the id of the service principal addressed; Graph's words not confirmed
            raise bad_request("The resourceId must be the id of the service principal the request is addressed to.")
        role = role_of(resource_app, role_id)
        app = principal_app(tenant, principal)
        return grant(request, app, role, f"servicePrincipals('{principal_id(tenant, resource_app)}')/appRoleAssignedTo")

    @routes.route("POST", SP + "/appRoleAssignments", "grantAppRoleAssignment")
    def assign_on_principal(request: Request) -> Response:
        tenant, app = request.tenant, addressed(request)
        require_directory_role(ctx, request, GRANT_ROLES)
        principal, resource, role_id = fields(request)
        if principal != principal_id(tenant, app):
            # the page: `principalId` is the id of the service principal addressed; Graph's words not confirmed
            raise bad_request("The principalId must be the id of the service principal the request is addressed to.")
        resource_app = app_of(ctx.store, tenant, resource)
        if resource_app is None:
            raise not_found(resource)
        role = role_of(resource_app, role_id)
        return grant(request, app, role, f"servicePrincipals('{principal}')/appRoleAssignments")

    @routes.route("GET", SP + "/appRoleAssignedTo", "listAppRoleAssignedTo")
    def list_assigned_to(request: Request) -> Response:
        tenant, resource_app = request.tenant, addressed(request)
        require_directory_role(ctx, request, LIST_ASSIGNED_TO_ROLES)
        found = assigned_in(ctx.store, tenant) if resource_app == MICROSOFT_GRAPH_APP_ID else []
        context = odata_context(request, f"servicePrincipals('{principal_id(tenant, resource_app)}')/appRoleAssignedTo")
        return Response(200, paged(request, found, context))

    @routes.route("GET", SP + "/appRoleAssignments", "listAppRoleAssignments")
    def list_assignments(request: Request) -> Response:
        tenant, app = request.tenant, addressed(request)
        require_directory_role(ctx, request, LIST_ASSIGNMENTS_ROLES)
        context = odata_context(request, f"servicePrincipals('{principal_id(tenant, app)}')/appRoleAssignments")
        return Response(200, paged(request, held_by(ctx.store, tenant, app), context))

    @routes.route("DELETE", SP + r"/appRoleAssignedTo/(?P<assignment>[^/]+)", "deleteAppRoleAssignedTo")
    def unassign(request: Request) -> Response:
        tenant, resource_app = request.tenant, addressed(request)
        require_directory_role(ctx, request, GRANT_ROLES)
        wanted = request.params["assignment"]
        found = assigned_in(ctx.store, tenant) if resource_app == MICROSOFT_GRAPH_APP_ID else []
        assignment = next((doc for doc in found if doc["id"] == wanted), None)
        if assignment is None:
            raise not_found(wanted)
        app = app_of(ctx.store, tenant, assignment["principalId"])
        role = app_roles.by_id(assignment["appRoleId"])
        if app is not None and role is not None:
            remove_graph_permission(ctx.store, tenant, app, role["value"])
            ctx.store.delete(CREATED, f"{tenant}/{app}/{role['id']}".lower())
        return Response(204, None)
