"""Entra ID through Graph: users and their licenses, groups, and the change notifications Graph sends of them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from shared.models.tenants import Tenant
from shared.ports.progress import Progress


@dataclass(frozen=True)
class GroupLicense:
    """A Windows 365 license a group assigns the user (Entra group-based licensing): only the group can take it away.

    `state` is Entra's (Active, ActiveWithError, Disabled, Error) and `error` its reason when the group's license
    could not be applied (CountViolation when the tenant had no free unit), else None; `since` when the state last
    changed (Entra's lastUpdatedDateTime): for a CountViolation, since when the user has been waiting for a unit.
    """

    service_plan_id: str
    group_id: str
    state: str = "Active"
    error: str | None = None
    since: datetime | None = None


@dataclass(frozen=True)
class DirectoryUser:
    id: str
    user_principal_name: str
    display_name: str = ""
    licenses: tuple[str, ...] = ()  # service plan ids; a plan id may repeat (two licenses)
    # the plans groups assign the user, applied or not; a plan here is in `licenses` too once applied, and may be
    # assigned directly as well
    group_licenses: tuple[GroupLicense, ...] = ()

    def groups_assigning(self, service_plan_id: str) -> list[str]:
        """The groups the user holds this plan's license through: while one does, the license cannot be moved."""
        return [g.group_id for g in self.group_licenses if g.service_plan_id == service_plan_id and g.error is None]


@dataclass(frozen=True)
class DirectoryGroup:
    id: str
    display_name: str
    description: str | None = None


class Directory(Protocol):
    """Entra ID as the provisioning engine and the portal's group picker read it (Graph in production)."""

    def get_users(self, tenant_id: str, user_ids: list[str]) -> dict[str, DirectoryUser]:
        """The users that exist among `user_ids`; unknown ids are left out."""
        ...

    def list_group_members(self, tenant_id: str, group_id: str) -> list[str] | None:
        """Direct members' user ids (nested groups are not expanded); None if the group does not exist."""
        ...

    def group_members_with_licenses(self, tenant_id: str, group_id: str) -> list[DirectoryUser] | None:
        """Direct members that are users, each with their licenses and their group licenses' states, in one read of
        the group (Graph: its members with $select); None if the group does not exist."""
        ...

    def member_groups(self, tenant_id: str, user_id: str, group_ids: list[str]) -> list[str]:
        """Which of `group_ids` the user is a direct member of (Graph: checkMemberGroups), without listing groups."""
        ...

    def count_licenses(self, tenant_id: str) -> dict[str, int]:
        """Licenses assigned per service plan across the tenant (Graph: subscribedSkus consumedUnits)."""
        ...

    def find_groups(self, tenant_id: str, name_prefix: str | None, top: int) -> list[DirectoryGroup]:
        """Security groups whose display name starts with `name_prefix` in any case (every one without it), the
        first `top` by display name: a look-up for a person picking groups, not a listing of the directory."""
        ...

    def get_group(self, tenant_id: str, group_id: str) -> DirectoryGroup | None:
        """One group by id, to name it to a person; None if it does not exist."""
        ...


class LicenseAssignment(Protocol):
    """The users' Windows 365 licenses, as a resize or the reclaim rule moves them (Graph subscribedSkus,
    assignLicense and reprocessLicenseAssignment)."""

    def free_licenses(self, tenant_id: str, service_plan_id: str) -> int:
        """Licenses of the plan's SKU the tenant has and no user holds."""
        ...

    def switch_license(self, tenant_id: str, user_id: str, add_plan: str | None, remove_plan: str | None) -> Progress:
        """The user holds `add_plan`'s license and no longer `remove_plan`'s (either may be None: a license only
        given, or only taken back); CloudError `noFreeLicense` if none is free."""
        ...

    def reprocess_group_licenses(self, tenant_id: str, user_id: str) -> None:
        """Entra applies the user's group licenses again (a CountViolation takes a unit freed since): Entra never
        retries one by itself (Graph: reprocessLicenseAssignment)."""
        ...


class SubscriptionApi(Protocol):
    """Graph's /subscriptions as this service uses it (shared.cloud.azure.graph_subscriptions in production)."""

    def create(
        self,
        entra_tenant_id: str,
        resource: str,
        notification_url: str,
        lifecycle_url: str,
        client_state: str,
        expires: datetime,
    ) -> tuple[str, datetime]: ...

    def renew(self, entra_tenant_id: str, subscription_id: str, expires: datetime) -> datetime | None: ...

    def delete(self, entra_tenant_id: str, subscription_id: str) -> None: ...


class TenantWatch(Protocol):
    """Graph change notifications for a tenant's directory (shared/services/access/directory_subscriptions.py)."""

    def tenant_linked(self, tenant: Tenant, previous_entra_tenant_id: str | None = None) -> None:
        """A tenant got (or changed) its Entra tenant id: subscribe there. Never raises."""

    def tenant_removed(self, tenant_id: str) -> None:
        """A tenant was deleted or unlinked: its subscriptions go. Never raises."""
