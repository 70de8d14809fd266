"""Desktop access to a host pool: the built-in role Desktop Virtualization User on its application group, for
each Entra group of the spec or (a Spot Group's, whose license count caps who holds it) for each user directly,
under a role-assignment GUID derived from (application group, principal, role); only assignments of that derived
name are listed as the app's and removed, so one an admin made by hand stays."""

from __future__ import annotations

from typing import Any

from azure.core.exceptions import HttpResponseError
from azure.mgmt.authorization.v2022_04_01.models import RoleAssignmentCreateParameters

from shared.catalog.app_access import DESKTOP_VIRTUALIZATION_USER
from shared.cloud.azure import arm_lro
from shared.cloud.azure.arm_devices import assignment_name
from shared.cloud.azure.avd_common import AvdAdapter, absent_is_fine, app_group_id, same
from shared.ports.compute import Placement
from shared.ports.desktop_virtualization import DesktopAccess
from shared.ports.progress import Progress

DESKTOP_USER = DESKTOP_VIRTUALIZATION_USER
PRINCIPAL_WAIT_S = 10.0  # a new group takes a while to reach ARM


class DesktopAccessGrants(AvdAdapter):
    """Desktop Virtualization User on a pool's application group, for its groups or its users."""

    def _grant_access(
        self, tenant_id: str, placement: Placement, scope: str, group_ids: tuple[str, ...]
    ) -> Progress | None:
        """Desktop Virtualization User for exactly these groups (among the assignments made here); None when so."""
        authorization = self.clients.user_roles(tenant_id, placement.subscription_id)
        found = self._desktop_users(authorization, scope)
        present = {str(a.principal_id).lower() for a in found}
        wanted = {g.lower() for g in group_ids}
        for assignment in found:
            principal = str(assignment.principal_id).lower()
            if principal not in wanted and assignment.name == assignment_name(scope, principal, DESKTOP_USER):
                authorization.role_assignments.delete(scope, str(assignment.name))
        for principal in sorted(wanted - present):
            if not _assign(authorization, placement, scope, principal, "Group"):
                return Progress(
                    done=False,
                    retry_after_s=PRINCIPAL_WAIT_S,
                    held=arm_lro.PRINCIPAL_NOT_FOUND,
                    reason=arm_lro.NOT_REPLICATED,
                )
        return None

    @staticmethod
    def _desktop_users(authorization: Any, scope: str) -> list[Any]:
        """The Desktop Virtualization User assignments at the scope itself (not those inherited from above it)."""
        return [
            a
            for a in authorization.role_assignments.list_for_scope(scope, filter="atScope()")
            if str(a.scope or "").lower() == scope.lower() and _role_of(a.role_definition_id) == DESKTOP_USER
        ]

    def desktop_access(self, tenant_id: str, placement: Placement, host_pool: str) -> DesktopAccess | None:
        step = "desktopAccess"
        avd, rg, scope = self._avd(tenant_id, placement), placement.resource_group, app_group_id(placement, host_pool)
        if arm_lro.found(lambda: avd.application_groups.get(rg, f"{host_pool}-dag"), step) is None:
            return None
        authorization = self.clients.user_roles(tenant_id, placement.subscription_id)
        made = [
            a
            for a in self._desktop_users(authorization, scope)
            if a.name == assignment_name(scope, str(a.principal_id), DESKTOP_USER)
        ]
        users = {str(a.principal_id).lower() for a in made if same(a.principal_type, "User")}
        groups = {str(a.principal_id).lower() for a in made if same(a.principal_type, "Group")}
        return DesktopAccess(users=frozenset(users), groups=frozenset(groups))

    def grant_desktop_access(self, tenant_id: str, placement: Placement, host_pool: str, user_id: str) -> bool:
        authorization = self.clients.user_roles(tenant_id, placement.subscription_id)
        return _assign(authorization, placement, app_group_id(placement, host_pool), user_id.lower(), "User")

    def revoke_desktop_access(self, tenant_id: str, placement: Placement, host_pool: str, principal_id: str) -> None:
        scope = app_group_id(placement, host_pool)
        authorization = self.clients.user_roles(tenant_id, placement.subscription_id)
        name = assignment_name(scope, principal_id.lower(), DESKTOP_USER)
        # read first: the role's condition lets the app delete only assignments of the roles it gives, which ARM
        # checks against the assignment, so a delete of one that is gone is refused (AuthorizationFailed), not done
        if arm_lro.found(lambda: authorization.role_assignments.get(scope, name), "revokeDesktopAccess") is not None:
            absent_is_fine(lambda: authorization.role_assignments.delete(scope, name))


def _assign(authorization: Any, placement: Placement, scope: str, principal: str, principal_type: str) -> bool:
    """Desktop Virtualization User for the principal at the scope, under the name derived from both; False when ARM
    does not know the principal yet (a new one takes a while to reach it)."""
    role = f"/subscriptions/{placement.subscription_id}/providers/Microsoft.Authorization/roleDefinitions/"
    parameters = RoleAssignmentCreateParameters(
        role_definition_id=role + DESKTOP_USER, principal_id=principal, principal_type=principal_type
    )
    try:
        authorization.role_assignments.create(scope, assignment_name(scope, principal, DESKTOP_USER), parameters)
    except HttpResponseError as exc:
        if exc.status_code == 409 and arm_lro.error_code(exc) == "RoleAssignmentExists":
            return True
        if arm_lro.error_code(exc) == "PrincipalNotFound":
            return False
        raise
    return True


def _role_of(role_definition_id: Any) -> str:
    return str(role_definition_id or "").rstrip("/").rsplit("/", 1)[-1].lower()
