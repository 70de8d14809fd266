"""The storage ports of Cloud PCs, their configuration and the engine's due work: one small Protocol per repository.

Each lists only the methods a service or trigger calls, with the Table Storage repository's signature, so the
repositories in shared/storage satisfy them structurally and unit tests can pass in-memory fakes instead; the
ports of tenants and their access are in access_stores.py, Spot PC's in spot_pc_stores.py, written the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Protocol, TypeVar

from shared.models.cloud_pc_actions import BulkAction, BulkActionItem
from shared.models.cloud_pcs import CloudPc, CloudPcEvent
from shared.models.connections import Connection
from shared.models.cross_tenant import CrossTenantQuery, TenantCloudPc
from shared.models.images import DeviceImage
from shared.models.lifecycle import DueWork
from shared.models.policies import ProvisioningPolicy
from shared.models.refused_work import RefusedWork, RefusedWorkKind
from shared.models.sites import Site
from shared.models.usage import UsageDay
from shared.models.user_settings import UserSetting

T = TypeVar("T")


class BulkActionStore(Protocol):
    """Bulk actions and their items, an item per Cloud PC with its result."""

    def create_bulk_action(self, bulk: BulkAction, items: Iterable[BulkActionItem]) -> BulkAction: ...

    def get_bulk_action(self, tenant_id: str, bulk_id: str) -> BulkAction: ...

    def list_bulk_actions(
        self, tenant_id: str, *, top: int = 100, skip_token: str | None = None
    ) -> tuple[list[BulkAction], str | None]: ...

    def update_bulk_action(self, bulk: BulkAction) -> BulkAction: ...

    def list_items(self, tenant_id: str, bulk_id: str) -> list[BulkActionItem]: ...

    def save_item(self, tenant_id: str, bulk_id: str, item: BulkActionItem) -> None: ...


class ListPages(Protocol):
    """Pages of a list the app reads whole, with a continuation token only this service can issue."""

    def page(self, ordered: Sequence[T], *, top: int, skip_token: str | None) -> tuple[list[T], str | None]: ...


class StartCheckView(Protocol):
    """A start check as the sweep reads it (see shared/services/cloud_pcs/pending_starts.py)."""

    @property
    def key(self) -> str: ...
    @property
    def tenant_id(self) -> str: ...
    @property
    def creating(self) -> bool: ...


class CloudPcStore(Protocol):
    """Cloud PCs (partition = tenant), their timelines, the tenant's device-name claims, and start checks."""

    def get_cloud_pc(self, tenant_id: str, cloud_pc_id: str) -> CloudPc: ...

    def find_cloud_pc(self, tenant_id: str, cloud_pc_id: str) -> CloudPc | None: ...

    def list_cloud_pcs(
        self,
        tenant_id: str,
        filters: dict[str, str],
        *,
        search: str | None = None,
        never_connected: bool = False,
        top: int = 100,
        skip_token: str | None = None,
    ) -> tuple[list[CloudPc], str | None]:
        """`filters`: stored property names and the values they must equal; `search`: a prefix of the user
        principal name, display name or device name, in any case; `never_connected`: only the provisioned ones
        nobody was seen connected to."""
        ...

    def count_cloud_pcs_by_status(self, tenant_id: str) -> dict[str, int]:
        """The tenant's Cloud PCs counted by status, reading the status column only."""
        ...

    def count_never_connected(self, tenant_id: str) -> int:
        """The tenant's provisioned Cloud PCs nobody was seen connected to."""
        ...

    def count_cloud_pcs_by_status_per_tenant(self) -> dict[str, dict[str, int]]:
        """count_cloud_pcs_by_status of every tenant that has any (tenant id: status: count), in one query."""
        ...

    def count_never_connected_per_tenant(self) -> dict[str, int]:
        """count_never_connected of every tenant that has any, in one query across tenants."""
        ...

    def list_all_cloud_pcs(self, tenant_id: str) -> list[CloudPc]: ...

    def mend_copies(self, tenant_id: str) -> int: ...

    def list_users_cloud_pcs(self, tenant_id: str, user_id: str) -> list[CloudPc]: ...

    def list_cloud_pcs_in_status(self, tenant_id: str, status: str) -> list[CloudPc]: ...

    def search_cloud_pcs(
        self, query: CrossTenantQuery, *, top: int = 100, skip_token: str | None = None
    ) -> tuple[list[TenantCloudPc], str | None]:
        """A page of the Cloud PCs of several tenants, searched, filtered and sorted as the query says."""
        ...

    def list_cloud_pcs_of_plan(self, tenant_id: str, plan_id: str) -> list[CloudPc]: ...

    def insert_cloud_pcs(self, cloud_pcs: Iterable[CloudPc]) -> list[CloudPc]:
        """Create-only; the ones this call created (an existing id is skipped, not an error)."""
        ...

    def upsert_cloud_pc(self, cloud_pc: CloudPc, *, if_match: str | None = None) -> CloudPc: ...

    def merge_cloud_pc(self, cloud_pc: CloudPc, fields: Iterable[str]) -> None:
        """Write only `fields` onto the stored row, without an etag; NotFound when there is no row."""
        ...

    def delete_cloud_pc(self, tenant_id: str, cloud_pc_id: str, *, if_match: str | None = None) -> None: ...

    def upsert_event(self, tenant_id: str, event: CloudPcEvent) -> None: ...

    def upsert_events(self, tenant_id: str, events: Iterable[CloudPcEvent]) -> None: ...

    def list_events(self, tenant_id: str, cloud_pc_id: str) -> list[CloudPcEvent]:
        """The timeline in order; a line written more than once counts once, as its latest version."""
        ...

    def claim_device_name(self, tenant_id: str, name: str, cloud_pc_id: str) -> bool:
        """True if the name is (now) this Cloud PC's; False if another Cloud PC holds it."""
        ...

    def release_device_name(self, tenant_id: str, name: str) -> None: ...

    def add_start_check(self, tenant_id: str, due: datetime, *, creating: bool) -> str:
        """A check, due at `due`, that the tenant's pendingProvision Cloud PCs were started; its key."""
        ...

    def clear_creating(self, key: str) -> None:
        """The check's reconcile created every Cloud PC it meant to; nothing if the check is gone."""
        ...

    def list_due_start_checks(self, now: datetime, *, top: int = 1000) -> Sequence[StartCheckView]:
        """The earliest `top` checks due by `now`."""
        ...

    def delete_start_check(self, key: str) -> None: ...


