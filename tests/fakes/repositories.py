"""In-memory repositories with the Table Storage ones' contract: etags, create-only, NotFound, paging, ordering."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import Generic, TypeVar

from pydantic import BaseModel

from shared.errors import Conflict, NotFound, PreconditionFailed
from shared.models.cloud_pcs import CloudPc, CloudPcEvent
from shared.models.connections import Connection
from shared.models.image_sets import UNDER_WAY, ImageSet, ImageSetVersion
from shared.models.images import DeviceImage
from shared.models.lifecycle import DueWork
from shared.models.policies import ProvisioningPolicy
from shared.models.sites import Site
from shared.models.spot_groups import BUSY, ImageUpdate, SessionHost, SpotGroup
from shared.models.tenants import Tenant
from shared.storage.cloud_pcs import StartCheck, found
from shared.storage.image_sets import version_row
from shared.storage.spot_groups import host_row
from shared.storage.tables import decode_skip_token, encode_skip_token

M = TypeVar("M", bound=BaseModel)
_etags = itertools.count(1)  # one sequence for every fake table, so no two writes ever share an etag


def _copy(item: M) -> M:
    return item.model_copy(deep=True)


def _with_etag(item: M, etag: str) -> M:
    return item.model_copy(update={"etag": etag}, deep=True) if "etag" in type(item).model_fields else _copy(item)


class FakeTable(Generic[M]):
    """One table: rows by (partition key, row key) in key order, as Table Storage returns them.

    `writes` counts successful writes (tests use it to show a repeated call wrote nothing new).
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.rows: dict[tuple[str, str], tuple[M, str]] = {}
        self.writes = 0

    def get(self, partition_key: str, row_key: str, target: str) -> M:
        found = self.find(partition_key, row_key)
        if found is None:
            raise NotFound.resource(self.kind, row_key or partition_key, target)
        return found

    def find(self, partition_key: str, row_key: str) -> M | None:
        row = self.rows.get((partition_key, row_key))
        return None if row is None else _with_etag(*row)

    def put(
        self, item: M, partition_key: str, row_key: str, *, if_match: str | None = None, if_none_match: bool = False
    ) -> M:
        """Create-only (Conflict), replace-if-etag-matches (PreconditionFailed, NotFound), or upsert."""
        key = (partition_key, row_key)
        current = self.rows.get(key)
        if if_none_match and current is not None:
            raise Conflict(f"{self.kind} '{row_key}' already exists.", code="alreadyExists", target="id")
        if if_match and current is None:
            raise NotFound.resource(self.kind, row_key, "id")
        if if_match and if_match != "*" and current is not None and current[1] != if_match:
            raise PreconditionFailed.stale(self.kind, row_key)
        return self._store(key, item)

    def merge(self, item: M, partition_key: str, row_key: str, fields: Iterable[str]) -> None:
        """Only `fields` of `item` onto the stored row; NotFound without one."""
        key = (partition_key, row_key)
        current = self.rows.get(key)
        if current is None:
            raise NotFound.resource(self.kind, row_key, "id")
        # the real merge writes an entity's properties, and a None value is no property: it never clears a field
        changes = {name: value for name in fields if (value := getattr(item, name)) is not None}
        self._store(key, current[0].model_copy(update=changes))

    def delete(self, partition_key: str, row_key: str, *, if_match: str | None = None) -> None:
        """Idempotent; with an etag, PreconditionFailed when the row changed since."""
        current = self.rows.get((partition_key, row_key))
        if current is None:
            return
        if if_match and if_match != "*" and current[1] != if_match:
            raise PreconditionFailed.stale(self.kind, row_key)
        del self.rows[(partition_key, row_key)]
        self.writes += 1

    def scan(self, where: Callable[[str, str, M], bool] | None = None) -> list[M]:
        return [_with_etag(*self.rows[key]) for key in self._keys(where)]

    def page(
        self, where: Callable[[str, str, M], bool] | None = None, *, top: int = 100, skip_token: str | None = None
    ) -> tuple[list[M], str | None]:
        """Up to `top` matches after the skip token's key, and the token of the next match (None at the end)."""
        start = decode_skip_token(skip_token)  # a token this fake did not issue fails as the real one does
        after = (start["PartitionKey"], start["RowKey"]) if start else None
        keys = [key for key in self._keys(where) if after is None or key >= after]
        chosen, rest = keys[:top], keys[top:]
        token = encode_skip_token({"PartitionKey": rest[0][0], "RowKey": rest[0][1]}) if rest else None
        return [_with_etag(*self.rows[key]) for key in chosen], token

    def _keys(self, where: Callable[[str, str, M], bool] | None) -> list[tuple[str, str]]:
        return [key for key in sorted(self.rows) if where is None or where(*key, self.rows[key][0])]

    def _store(self, key: tuple[str, str], item: M) -> M:
        etag = f"W/\"datetime'{next(_etags):012d}'\""
        self.rows[key] = (_copy(item), etag)
        self.writes += 1
        return _with_etag(item, etag)


