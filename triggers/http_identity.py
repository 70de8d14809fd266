"""HTTP routes about identity and access: the caller (`/me`), a tenant's role assignments, its audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import azure.durable_functions as df
from pydantic import TypeAdapter, ValidationError

from shared.errors import ErrorDetail, ValidationFailed
from shared.models.access import (
    AuditEvent,
    DirectoryName,
    DirectoryPrincipalList,
    Me,
    RoleAssignment,
    RoleAssignmentCreate,
    RoleInvitation,
    RoleInvitationCreate,
)
from shared.models.base import Page
from shared.ports.access_stores import AuditEventStore
from shared.ports.bundles import AccessPorts
from shared.services.access import people
from shared.services.access import roles as service
from shared.services.access.audit import public
from triggers.http_api import Api, page_of
from triggers.http_directory import reading_directory
from triggers.http_request import PAGING, ApiRequest, QueryParam
from triggers.http_responses import ApiResponse

ASSIGNMENTS = "tenants/{tenantId}/roleAssignments"
AUDIT_FILTERS = (
    QueryParam("actorId", "Only what this principal (its Entra object id) did."),
    QueryParam("resourceType", "Only events about this kind of resource, e.g. provisioningPolicy or cloudPC."),
    QueryParam("since", "Only events at or after this time (ISO 8601).", {"type": "string", "format": "date-time"}),
)
AWARE_TIME = TypeAdapter(datetime)
DEFAULT_TOP, MAX_TOP = 25, 100  # a picker's drop-down: a person types more of the name rather than pages
PRINCIPAL_QUERY = (
    QueryParam(
        "search",
        "The start of a word of a user's name, sign-in name or e-mail, or of an app's name, in any case.",
        {"type": "string", "minLength": 1, "maxLength": 100},
        required=True,
    ),
    QueryParam(
        "directory",
        "Where to look: `organization` (default), the organization's own Entra tenant (its staff, its guests, its "
        "apps); `tenant`, the tenant's linked one (the customer's own admins).",
        {"type": "string", "enum": ["organization", "tenant"]},
    ),
    QueryParam(
        "top",
        f"How many at most, 1-{MAX_TOP} (default {DEFAULT_TOP}).",
        {"type": "integer", "minimum": 1, "maximum": MAX_TOP},
    ),
)


def blueprint(api: Api, ports: AccessPorts, audit_events: AuditEventStore) -> df.Blueprint:
    bp = df.Blueprint()
    identity = api.section(bp, "Identity and access")

    @identity.get("me", "getMe", "The caller and its role on each tenant it can see", response=Me)
    def get_me(req: ApiRequest) -> Me:
        return service.me(ports, req.caller)

    @identity.get(
        ASSIGNMENTS, "listRoleAssignments", "Who holds which role on the tenant", response=Page[RoleAssignment]
    )
    def list_assignments(req: ApiRequest) -> dict[str, Any]:
        tenant_id = req.param("tenantId")
        return page_of(req, service.list_role_assignments(ports, tenant_id), None)

    @identity.post(
        ASSIGNMENTS,
        "createRoleAssignment",
        "Give a principal a role on the tenant",
        body=RoleAssignmentCreate,
        response=RoleAssignment,
        status=201,
    )
    def create_assignment(req: ApiRequest) -> ApiResponse:
        body = req.body(RoleAssignmentCreate)
        with reading_directory():
            assignment = people.assign(ports, req.caller, req.tenant, body)
        location = req.url(f"{ASSIGNMENTS.format(tenantId=req.tenant.id)}/{assignment.id}")
        return ApiResponse(201, assignment, {"Location": location, "ETag": assignment.etag or ""})

    @identity.get(
        "tenants/{tenantId}/directoryPrincipals",
        "listDirectoryPrincipals",
        "Find people and apps by name, to give them a role on the tenant",
        description="A look-up for picking, not a listing: at most `top` users (members and guests) and service "
        "principals, by displayName, and never a nextLink (type more of the name to find others). 409 "
        "tenantNotLinked or appNotConsented for the tenant's directory before it can be read; 503 "
        "organizationDirectoryNotGranted until the organization's own Entra tenant grants the app User.Read.All and "
        "Directory.Read.All, directoryUnavailable when Microsoft Graph throttles or fails.",
        response=DirectoryPrincipalList,
        query=PRINCIPAL_QUERY,
    )
    def list_directory_principals(req: ApiRequest) -> DirectoryPrincipalList:
        directory: DirectoryName = "tenant" if req.query("directory") == "tenant" else "organization"
        top = int(req.query("top") or DEFAULT_TOP)  # check_query has held it to 1-MAX_TOP
        with reading_directory():
            found = people.find_principals(ports, req.tenant, directory, req.query("search") or "", top)
        return DirectoryPrincipalList(value=found)

    @identity.post(
        "tenants/{tenantId}/roleInvitations",
        "createRoleInvitation",
        "Invite someone outside the organization by e-mail, with a role on the tenant",
        description="A Microsoft Entra B2B invitation in the organization's own Entra tenant: the invited person "
        "becomes a guest user there, and the guest holds the role at once; it takes effect when they redeem the "
        "invitation and sign in as that guest. With sendInvitationMessage false, Microsoft sends nothing and the "
        "answer's inviteRedeemUrl is the link to send them. 503 invitationNotGranted until the organization's own "
        "Entra tenant grants the app User.Invite.All (and lets apps invite guests).",
        body=RoleInvitationCreate,
        response=RoleInvitation,
        status=201,
    )
    def create_invitation(req: ApiRequest) -> ApiResponse:
        body = req.body(RoleInvitationCreate)
        with reading_directory():
            invited = people.invite(ports, req.caller, req.tenant, body)
        location = req.url(f"{ASSIGNMENTS.format(tenantId=req.tenant.id)}/{invited.id}")
        return ApiResponse(201, invited, {"Location": location})

    @identity.delete(
        f"{ASSIGNMENTS}/{{roleAssignmentId}}",
        "deleteRoleAssignment",
        "Remove a principal's role on the tenant (never the last owner's)",
    )
    def delete_assignment(req: ApiRequest) -> ApiResponse:
        service.remove_role(ports, req.param("tenantId"), req.param("roleAssignmentId"), if_match=req.if_match)
        return ApiResponse(204)

    @identity.get(
        "tenants/{tenantId}/auditEvents",
        "listAuditEvents",
        "Every change and action on the tenant, and every refused one, newest first",
        response=Page[AuditEvent],
        query=(*PAGING, *AUDIT_FILTERS),
    )
    def list_audit_events(req: ApiRequest) -> dict[str, Any]:
        tenant_id = req.param("tenantId")
        records, token = audit_events.list_events(
            tenant_id,
            actor_id=req.query("actorId"),
            resource_type=req.query("resourceType"),
            since=_since(req.query("since")),
            top=req.top,
            skip_token=req.skip_token,
        )
        return page_of(req, [public(r) for r in records], token)

    return bp


def _since(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = AWARE_TIME.validate_python(value)
    except ValidationError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise ValidationFailed.of(
            ErrorDetail(
                "invalidQueryParameter",
                f"since must be a time with its offset, such as 2026-01-31T12:00:00Z, not '{value}'.",
                "since",
            )
        )
    return parsed
