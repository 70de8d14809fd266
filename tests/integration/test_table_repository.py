"""The generic repository against a real Azurite: codec, etags, paging, batches."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from azure.data.tables import TableServiceClient
from pydantic import BaseModel

from shared.errors import Conflict, NotFound, PreconditionFailed, ValidationFailed
from shared.models.base import ApiModel
from shared.storage.tables import EntityRepository, TableStorage
from tests.utils.factories import unique_table_prefix


class Step(BaseModel):
    name: str
    attempts: int


class Sample(ApiModel):
    id: str
    title: str
    count: int = 0
    big: int = 0
    ratio: float = 0.5
    enabled: bool = False
    when: datetime | None = None
    steps: list[Step] = []
    labels: dict[str, str] = {}
    etag: str | None = None


@pytest.fixture
def repo(storage_connection_string: str) -> EntityRepository[Sample]:
    service = TableServiceClient.from_connection_string(storage_connection_string)
    return EntityRepository(TableStorage(service, unique_table_prefix()), "Samples", Sample, kind="Sample")


def test_round_trip_keeps_scalars_datetimes_and_nested_values(repo: EntityRepository[Sample]) -> None:
    item = Sample(
        id="a",
        title="first",
        count=7,
        big=2**40,
        ratio=0.25,
        enabled=True,
        when=datetime(2026, 11, 21, 10, 0, tzinfo=UTC),
        steps=[Step(name="createVm", attempts=2)],
        labels={"k": "v"},
    )
    saved = repo.put(item, "tenant-1", "a", if_none_match=True)
    loaded = repo.get("tenant-1", "a", target="id")
    assert saved.etag and loaded.etag == saved.etag
    assert loaded.model_dump(exclude={"etag"}) == item.model_dump(exclude={"etag"})


def test_create_only_refuses_an_existing_row(repo: EntityRepository[Sample]) -> None:
    repo.put(Sample(id="a", title="x"), "p", "a", if_none_match=True)
    with pytest.raises(Conflict):
        repo.put(Sample(id="a", title="y"), "p", "a", if_none_match=True)


def test_stale_etag_is_refused_and_fresh_one_accepted(repo: EntityRepository[Sample]) -> None:
    first = repo.put(Sample(id="a", title="v1"), "p", "a")
    second = repo.put(first.model_copy(update={"title": "v2"}), "p", "a", if_match=first.etag)
    with pytest.raises(PreconditionFailed):
        repo.put(first.model_copy(update={"title": "v3"}), "p", "a", if_match=first.etag)
    with pytest.raises(PreconditionFailed):
        repo.delete("p", "a", if_match=first.etag)
    assert repo.get("p", "a", target="id").title == "v2"
    repo.delete("p", "a", if_match=second.etag)
    assert repo.find("p", "a") is None


def test_get_of_a_missing_row_is_not_found_and_delete_is_idempotent(repo: EntityRepository[Sample]) -> None:
    with pytest.raises(NotFound) as caught:
        repo.get("p", "nope", target="sampleId")
    assert caught.value.target == "sampleId"
    repo.delete("p", "nope")
    repo.delete("p", "nope")


def test_batches_chunk_by_100_per_partition(repo: EntityRepository[Sample]) -> None:
    rows = [(Sample(id=f"{i:04}", title="t"), f"p{i % 3}", f"{i:04}") for i in range(450)]
    assert repo.put_many(rows) == 450
    assert sum(1 for _ in repo.scan()) == 450
    assert sum(1 for _ in repo.scan("PartitionKey eq @p", {"p": "p1"})) == 150


def test_paging_over_more_than_a_thousand_returns_each_entity_once(repo: EntityRepository[Sample]) -> None:
    repo.put_many((Sample(id=f"{i:05}", title="t"), "p", f"{i:05}") for i in range(2345))
    for top in (1000, 333):
        seen: list[str] = []
        token: str | None = None
        pages = 0
        while True:
            items, token = repo.page("PartitionKey eq @p", {"p": "p"}, top=top, skip_token=token)
            assert len(items) <= top
            seen += [item.id for item in items]
            pages += 1
            if token is None:
                break
        assert len(seen) == 2345 and len(set(seen)) == 2345
        assert pages == -(-2345 // top)


def test_a_forged_skip_token_is_a_validation_error(repo: EntityRepository[Sample]) -> None:
    with pytest.raises(ValidationFailed) as caught:
        repo.page(skip_token="not-a-token")
    assert caught.value.details[0].target == "skipToken"