class PolicyStore(Protocol):
    def get_policy(self, tenant_id: str, policy_id: str) -> ProvisioningPolicy: ...

    def find_policy(self, tenant_id: str, policy_id: str) -> ProvisioningPolicy | None: ...

    def list_policies(
        self, tenant_id: str, *, top: int = 100, skip_token: str | None = None
    ) -> tuple[list[ProvisioningPolicy], str | None]: ...

    def list_all_policies(self, tenant_id: str) -> list[ProvisioningPolicy]: ...

    def upsert_policy(
        self, policy: ProvisioningPolicy, *, if_match: str | None = None, if_none_match: bool = False
    ) -> ProvisioningPolicy: ...

    def delete_policy(self, tenant_id: str, policy_id: str, *, if_match: str | None = None) -> None: ...


class UsageStore(Protocol):
    """Cloud PCs' connected time, a row per Cloud PC per UTC day (partition = tenant)."""

    def put_usage_days(self, days: Iterable[UsageDay]) -> int: ...

    def list_usage_days(self, tenant_id: str, first: date, last: date) -> list[UsageDay]: ...


class UserSettingStore(Protocol):
    def get_user_setting(self, tenant_id: str, setting_id: str) -> UserSetting: ...

    def list_user_settings(
        self, tenant_id: str, *, top: int = 100, skip_token: str | None = None
    ) -> tuple[list[UserSetting], str | None]: ...

    def upsert_user_setting(
        self, setting: UserSetting, *, if_match: str | None = None, if_none_match: bool = False
    ) -> UserSetting: ...

    def delete_user_setting(self, tenant_id: str, setting_id: str, *, if_match: str | None = None) -> None: ...


