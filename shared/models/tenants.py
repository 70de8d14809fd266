"""Tenants: the customer organisations (Entra tenants) this service provisions Cloud PCs for."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from shared.models.base import DisplayName, Guid, InputModel, Resource
from shared.models.json_schema import omittable

# who provisions the tenant's Cloud PCs: the app itself, as VMs in the customer's Azure subscription, or Microsoft's
# Windows 365 service, which the app drives through Graph's Cloud PC API
BackendName = Literal["azure", "windows365"]
BACKEND_DESCRIPTION = (
    "Who provisions the tenant's Cloud PCs: `azure`, the app itself as VMs in the customer's Azure subscription; "
    "`windows365`, Microsoft's Windows 365 service for the licenses the customer holds, driven through Graph. "
    "It cannot change while the tenant has Cloud PCs, connections, device images or provisioning policies."
)


class TenantCreate(InputModel):
    display_name: DisplayName
    entra_tenant_id: Guid | None = Field(default=None, description="The customer's Microsoft Entra tenant id.")
    cloud_pc_backend: BackendName = Field(default="azure", description=BACKEND_DESCRIPTION)


class TenantUpdate(InputModel):
    """Merge patch: only the fields present change; `null` clears an optional field."""

    display_name: DisplayName | None = omittable()
    entra_tenant_id: Guid | None = None
    cloud_pc_backend: BackendName | None = omittable(description=BACKEND_DESCRIPTION)


class Tenant(Resource):
    display_name: str
    entra_tenant_id: str | None = None
    cloud_pc_backend: BackendName = "azure"  # tenants saved before the choice existed are the app's own
