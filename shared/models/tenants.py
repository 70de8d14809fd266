"""Tenants: the customer organisations (Entra tenants) this service provisions Cloud PCs for."""

from __future__ import annotations

from typing import Annotated, Literal

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
SUBSCRIPTIONS_DESCRIPTION = (
    "The customer's Azure subscriptions the app will work in, named before any site: the onboarding report asks for "
    "the app's role at each, so that they can be picked once granted."
)
SubscriptionIds = Annotated[list[Guid], Field(max_length=50)]


class TenantCreate(InputModel):
    display_name: DisplayName
    entra_tenant_id: Guid | None = Field(default=None, description="The customer's Microsoft Entra tenant id.")
    cloud_pc_backend: BackendName = Field(default="azure", description=BACKEND_DESCRIPTION)
    subscription_ids: SubscriptionIds = Field(default_factory=list, description=SUBSCRIPTIONS_DESCRIPTION)


class TenantUpdate(InputModel):
    """Merge patch: only the fields present change; `null` clears an optional field."""

    display_name: DisplayName | None = omittable()
    entra_tenant_id: Guid | None = None
    cloud_pc_backend: BackendName | None = omittable(description=BACKEND_DESCRIPTION)
    subscription_ids: SubscriptionIds | None = omittable(description=SUBSCRIPTIONS_DESCRIPTION)


class Tenant(Resource):
    display_name: str
    entra_tenant_id: str | None = None
    cloud_pc_backend: BackendName = "azure"  # tenants saved before the choice existed are the app's own
    subscription_ids: list[str] = Field(default_factory=list, description=SUBSCRIPTIONS_DESCRIPTION)
