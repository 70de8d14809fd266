"""The storage ports the services and triggers depend on, read in one place: one small Protocol per repository.

Each lists only the methods a service or trigger calls, with the Table Storage repository's signature, so the
repositories in shared/storage satisfy them structurally and unit tests can pass in-memory fakes instead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any, Protocol, TypeVar

from shared.models.access import AuditRecord, RoleAssignment
from shared.models.cloud_pc_actions import BulkAction, BulkActionItem
from shared.models.cloud_pcs import CloudPc, CloudPcEvent
from shared.models.connections import Connection
from shared.models.image_sets import ImageSet, ImageSetVersion
from shared.models.images import DeviceImage
from shared.models.lifecycle import DueWork
from shared.models.policies import ProvisioningPolicy
from shared.models.refused_work import RefusedWork, RefusedWorkKind
from shared.models.sites import Site
from shared.models.spot_group_records import LoadSample, SavedSchedule, SpotGroupEvent
from shared.models.spot_groups import ImageUpdate, SessionHost, SpotGroup
from shared.models.tenants import Tenant
from shared.models.user_settings import UserSetting
from shared.storage.change_capture import Intent

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
        top: int = 100,
        skip_token: str | None = None,
    ) -> tuple[list[CloudPc], str | None]:
        """`filters`: stored property names and the values they must equal; `search`: a prefix of the user
        principal name, display name or device name, in any case."""
        ...

    def count_cloud_pcs_by_status(self, tenant_id: str) -> dict[str, int]:
        """The tenant's Cloud PCs counted by status, reading the status column only."""
        ...

    def list_all_cloud_pcs(self, tenant_id: str) -> list[CloudPc]: ...

    def list_users_cloud_pcs(self, tenant_id: str, user_id: str) -> list[CloudPc]: ...

    def list_cloud_pcs_in_status(self, tenant_id: str, status: str) -> list[CloudPc]: ...

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

    def list_all_connections(self) -> list[Connection]:
        """Every tenant's connections (the health-check timer)."""
        ...

    def count_connections(self, tenant_id: str) -> int: ...

    def count_connections_by_health(self, tenant_id: str) -> dict[str, int]:
        """The tenant's connections counted by healthCheckStatus, reading that column only."""
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


class ImageSetStore(Protocol):
    def get_image_set(self, tenant_id: str, image_set_id: str) -> ImageSet: ...

    def find_image_set(self, tenant_id: str, image_set_id: str) -> ImageSet | None: ...

    def list_image_sets(
        self, tenant_id: str, *, top: int = 100, skip_token: str | None = None
    ) -> tuple[list[ImageSet], str | None]: ...

    def any_in_site(self, tenant_id: str, site_id: str) -> bool: ...

    def put_image_set(
        self, image_set: ImageSet, *, if_match: str | None = None, if_none_match: bool = False
    ) -> ImageSet: ...

    def delete_image_set(self, tenant_id: str, image_set_id: str) -> None: ...

    def get_version(self, tenant_id: str, image_set_id: str, version: str) -> ImageSetVersion: ...

    def find_version(self, tenant_id: str, image_set_id: str, version: str) -> ImageSetVersion | None: ...

    def list_versions(self, tenant_id: str, image_set_id: str) -> list[ImageSetVersion]: ...

    def put_version(
        self, version: ImageSetVersion, *, if_match: str | None = None, if_none_match: bool = False
    ) -> ImageSetVersion: ...

    def delete_version(self, tenant_id: str, image_set_id: str, version: str) -> None: ...

    def list_quiet(self, before: datetime, statuses: Iterable[str]) -> tuple[list[ImageSet], list[ImageSetVersion]]: ...


class SpotGroupStore(Protocol):
    def get_spot_group(self, tenant_id: str, spot_group_id: str) -> SpotGroup: ...

    def find_spot_group(self, tenant_id: str, spot_group_id: str) -> SpotGroup | None: ...

    def list_spot_groups(
        self, tenant_id: str, *, top: int = 100, skip_token: str | None = None
    ) -> tuple[list[SpotGroup], str | None]: ...

    def count_spot_groups_by_status(self, tenant_id: str) -> dict[str, int]:
        """The tenant's Spot Groups counted by status, reading the status column only."""
        ...

    def any_in_site(self, tenant_id: str, site_id: str) -> bool: ...

    def using_image_set(self, tenant_id: str, image_set_id: str) -> list[SpotGroup]: ...

    def put_spot_group(
        self, spot_group: SpotGroup, *, if_match: str | None = None, if_none_match: bool = False
    ) -> SpotGroup: ...

    def delete_spot_group(self, tenant_id: str, spot_group_id: str) -> None: ...

    def list_quiet(self, before: datetime, statuses: Iterable[str]) -> list[SpotGroup]: ...

    def list_ready(self) -> list[SpotGroup]: ...

    def put_image_update(self, update: ImageUpdate, *, if_match: str | None = None) -> ImageUpdate: ...

    def get_image_update(self, tenant_id: str, spot_group_id: str, update_id: str) -> ImageUpdate: ...

    def list_image_updates(self, tenant_id: str, spot_group_id: str) -> list[ImageUpdate]: ...

    def list_hosts(self, tenant_id: str, spot_group_id: str) -> list[SessionHost]: ...

    def put_host(self, tenant_id: str, spot_group_id: str, host: SessionHost) -> SessionHost: ...

    def delete_host(self, tenant_id: str, spot_group_id: str, index: int) -> None: ...


