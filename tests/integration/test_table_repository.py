"""The table contract: the generic repository on Azurite and on the unit tier's in-memory table service, case for
case (codec, etags, conditions, queries, paging, batches), so what the unit tier proves holds on storage."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from azure.data.tables import TableServiceClient
from pydantic import BaseModel

from shared.errors import Conflict, NotFound, PreconditionFailed, ValidationFailed
from shared.models.alerts import Alert, AlertRule, alert_id
from shared.models.base import ApiModel
from shared.storage.alerts import AlertRepository, OpenMarker, marker_key
from shared.storage.table_service import TableStorage
from shared.storage.tables import EntityRepository
from tests.fakes.tables import MemoryTableService, memory_storage
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


@pytest.fixture(params=["azurite", "memory"])
def repo(request: pytest.FixtureRequest) -> EntityRepository[Sample]:
    if request.param == "azurite":
        service = TableServiceClient.from_connection_string(request.getfixturevalue("storage_connection_string"))
        storage = TableStorage(service, unique_table_prefix())
    else:
        storage = memory_storage(MemoryTableService())
    return EntityRepository(storage, "Samples", Sample, kind="Sample")


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


def _ids(items: object) -> list[str]:
    return [item.id for item in items]  # type: ignore[attr-defined]


def test_a_missing_row_cannot_be_replaced_by_etag_or_by_any_etag(repo: EntityRepository[Sample]) -> None:
    saved = repo.put(Sample(id="a", title="v1"), "p", "a")
    repo.delete("p", "a")
    for etag in (saved.etag, "*"):
        with pytest.raises(NotFound):
            repo.put(saved, "p", "a", if_match=etag)


def test_an_etag_storage_cannot_read_is_a_stale_etag(repo: EntityRepository[Sample]) -> None:
    repo.put(Sample(id="a", title="v1"), "p", "a")
    with pytest.raises(PreconditionFailed):
        repo.put(Sample(id="a", title="v2"), "p", "a", if_match="not-an-etag")
    with pytest.raises(PreconditionFailed):
        repo.delete("p", "a", if_match="not-an-etag")


def test_a_merge_writes_only_the_named_fields_and_needs_the_row(repo: EntityRepository[Sample]) -> None:
    repo.put(Sample(id="a", title="v1", count=3, labels={"k": "v"}), "p", "a")
    repo.merge(Sample(id="a", title="v2", count=9), "p", "a", ["title"])
    repo.merge_values("p", "a", {"enabled": True})
    loaded = repo.get("p", "a", target="id")
    assert (loaded.title, loaded.count, loaded.enabled, loaded.labels) == ("v2", 3, True, {"k": "v"})
    with pytest.raises(NotFound):
        repo.merge(Sample(id="b", title="x"), "p", "b", ["title"])
    with pytest.raises(NotFound):
        repo.merge_values("p", "b", {"enabled": True})


def test_queries_compare_typed_properties_with_and_or_and_parentheses(repo: EntityRepository[Sample]) -> None:
    when = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)
    rows = [("a", "alpha", 1), ("b", "beta", 2), ("c", "gamma", 3), ("d", "it's", 4)]
    repo.put_many(
        (Sample(id=name, title=title, count=n, enabled=n % 2 == 1, when=when + timedelta(hours=n)), "p", name)
        for name, title, n in rows
    )
    repo.put(Sample(id="e", title="no when", count=5), "q", "e")

    def query(text: str, **values: object) -> list[str]:
        return _ids(repo.scan(text, values))

    assert query("title eq @t", t="it's") == ["d"]
    assert query("count ge @lo and count lt @hi", lo=2, hi=4) == ["b", "c"]
    assert query("( title eq @a or title eq @b ) and enabled eq @on", a="alpha", b="beta", on=True) == ["a"]
    assert query("when gt @t", t=when + timedelta(hours=2)) == ["c", "d"]
    assert query("RowKey ge @a and RowKey lt @b", a="b", b="d") == ["b", "c"]
    assert query("PartitionKey eq @p and not ( count eq @c )", p="p", c=1) == ["b", "c", "d"]
    assert query("when lt @t", t=when + timedelta(days=9)) == ["a", "b", "c", "d"]  # a row without it: no match
    assert repo.exists("count eq @c", {"c": 5}) and not repo.exists("count eq @c", {"c": 6})
    assert repo.count_by("enabled", "PartitionKey eq @p", {"p": "p"}) == {True: 2, False: 2}
    assert repo.count_by_partition("enabled") == {"p": {True: 2, False: 2}, "q": {False: 1}}
    assert repo.count_by_partition("enabled", "count ge @c", {"c": 3}) == {"p": {True: 1, False: 1}, "q": {False: 1}}
    assert repo.count_by_partition("when")["q"] == {None: 1}  # a row without the column


def test_the_timestamp_is_the_time_of_the_last_write(repo: EntityRepository[Sample]) -> None:
    repo.put(Sample(id="a", title="t"), "p", "a")
    future, past = datetime.now(UTC) + timedelta(days=1), datetime.now(UTC) - timedelta(days=1)
    assert _ids(repo.scan("Timestamp lt @t", {"t": future})) == ["a"]
    assert _ids(repo.scan("Timestamp lt @t", {"t": past})) == []


def test_a_kept_page_reads_on_until_it_is_full(repo: EntityRepository[Sample]) -> None:
    repo.put_many((Sample(id=f"{i:03}", title="t", count=i), "p", f"{i:03}") for i in range(30))
    items, token = repo.page(top=5, keep=lambda item: item.count % 7 == 0)
    assert _ids(items) == ["000", "007", "014", "021", "028"]
    assert repo.page(top=5, skip_token=token, keep=lambda item: item.count % 7 == 0) == ([], None)


def test_a_delete_while_another_row_is_unchanged_is_all_or_nothing(repo: EntityRepository[Sample]) -> None:
    one, two = (repo.put(Sample(id=k, title="t"), "p", k) for k in ("a", "b"))
    repo.delete_while_unchanged("p", "a", str(one.etag), witness=("b", str(two.etag)))
    assert repo.find("p", "a") is None
    three = repo.put(Sample(id="c", title="t"), "p", "c")
    changed = repo.put(two.model_copy(update={"title": "changed"}), "p", "b")
    with pytest.raises(PreconditionFailed):
        repo.delete_while_unchanged("p", "c", str(three.etag), witness=("b", str(two.etag)))
    assert repo.find("p", "c") is not None
    repo.delete_while_unchanged("p", "c", str(three.etag), witness=("b", str(changed.etag)))
    assert _ids(repo.scan()) == ["b"]


def test_keys_storage_refuses_are_rows_that_do_not_exist(repo: EntityRepository[Sample]) -> None:
    for key in ("a/b", "a#b", "a?b", "tab\tb"):
        assert repo.find("p", key) is None
        repo.delete("p", key)


# --- the alert store: its open-alert markers are transactions with the alert, on either table service ------------


@pytest.fixture(params=["azurite", "memory"])
def alerts(request: pytest.FixtureRequest) -> AlertRepository:
    if request.param == "azurite":
        service = TableServiceClient.from_connection_string(request.getfixturevalue("storage_connection_string"))
        return AlertRepository(TableStorage(service, unique_table_prefix()))
    return AlertRepository(memory_storage(MemoryTableService()))


def _alert(rule_id: str, subject: str, minute: int, unique: str = "a") -> Alert:
    raised = datetime(2026, 11, 21, 10, minute, tzinfo=UTC)
    return Alert(
        id=alert_id(raised, unique),
        tenant_id="t1",
        rule_id=rule_id,
        kind="provisioningFailed",
        severity="warning",
        subject=subject,
        subject_name=subject,
        summary="s",
        raised_date_time=raised,
        last_seen_date_time=raised,
        created_date_time=raised,
        last_modified_date_time=raised,
    )


def test_an_open_alert_of_a_rule_and_subject_is_raised_once(alerts: AlertRepository) -> None:
    first = alerts.put_alert(_alert("r1", "policy:p:E", 0), if_none_match=True)
    with pytest.raises(Conflict):
        alerts.put_alert(_alert("r1", "policy:p:E", 1, "b"), if_none_match=True)
    alerts.put_alert(_alert("r2", "policy:p:E", 2), if_none_match=True)  # another rule's is its own
    assert [a.id for a in alerts.open_alerts("t1", "r1")] == [first.id]
    assert [a.id for a in alerts.list_alerts("t1")[0]] == [
        alert_id(datetime(2026, 11, 21, 10, 2, tzinfo=UTC), "a"),
        first.id,
    ]
    assert alerts.count_open_alerts("t1") == 2
    alerts.put_alert(_alert("r1", "policy:p:E", 3).model_copy(update={"tenant_id": "t2"}), if_none_match=True)
    assert alerts.count_open_alerts_per_tenant() == {"t1": 2, "t2": 1}


def test_the_open_alerts_markers_tell_their_severities_and_an_older_marker_its_alerts(
    alerts: AlertRepository,
) -> None:
    critical = _alert("r1", "policy:p:E", 0).model_copy(update={"severity": "critical"})
    alerts.put_alert(critical, if_none_match=True)
    warning = alerts.put_alert(_alert("r2", "policy:p:E", 1), if_none_match=True)
    other = _alert("r1", "policy:p:E", 2).model_copy(update={"tenant_id": "t2", "severity": "informational"})
    alerts.put_alert(other, if_none_match=True)
    # a marker as written before markers kept the severity: the alert's is read
    alerts._markers.put(OpenMarker(alert_id=warning.id), "t1", marker_key("r2", "policy:p:E"))
    assert sorted((a.alert_id, a.severity) for a in alerts.open_alert_severities("t1")) == sorted(
        [(critical.id, "critical"), (warning.id, "warning")]
    )
    assert {t: [a.severity for a in found] for t, found in alerts.open_alert_severities_per_tenant().items()} == {
        "t1": ["critical", "warning"],
        "t2": ["informational"],
    }
    assert alerts.open_alert_severities("t3") == []


def test_resolving_an_alert_lets_its_subject_raise_a_new_one(alerts: AlertRepository) -> None:
    first = alerts.put_alert(_alert("r1", "policy:p:E", 0), if_none_match=True)
    seen = alerts.put_alert(first.model_copy(update={"count": 3}), if_match=first.etag)
    with pytest.raises(PreconditionFailed):
        alerts.put_alert(first.model_copy(update={"status": "resolved"}), if_match=first.etag)
    assert alerts.open_alerts("t1", "r1")[0].count == 3
    alerts.put_alert(seen.model_copy(update={"status": "resolved"}), if_match=seen.etag)
    assert alerts.open_alerts("t1", "r1") == [] and alerts.count_open_alerts("t1") == 0
    second = alerts.put_alert(_alert("r1", "policy:p:E", 5, "b"), if_none_match=True)
    assert alerts.count_open_alerts_per_tenant() == {"t1": 1}
    assert [a.id for a in alerts.list_alerts("t1", status="resolved")[0]] == [first.id]
    assert [a.id for a in alerts.list_alerts("t1", status="active")[0]] == [second.id]
    assert alerts.get_alert("t1", first.id).status == "resolved"
    with pytest.raises(NotFound):
        alerts.get_alert("t1", "~open|r1|x")


def test_tenants_with_enabled_rules_are_read_from_the_rules_keys(alerts: AlertRepository) -> None:
    now = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)
    for tenant_id, rule_id, enabled in (("t2", "a", True), ("t1", "b", False), ("t3", "c", True), ("t3", "d", True)):
        alerts.put_alert_rule(
            AlertRule(
                id=rule_id,
                tenant_id=tenant_id,
                display_name=rule_id,
                kind="licensesLow",
                severity="warning",
                threshold=1,
                enabled=enabled,
                created_date_time=now,
                last_modified_date_time=now,
            )
        )
    assert alerts.tenants_with_enabled_rules() == ["t2", "t3"]
    assert [r.id for r in alerts.list_all_alert_rules("t3")] == ["c", "d"]