class FakeCloudPcs:
    def __init__(self) -> None:
        self.table: FakeTable[CloudPc] = FakeTable("Cloud PC")
        self.timelines: dict[tuple[str, str], dict[str, CloudPcEvent]] = {}
        self.device_names: dict[tuple[str, str], str] = {}  # (tenant, name) -> the Cloud PC holding it
        self.start_checks: FakeTable[StartCheck] = FakeTable("Start check")  # one partition, keys sort by due time
        self._check_ids = itertools.count(1)

    def get_cloud_pc(self, tenant_id: str, cloud_pc_id: str) -> CloudPc:
        return self.table.get(tenant_id, cloud_pc_id, target="cloudPcId")

    def find_cloud_pc(self, tenant_id: str, cloud_pc_id: str) -> CloudPc | None:
        return self.table.find(tenant_id, cloud_pc_id)

    def list_cloud_pcs(
        self,
        tenant_id: str,
        filters: dict[str, str],
        *,
        search: str | None = None,
        top: int = 100,
        skip_token: str | None = None,
    ) -> tuple[list[CloudPc], str | None]:
        def matches(pk: str, rk: str, item: CloudPc) -> bool:  # filters name stored (camelCase) properties
            stored = item.model_dump(by_alias=True, mode="json")
            wanted = all(str(stored.get(name)) == value for name, value in filters.items())
            return pk == tenant_id and wanted and (not search or found(item, search))

        return self.table.page(matches, top=top, skip_token=skip_token)

    def count_cloud_pcs_by_status(self, tenant_id: str) -> dict[str, int]:
        return dict(Counter(c.status for c in self.table.scan(lambda pk, rk, c: pk == tenant_id)))

    def list_all_cloud_pcs(self, tenant_id: str) -> list[CloudPc]:
        return self.table.scan(lambda pk, rk, c: pk == tenant_id)

    def list_users_cloud_pcs(self, tenant_id: str, user_id: str) -> list[CloudPc]:
        return self.table.scan(lambda pk, rk, c: pk == tenant_id and c.user_id == user_id)

    def list_cloud_pcs_in_status(self, tenant_id: str, status: str) -> list[CloudPc]:
        return self.table.scan(lambda pk, rk, c: pk == tenant_id and c.status == status)

    def list_cloud_pcs_of_plan(self, tenant_id: str, plan_id: str) -> list[CloudPc]:
        return self.table.scan(lambda pk, rk, c: pk == tenant_id and c.service_plan_id == plan_id)

    def insert_cloud_pcs(self, cloud_pcs: Iterable[CloudPc]) -> list[CloudPc]:
        created = []
        for cloud_pc in cloud_pcs:
            try:
                created.append(self.table.put(cloud_pc, cloud_pc.tenant_id, cloud_pc.id, if_none_match=True))
            except Conflict:
                continue
        return created

    def upsert_cloud_pc(self, cloud_pc: CloudPc, *, if_match: str | None = None) -> CloudPc:
        return self.table.put(cloud_pc, cloud_pc.tenant_id, cloud_pc.id, if_match=if_match)

    def merge_cloud_pc(self, cloud_pc: CloudPc, fields: Iterable[str]) -> None:
        self.table.merge(cloud_pc, cloud_pc.tenant_id, cloud_pc.id, fields)

    def delete_cloud_pc(self, tenant_id: str, cloud_pc_id: str, *, if_match: str | None = None) -> None:
        self.table.delete(tenant_id, cloud_pc_id, if_match=if_match)

    def upsert_event(self, tenant_id: str, event: CloudPcEvent) -> None:
        self.upsert_events(tenant_id, [event])

    def upsert_events(self, tenant_id: str, events: Iterable[CloudPcEvent]) -> None:
        for event in events:
            lines = self.timelines.setdefault((tenant_id, event.cloud_pc_id), {})
            known = lines.get(event.id)
            if known is None or event.date_time >= known.date_time:  # as the real one reads back: the latest
                lines[event.id] = _copy(event)

    def list_events(self, tenant_id: str, cloud_pc_id: str) -> list[CloudPcEvent]:
        lines = self.timelines.get((tenant_id, cloud_pc_id), {}).values()
        return [_copy(e) for e in sorted(lines, key=lambda e: (e.start_date_time or e.date_time, e.id))]

    def claim_device_name(self, tenant_id: str, name: str, cloud_pc_id: str) -> bool:
        owner = self.device_names.setdefault((tenant_id, name), cloud_pc_id)
        return owner == cloud_pc_id

    def release_device_name(self, tenant_id: str, name: str) -> None:
        self.device_names.pop((tenant_id, name), None)

    def add_start_check(self, tenant_id: str, due: datetime, *, creating: bool) -> str:
        key = f"{due:%Y%m%dT%H%M%S%f}|{tenant_id}|{next(self._check_ids):012d}"
        self.start_checks.put(StartCheck(key=key, tenant_id=tenant_id, creating=creating), "due", key)
        return key

    def clear_creating(self, key: str) -> None:
        check = self.start_checks.find("due", key)
        if check is not None:
            self.start_checks.merge(check.model_copy(update={"creating": False}), "due", key, ["creating"])

    def list_due_start_checks(self, now: datetime, *, top: int = 1000) -> list[StartCheck]:
        bound = f"{now:%Y%m%dT%H%M%S%f}|~"
        checks, _ = self.start_checks.page(lambda pk, rk, c: rk <= bound, top=top)
        return checks

    def delete_start_check(self, key: str) -> None:
        self.start_checks.delete("due", key)