class ConnectionStore(Protocol):
    def get_connection(self, tenant_id: str, connection_id: str) -> Connection: ...

    def find_connection(self, tenant_id: str, connection_id: str) -> Connection | None: ...

    def list_connections(
        self, tenant_id: str, *, top: int = 100, skip_token: str | None = None
    ) -> tuple[list[Connection], str | None]: ...

    def keys_unchanged_since(self, before: datetime) -> list[tuple[str, str]]:
        """In every tenant: the (tenant, connection) ids of those last changed before `before` (the health-check
        timer's due ones)."""
        ...

    def count_connections(self, tenant_id: str) -> int: ...

    def count_connections_by_health(self, tenant_id: str) -> dict[str, int]:
        """The tenant's connections counted by healthCheckStatus, reading that column only."""
        ...

    def count_connections_by_health_per_tenant(self) -> dict[str, dict[str, int]]:
        """count_connections_by_health of every tenant, in one query across tenants."""
        ...

    def any_in_site(self, tenant_id: str, site_id: str) -> bool: ...

    def upsert_connection(
        self, connection: Connection, *, if_match: str | None = None, if_none_match: bool = False
    ) -> Connection: ...

    def delete_connection(self, tenant_id: str, connection_id: str, *, if_match: str | None = None) -> None: ...


class SiteStore(Protocol):
    def get_site(self, tenant_id: str, site_id: str) -> Site: ...

    def find_site(self, tenant_id: str, site_id: str) -> Site | None: ...

    def list_sites(
        self, tenant_id: str, *, top: int = 100, skip_token: str | None = None
    ) -> tuple[list[Site], str | None]: ...

    def list_all_sites(self, tenant_id: str) -> list[Site]: ...

    def any_sites(self, tenant_id: str) -> bool: ...

    def upsert_site(self, site: Site, *, if_match: str | None = None, if_none_match: bool = False) -> Site: ...

    def upsert_sites(self, sites: Iterable[Site]) -> int:
        """Bulk upsert; no service calls it, but the integration tier seeds large lists through the ports."""
        ...

    def delete_site(self, tenant_id: str, site_id: str, *, if_match: str | None = None) -> None: ...


class DeviceImageStore(Protocol):
    def get_image(self, tenant_id: str, image_id: str) -> DeviceImage: ...

    def find_image(self, tenant_id: str, image_id: str) -> DeviceImage | None: ...

    def list_images(
        self, tenant_id: str, *, top: int = 100, skip_token: str | None = None
    ) -> tuple[list[DeviceImage], str | None]: ...

    def list_all_images(self, tenant_id: str) -> list[DeviceImage]: ...

    def any_in_site(self, tenant_id: str, site_id: str) -> bool: ...

    def upsert_image(
        self, image: DeviceImage, *, if_match: str | None = None, if_none_match: bool = False
    ) -> DeviceImage: ...

    def delete_image(self, tenant_id: str, image_id: str, *, if_match: str | None = None) -> None: ...


class DueWorkStore(Protocol):
    """Grace expiries and clean-ups, read in due-time order."""

    def upsert_due(self, work: DueWork) -> None: ...

    def list_due(self, now: datetime, *, top: int = 200) -> list[DueWork]:
        """The earliest `top` items due by `now`."""
        ...

    def delete_due(self, work: DueWork) -> None: ...


class RefusedWorkStore(Protocol):
    """A tenant's background work refused for want of a permission, one row per kind of work."""

    def find_refused(self, tenant_id: str, work: RefusedWorkKind) -> RefusedWork | None: ...

    def list_refused(self, tenant_id: str) -> list[RefusedWork]: ...

    def list_refused_per_tenant(self) -> dict[str, list[RefusedWork]]:
        """list_refused of every tenant that has any, in one query across tenants."""
        ...

    def put_refused(self, item: RefusedWork) -> None: ...

    def delete_refused(self, tenant_id: str, work: RefusedWorkKind) -> None: ...
