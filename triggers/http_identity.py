"""HTTP routes about identity and access: the caller (`/me`), a tenant's role assignments, its audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import azure.durable_functions as df
from pydantic import TypeAdapter, ValidationError

from shared.errors import ErrorDetail, ValidationFailed
from shared.models.access import AuditEvent, Me, RoleAssignment, RoleAssignmentCreate
from shared.models.base import Page
from shared.ports.access_stores import AuditEventStore
from shared.ports.bundles import AccessPorts
from shared.services.access import roles as service
from shared.services.access.audit import public
from triggers.http_api import Api, page_of
from triggers.http_request import PAGING, ApiRequest, QueryParam
from triggers.http_responses import ApiResponse

ASSIGNMENTS = "tenants/{tenantId}/roleAssignments"
AUDIT_FILTERS = (
    QueryParam("actorId", "Only what this principal (its Entra object id) did."),
    QueryParam("resourceType", "Only events about this kind of resource, e.g. provisioningPolicy or cloudPC."),
    QueryParam("since", "Only events at or after this time (ISO 8601).", {"type": "string", "format": "date-time"}),
)
AWARE_TIME = TypeAdapter(datetime)


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
        tenant_id = req.param("tenantId")
        assignment = service.assign_role(ports, req.caller, tenant_id, req.body(RoleAssignmentCreate))
        location = req.url(f"{ASSIGNMENTS.format(tenantId=tenant_id)}/{assignment.id}")
        return ApiResponse(201, assignment, {"Location": location, "ETag": assignment.etag or ""})

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