class FakePolicies:
    def __init__(self) -> None:
        self.table: FakeTable[ProvisioningPolicy] = FakeTable("Provisioning policy")

    def get_policy(self, tenant_id: str, policy_id: str) -> ProvisioningPolicy:
        return self.table.get(tenant_id, policy_id, target="policyId")

    def find_policy(self, tenant_id: str, policy_id: str) -> ProvisioningPolicy | None:
        return self.table.find(tenant_id, policy_id)

    def list_policies(
        self, tenant_id: str, *, top: int = 100, skip_token: str | None = None
    ) -> tuple[list[ProvisioningPolicy], str | None]:
        return self.table.page(lambda pk, rk, p: pk == tenant_id, top=top, skip_token=skip_token)

    def list_all_policies(self, tenant_id: str) -> list[ProvisioningPolicy]:
        return self.table.scan(lambda pk, rk, p: pk == tenant_id)

    def upsert_policy(
        self, policy: ProvisioningPolicy, *, if_match: str | None = None, if_none_match: bool = False
    ) -> ProvisioningPolicy:
        return self.table.put(policy, policy.tenant_id, policy.id, if_match=if_match, if_none_match=if_none_match)

    def delete_policy(self, tenant_id: str, policy_id: str, *, if_match: str | None = None) -> None:
        self.table.delete(tenant_id, policy_id, if_match=if_match)


