"""Per-tenant roles: who holds which role, what a caller may see, and the rule that a tenant keeps an owner."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from shared.errors import Conflict, ErrorDetail, PreconditionFailed, ValidationFailed
from shared.models.access import (
    Caller,
    DirectoryName,
    Me,
    Role,
    RoleAssignment,
    RoleAssignmentCreate,
    TenantRole,
)
from shared.models.tenants import Tenant
from shared.ports.access_stores import RoleAssignmentStore, TenantStore
from shared.ports.people import Person

MAX_RETRIES = 5  # a delete racing another owner's delete is tried again from a fresh read


class RolePorts(Protocol):
    """Who holds which role in which tenant, and the tenants."""

    @property
    def role_assignments(self) -> RoleAssignmentStore: ...
    @property
    def tenants(self) -> TenantStore: ...
    @property
    def clock(self) -> Callable[[], datetime]: ...
    @property
    def recent_reads(self) -> float: ...  # how old (seconds) a read-only request's tenant and role may be


def role_on(ports: RolePorts, caller: Caller, tenant_id: str, *, max_age: float = 0.0) -> Role | None:
    if caller.organization_owner:
        return Role.OWNER
    assignment = ports.role_assignments.find_role_assignment(tenant_id, caller.principal_id, max_age=max_age)
    return assignment.role if assignment else None


def standing(ports: RolePorts, caller: Caller, tenant_id: str, *, only_reads: bool) -> tuple[Role, Tenant] | None:
    """The caller's role on the tenant and the tenant; None when there is no such tenant or the caller holds no role
    on it. A request that only reads is judged on what this process read at most `ports.recent_reads` seconds ago
    (a tenant deleted or a role changed here counts at once, elsewhere within that time), since the gate's reads
    would otherwise cost every read more than its own; a request that may write reads storage now."""
    max_age = ports.recent_reads if only_reads else 0.0
    role = role_on(ports, caller, tenant_id, max_age=max_age)
    tenant = None if role is None else ports.tenants.find_tenant(tenant_id, max_age=max_age)
    return None if role is None or tenant is None else (role, tenant)


def tenant_page(
    ports: RolePorts, caller: Caller, *, top: int, skip_token: str | None
) -> tuple[list[Tenant], str | None]:
    """A page of the tenants the caller holds a role on (an organization owner: every tenant)."""
    if caller.organization_owner:
        return ports.tenants.list_tenants(top=top, skip_token=skip_token)
    assignments = ports.role_assignments.list_principal_assignments(caller.principal_id)
    return ports.tenants.list_tenants_among([a.tenant_id for a in assignments], top=top, skip_token=skip_token)


def visible_tenants(ports: RolePorts, caller: Caller) -> list[TenantRole]:
    """The tenants the caller holds a role on, by name (an organization owner sees every tenant)."""
    if caller.organization_owner:
        return [TenantRole(tenant_id=t.id, display_name=t.display_name, role=Role.OWNER) for t in _all(ports)]
    roles = []
    for assignment in ports.role_assignments.list_principal_assignments(caller.principal_id):
        tenant = ports.tenants.find_tenant(assignment.tenant_id)
        if tenant is not None:
            roles.append(TenantRole(tenant_id=tenant.id, display_name=tenant.display_name, role=assignment.role))
    return sorted(roles, key=lambda r: (r.display_name.lower(), r.tenant_id))


def _all(ports: RolePorts) -> list[Tenant]:
    return sorted(ports.tenants.iter_tenants(), key=lambda t: (t.display_name.lower(), t.id))


def me(ports: RolePorts, caller: Caller) -> Me:
    return Me(
        principal_id=caller.principal_id,
        name=caller.name,
        home_tenant_id=caller.home_tenant_id,
        organization_owner=caller.organization_owner,
        tenants=visible_tenants(ports, caller),
    )


def assign_role(
    ports: RolePorts,
    caller: Caller,
    tenant_id: str,
    body: RoleAssignmentCreate,
    *,
    person: Person | None = None,
    directory: DirectoryName | None = None,
) -> RoleAssignment:
    """The role for `body`'s principal, or for the `person` a directory named (its id, name and sign-in name kept)."""
    principal_id = person.id if person is not None else body.principal_id
    if principal_id is None:
        raise ValidationFailed.of(ErrorDetail("required", "Give principalId or userPrincipalName.", "principalId"))
    assignment = RoleAssignment(
        id=principal_id,
        tenant_id=tenant_id,
        principal_id=principal_id,
        principal_name=person.display_name if person is not None else body.principal_name,
        principal_type=person.kind if person is not None else None,
        user_principal_name=person.user_principal_name if person is not None else None,
        mail=person.mail if person is not None else None,
        directory=directory,
        role=body.role,
        created_date_time=ports.clock(),
        created_by=caller.principal_id,
    )
    return ports.role_assignments.insert_role_assignment(assignment)


def make_first_owner(ports: RolePorts, caller: Caller, tenant_id: str) -> RoleAssignment:
    """Whoever registers a tenant becomes its first owner, so the tenant has an owner to keep."""
    create = RoleAssignmentCreate(principal_id=caller.principal_id, principal_name=caller.name, role=Role.OWNER)
    return assign_role(ports, caller, tenant_id, create)


def remove_role(ports: RolePorts, tenant_id: str, assignment_id: str, *, if_match: str | None = None) -> None:
    """Remove a role assignment; the last owner of a tenant stays (409), even against a concurrent removal."""
    for _ in range(MAX_RETRIES):
        assignment = ports.role_assignments.get_role_assignment(tenant_id, assignment_id)
        if if_match and if_match != "*" and assignment.etag != if_match:
            raise PreconditionFailed.stale("Role assignment", assignment_id)
        keep = None
        if assignment.role is Role.OWNER:
            owners = ports.role_assignments.list_role_assignments(tenant_id)
            keep = next((a for a in owners if a.role is Role.OWNER and a.id != assignment.id), None)
            if keep is None:
                raise Conflict(
                    "This is the tenant's last owner; make another principal owner before removing it.",
                    code="lastOwner",
                    target="roleAssignmentId",
                )
        try:
            ports.role_assignments.delete_role_assignment(assignment, keep_owner=keep)
            return
        except PreconditionFailed:
            continue  # this row or the owner kept changed meanwhile: decide again from a fresh read
    raise Conflict("The tenant's owners keep changing; try again.", code="concurrentChange")


def list_role_assignments(ports: RolePorts, tenant_id: str) -> list[RoleAssignment]:
    return sorted(ports.role_assignments.list_role_assignments(tenant_id), key=lambda a: (a.role.rank * -1, a.id))
