"""Who may do what: callers, per-tenant roles, role assignments, and the audit log of changes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import Field

from shared.models.base import ApiModel, DisplayName, Guid, InputModel


class Role(StrEnum):
    """A principal's role on one tenant; each includes the rights of the ones below it."""

    READER = "reader"
    OPERATOR = "operator"
    ADMINISTRATOR = "administrator"
    OWNER = "owner"

    @property
    def rank(self) -> int:
        return list(Role).index(self)

    def covers(self, needed: Role) -> bool:
        return self.rank >= needed.rank


class Caller(ApiModel):
    """The principal a validated token names: `oid` is the principal, `tid` its home Entra tenant."""

    principal_id: str
    home_tenant_id: str | None = None
    name: str | None = None
    organization_owner: bool = False


class ManagedIdentity(ApiModel):
    """An Azure resource's managed identity, as a validated token of it names it: its Entra tenant and its principal
    (`oid`). A token for a customer's own API names no resource (Entra adds `xms_mirid` for Microsoft's only)."""

    entra_tenant_id: str
    principal_id: str


class RoleAssignmentCreate(InputModel):
    principal_id: Guid = Field(description="The Entra object id of the user, group member or app.")
    principal_name: DisplayName | None = Field(default=None, description="A name to show; not checked.")
    role: Role


class RoleAssignment(ApiModel):
    """A principal's role on a tenant; its id is the principal id, so a principal has one role per tenant."""

    id: str
    tenant_id: str
    principal_id: str
    principal_name: str | None = None
    role: Role
    created_date_time: datetime
    created_by: str | None = None
    etag: str | None = Field(default=None, description="Pass back in If-Match to delete safely.")


class TenantRole(ApiModel):
    tenant_id: str
    display_name: str
    role: Role


class Me(ApiModel):
    """`GET /me`: the caller and its role on each tenant it can see."""

    principal_id: str
    name: str | None = None
    home_tenant_id: str | None = None
    organization_owner: bool
    tenants: list[TenantRole]


AuditResult = Literal["pending", "success", "failure", "denied"]


class AuditActor(ApiModel):
    principal_id: str
    name: str | None = None


class AuditChange(ApiModel):
    field: str
    old_value: Any = None
    new_value: Any = None


class AuditEvent(ApiModel):
    """One write or action, successful, failed or refused; secrets appear as `***`."""

    id: str
    tenant_id: str
    activity_date_time: datetime
    actor: AuditActor
    activity: str = Field(description="The operation, e.g. updateProvisioningPolicy or rebootCloudPc.")
    resource_type: str
    resource_id: str | None = None
    resource_display_name: str | None = None
    result: AuditResult
    error_code: str | None = None
    changes: list[AuditChange] = Field(default_factory=list)
    source: Literal["app", "windows365"] = Field(
        default="app", description="Whose log it comes from: this app's, or Windows 365's (on a windows365 tenant)."
    )


class AuditRecord(AuditEvent):
    """An audit event as stored: flat fields to filter on, and for a pending one, where its change was written."""

    actor_id: str
    # where the change's first write goes (table, partition key, row key) and digests of the values it sets,
    # saved before that write: how an event a crash left pending is settled (see shared/services/access/audit.py)
    written_at: list[str] | None = None
    intended: dict[str, str] | None = None


RowKey = tuple[str, str, str]  # table, partition key, row key


@dataclass(frozen=True)
class Intent:
    """Told before a request's first write, so a crash cannot hide it: where it goes and what it sets."""

    key: RowKey
    resource_id: str | None
    fingerprint: dict[str, str]  # field -> digest of the value the write sets, for fields it changes
