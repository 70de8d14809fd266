"""Role-assignment repository: partition key = tenant id, row key = principal id (one role per principal)."""

from __future__ import annotations

from shared.errors import Conflict
from shared.models.access import Role, RoleAssignment
from shared.storage.table_service import TableStorage
from shared.storage.tables import EntityRepository


class RoleAssignmentRepository:
    def __init__(self, storage: TableStorage) -> None:
        self._rows = EntityRepository(storage, "RoleAssignments", RoleAssignment, kind="Role assignment")

    def find_role_assignment(self, tenant_id: str, principal_id: str, *, max_age: float = 0.0) -> RoleAssignment | None:
        return self._rows.find(tenant_id, principal_id, max_age=max_age)

    def get_role_assignment(self, tenant_id: str, assignment_id: str) -> RoleAssignment:
        return self._rows.get(tenant_id, assignment_id, target="roleAssignmentId")

    def list_role_assignments(self, tenant_id: str) -> list[RoleAssignment]:
        return list(self._rows.scan("PartitionKey eq @t", {"t": tenant_id}))

    def list_principal_assignments(self, principal_id: str) -> list[RoleAssignment]:
        # a scan across tenants: role assignments number in the hundreds, and only GET /me and GET /tenants ask
        return list(self._rows.scan("principalId eq @p", {"p": principal_id}))

    def insert_role_assignment(self, assignment: RoleAssignment) -> RoleAssignment:
        try:
            return self._rows.put(assignment, assignment.tenant_id, assignment.principal_id, if_none_match=True)
        except Conflict:
            raise Conflict(
                f"Principal '{assignment.principal_id}' already has a role on this tenant; remove it first.",
                code="alreadyAssigned",
                target="principalId",
            ) from None

    def delete_role_assignment(self, assignment: RoleAssignment, *, keep_owner: RoleAssignment | None) -> None:
        """Delete `assignment`; with `keep_owner`, only while that other owner's row is unchanged (one transaction)."""
        if keep_owner is None or assignment.role is not Role.OWNER:
            self._rows.delete(assignment.tenant_id, assignment.id, if_match=assignment.etag)
            return
        self._rows.delete_while_unchanged(
            assignment.tenant_id,
            assignment.id,
            assignment.etag or "*",
            witness=(keep_owner.id, keep_owner.etag or "*"),
        )

    def delete_tenant_assignments(self, tenant_id: str) -> int:
        return self._rows.delete_many(tenant_id, [a.id for a in self.list_role_assignments(tenant_id)])
