"""The Spot Group schedule repository on Azurite and on the unit tier's in-memory table service, case for case: the
saved schedule's etags, the timeline newest first and written over by a repeated slot, the load kept two weeks, and
all of it gone with its group."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from azure.data.tables import TableServiceClient

from shared.errors import PreconditionFailed
from shared.models.spot_group_records import LoadSample, SavedSchedule, SpotGroupEvent
from shared.storage.spot_group_schedules import SpotGroupScheduleRepository
from shared.storage.table_service import TableStorage
from tests.fakes.tables import MemoryTableService, memory_storage
from tests.utils.factories import unique_table_prefix

T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
MINUTES = timedelta(minutes=1)


@pytest.fixture(params=["azurite", "memory"])
def repo(request: pytest.FixtureRequest) -> SpotGroupScheduleRepository:
    if request.param == "azurite":
        service = TableServiceClient.from_connection_string(request.getfixturevalue("storage_connection_string"))
        return SpotGroupScheduleRepository(TableStorage(service, unique_table_prefix()))
    return SpotGroupScheduleRepository(memory_storage(MemoryTableService()))


def schedule(group: str = "g1", zone: str = "UTC") -> SavedSchedule:
    return SavedSchedule(time_zone=zone, tenant_id="t1", spot_group_id=group, last_modified_date_time=T0)


def event(slot: datetime, host: str, action: str, outcome: str = "done", error: str | None = None) -> SpotGroupEvent:
    return SpotGroupEvent.model_validate(
        {
            "id": f"{slot:%Y%m%dT%H%M}Z.{host}.{action}",
            "dateTime": slot + 2 * MINUTES,
            "host": host,
            "action": action,
            "phase": "rampUp",
            "reason": f"{action} {host}",
            "outcome": outcome,
            "error": error,
        }
    )


def test_a_schedule_is_written_over_its_etag_only(repo: SpotGroupScheduleRepository) -> None:
    assert repo.find_schedule("t1", "g1") is None
    saved = repo.put_schedule(schedule())
    found = repo.find_schedule("t1", "g1")
    assert found is not None and (found.etag, found.time_zone) == (saved.etag, "UTC")
    changed = repo.put_schedule(schedule(zone="Europe/Amsterdam"), if_match=saved.etag)
    with pytest.raises(PreconditionFailed):
        repo.put_schedule(schedule(), if_match=saved.etag)
    repo.delete_schedule("t1", "g1", if_match=changed.etag)
    assert repo.find_schedule("t1", "g1") is None
    with pytest.raises(PreconditionFailed):  # gone since that etag was read
        repo.put_schedule(schedule(), if_match=changed.etag)


def test_the_timeline_lists_newest_slot_first_in_pages_and_a_repeated_slot_writes_over_its_lines(
    repo: SpotGroupScheduleRepository,
) -> None:
    repo.put_events("t1", "g1", T0, [event(T0, "h1", "start", "failed", "OperationNotAllowed")])
    later = T0 + 5 * MINUTES
    repo.put_events("t1", "g1", later, [event(later, "h2", "start"), event(later, "h3", "deallocate")])
    repo.put_events("t1", "g2", later, [event(later, "h9", "start")])  # another group's
    repo.put_events("t1", "g1", T0, [event(T0, "h1", "start")])  # the run of T0 again: the start went through

    first, token = repo.list_events("t1", "g1", top=2)
    rest, end = repo.list_events("t1", "g1", top=2, skip_token=token)
    assert [(e.host, e.action) for e in first + rest] == [("h2", "start"), ("h3", "deallocate"), ("h1", "start")]
    assert end is None
    assert (rest[0].outcome, rest[0].error) == ("done", None)  # the whole line written over, not merged


def test_the_timeline_of_some_actions_pages_through_their_lines_alone(repo: SpotGroupScheduleRepository) -> None:
    for step in range(4):
        at = T0 + step * 5 * MINUTES
        repo.put_events("t1", "g1", at, [event(at, "h1", "start"), event(at, "h2", "create"), event(at, "h3", "evict")])
    pages: list[list[SpotGroupEvent]] = []
    token: str | None = None
    while not pages or token:
        page, token = repo.list_events("t1", "g1", top=3, skip_token=token, actions={"create", "evict"})
        pages.append(page)
    assert [len(page) for page in pages] == [3, 3, 2]  # full pages but the last: storage filters, not the caller
    assert [e.action for page in pages for e in page] == ["create", "evict"] * 4
    assert [e.host for e in repo.list_events("t1", "g1", actions={"start"})[0]] == ["h1"] * 4


def test_the_load_is_kept_from_keep_since_on_and_everything_goes_with_the_group(
    repo: SpotGroupScheduleRepository,
) -> None:
    for step in range(4):
        at = T0 + step * 5 * MINUTES
        sample = LoadSample(date_time=at + MINUTES, sessions=step, running_hosts=1)
        repo.record_load("t1", "g1", at, sample, keep_since=T0 + 10 * MINUTES)
    repo.record_load("t1", "g2", T0, LoadSample(date_time=T0, sessions=7, running_hosts=2), keep_since=T0)
    loads = repo.list_loads("t1", "g1", T0 - timedelta(days=1))
    assert [s.sessions for s in loads] == [2, 3]  # the first two were older than keep_since
    assert [s.sessions for s in repo.list_loads("t1", "g1", T0 + 15 * MINUTES)] == [3]

    repo.put_schedule(schedule())
    repo.put_events("t1", "g1", T0, [event(T0, "h1", "start")])
    repo.forget_group("t1", "g1")
    assert repo.find_schedule("t1", "g1") is None
    assert repo.list_events("t1", "g1") == ([], None)
    assert repo.list_loads("t1", "g1", T0 - timedelta(days=1)) == []
    assert [s.sessions for s in repo.list_loads("t1", "g2", T0)] == [7]
