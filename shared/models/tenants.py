"""Tenants: the customer organisations (Entra tenants) this service provisions Cloud PCs for."""

from __future__ import annotations

from pydantic import Field

from shared.models.base import DisplayName, Guid, InputModel, Resource
from shared.models.json_schema import omittable


class TenantCreate(InputModel):
    display_name: DisplayName
    entra_tenant_id: Guid | None = Field(default=None, description="The customer's Microsoft Entra tenant id.")


class TenantUpdate(InputModel):
    """Merge patch: only the fields present change; `null` clears an optional field."""

    display_name: DisplayName | None = omittable()
    entra_tenant_id: Guid | None = None


class Tenant(Resource):
    display_name: str
    entra_tenant_id: str | None = None
