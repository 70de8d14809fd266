"""Tenants: the customer organisations (Entra tenants) this service provisions Cloud PCs for."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StrictBool, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from shared.models.alerts import Mailbox
from shared.models.base import NOT_A_TRUTH_VALUE, ApiModel, DisplayName, Guid, InputModel, Resource
from shared.models.json_schema import omittable

# who provisions the tenant's Cloud PCs: the app itself, as VMs in the customer's Azure subscription, or Microsoft's
# Windows 365 service, which the app drives through Graph's Cloud PC API
BackendName = Literal["azure", "windows365"]
BACKEND_DESCRIPTION = (
    "Who provisions the tenant's Cloud PCs: `azure`, the app itself as VMs in the customer's Azure subscription; "
    "`windows365`, Microsoft's Windows 365 service for the licenses the customer holds, driven through Graph. "
    "It cannot change while the tenant has Cloud PCs, connections, device images or provisioning policies."
)
# how the app acts in the customer's Azure: as its app registration signed into the customer's tenant, holding the roles
# the customer assigned it, or as itself in its own tenant, through an Azure Lighthouse delegation the customer deployed
AzureAccess = Literal["consent", "lighthouse"]
AZURE_ACCESS_DESCRIPTION = (
    "How the app works in the customer's Azure subscriptions: `consent`, as its app registration in the customer's "
    "tenant, holding the roles the customer's admin assigned it there; `lighthouse`, as itself in the provider's "
    "tenant, through an Azure Lighthouse delegation the customer's admin deploys once (the onboarding report's "
    "delegation template). Graph is never delegated by Lighthouse: the admin consent is needed either way."
)
SUBSCRIPTIONS_DESCRIPTION = (
    "The customer's Azure subscriptions the app will work in, named before any site: the onboarding report asks for "
    "the app's role at each, so that they can be picked once granted."
)
SubscriptionIds = Annotated[list[Guid], Field(max_length=50)]
RECLAIM_DESCRIPTION = (
    "The tenant's rule for Cloud PCs nobody uses (off when absent): one not connected to for `unusedDays` is "
    "announced to its user and admins, enters its grace period `noticeDays` later unless its user connects first, "
    "and is deprovisioned when the grace period ends; its user's directly assigned license is freed for the next user."
)


# the days a rule may count, each bound written once: the rule's fields and the preview's query take them
UNUSED_DAYS = (7, 365)
NOTICE_DAYS = (1, 90)


class ReclaimRule(InputModel):
    """When an unused Cloud PC is taken back (shared/services/cloud_pcs/reclaim.py applies it)."""

    enabled: StrictBool = False
    unused_days: Annotated[int, Field(ge=UNUSED_DAYS[0], le=UNUSED_DAYS[1]), NOT_A_TRUTH_VALUE] = Field(
        default=30, description="Days without a connection before it is announced."
    )
    notice_days: Annotated[int, Field(ge=NOTICE_DAYS[0], le=NOTICE_DAYS[1]), NOT_A_TRUTH_VALUE] = Field(
        default=14, description="Days from the announcement to its grace period."
    )
    email_user: StrictBool = Field(
        default=False, description="The announcement is e-mailed to the user from `mailbox`."
    )
    mailbox: Mailbox | None = Field(
        default=None, validate_default=True, description="The sender, a mailbox of the customer's tenant."
    )

    @field_validator("mailbox")
    @classmethod
    def _mailbox_to_send_from(cls, value: str | None, info: ValidationInfo) -> str | None:
        if info.data.get("email_user") and not value:  # checked beside the other fields, each named once
            raise PydanticCustomError("mailboxRequired", "emailUser needs the mailbox to send from")
        return value


class ReclaimPreview(ApiModel):
    """What the rule would do if it ran now."""

    to_announce: int = Field(description="Cloud PCs it would announce unused now.")
    to_reclaim: int = Field(description="Cloud PCs announced long enough ago that would enter their grace period now.")


class TenantCreate(InputModel):
    display_name: DisplayName
    entra_tenant_id: Guid | None = Field(default=None, description="The customer's Microsoft Entra tenant id.")
    cloud_pc_backend: BackendName = Field(default="azure", description=BACKEND_DESCRIPTION)
    azure_access: AzureAccess = Field(default="consent", description=AZURE_ACCESS_DESCRIPTION)
    subscription_ids: SubscriptionIds = Field(default_factory=list, description=SUBSCRIPTIONS_DESCRIPTION)
    reclaim: ReclaimRule | None = Field(default=None, description=RECLAIM_DESCRIPTION)


class TenantUpdate(InputModel):
    """Merge patch: only the fields present change; `null` clears an optional field."""

    display_name: DisplayName | None = omittable()
    entra_tenant_id: Guid | None = None
    cloud_pc_backend: BackendName | None = omittable(description=BACKEND_DESCRIPTION)
    azure_access: AzureAccess | None = omittable(description=AZURE_ACCESS_DESCRIPTION)
    subscription_ids: SubscriptionIds | None = omittable(description=SUBSCRIPTIONS_DESCRIPTION)
    reclaim: ReclaimRule | None = Field(default=None, description=RECLAIM_DESCRIPTION)


class Tenant(Resource):
    display_name: str
    entra_tenant_id: str | None = None
    cloud_pc_backend: BackendName = "azure"  # tenants saved before the choice existed are the app's own
    azure_access: AzureAccess = Field(default="consent", description=AZURE_ACCESS_DESCRIPTION)
    subscription_ids: list[str] = Field(default_factory=list, description=SUBSCRIPTIONS_DESCRIPTION)
    reclaim: ReclaimRule | None = Field(default=None, description=RECLAIM_DESCRIPTION)

    @property
    def reclaiming(self) -> bool:
        """Its reclaim rule is on."""
        return self.reclaim is not None and self.reclaim.enabled
