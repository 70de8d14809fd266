"""Granting the app its Azure roles with a customer administrator's own ARM token, used for the grant and dropped."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

# the CloudError codes of a grant's refusals: the administrator's token is no token, or ARM refused it (ran out, or for
# another resource); ARM refused one of the writes for want of a role (its own code)
ADMIN_TOKEN_REFUSED = "adminTokenRefused"
WRITE_REFUSED = "AuthorizationFailed"


@dataclass(frozen=True)
class SubscriptionSeen:
    """A subscription the administrator's token lists, and the actions their roles there do not grant of those
    asked."""

    subscription_id: str
    display_name: str
    state: str
    lacking: tuple[str, ...]


@dataclass(frozen=True)
class CustomRoleFound:
    """A custom role of the customer's tenant, found by name: its GUID and where it may be assigned."""

    role_definition_id: str
    assignable_scopes: tuple[str, ...]


class AzureGrant(Protocol):
    def subscriptions(self, admin_token: str, asked: tuple[str, ...]) -> list[SubscriptionSeen]:
        """The subscriptions the administrator holds a role in, each with those of `asked` their roles lack there."""
        ...

    def app_principal_id(self, tenant_id: str) -> str:
        """The object id of the app's service principal in the customer's tenant (it exists once consent is given)."""
        ...

    def service_principal_id(self, tenant_id: str, app_id: str) -> str | None:
        """The object id of another service's principal in the customer's tenant; None: it has none there."""
        ...

    def find_custom_role(self, admin_token: str, subscription_id: str, role_name: str) -> CustomRoleFound | None: ...

    def put_custom_role(
        self, admin_token: str, subscription_id: str, role_definition_id: str, role: dict[str, Any]
    ) -> None:
        """Creates or updates the custom role (`role`: its roleName, description, permissions, assignableScopes)."""
        ...

    def assign(
        self,
        admin_token: str,
        scope: str,
        role_definition_id: str,
        principal_id: str,
        condition: str | None,
    ) -> bool:
        """Assigns the role (a GUID) at `scope` to a service principal; False: it held that role there already."""
        ...

    def put_resource(self, admin_token: str, resource_id: str, api_version: str, body: dict[str, Any]) -> None:
        """Creates or updates an ARM resource (a Lighthouse delegation's definition or assignment) as it is given."""
        ...
