"""The storage ports of tenants and who may act in them: tenants, role assignments, audit events, unique values."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import Any, Protocol

from shared.models.access import AuditRecord, Intent, RoleAssignment
from shared.models.tenants import BackendName, Tenant


class TenantStore(Protocol):
    def get_tenant(self, tenant_id: str) -> Tenant: ...

    def find_tenant(self, tenant_id: str, *, max_age: float = 0.0) -> Tenant | None:
        """None when there is none; with `max_age`, the tenant as this process read it at most that many seconds ago
        will do (a change made here is seen at once)."""

    def list_tenants(self, *, top: int = 100, skip_token: str | None = None) -> tuple[list[Tenant], str | None]: ...

    def list_tenants_among(
        self, tenant_ids: Iterable[str], *, top: int = 100, skip_token: str | None = None
    ) -> tuple[list[Tenant], str | None]: ...

    def iter_tenants(self) -> Iterator[Tenant]: ...

    def ids(self) -> list[str]:
        """Every tenant's id, reading only the keys."""
        ...

    def ids_of_backend(self, backend: BackendName) -> list[str]:
        """The ids of the tenants of `backend`, reading only that column."""
        ...

    def ids_reclaiming(self) -> list[str]:
        """The ids of the tenants whose reclaim rule is on, reading only the rule."""
        ...

    def find_tenant_by_entra_id(self, entra_tenant_id: str) -> Tenant | None: ...

    def upsert_tenant(self, tenant: Tenant, *, if_match: str | None = None, if_none_match: bool = False) -> Tenant: ...

    def delete_tenant(self, tenant_id: str, *, if_match: str | None = None) -> None: ...


class RoleAssignmentStore(Protocol):
    def find_role_assignment(self, tenant_id: str, principal_id: str, *, max_age: float = 0.0) -> RoleAssignment | None:
        """The principal's role assignment on the tenant, if any; `max_age` as in TenantStore.find_tenant."""

    def get_role_assignment(self, tenant_id: str, assignment_id: str) -> RoleAssignment: ...

    def list_role_assignments(self, tenant_id: str) -> list[RoleAssignment]: ...

    def list_principal_assignments(self, principal_id: str) -> list[RoleAssignment]: ...

    def insert_role_assignment(self, assignment: RoleAssignment) -> RoleAssignment: ...

    def delete_role_assignment(self, assignment: RoleAssignment, *, keep_owner: RoleAssignment | None) -> None: ...

    def delete_tenant_assignments(self, tenant_id: str) -> int: ...


class AuditEventStore(Protocol):
    def insert_pending(self, record: AuditRecord) -> None: ...

    def note_intent(self, record: AuditRecord, intent: Intent) -> None: ...

    def settle(self, pending: AuditRecord, settled: AuditRecord) -> None: ...

    def insert_event(self, record: AuditRecord) -> None: ...

    def list_pending(self, *, older_than: datetime) -> list[AuditRecord]: ...

    def row_at(self, location: list[str]) -> dict[str, Any] | None: ...

    def list_events(
        self,
        tenant_id: str,
        *,
        actor_id: str | None = None,
        resource_type: str | None = None,
        since: datetime | None = None,
        top: int = 100,
        skip_token: str | None = None,
    ) -> tuple[list[AuditRecord], str | None]: ...


class UniqueValueStore(Protocol):
    def claim(self, scope: str, value: str, owner_id: str, *, holds: Callable[[str], bool]) -> str: ...

    def release(self, scope: str, value: str, owner_id: str) -> None: ...


class AuditLog(Protocol):
    """Where events of others' audit logs (Windows 365's) join the app's: an upsert, so a second import is harmless."""

    def insert_event(self, record: AuditRecord) -> None: ...
    def ids_since(self, tenant_id: str, source: str, since: datetime) -> set[str]: ...
