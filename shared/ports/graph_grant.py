"""Granting the app Graph application permissions in a customer's tenant with its Entra administrator's own Graph
token, used for the grant and dropped (refusals: azure_grant's ADMIN_TOKEN_REFUSED and WRITE_REFUSED)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class GraphAppRoles:
    """Microsoft Graph's service principal in the tenant, and its application permissions' app role ids by name."""

    resource_id: str
    role_ids: dict[str, str]


class GraphGrant(Protocol):
    """Each call refuses (ADMIN_TOKEN_REFUSED) a token that is not one of `entra_tenant_id`'s."""

    def graph_app_roles(self, admin_token: str, entra_tenant_id: str) -> GraphAppRoles: ...

    def principal_id(self, admin_token: str, entra_tenant_id: str, app_id: str) -> str | None:
        """The object id of an app's service principal in the tenant; None: it has none there."""
        ...

    def assign_app_role(
        self, admin_token: str, entra_tenant_id: str, principal_id: str, resource_id: str, app_role_id: str
    ) -> bool:
        """Assigns the app role to the service principal; False: it held that role already."""
        ...
