"""A customer tenant's onboarding report: consent, Graph permissions and Azure roles, each present or missing."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from shared.models.base import ApiModel, Guid, InputModel
from shared.models.refused_work import RefusedWork

MAX_GRANT_SUBSCRIPTIONS = 20  # one sign-in grants in a handful of subscriptions; more is a script's work
OnboardingKind = Literal["link", "consent", "graphPermission", "azureRole"]


class OnboardingItem(ApiModel):
    kind: OnboardingKind
    name: str
    scope: str | None = Field(default=None, description="Where it is needed (a site's resource group).")
    status: Literal["present", "missing", "unknown"]
    reason: str = Field(description="What the app does with it.")
    fix: str | None = Field(default=None, description="What to do when it is missing.")
    command: str | None = Field(
        default=None, description="When it is missing, the one command (Azure CLI) that grants it, to copy and run."
    )
    missing_actions: list[str] = Field(
        default_factory=list, description="For an Azure role: the actions the app's roles lack at the scope."
    )


class FoundTenant(ApiModel):
    """A customer's Entra tenant found by one of its domain names: what Entra tells anyone of it."""

    tenant_id: str = Field(description="The Entra tenant id: a tenant's `entraTenantId`.")
    display_name: str = Field(description="The organization's name in Entra.")
    default_domain_name: str
    federation_brand_name: str | None = None


class BuiltInAlternative(ApiModel):
    """A built-in role an admin may assign instead of the custom role, and what it grants beyond the app's actions."""

    name: str
    role_definition_id: str
    scope: Literal["subscription", "resourceGroup", "network"]
    over_grants: str


class OnboardingReport(ApiModel):
    tenant_id: str
    entra_tenant_id: str | None = None
    admin_consent_url: str | None = Field(
        default=None, description="Where the customer's admin grants the app's permissions in one step."
    )
    ready: bool = Field(description="Nothing is missing: the app can do everything it does in this tenant.")
    items: list[OnboardingItem]
    custom_role: dict[str, Any] | None = Field(
        default=None,
        description="The custom role with exactly the app's actions, as `az role definition create` takes it.",
    )
    custom_role_command: str | None = Field(default=None, description="The command that creates the custom role.")
    built_in_alternatives: list[BuiltInAlternative] = Field(
        default_factory=list,
        description="Built-in roles that cover the app's actions at a kind of scope instead, each with what it "
        "grants beyond them.",
    )
    refused_work: list[RefusedWork] = Field(
        default_factory=list,
        description="The tenant's background work refused lately for want of a permission; each goes once that "
        "work succeeds again (a refused directory read is retried at once when the report finds nothing missing).",
    )
    custom_role_condition: str | None = Field(
        default=None,
        description="The condition (version 2.0) to assign the custom role with: it narrows the app's role "
        "assignments to the roles the app gives (the two VM sign-in roles and Desktop Virtualization User).",
    )


class DelegationTemplate(ApiModel):
    """What the customer's admin deploys once in one subscription to delegate it through Azure Lighthouse."""

    subscription_id: str
    template: dict[str, Any] = Field(
        description="The ARM template, a subscription-level deployment: a registration definition per role the app "
        "needs, each assigned at the subscription or at the resource groups that need it."
    )
    command: str = Field(description="The Azure CLI command that deploys it, run by an Owner of the subscription.")


class DelegationTemplates(ApiModel):
    """The Azure Lighthouse delegation of a tenant's subscriptions to the app itself, one template per subscription."""

    managed_by_tenant_id: str = Field(description="The app's own Entra tenant, which the delegation names.")
    principal_id: str = Field(description="The app's service principal there, which every authorization names.")
    templates: list[DelegationTemplate]


class AdminSubscription(ApiModel):
    """A subscription the customer's administrator sees when signed in, and whether their roles let them grant."""

    subscription_id: str
    display_name: str
    state: str
    can_grant: bool = Field(
        description="Their roles there create a role and assign it (Owner or User Access Administrator do)."
    )


class AzureGrantRequest(InputModel):
    subscription_ids: list[Guid] = Field(
        min_length=1, max_length=MAX_GRANT_SUBSCRIPTIONS, description="The subscriptions to grant the app its roles in."
    )


class GrantedRole(ApiModel):
    """One role assignment the grant made, or found already made."""

    role: str
    scope: str
    principal_name: str = Field(description="Who holds it: the app, or one of Microsoft's services.")
    outcome: Literal["granted", "alreadyHeld"]


class GrantedPermission(ApiModel):
    """One Graph application permission the grant gave the app, or found it held already."""

    permission: str
    outcome: Literal["granted", "alreadyHeld"]


class GraphGrant(ApiModel):
    """What a grant with the customer's Entra administrator's sign-in did, and the onboarding report after it."""

    granted: list[GrantedPermission]
    report: OnboardingReport


class AzureGrant(ApiModel):
    """What a grant with the customer administrator's sign-in did, and the onboarding report after it."""

    granted: list[GrantedRole]
    report: OnboardingReport
