"""What a customer tenant lets the app do: Graph permissions and Azure roles, as Entra and ARM tell it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class TenantInformation:
    """What Entra tells anyone of a tenant found by one of its domain names."""

    tenant_id: str
    display_name: str
    default_domain_name: str
    federation_brand_name: str | None = None


class TenantLookup(Protocol):
    def find_tenant(self, domain_name: str) -> TenantInformation | None:
        """The Entra tenant a domain name is verified in, as the app's own tenant's Graph answers; None: none."""
        ...


class TenantAccess(TenantLookup, Protocol):
    """What a customer tenant lets the app do, as Entra and ARM tell the app itself (read-only)."""

    def graph_permissions(self, entra_tenant_id: str) -> list[str] | None:
        """The Graph application permissions granted; None when no admin has consented to the app there."""
        ...

    def missing_actions(
        self,
        tenant_id: str,
        subscription_id: str,
        resource_group: str | None,
        actions: tuple[str, ...],
        *,
        in_customer_tenant: bool = False,
    ) -> list[str] | None:
        """Those of `actions` the app's role assignments do not grant on the resource group (None: on the
        subscription), as the identity it works in the tenant's Azure with (its registration in the customer's tenant,
        with `in_customer_tenant`, whatever the tenant's Azure access); None: not known (no such group)."""
        ...

    def delegated_roles(self, tenant_id: str, subscription_id: str, scope: str) -> set[str] | None:
        """The built-in roles (GUIDs) the Azure Lighthouse delegations of the subscription give the app itself at the
        scope (assigned there or above); None: not known (no such subscription or group)."""
        ...

    def app_identity(self) -> tuple[str, str]:
        """The app's own Entra tenant id and its service principal's object id there: what a delegation names."""
        ...

    def service_role_held(
        self, tenant_id: str, subscription_id: str, scope: str, app_id: str, role_definition_id: str
    ) -> bool | None:
        """Whether another service's principal in the tenant (by its app id) holds the built-in role on the scope (in
        the subscription), assigned there or above; False when it has no principal there; None: not known."""
        ...
