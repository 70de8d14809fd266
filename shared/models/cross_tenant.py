"""One view over every tenant: what a list across tenants asks, its rows with their tenant, and bulk actions across."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from shared.models.base import ApiModel, InputModel
from shared.models.cloud_pc_actions import ActionError, BulkAction, BulkActionName
from shared.models.cloud_pcs import CloudPc, CloudPcStatus
from shared.models.session_hosts import SessionHost

MAX_TENANTS = 500  # tenants one bulk action across tenants may name
TENANT_ORDER = "tenant"  # every list across tenants sorts by its tenant's name too
CLOUD_PC_ORDERS = ("displayName", "userPrincipalName", "status", TENANT_ORDER)
SESSION_HOST_ORDERS = ("name", "status", "spotGroup", TENANT_ORDER)


@dataclass(frozen=True)
class CrossTenantQuery:
    """A list across tenants: the tenants (id to name, all within the caller's reach), a prefix searched in the
    list's name columns, stored columns that must equal a value, and the order (one of the list's names)."""

    tenant_names: Mapping[str, str]
    order_by: str
    descending: bool = False
    search: str | None = None
    equals: Mapping[str, str] = field(default_factory=dict)


class TenantCloudPc(CloudPc):
    """A Cloud PC listed among other tenants' Cloud PCs: with its tenant's name, without an etag (getCloudPc has
    the one an update takes)."""

    tenant_name: str


class TenantSessionHost(SessionHost):
    """A Spot Group session host listed across tenants: with its tenant and group."""

    tenant_id: str
    tenant_name: str
    spot_group_id: str
    spot_group_name: str = Field(description="Its Spot Group's friendly name (its id when the group is gone).")


class CrossTenantBulkActionCreate(InputModel):
    """One action on the Cloud PCs of several tenants that match a filter: one bulk action per tenant."""

    action: BulkActionName
    tenant_ids: list[Annotated[str, StringConstraints(min_length=1, max_length=64)]] = Field(
        min_length=1, max_length=MAX_TENANTS
    )
    status: CloudPcStatus | None = Field(default=None, description="Only the Cloud PCs in this status.")
    search: str | None = Field(
        default=None,
        max_length=100,
        description="Only the Cloud PCs whose userPrincipalName, displayName or managedDeviceName starts with this.",
    )
    target_service_plan_id: str | None = Field(default=None, min_length=1, max_length=64)


class TenantBulkAction(ApiModel):
    """One tenant's part: the bulk action started there, or why none was."""

    tenant_id: str
    tenant_name: str
    status: Literal["started", "refused"]
    bulk_action: BulkAction | None = None
    error: ActionError | None = None


class CrossTenantBulkAction(ApiModel):
    action: BulkActionName
    value: list[TenantBulkAction]
