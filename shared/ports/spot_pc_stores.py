"""The storage ports of Spot PC: image sets with their versions, Spot Groups with their hosts, and their schedules."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime
from typing import Protocol

from shared.models.cross_tenant import CrossTenantQuery, TenantSessionHost
from shared.models.image_sets import ImageSet, ImageSetVersion, RegionImages
from shared.models.image_updates import ImageUpdate
from shared.models.session_hosts import SessionHost
from shared.models.spot_group_records import HostEviction, LoadSample, SavedSchedule, SpotGroupEvent
from shared.models.spot_groups import SpotGroup


class RegionImageStore(Protocol):
    """The marketplace images last read in each region: one list a region, whatever tenant read it."""

    def find_region_images(self, region: str) -> RegionImages | None: ...

    def list_region_images(self) -> list[RegionImages]: ...

    def put_region_images(self, images: RegionImages) -> RegionImages: ...


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

    def count_spot_groups_by_status_per_tenant(self) -> dict[str, dict[str, int]]:
        """count_spot_groups_by_status of every tenant, in one query across tenants."""
        ...

    def any_in_site(self, tenant_id: str, site_id: str) -> bool: ...

    def using_image_set(self, tenant_id: str, image_set_id: str) -> list[SpotGroup]: ...

    def put_spot_group(
        self, spot_group: SpotGroup, *, if_match: str | None = None, if_none_match: bool = False
    ) -> SpotGroup: ...

    def delete_spot_group(self, tenant_id: str, spot_group_id: str) -> None: ...

    def list_quiet(self, before: datetime, statuses: Iterable[str]) -> list[SpotGroup]: ...

    def ready_keys(self) -> list[tuple[str, str]]: ...

    def put_image_update(self, update: ImageUpdate, *, if_match: str | None = None) -> ImageUpdate: ...

    def get_image_update(self, tenant_id: str, spot_group_id: str, update_id: str) -> ImageUpdate: ...

    def list_image_updates(self, tenant_id: str, spot_group_id: str) -> list[ImageUpdate]: ...

    def list_hosts(self, tenant_id: str, spot_group_id: str) -> list[SessionHost]: ...

    def search_hosts(
        self, query: CrossTenantQuery, *, top: int = 100, skip_token: str | None = None
    ) -> tuple[list[TenantSessionHost], str | None]:
        """A page of the session hosts of several tenants, searched, filtered and sorted as the query says."""
        ...

    def find_host_group(self, tenant_id: str, vm_name: str) -> str | None:
        """The id of the tenant's group that has a host of this VM name (None: no group has)."""
        ...

    def put_host(self, tenant_id: str, spot_group_id: str, host: SessionHost) -> SessionHost: ...

    def delete_host(self, tenant_id: str, spot_group_id: str, index: int) -> None: ...


class SpotGroupScheduleStore(Protocol):
    """A pooled Spot Group's saved schedule, the timeline of its decisions, the load recorded at each run and its
    hosts' evictions."""

    def find_schedule(self, tenant_id: str, spot_group_id: str) -> SavedSchedule | None: ...

    def put_schedule(self, schedule: SavedSchedule, *, if_match: str | None = None) -> SavedSchedule: ...

    def delete_schedule(self, tenant_id: str, spot_group_id: str, *, if_match: str | None = None) -> None: ...

    def put_events(self, tenant_id: str, spot_group_id: str, slot: datetime, events: list[SpotGroupEvent]) -> None:
        """One run's lines: written again, a line of the same slot, host and action replaces its first writing."""
        ...

    def list_events(
        self,
        tenant_id: str,
        spot_group_id: str,
        *,
        top: int = 100,
        skip_token: str | None = None,
        actions: Collection[str] | None = None,
    ) -> tuple[list[SpotGroupEvent], str | None]:
        """Newest first; with `actions`, only the lines of those actions."""
        ...

    def record_load(
        self, tenant_id: str, spot_group_id: str, slot: datetime, sample: LoadSample, *, keep_since: datetime
    ) -> None:
        """One run's sample (a repeat in the slot replaces it), the ones before `keep_since` pruned."""
        ...

    def list_loads(self, tenant_id: str, spot_group_id: str, since: datetime) -> list[LoadSample]:
        """Oldest first."""
        ...

    def create_eviction(self, tenant_id: str, spot_group_id: str, eviction: HostEviction) -> HostEviction:
        """Create-only: Conflict when the eviction (its EventId) is recorded already."""
        ...

    def find_eviction(self, tenant_id: str, spot_group_id: str, eviction_id: str) -> HostEviction | None: ...

    def put_eviction(self, tenant_id: str, spot_group_id: str, eviction: HostEviction) -> HostEviction: ...

    def delete_eviction(self, tenant_id: str, spot_group_id: str, eviction: HostEviction) -> None: ...

    def list_evictions(
        self, tenant_id: str, spot_group_id: str, *, top: int = 100, skip_token: str | None = None
    ) -> tuple[list[HostEviction], str | None]:
        """Newest first (by the time Azure takes the VM)."""
        ...

    def forget_group(self, tenant_id: str, spot_group_id: str) -> None: ...