class FakeConnections:
    def __init__(self) -> None:
        self.table: FakeTable[Connection] = FakeTable("Connection")

    def get_connection(self, tenant_id: str, connection_id: str) -> Connection:
        return self.table.get(tenant_id, connection_id, target="connectionId")

    def find_connection(self, tenant_id: str, connection_id: str) -> Connection | None:
        return self.table.find(tenant_id, connection_id)

    def list_connections(
        self, tenant_id: str, *, top: int = 100, skip_token: str | None = None
    ) -> tuple[list[Connection], str | None]:
        return self.table.page(lambda pk, rk, c: pk == tenant_id, top=top, skip_token=skip_token)

    def list_all_connections(self) -> list[Connection]:
        return self.table.scan()

    def count_connections(self, tenant_id: str) -> int:
        return len(self.table.scan(lambda pk, rk, c: pk == tenant_id))

    def count_connections_by_health(self, tenant_id: str) -> dict[str, int]:
        return dict(Counter(c.health_check_status for c in self.table.scan(lambda pk, rk, c: pk == tenant_id)))

    def any_in_site(self, tenant_id: str, site_id: str) -> bool:
        return bool(self.table.scan(lambda pk, rk, c: pk == tenant_id and c.site_id == site_id))

    def upsert_connection(
        self, connection: Connection, *, if_match: str | None = None, if_none_match: bool = False
    ) -> Connection:
        return self.table.put(
            connection, connection.tenant_id, connection.id, if_match=if_match, if_none_match=if_none_match
        )

    def delete_connection(self, tenant_id: str, connection_id: str, *, if_match: str | None = None) -> None:
        self.table.delete(tenant_id, connection_id, if_match=if_match)


class FakeSites:
    def __init__(self) -> None:
        self.table: FakeTable[Site] = FakeTable("Site")

    def get_site(self, tenant_id: str, site_id: str) -> Site:
        return self.table.get(tenant_id, site_id, target="siteId")

    def find_site(self, tenant_id: str, site_id: str) -> Site | None:
        return self.table.find(tenant_id, site_id)

    def list_sites(
        self, tenant_id: str, *, top: int = 100, skip_token: str | None = None
    ) -> tuple[list[Site], str | None]:
        return self.table.page(lambda pk, rk, s: pk == tenant_id, top=top, skip_token=skip_token)

    def list_all_sites(self, tenant_id: str) -> list[Site]:
        return self.table.scan(lambda pk, rk, s: pk == tenant_id)

    def any_sites(self, tenant_id: str) -> bool:
        return bool(self.list_all_sites(tenant_id))

    def upsert_site(self, site: Site, *, if_match: str | None = None, if_none_match: bool = False) -> Site:
        return self.table.put(site, site.tenant_id, site.id, if_match=if_match, if_none_match=if_none_match)

    def upsert_sites(self, sites: Iterable[Site]) -> int:
        count = 0
        for site in sites:
            self.table.put(site, site.tenant_id, site.id)
            count += 1
        return count

    def delete_site(self, tenant_id: str, site_id: str, *, if_match: str | None = None) -> None:
        self.table.delete(tenant_id, site_id, if_match=if_match)


