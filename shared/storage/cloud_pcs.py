"""Cloud PC repository (partition = tenant) and its timeline (partition = tenant and Cloud PC)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import get_args

from shared.errors import Conflict, NotFound
from shared.models.base import ApiModel
from shared.models.cloud_pcs import PROVISIONED, CloudPc, CloudPcEvent, CloudPcStatus
from shared.models.cross_tenant import TENANT_ORDER, CrossTenantQuery, TenantCloudPc
from shared.models.names import DeviceNameClaim
from shared.storage.cross_tenant import CrossTenantList, Fence, SortedCopy
from shared.storage.prefix_search import MAX_COMPARISONS, key_ranges, range_filter, starts_with
from shared.storage.table_service import TableStorage
from shared.storage.tables import EntityRepository

LINES_PER_ROW = 40  # a row's JSON stays far below the 64 KiB a property may hold
SEARCHED = ("user_principal_name", "display_name", "managed_device_name")  # what `search` looks at
PROVISIONED_PARAMETERS = {f"provisioned{n}": status for n, status in enumerate(PROVISIONED)}
PROVISIONED_CLAUSE = f"( {' or '.join(f'status eq @{name}' for name in PROVISIONED_PARAMETERS)} )"
STATUSES = get_args(CloudPcStatus)
LAST_CONNECTED = CloudPc.model_fields["last_connected_date_time"].alias or "last_connected_date_time"


def found(cloud_pc: CloudPc, search: str) -> bool:
    """Whether a Cloud PC is one `search` finds: one of its SEARCHED names starts with it, in any case."""
    return any(starts_with(getattr(cloud_pc, name), search) for name in SEARCHED)


class TimelineRow(ApiModel):
    """Timeline lines written together."""

    lines: list[CloudPcEvent]


class StartCheck(ApiModel):
    """Due at the time its key starts with: by then the tenant's pendingProvision Cloud PCs should be started.

    A reconcile writes one before it creates Cloud PCs and removes it once it has started them; `creating` is
    True until every Cloud PC it meant to create exists.
    """

    key: str
    tenant_id: str
    creating: bool = False


START_CHECKS = "due"  # one partition whose row keys sort by due time: a sweep reads a key range


class CloudPcRepository:
    def __init__(self, storage: TableStorage) -> None:
        self._storage = storage
        self._rows = EntityRepository(storage, "CloudPcs", CloudPc, kind="Cloud PC")
        self._timeline = EntityRepository(storage, "CloudPcTimelines", TimelineRow, kind="Cloud PC timeline")
        self._names = EntityRepository(storage, "DeviceNames", DeviceNameClaim, kind="Device name")
        self._checks = EntityRepository(storage, "CloudPcStartChecks", StartCheck, kind="Start check")
        # copies of every Cloud PC sorted by name and by user, so a page of every tenant's is one key-range query
        self._copies = {
            "displayName": self._sorted_copy("CloudPcsByName", lambda pc: pc.display_name),
            "userPrincipalName": self._sorted_copy("CloudPcsByUser", lambda pc: pc.user_principal_name),
        }
        self._across = CrossTenantList(
            self._rows,
            SEARCHED,
            {
                "displayName": lambda row: row.item.display_name,
                "userPrincipalName": lambda row: row.item.user_principal_name,
                "status": lambda row: row.item.status,
            },
            name_order="displayName",
            copies=self._copies,
            grouped={
                "status": ("status", lambda query: sorted(STATUSES)),
                TENANT_ORDER: (
                    "tenantId",
                    lambda query: sorted(query.tenant_names, key=lambda t: (query.tenant_names[t].casefold(), t)),
                ),
            },
        )

    def _sorted_copy(self, table: str, text: Callable[[CloudPc], str | None]) -> SortedCopy[CloudPc]:
        rows = EntityRepository(self._storage, table, CloudPc, kind="Cloud PC")
        fences = EntityRepository(self._storage, f"{table}Fences", Fence, kind="Fence")
        return SortedCopy(rows, fences, text, lambda pc: pc.display_name, lambda pc: pc.tenant_id, lambda pc: pc.id)

    def _keep_copies(self, cloud_pc: CloudPc, before: CloudPc | None) -> None:
        for copy in self._copies.values():
            copy.keep(cloud_pc, before)

    # --- Cloud PCs ---------------------------------------------------------------------------
    def get_cloud_pc(self, tenant_id: str, cloud_pc_id: str) -> CloudPc:
        return self._rows.get(tenant_id, cloud_pc_id, target="cloudPcId")

    def find_cloud_pc(self, tenant_id: str, cloud_pc_id: str) -> CloudPc | None:
        return self._rows.find(tenant_id, cloud_pc_id)

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
        """A page of the tenant's Cloud PCs whose stored properties equal `filters`, with `never_connected` only the
        provisioned ones nobody was seen connected to, and, with `search`, whose user principal name, display name
        or device name starts with it in any case (see prefix_search)."""
        clauses = ["PartitionKey eq @tenant"] + [f"{name} eq @{name}" for name in sorted(filters)]
        parameters = {"tenant": tenant_id, **filters}
        keeps: list[Callable[[CloudPc], bool]] = []
        comparisons = len(clauses)
        if never_connected:  # a property's absence is no Table filter: the rows are judged as they are read
            clauses.append(PROVISIONED_CLAUSE)
            parameters |= PROVISIONED_PARAMETERS
            comparisons += len(PROVISIONED)
            keeps.append(lambda pc: pc.last_connected_date_time is None)
        if search:
            columns = [CloudPc.model_fields[name].alias or name for name in SEARCHED]
            ranges = key_ranges(search, len(columns), MAX_COMPARISONS - comparisons)
            if ranges:
                narrowing, bounds = range_filter(columns, ranges)
                clauses.append(f"( {narrowing} )")
                parameters |= bounds
            keeps.append(lambda pc: found(pc, search))
        return self._rows.page(
            " and ".join(clauses),
            parameters,
            top=top,
            skip_token=skip_token,
            keep=(lambda pc: all(k(pc) for k in keeps)) if keeps else None,
        )

    def search_cloud_pcs(
        self, query: CrossTenantQuery, *, top: int = 100, skip_token: str | None = None
    ) -> tuple[list[TenantCloudPc], str | None]:
        """A page of the Cloud PCs of the query's tenants (see cross_tenant), each with its tenant's name and no
        etag."""
        rows, token = self._across.page(query, top=top, skip_token=skip_token)
        names = query.tenant_names
        # a row read from a copy has the copy's etag, which no write of the Cloud PC takes: none is shown
        found = [TenantCloudPc(**(dict(row.item) | {"etag": None}), tenant_name=names[row.tenant_id]) for row in rows]
        return found, token

    def count_cloud_pcs_by_status(self, tenant_id: str) -> dict[str, int]:
        """How many of the tenant's Cloud PCs are in each status they are in (one query reading only `status`)."""
        return dict(self._rows.count_by("status", "PartitionKey eq @tenant", {"tenant": tenant_id}))

    def count_never_connected(self, tenant_id: str) -> int:
        """How many of the tenant's provisioned Cloud PCs nobody was seen connected to (one query reading only
        when their user last connected)."""
        query = f"PartitionKey eq @tenant and {PROVISIONED_CLAUSE}"
        return self._rows.count_by(LAST_CONNECTED, query, {"tenant": tenant_id, **PROVISIONED_PARAMETERS})[None]

    def count_cloud_pcs_by_status_per_tenant(self) -> dict[str, dict[str, int]]:
        """count_cloud_pcs_by_status for every tenant, in one query across them."""
        return {tenant: dict(counts) for tenant, counts in self._rows.count_by_partition("status").items()}

    def count_never_connected_per_tenant(self) -> dict[str, int]:
        """count_never_connected for every tenant, in one query across them."""
        counts = self._rows.count_by_partition(LAST_CONNECTED, PROVISIONED_CLAUSE, PROVISIONED_PARAMETERS)
        return {tenant: by_time[None] for tenant, by_time in counts.items()}

    def list_all_cloud_pcs(self, tenant_id: str) -> list[CloudPc]:
        return list(self._rows.scan("PartitionKey eq @tenant", {"tenant": tenant_id}))

    def list_users_cloud_pcs(self, tenant_id: str, user_id: str) -> list[CloudPc]:
        return list(
            self._rows.scan("PartitionKey eq @tenant and userId eq @user", {"tenant": tenant_id, "user": user_id})
        )

    def list_cloud_pcs_in_status(self, tenant_id: str, status: str) -> list[CloudPc]:
        return list(self._rows.scan("PartitionKey eq @t and status eq @s", {"t": tenant_id, "s": status}))

    def list_cloud_pcs_of_plan(self, tenant_id: str, plan_id: str) -> list[CloudPc]:
        return list(self._rows.scan("PartitionKey eq @t and servicePlanId eq @p", {"t": tenant_id, "p": plan_id}))

    def insert_cloud_pcs(self, cloud_pcs: Iterable[CloudPc]) -> list[CloudPc]:
        """Create-only; returns the ones this call created (another writer may have made the rest)."""
        # One write each, not a batch: the local emulator's batches share their rollback state, so a batch
        # refused for a row another reconcile created first could undo that other reconcile's rows.
        created = []
        for cloud_pc in cloud_pcs:
            try:
                created.append(self._rows.put(cloud_pc, cloud_pc.tenant_id, cloud_pc.id, if_none_match=True))
            except Conflict:
                continue
            self._keep_copies(cloud_pc, None)
        return created

    def load_cloud_pcs(self, cloud_pcs: list[CloudPc]) -> int:
        """New Cloud PCs written in batches, with their sorted copies (a bulk load: a benchmark's seed)."""
        written = self._rows.put_many((cloud_pc, cloud_pc.tenant_id, cloud_pc.id) for cloud_pc in cloud_pcs)
        for copy in self._copies.values():
            copy.load(cloud_pcs)
        return written

    def mend_copies(self, tenant_id: str) -> int:
        """The tenant's sorted copies set right against its Cloud PCs (SortedCopy.mend); how many copies changed."""
        mended = [copy.mend(tenant_id, lambda: self.list_all_cloud_pcs(tenant_id)) for copy in self._copies.values()]
        return sum(written + removed for written, removed in mended)

    # Each write below keeps the sorted copies in step: the row as stored after it, and as it was before when a key
    # may have changed (one point read each; a copy left behind by a crash between the two is set right by the
    # Cloud PC's next write).
    def upsert_cloud_pc(self, cloud_pc: CloudPc, *, if_match: str | None = None) -> CloudPc:
        before = self._rows.find(cloud_pc.tenant_id, cloud_pc.id)
        saved = self._rows.put(cloud_pc, cloud_pc.tenant_id, cloud_pc.id, if_match=if_match)
        self._keep_copies(saved, before)
        return saved

    def merge_cloud_pc(self, cloud_pc: CloudPc, fields: Iterable[str]) -> None:
        """Update some fields without reading first (the orchestration owns the row while provisioning); the copies
        from the row read after."""
        fields = list(fields)
        keyed = {"display_name", "user_principal_name"} & set(fields)
        before = self._rows.find(cloud_pc.tenant_id, cloud_pc.id) if keyed else None
        self._rows.merge(cloud_pc, cloud_pc.tenant_id, cloud_pc.id, fields)
        after = self._rows.find(cloud_pc.tenant_id, cloud_pc.id)
        if after is not None:
            self._keep_copies(after, before)

    def delete_cloud_pc(self, tenant_id: str, cloud_pc_id: str, *, if_match: str | None = None) -> None:
        before = self._rows.find(tenant_id, cloud_pc_id)
        self._rows.delete(tenant_id, cloud_pc_id, if_match=if_match)
        if before is not None:
            for copy in self._copies.values():
                copy.drop(before)

    # --- timeline ----------------------------------------------------------------------------
    # A Cloud PC's timeline is its own partition, one row per write: the lines one activity call adds go
    # together as a JSON list, keyed by the first of them and its time, so a repeated call overwrites its own
    # row and a late repeat of an older line (a step seen running) never overwrites the newer one (done). A
    # Table batch of one row per line would cost the client several times the CPU of the whole run's steps.
    # The row key repeats the Cloud PC id: the local emulator looks rows up by row key first, and keys that
    # recur in every Cloud PC's partition made each write scan them all.
    def upsert_event(self, tenant_id: str, event: CloudPcEvent) -> None:
        self.upsert_events(tenant_id, [event])

    def upsert_events(self, tenant_id: str, events: Iterable[CloudPcEvent]) -> None:
        by_cloud_pc: dict[str, list[CloudPcEvent]] = {}
        for event in events:
            by_cloud_pc.setdefault(event.cloud_pc_id, []).append(event)
        for cloud_pc_id, lines in by_cloud_pc.items():
            for first in range(0, len(lines), LINES_PER_ROW):
                chunk = lines[first : first + LINES_PER_ROW]
                key = f"{cloud_pc_id}.{chunk[0].id}.{chunk[0].date_time:%Y%m%dT%H%M%S%f}"
                self._timeline.put(TimelineRow(lines=chunk), f"{tenant_id}_{cloud_pc_id}", key)

    def list_events(self, tenant_id: str, cloud_pc_id: str) -> list[CloudPcEvent]:
        """The timeline in order; of lines written more than once (a step seen running, then done) the latest."""
        latest: dict[str, CloudPcEvent] = {}
        for row in self._timeline.scan("PartitionKey eq @pc", {"pc": f"{tenant_id}_{cloud_pc_id}"}):
            for line in row.lines:
                known = latest.get(line.id)
                if known is None or line.date_time >= known.date_time:
                    latest[line.id] = line
        return sorted(latest.values(), key=lambda e: (e.start_date_time or e.date_time, e.id))

    # --- device names, unique per tenant -----------------------------------------------------
    def claim_device_name(self, tenant_id: str, name: str, cloud_pc_id: str) -> bool:
        """Atomically reserve a device name; True if it is (now) this Cloud PC's."""
        try:
            self._names.put(DeviceNameClaim(name=name, cloud_pc_id=cloud_pc_id), tenant_id, name, if_none_match=True)
            return True
        except Conflict:
            owner = self._names.find(tenant_id, name)
            return owner is not None and owner.cloud_pc_id == cloud_pc_id

    def release_device_name(self, tenant_id: str, name: str) -> None:
        self._names.delete(tenant_id, name)

    # --- start checks: which tenants may hold Cloud PCs a dead reconcile never started -----------------
    def add_start_check(self, tenant_id: str, due: datetime, *, creating: bool) -> str:
        """A check due at `due` (a unique key, so concurrent reconciles never share one); its key."""
        key = f"{due:%Y%m%dT%H%M%S%f}|{tenant_id}|{uuid.uuid4().hex[:12]}"
        self._checks.put(StartCheck(key=key, tenant_id=tenant_id, creating=creating), START_CHECKS, key)
        return key

    def clear_creating(self, key: str) -> None:
        """Every Cloud PC the check's reconcile meant to create exists; nothing if the check is gone already."""
        try:
            self._checks.merge_values(START_CHECKS, key, {"creating": False})
        except NotFound:
            return

    def list_due_start_checks(self, now: datetime, *, top: int = 1000) -> list[StartCheck]:
        """The earliest `top` checks due by `now` (a key-range query: cost follows what is due)."""
        bound = f"{now:%Y%m%dT%H%M%S%f}|~"
        checks, _ = self._checks.page(
            "PartitionKey eq @p and RowKey le @bound", {"p": START_CHECKS, "bound": bound}, top=top
        )
        return checks

    def delete_start_check(self, key: str) -> None:
        self._checks.delete(START_CHECKS, key)