class SpotGroupScheduleStore(Protocol):
    """A pooled Spot Group's saved schedule, the timeline of its decisions and the load recorded at each run."""

    def find_schedule(self, tenant_id: str, spot_group_id: str) -> SavedSchedule | None: ...

    def put_schedule(self, schedule: SavedSchedule, *, if_match: str | None = None) -> SavedSchedule: ...

    def delete_schedule(self, tenant_id: str, spot_group_id: str, *, if_match: str | None = None) -> None: ...

    def put_events(self, tenant_id: str, spot_group_id: str, slot: datetime, events: list[SpotGroupEvent]) -> None:
        """One run's lines: written again, a line of the same slot, host and action replaces its first writing."""
        ...

    def list_events(
        self, tenant_id: str, spot_group_id: str, *, top: int = 100, skip_token: str | None = None
    ) -> tuple[list[SpotGroupEvent], str | None]:
        """Newest first."""
        ...

    def record_load(self, tenant_id: str, spot_group_id: str, slot: datetime, sample: LoadSample,
                    *, keep_since: datetime) -> None:  # fmt: skip
        """One run's sample (a repeat in the slot replaces it), the ones before `keep_since` pruned."""
        ...

    def list_loads(self, tenant_id: str, spot_group_id: str, since: datetime) -> list[LoadSample]:
        """Oldest first."""
        ...

    def forget_group(self, tenant_id: str, spot_group_id: str) -> None: ...


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

    def put_refused(self, item: RefusedWork) -> None: ...

    def delete_refused(self, tenant_id: str, work: RefusedWorkKind) -> None: ...


class TenantStore(Protocol):
    def get_tenant(self, tenant_id: str) -> Tenant: ...

    def find_tenant(self, tenant_id: str, *, max_age: float = 0.0) -> Tenant | None:
        """None when there is none; with `max_age`, the tenant as this process read it at most that many seconds ago
        will do (a change made here is seen at once)."""

    def list_tenants(self, *, top: int = 100, skip_token: str | None = None) -> tuple[list[Tenant], str | None]: ...

    def list_tenants_among(
        self, tenant_ids: Iterable[str], *, top: int = 100, skip_token: str | None = None
    ) -> tuple[list[Tenant], str | None]: ...

    def iter_tenants(self) -> Iterator[Tenant]: ...

    def find_tenant_by_entra_id(self, entra_tenant_id: str) -> Tenant | None: ...

    def upsert_tenant(self, tenant: Tenant, *, if_match: str | None = None, if_none_match: bool = False) -> Tenant: ...

    def delete_tenant(self, tenant_id: str, *, if_match: str | None = None) -> None: ...


class UniqueValueStore(Protocol):
    def claim(self, scope: str, value: str, owner_id: str, *, holds: Callable[[str], bool]) -> str: ...

    def release(self, scope: str, value: str, owner_id: str) -> None: ...


class AuditEventStore(Protocol):
    def insert_pending(self, record: AuditRecord) -> None: ...

    def note_intent(self, record: AuditRecord, intent: Intent) -> None: ...

    def settle(self, pending: AuditRecord, settled: AuditRecord) -> None: ...

    def insert_event(self, record: AuditRecord) -> None: ...

    def list_pending(self, *, older_than: datetime) -> list[AuditRecord]: ...

    def row_at(self, location: list[str]) -> dict[str, Any] | None: ...

    def list_events(
        self,
        tenant_id: str,
        *,
        actor_id: str | None = None,
        resource_type: str | None = None,
        since: datetime | None = None,
        top: int = 100,
        skip_token: str | None = None,
    ) -> tuple[list[AuditRecord], str | None]: ...


class RoleAssignmentStore(Protocol):
    def find_role_assignment(self, tenant_id: str, principal_id: str, *, max_age: float = 0.0) -> RoleAssignment | None:
        """The principal's role assignment on the tenant, if any; `max_age` as in TenantStore.find_tenant."""

    def get_role_assignment(self, tenant_id: str, assignment_id: str) -> RoleAssignment: ...

    def list_role_assignments(self, tenant_id: str) -> list[RoleAssignment]: ...

    def list_principal_assignments(self, principal_id: str) -> list[RoleAssignment]: ...

    def insert_role_assignment(self, assignment: RoleAssignment) -> RoleAssignment: ...

    def delete_role_assignment(self, assignment: RoleAssignment, *, keep_owner: RoleAssignment | None) -> None: ...

    def delete_tenant_assignments(self, tenant_id: str) -> int: ...