class FakeDeviceImages:
    def __init__(self) -> None:
        self.table: FakeTable[DeviceImage] = FakeTable("Device image")

    def get_image(self, tenant_id: str, image_id: str) -> DeviceImage:
        return self.table.get(tenant_id, image_id, target="imageId")

    def find_image(self, tenant_id: str, image_id: str) -> DeviceImage | None:
        return self.table.find(tenant_id, image_id)

    def list_images(
        self, tenant_id: str, *, top: int = 100, skip_token: str | None = None
    ) -> tuple[list[DeviceImage], str | None]:
        return self.table.page(lambda pk, rk, i: pk == tenant_id, top=top, skip_token=skip_token)

    def list_all_images(self, tenant_id: str) -> list[DeviceImage]:
        return self.table.scan(lambda pk, rk, i: pk == tenant_id)

    def any_in_site(self, tenant_id: str, site_id: str) -> bool:
        return bool(self.table.scan(lambda pk, rk, i: pk == tenant_id and i.site_id == site_id))

    def upsert_image(
        self, image: DeviceImage, *, if_match: str | None = None, if_none_match: bool = False
    ) -> DeviceImage:
        return self.table.put(image, image.tenant_id, image.id, if_match=if_match, if_none_match=if_none_match)

    def delete_image(self, tenant_id: str, image_id: str, *, if_match: str | None = None) -> None:
        self.table.delete(tenant_id, image_id, if_match=if_match)


class FakeImageSets:
    def __init__(self, clock: Callable[[], datetime]) -> None:
        self.sets: FakeTable[ImageSet] = FakeTable("Image set")
        self.versions: FakeTable[ImageSetVersion] = FakeTable("Image set version")
        self.clock = clock
        self.written: dict[tuple[str, str], datetime] = {}  # (kind, key) -> when: Table Storage's Timestamp

    def get_image_set(self, tenant_id: str, image_set_id: str) -> ImageSet:
        return self.sets.get(tenant_id, image_set_id, target="imageSetId")

    def find_image_set(self, tenant_id: str, image_set_id: str) -> ImageSet | None:
        return self.sets.find(tenant_id, image_set_id)

    def list_image_sets(
        self, tenant_id: str, *, top: int = 100, skip_token: str | None = None
    ) -> tuple[list[ImageSet], str | None]:
        return self.sets.page(lambda pk, rk, i: pk == tenant_id, top=top, skip_token=skip_token)

    def any_in_site(self, tenant_id: str, site_id: str) -> bool:
        return bool(self.sets.scan(lambda pk, rk, i: pk == tenant_id and i.site_id == site_id))

    def put_image_set(
        self, image_set: ImageSet, *, if_match: str | None = None, if_none_match: bool = False
    ) -> ImageSet:
        tenant_id, image_set_id = image_set.tenant_id, image_set.id
        saved = self.sets.put(image_set, tenant_id, image_set_id, if_match=if_match, if_none_match=if_none_match)
        self.written[("set", f"{tenant_id}/{image_set_id}")] = self.clock()
        return saved

    def delete_image_set(self, tenant_id: str, image_set_id: str) -> None:
        self.sets.delete(tenant_id, image_set_id)

    def get_version(self, tenant_id: str, image_set_id: str, version: str) -> ImageSetVersion:
        found = self.find_version(tenant_id, image_set_id, version)
        if found is None:
            self.get_image_set(tenant_id, image_set_id)
            raise NotFound.resource("Image set version", version, "version")
        return found

    def find_version(self, tenant_id: str, image_set_id: str, version: str) -> ImageSetVersion | None:
        try:
            return self.versions.find(tenant_id, version_row(image_set_id, version))
        except ValueError:
            return None

    def list_versions(self, tenant_id: str, image_set_id: str) -> list[ImageSetVersion]:
        return self.versions.scan(lambda pk, rk, i: pk == tenant_id and i.image_set_id == image_set_id)

    def put_version(
        self, version: ImageSetVersion, *, if_match: str | None = None, if_none_match: bool = False
    ) -> ImageSetVersion:
        row = version_row(version.image_set_id, version.version)
        saved = self.versions.put(version, version.tenant_id, row, if_match=if_match, if_none_match=if_none_match)
        self.written[("version", f"{version.tenant_id}/{row}")] = self.clock()
        return saved

    def list_quiet(self, before: datetime) -> tuple[list[ImageSet], list[ImageSetVersion]]:
        def quiet(kind: str, key: str) -> bool:
            return self.written.get((kind, key), before) < before

        sets = self.sets.scan(lambda pk, rk, i: i.status == "deleting" and quiet("set", f"{pk}/{rk}"))
        busy = UNDER_WAY | {"deleting"}
        versions = self.versions.scan(lambda pk, rk, i: i.status in busy and quiet("version", f"{pk}/{rk}"))
        return sets, versions

    def delete_version(self, tenant_id: str, image_set_id: str, version: str) -> None:
        self.versions.delete(tenant_id, version_row(image_set_id, version))


