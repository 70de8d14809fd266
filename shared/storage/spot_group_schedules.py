"""A pooled Spot Group's schedule (partition = tenant), and what following it leaves (partition = tenant and group): the
timeline of its decisions, the load recorded at each optimization and its hosts' evictions.

Row keys start with the group id, as the Cloud PC timeline's repeat the Cloud PC id: the local emulator looks rows
up by row key first, and keys that recur in every group's partition (a time) would make each write scan them all.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from shared.errors import NotFound, PreconditionFailed
from shared.models.spot_group_records import HostEviction, LoadSample, SavedSchedule, SpotGroupEvent
from shared.storage.table_service import TableStorage
from shared.storage.tables import EntityRepository

# a timeline row key holds its minute subtracted from this, so rows list newest first (good for 19,000 years)
NEWEST_FIRST = 10**10
SAMPLE_MINUTE = "%Y%m%dT%H%M"
AFTER_DIGITS = "~"  # sorts after every key a group's rows have below its prefix


def _minutes(at: datetime) -> int:
    return int(at.timestamp()) // 60


def event_row(spot_group_id: str, slot: datetime, host: str, action: str) -> str:
    return f"{spot_group_id}.{NEWEST_FIRST - _minutes(slot):010d}.{host}.{action}"


def eviction_row(spot_group_id: str, eviction: HostEviction) -> str:
    """Newest first by the time Azure takes the VM, which every delivery of its notice gives alike."""
    seconds = NEWEST_FIRST * 60 - int(eviction.evicts_at_date_time.timestamp())
    return f"{spot_group_id}.{seconds:012d}.{eviction.id}"


def sample_row(spot_group_id: str, slot: datetime) -> str:
    return f"{spot_group_id}.{slot:{SAMPLE_MINUTE}}"


class SpotGroupScheduleRepository:
    def __init__(self, storage: TableStorage) -> None:
        self._schedules = EntityRepository(storage, "SpotGroupSchedules", SavedSchedule, kind="Schedule")
        self._timeline = EntityRepository(storage, "SpotGroupTimelines", SpotGroupEvent, kind="Spot Group event")
        self._loads = EntityRepository(storage, "SpotGroupLoads", LoadSample, kind="Load sample")
        self._evictions = EntityRepository(storage, "SpotGroupEvictions", HostEviction, kind="Host eviction")

    # --- the schedule ----------------------------------------------------------------------------------------------
    def find_schedule(self, tenant_id: str, spot_group_id: str) -> SavedSchedule | None:
        return self._schedules.find(tenant_id, spot_group_id)

    def put_schedule(self, schedule: SavedSchedule, *, if_match: str | None = None) -> SavedSchedule:
        """Replace-if-etag-matches with If-Match (412 also when it was deleted since), otherwise an upsert."""
        try:
            return self._schedules.put(schedule, schedule.tenant_id, schedule.spot_group_id, if_match=if_match)
        except NotFound as exc:  # the etag read was of a schedule that is gone: changed since, as the caller sees it
            raise PreconditionFailed.stale("Schedule", schedule.spot_group_id) from exc

    def delete_schedule(self, tenant_id: str, spot_group_id: str, *, if_match: str | None = None) -> None:
        self._schedules.delete(tenant_id, spot_group_id, if_match=if_match)

    # --- the timeline ----------------------------------------------------------------------------------------------
    def put_events(self, tenant_id: str, spot_group_id: str, slot: datetime, events: list[SpotGroupEvent]) -> None:
        """One optimization's lines, keyed by its slot, host and action: a run repeated in the slot writes over its
        own lines, whole (a batch's upsert would merge, keeping a failed line's error under its success)."""
        partition = f"{tenant_id}_{spot_group_id}"
        for event in events:  # a few a run
            self._timeline.put(event, partition, event_row(spot_group_id, slot, event.host, event.action))

    def list_events(
        self,
        tenant_id: str,
        spot_group_id: str,
        *,
        top: int = 100,
        skip_token: str | None = None,
        actions: Collection[str] | None = None,
    ) -> tuple[list[SpotGroupEvent], str | None]:
        """Newest first; with `actions`, only their lines (filtered by storage, so each page is full but the last)."""
        bounds: dict[str, Any] = {
            "p": f"{tenant_id}_{spot_group_id}",
            "first": f"{spot_group_id}.",
            "end": f"{spot_group_id}.{AFTER_DIGITS}",
        }
        query = "PartitionKey eq @p and RowKey ge @first and RowKey lt @end"
        if actions:
            chosen = sorted(actions)
            bounds |= {f"a{i}": action for i, action in enumerate(chosen)}
            # the SDK finds parameters between spaces: the parentheses stand apart from them
            query += " and ( " + " or ".join(f"action eq @a{i}" for i in range(len(chosen))) + " )"
        return self._timeline.page(query, bounds, top=top, skip_token=skip_token)

    # --- the load ----------------------------------------------------------------------------------------------------
    def record_load(
        self, tenant_id: str, spot_group_id: str, slot: datetime, sample: LoadSample, *, keep_since: datetime
    ) -> None:
        """The sample of one optimization (a run repeated in the slot writes over it), and the ones before
        `keep_since` gone."""
        partition = f"{tenant_id}_{spot_group_id}"
        self._loads.put(sample, partition, sample_row(spot_group_id, slot))
        bounds = {"p": partition, "first": f"{spot_group_id}.", "end": sample_row(spot_group_id, keep_since)}
        for key in list(self._loads.row_keys("PartitionKey eq @p and RowKey ge @first and RowKey lt @end", bounds)):
            self._loads.delete(partition, key)  # one a run, as a rule: the sample 14 days old

    def list_loads(self, tenant_id: str, spot_group_id: str, since: datetime) -> list[LoadSample]:
        """The samples from `since` on, oldest first."""
        bounds = {
            "p": f"{tenant_id}_{spot_group_id}",
            "first": sample_row(spot_group_id, since),
            "end": f"{spot_group_id}.{AFTER_DIGITS}",
        }
        return list(self._loads.scan("PartitionKey eq @p and RowKey ge @first and RowKey lt @end", bounds))

    # --- the hosts' evictions ----------------------------------------------------------------------------------------
    def create_eviction(self, tenant_id: str, spot_group_id: str, eviction: HostEviction) -> HostEviction:
        partition = f"{tenant_id}_{spot_group_id}"
        return self._evictions.put(eviction, partition, eviction_row(spot_group_id, eviction), if_none_match=True)

    def find_eviction(self, tenant_id: str, spot_group_id: str, eviction_id: str) -> HostEviction | None:
        query = "PartitionKey eq @p and id eq @id"
        return next(self._evictions.scan(query, {"p": f"{tenant_id}_{spot_group_id}", "id": eviction_id}), None)

    def put_eviction(self, tenant_id: str, spot_group_id: str, eviction: HostEviction) -> HostEviction:
        partition = f"{tenant_id}_{spot_group_id}"
        return self._evictions.put(eviction, partition, eviction_row(spot_group_id, eviction))

    def delete_eviction(self, tenant_id: str, spot_group_id: str, eviction: HostEviction) -> None:
        self._evictions.delete(f"{tenant_id}_{spot_group_id}", eviction_row(spot_group_id, eviction))

    def list_evictions(
        self, tenant_id: str, spot_group_id: str, *, top: int = 100, skip_token: str | None = None
    ) -> tuple[list[HostEviction], str | None]:
        bounds = {
            "p": f"{tenant_id}_{spot_group_id}",
            "first": f"{spot_group_id}.",
            "end": f"{spot_group_id}.{AFTER_DIGITS}",
        }
        query = "PartitionKey eq @p and RowKey ge @first and RowKey lt @end"
        return self._evictions.page(query, bounds, top=top, skip_token=skip_token)

    # --- a removed group ---------------------------------------------------------------------------------------------
    def forget_group(self, tenant_id: str, spot_group_id: str) -> None:
        """Its schedule, timeline, samples and evictions, in transactions of 100."""
        self._schedules.delete(tenant_id, spot_group_id)
        partition = f"{tenant_id}_{spot_group_id}"
        for rows in (self._timeline, self._loads, self._evictions):
            keys = list(rows.row_keys("PartitionKey eq @p", {"p": partition}))
            rows.delete_many(partition, keys)
