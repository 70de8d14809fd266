"""Metering: a VM's power records turned into the hours it existed and ran on each UTC day of a range (pure)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from shared.models.costs import MeteredDay, MeteredResource, PowerRecord

HOUR_S = 3600.0
# same instant: a VM made and started at once is made first; one deleted as it stopped stops first
ORDER = {"created": 0, "started": 1, "stopped": 2, "deleted": 3}
RESOURCE_FIELDS = set(MeteredResource.model_fields)


@dataclass(frozen=True)
class Span:
    """A stretch of a VM's life in one state: from one record to the next (or to the range's end)."""

    resource: MeteredResource
    start: datetime
    end: datetime
    running: bool


def resource_of(record: PowerRecord) -> MeteredResource:
    return MeteredResource.model_validate(record.model_dump(include=RESOURCE_FIELDS))


def spans(records: Sequence[PowerRecord], end: datetime) -> Iterator[Span]:
    """Each VM's stretches of existence up to `end`, running or deallocated. A repeated record changes nothing: a
    start while it runs goes on with the run, a stop while stopped or a record after its deletion adds nothing; a
    start with no record of its making (written before metering began) makes it exist from then."""
    by_vm: dict[str, list[PowerRecord]] = defaultdict(list)
    for record in records:
        by_vm[record.resource_id].append(record)
    for vm_records in by_vm.values():
        vm_records.sort(key=lambda r: (r.date_time, ORDER[r.change]))
        exists = running = False
        since: datetime | None = None
        resource: MeteredResource | None = None
        for record in vm_records:
            if record.date_time >= end:
                break
            now_exists = record.change != "deleted" and (exists or record.change != "stopped")
            now_running = record.change in ("created", "started")
            if (now_exists, now_running) == (exists, running):
                continue
            if exists and since is not None and resource is not None:
                yield Span(resource, since, record.date_time, running)
            exists, running, since = now_exists, now_running, record.date_time
            resource = resource_of(record)
        if exists and since is not None and resource is not None:
            yield Span(resource, since, end, running)


def meter(records: Sequence[PowerRecord], start: datetime, end: datetime) -> list[MeteredDay]:
    """The hours each VM existed and ran on each UTC day in [start, end): a day a VM changed size (or anything it
    bills by) has one entry for each."""
    existed: dict[tuple[str, date], float] = defaultdict(float)
    ran: dict[tuple[str, date], float] = defaultdict(float)
    resources: dict[str, MeteredResource] = {}
    for span in spans(records, end):
        key = span.resource.model_dump_json()
        resources[key] = span.resource
        for day, hours in _by_day(max(span.start, start), min(span.end, end)):
            existed[key, day] += hours
            if span.running:
                ran[key, day] += hours
    return [
        MeteredDay(
            resource=resources[key],
            day=day,
            existed_hours=round(hours, 6),
            running_hours=round(ran.get((key, day), 0.0), 6),
        )
        for (key, day), hours in sorted(existed.items(), key=lambda item: (item[0][1], item[0][0]))
    ]


def peak_hosts(records: Sequence[PowerRecord], start: datetime, end: datetime) -> dict[str, int]:
    """Each Spot Group's most session hosts existing at once in [start, end): the hosts it would keep 24x7."""
    changes: dict[str, list[tuple[datetime, int]]] = defaultdict(list)
    for span in spans([r for r in records if r.kind == "sessionHost" and r.spot_group_id], end):
        if span.end > start and span.start < end:
            group = str(span.resource.spot_group_id)
            changes[group] += [(max(span.start, start), 1), (span.end, -1)]
    return {group: _peak(moves) for group, moves in changes.items()}


def _by_day(start: datetime, end: datetime) -> Iterator[tuple[date, float]]:
    for part_start, part_end in _day_parts(start, end):
        yield part_start.date(), (part_end - part_start).total_seconds() / HOUR_S


@dataclass(frozen=True)
class PoolDay:
    """A Spot Group's UTC day as its baseline pool sees it: the most hosts that existed at once, and the day's hours
    in the range since its first host was made (what that many hosts would have run 24x7)."""

    spot_group_id: str
    day: date
    peak_hosts: int
    hours: float


def pool_days(records: Sequence[PowerRecord], start: datetime, end: datetime) -> list[PoolDay]:
    """Each Spot Group's days in [start, end) on which it had hosts, its spans read once for the whole range."""
    host_spans = list(spans([r for r in records if r.kind == "sessionHost" and r.spot_group_id], end))
    first_made: dict[str, datetime] = {}
    moves: dict[tuple[str, date], list[tuple[datetime, int]]] = defaultdict(list)
    for span in host_spans:
        group = str(span.resource.spot_group_id)
        first_made[group] = min(first_made.get(group, span.start), span.start)
        for part_start, part_end in _day_parts(max(span.start, start), min(span.end, end)):
            moves[group, part_start.date()] += [(part_start, 1), (part_end, -1)]
    found = []
    for (group, day), day_moves in sorted(moves.items()):
        since = max(start, first_made[group], datetime.combine(day, time(), tzinfo=UTC))
        until = min(end, datetime.combine(day + timedelta(days=1), time(), tzinfo=UTC))
        found.append(PoolDay(group, day, _peak(day_moves), (until - since).total_seconds() / HOUR_S))
    return found


def _peak(moves: list[tuple[datetime, int]]) -> int:
    level = peak = 0
    for _, move in sorted(moves):  # an end (-1) before a start at the same instant
        level += move
        peak = max(peak, level)
    return peak


def _day_parts(start: datetime, end: datetime) -> Iterator[tuple[datetime, datetime]]:
    while start < end:
        part_end = min(end, datetime.combine(start.date() + timedelta(days=1), time(), tzinfo=UTC))
        yield start, part_end
        start = part_end