class FakeSpotGroups:
    def __init__(self, clock: Callable[[], datetime]) -> None:
        self.groups: FakeTable[SpotGroup] = FakeTable("Spot Group")
        self.hosts: FakeTable[SessionHost] = FakeTable("Session host")
        self.updates: FakeTable[ImageUpdate] = FakeTable("Image update")
        self.clock = clock
        self.written: dict[tuple[str, str], datetime] = {}  # (tenant, group) -> when: Table Storage's Timestamp

    def get_spot_group(self, tenant_id: str, spot_group_id: str) -> SpotGroup:
        return self.groups.get(tenant_id, spot_group_id, target="spotGroupId")

    def find_spot_group(self, tenant_id: str, spot_group_id: str) -> SpotGroup | None:
        return self.groups.find(tenant_id, spot_group_id)

    def list_spot_groups(
        self, tenant_id: str, *, top: int = 100, skip_token: str | None = None
    ) -> tuple[list[SpotGroup], str | None]:
        return self.groups.page(lambda pk, rk, i: pk == tenant_id, top=top, skip_token=skip_token)

    def count_spot_groups_by_status(self, tenant_id: str) -> dict[str, int]:
        return dict(Counter(g.status for g in self.groups.scan(lambda pk, rk, g: pk == tenant_id)))

    def any_in_site(self, tenant_id: str, site_id: str) -> bool:
        return bool(self.groups.scan(lambda pk, rk, i: pk == tenant_id and i.site_id == site_id))

    def using_image_set(self, tenant_id: str, image_set_id: str) -> list[SpotGroup]:
        return self.groups.scan(lambda pk, rk, i: pk == tenant_id and i.image_set_id == image_set_id)

    def put_spot_group(
        self, spot_group: SpotGroup, *, if_match: str | None = None, if_none_match: bool = False
    ) -> SpotGroup:
        tenant_id, group_id = spot_group.tenant_id, spot_group.id
        saved = self.groups.put(spot_group, tenant_id, group_id, if_match=if_match, if_none_match=if_none_match)
        self.written[(tenant_id, group_id)] = self.clock()
        return saved

    def list_ready(self) -> list[SpotGroup]:
        return self.groups.scan(lambda pk, rk, i: i.status == "ready")

    def list_quiet(self, before: datetime) -> list[SpotGroup]:
        return self.groups.scan(
            lambda pk, rk, i: i.status in BUSY and self.written.get((pk, rk), before) < before
        )

    def delete_spot_group(self, tenant_id: str, spot_group_id: str) -> None:
        self.groups.delete(tenant_id, spot_group_id)

    def list_hosts(self, tenant_id: str, spot_group_id: str) -> list[SessionHost]:
        return self.hosts.scan(lambda pk, rk, i: pk == tenant_id and rk.startswith(f"{spot_group_id}_"))

    def put_image_update(self, update: ImageUpdate, *, if_match: str | None = None) -> ImageUpdate:
        return self.updates.put(update, update.tenant_id, f"{update.spot_group_id}_{update.id}", if_match=if_match)

    def get_image_update(self, tenant_id: str, spot_group_id: str, update_id: str) -> ImageUpdate:
        return self.updates.get(tenant_id, f"{spot_group_id}_{update_id}", target="updateId")

    def list_image_updates(self, tenant_id: str, spot_group_id: str) -> list[ImageUpdate]:
        found = self.updates.scan(lambda pk, rk, i: pk == tenant_id and i.spot_group_id == spot_group_id)
        return sorted(found, key=lambda u: u.created_date_time, reverse=True)

    def put_host(self, tenant_id: str, spot_group_id: str, host: SessionHost) -> SessionHost:
        return self.hosts.put(host, tenant_id, host_row(spot_group_id, host.index))

    def delete_host(self, tenant_id: str, spot_group_id: str, index: int) -> None:
        self.hosts.delete(tenant_id, host_row(spot_group_id, index))


