"""Bulk actions across tenants: one bulk action in each tenant reached, each tenant answering for itself."""

from __future__ import annotations

from collections.abc import Callable

from shared.errors import Conflict, DomainError, Forbidden
from shared.models.access import Role, TenantRole
from shared.models.cloud_pc_actions import MAX_BULK_ITEMS, ActionError, BulkAction, BulkActionCreate
from shared.models.cross_tenant import (
    CrossTenantBulkAction,
    CrossTenantBulkActionCreate,
    CrossTenantQuery,
    TenantBulkAction,
)
from shared.ports.queues import BulkActionQueue
from shared.ports.stores import BulkActionStore
from shared.services.cloud_pcs import bulk_actions, cloud_pc_actions

BULK_ROLE = Role.OPERATOR  # what a bulk action needs in each tenant, as createBulkAction does


def bulk_across(
    ports: cloud_pc_actions.CloudPcActionPorts,
    bulks: BulkActionStore,
    queue: BulkActionQueue,
    reached: list[TenantRole],
    request: CrossTenantBulkActionCreate,
    new_id: Callable[[], str],
) -> CrossTenantBulkAction:
    """One bulk action in each tenant reached, on its Cloud PCs that the request's filter keeps, through the
    tenant's own bulk action (bulk_actions.start); a tenant that refuses (a role below operator, nothing matching,
    more than one bulk action holds) is reported with why, and the others go on."""
    bulk_actions.check_target(request.action, request.target_service_plan_id)
    results = []
    for tenant in reached:
        try:
            bulk = _start_in(ports, bulks, queue, tenant, request, new_id)
            results.append(TenantBulkAction(**_named(tenant), status="started", bulk_action=bulk))
        except DomainError as refused:
            error = ActionError(code=refused.code, message=refused.message)
            results.append(TenantBulkAction(**_named(tenant), status="refused", error=error))
    return CrossTenantBulkAction(action=request.action, value=results)


def _start_in(
    ports: cloud_pc_actions.CloudPcActionPorts,
    bulks: BulkActionStore,
    queue: BulkActionQueue,
    tenant: TenantRole,
    request: CrossTenantBulkActionCreate,
    new_id: Callable[[], str],
) -> BulkAction:
    if not tenant.role.covers(BULK_ROLE):
        raise Forbidden(
            f"This needs the {BULK_ROLE.value} role on the tenant; you are {tenant.role.value}.", code="forbidden"
        )
    query = CrossTenantQuery(
        tenant_names={tenant.tenant_id: tenant.display_name},
        order_by="displayName",
        search=request.search,
        equals={"status": request.status} if request.status else {},
    )
    found, more = ports.cloud_pcs.search_cloud_pcs(query, top=MAX_BULK_ITEMS)
    if more:
        raise Conflict(
            f"More than {MAX_BULK_ITEMS} Cloud PCs match in this tenant, the most one bulk action takes; narrow the "
            "filter. Nothing was started here.",
            code="tooManyItems",
        )
    if not found:
        raise Conflict("No Cloud PC matches in this tenant: nothing to do.", code="nothingMatches")
    one = BulkActionCreate(
        action=request.action,
        cloud_pc_ids=[cloud_pc.id for cloud_pc in found],
        target_service_plan_id=request.target_service_plan_id,
    )
    return bulk_actions.start(ports, bulks, queue, tenant.tenant_id, one, new_id)


def _named(tenant: TenantRole) -> dict[str, str]:
    return {"tenant_id": tenant.tenant_id, "tenant_name": tenant.display_name}