class FakeDueWork:
    """One partition whose row keys sort by due time, read by the same key-range bound as the real index."""

    def __init__(self) -> None:
        self.table: FakeTable[DueWork] = FakeTable("Due work")

    def upsert_due(self, work: DueWork) -> None:
        self.table.put(work, "due", work.key)

    def list_due(self, now: datetime, *, top: int = 200) -> list[DueWork]:
        bound = f"{now:%Y%m%dT%H%M%S%f}|~"
        items, _ = self.table.page(lambda pk, rk, w: rk <= bound, top=top)
        return items

    def delete_due(self, work: DueWork) -> None:
        self.table.delete("due", work.key)

    @property
    def items(self) -> list[DueWork]:
        """Everything scheduled, due or not, earliest first."""
        return self.table.scan()


class FakeTenants:
    def __init__(self) -> None:
        self.table: FakeTable[Tenant] = FakeTable("Tenant")

    def get_tenant(self, tenant_id: str) -> Tenant:
        tenant = self.find_tenant(tenant_id)
        if tenant is None:
            raise NotFound.resource("Tenant", tenant_id, "tenantId")
        return tenant

    def find_tenant(self, tenant_id: str) -> Tenant | None:
        return self.table.find(tenant_id, "tenant")

    def list_tenants(self, *, top: int = 100, skip_token: str | None = None) -> tuple[list[Tenant], str | None]:
        return self.table.page(top=top, skip_token=skip_token)

    def iter_tenants(self) -> Iterator[Tenant]:
        return iter(self.table.scan())

    def list_tenants_among(
        self, tenant_ids: Iterable[str], *, top: int = 100, skip_token: str | None = None
    ) -> tuple[list[Tenant], str | None]:
        wanted = set(tenant_ids)
        ordered = sorted((t for t in self.table.scan() if t.id in wanted), key=lambda t: (t.display_name.lower(), t.id))
        offset = (decode_skip_token(skip_token) or {}).get("offset", 0)
        rest = offset + top
        return ordered[offset:rest], encode_skip_token({"offset": rest}) if rest < len(ordered) else None

    def find_tenant_by_entra_id(self, entra_tenant_id: str) -> Tenant | None:
        found = self.table.scan(lambda pk, rk, t: t.entra_tenant_id == entra_tenant_id)
        return found[0] if found else None

    def upsert_tenant(self, tenant: Tenant, *, if_match: str | None = None, if_none_match: bool = False) -> Tenant:
        return self.table.put(tenant, tenant.id, "tenant", if_match=if_match, if_none_match=if_none_match)

    def delete_tenant(self, tenant_id: str, *, if_match: str | None = None) -> None:
        self.table.delete(tenant_id, "tenant", if_match=if_match)


class FakeUniqueValues:
    """Claims by (scope, value, case-insensitive); a claim whose owner does not hold the value is taken over."""

    def __init__(self) -> None:
        self.owners: dict[tuple[str, str], str] = {}

    def claim(self, scope: str, value: str, owner_id: str, *, holds: Callable[[str], bool]) -> str:
        key = (scope, value.strip().lower())
        current = self.owners.get(key)
        if current is not None and current != owner_id and holds(current):
            return current
        self.owners[key] = owner_id
        return owner_id

    def release(self, scope: str, value: str, owner_id: str) -> None:
        key = (scope, value.strip().lower())
        if self.owners.get(key) == owner_id:
            del self.owners[key]
