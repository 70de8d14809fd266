"""One table of one model, as every repository reuses it: reads, conditional writes (etags, create-only), merges,
paging and batches, each write announced to the audit's change capture. The entity codec, the continuation tokens and
the table service are in entity_codec.py, continuation_tokens.py and table_service.py."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Generic, TypeVar

from azure.core import MatchConditions
from azure.core.exceptions import (
    HttpResponseError,
    ResourceExistsError,
    ResourceModifiedError,
    ResourceNotFoundError,
)
from azure.data.tables import (
    TableClient,
    TableTransactionError,
    TransactionOperation,
    UpdateMode,
)
from pydantic import BaseModel

from shared.errors import Conflict, NotFound, PreconditionFailed
from shared.storage import change_capture
from shared.storage.change_capture import STAMP
from shared.storage.continuation_tokens import ContinuationTokens
from shared.storage.entity_codec import ETAG_FIELD, EntityCodec, image_of, plain_value, storable_key
from shared.storage.recent_rows import RecentRows
from shared.storage.table_service import TableStorage

M = TypeVar("M", bound=BaseModel)
MAX_BATCH = 100  # Table Storage: at most 100 operations per transaction, one partition each
MAX_PAGE = 1000  # Table Storage answers at most 1,000 entities per query page


class EntityRepository(Generic[M]):
    """CRUD, paging, etags and batches for one table of one model; aggregates wrap it with names."""

    def __init__(self, storage: TableStorage, table_name: str, model: type[M], kind: str) -> None:
        self._storage = storage
        self._table_name = table_name
        self.codec = EntityCodec(model)
        self.kind = kind  # how errors name the resource, e.g. "Tenant"
        # a copy is shallow: the rows read with an age (tenants, role assignments) hold no lists or dicts
        self._recent: RecentRows[M] = RecentRows(lambda item: item.model_copy())

    @property
    def table(self) -> TableClient:
        return self._storage.table(self._table_name)

    @property
    def continuations(self) -> ContinuationTokens:
        return self._storage.continuations

    def get(self, partition_key: str, row_key: str, target: str) -> M:
        item = self.find(partition_key, row_key)
        if item is None:
            raise NotFound.resource(self.kind, row_key or partition_key, target)
        return item

    def find(self, partition_key: str, row_key: str, *, max_age: float = 0.0) -> M | None:
        """The row, or None; with `max_age`, as this process read it at most that many seconds ago (see RecentRows),
        except under an audited request, whose reads are what its event compares the writes with."""
        if change_capture.current() is not None:
            max_age = 0.0
        return self._recent.read((partition_key, row_key), max_age, lambda: self._read(partition_key, row_key))

    def _read(self, partition_key: str, row_key: str) -> M | None:
        if not (storable_key(partition_key) and storable_key(row_key)):
            return None  # no row can have this key (an id from a URL or a body with '/', '#', '?', ...)
        try:
            item = self.codec.from_entity(self.table.get_entity(partition_key, row_key))
        except ResourceNotFoundError:
            return None
        capture = change_capture.current()
        if capture is not None:
            capture.read(self._key(partition_key, row_key), image_of(item))
        return item

    def _key(self, partition_key: str, row_key: str) -> change_capture.RowKey:
        return (self._table_name, partition_key, row_key)

    def _writing(
        self, entity: dict[str, Any], image: Callable[[], dict[str, Any]] | None
    ) -> change_capture.ChangeCapture | None:
        """Under an audited request: announce the write (`image`: the wire fields it sets, None for a delete) and
        stamp the entity with the request's event id."""
        capture = change_capture.current()
        if capture is not None:
            capture.writing(self._key(entity["PartitionKey"], entity["RowKey"]), image() if image else None)
            entity[STAMP] = capture.event_id
        return capture

    def put(
        self,
        item: M,
        partition_key: str,
        row_key: str,
        *,
        if_match: str | None = None,
        if_none_match: bool = False,
    ) -> M:
        """Write `item`: create-only, replace-if-etag-matches, or unconditional upsert."""
        entity = self.codec.to_entity(item, partition_key, row_key)
        capture = self._writing(entity, lambda: image_of(item))
        try:
            if if_none_match:
                metadata = self.table.create_entity(entity)
            elif if_match and if_match != "*":
                metadata = self.table.update_entity(
                    entity,
                    mode=UpdateMode.REPLACE,
                    etag=if_match,
                    match_condition=MatchConditions.IfNotModified,
                )
            elif if_match == "*":
                metadata = self.table.update_entity(entity, mode=UpdateMode.REPLACE)
            else:
                metadata = self.table.upsert_entity(entity, mode=UpdateMode.REPLACE)
        except ResourceExistsError as exc:
            raise Conflict(f"{self.kind} '{row_key}' already exists.", code="alreadyExists", target="id") from exc
        except ResourceModifiedError as exc:
            raise PreconditionFailed.stale(self.kind, row_key) from exc
        except ResourceNotFoundError as exc:
            raise NotFound.resource(self.kind, row_key, "id") from exc
        except HttpResponseError as exc:
            raise _refused_etag(exc, self.kind, row_key, if_match) from exc
        finally:
            self._recent.forget((partition_key, row_key))
        if capture is not None:
            capture.wrote(self._key(partition_key, row_key), image_of(item))
        return (
            item.model_copy(update={ETAG_FIELD: metadata.get("etag")})
            if ETAG_FIELD in type(item).model_fields
            else item
        )

    def delete(self, partition_key: str, row_key: str, *, if_match: str | None = None) -> None:
        """Idempotent delete; with an etag, refuses (412) when the entity changed since."""
        if not (storable_key(partition_key) and storable_key(row_key)):
            return  # no row can have this key
        capture = self._writing({"PartitionKey": partition_key, "RowKey": row_key}, None)
        try:
            if if_match and if_match != "*":
                self.table.delete_entity(
                    partition_key, row_key, etag=if_match, match_condition=MatchConditions.IfNotModified
                )
            else:
                self.table.delete_entity(partition_key, row_key)
        except ResourceModifiedError as exc:
            raise PreconditionFailed.stale(self.kind, row_key) from exc
        except ResourceNotFoundError:
            return
        except HttpResponseError as exc:
            raise _refused_etag(exc, self.kind, row_key, if_match) from exc
        finally:
            self._recent.forget((partition_key, row_key))
        if capture is not None:
            capture.wrote(self._key(partition_key, row_key), None)

    def page(
        self,
        query_filter: str | None = None,
        parameters: dict[str, Any] | None = None,
        *,
        top: int = 100,
        skip_token: str | None = None,
        keep: Callable[[M], bool] | None = None,
    ) -> tuple[list[M], str | None]:
        """Up to `top` items from where `skip_token` left off, and the token for the rest.

        `keep` judges each item the filter returns (a rule the filter can only approximate): a page holds only
        kept items, and storage is read on until `top` are kept or nothing is left, so no page is empty but the last.
        """
        token = self._storage.continuations.decode(skip_token)
        items: list[M] = []
        while True:
            wanted = min(top - len(items), MAX_PAGE)  # never more than the page has room for: none is skipped
            pager = self._query(query_filter, parameters, wanted).by_page(continuation_token=token)
            for entity in next(pager, []):
                item = self.codec.from_entity(entity)
                if keep is None or keep(item):
                    items.append(item)
            token = pager.continuation_token
            if not token or len(items) >= top:
                return items, self._storage.continuations.encode(token)

    def scan(
        self, query_filter: str | None = None, parameters: dict[str, Any] | None = None, *, per_page: int = MAX_PAGE
    ) -> Iterator[M]:
        """Every matching item, following continuation tokens (a page of `per_page` read when the last is spent)."""
        for entity in self._query(query_filter, parameters, per_page):
            yield self.codec.from_entity(entity)

    def scan_keyed(
        self, query_filter: str | None = None, parameters: dict[str, Any] | None = None
    ) -> Iterator[tuple[str, str, M]]:
        """`scan` with each item's partition and row key (a model that does not hold them: a group's hosts)."""
        for entity in self._query(query_filter, parameters, MAX_PAGE):
            yield entity["PartitionKey"], entity["RowKey"], self.codec.from_entity(entity)

    def count_by(self, column: str, query_filter: str, parameters: dict[str, Any] | None = None) -> Counter[Any]:
        """How many matching rows hold each value of `column` (None: rows without it), in one query that reads
        only that column, following continuation tokens: no entity is loaded whole."""
        return Counter(entity.get(column) for entity in self._query(query_filter, parameters, MAX_PAGE, [column]))

    def count_by_partition(
        self, column: str, query_filter: str | None = None, parameters: dict[str, Any] | None = None
    ) -> dict[str, Counter[Any]]:
        """`count_by` in every partition at once: one query that reads only the partition key and `column`."""
        counts: defaultdict[str, Counter[Any]] = defaultdict(Counter)
        for entity in self._query(query_filter, parameters, MAX_PAGE, ["PartitionKey", column]):
            counts[entity["PartitionKey"]][entity.get(column)] += 1
        return dict(counts)

    def row_keys(self, query_filter: str, parameters: dict[str, Any] | None = None) -> Iterator[str]:
        """The row key of every matching row, in one query that reads only that column (what a clean-up deletes)."""
        for entity in self._query(query_filter, parameters, MAX_PAGE, ["RowKey"]):
            yield entity["RowKey"]

    def columns(
        self, names: list[str], query_filter: str | None = None, parameters: dict[str, Any] | None = None
    ) -> Iterator[dict[str, Any]]:
        """`names` of every matching row (None where a row has none), in one query that reads only them."""
        for entity in self._query(query_filter, parameters, MAX_PAGE, names):
            yield {name: entity.get(name) for name in names}

    def exists(self, query_filter: str, parameters: dict[str, Any] | None = None) -> bool:
        pager = self._query(query_filter, parameters, 1, select=["PartitionKey"]).by_page()
        for page in pager:
            for _ in page:
                return True
        return False

    def _query(
        self,
        query_filter: str | None,
        parameters: dict[str, Any] | None,
        per_page: int,
        select: list[str] | None = None,
    ) -> Any:
        if query_filter:
            return self.table.query_entities(
                query_filter, parameters=parameters, results_per_page=per_page, select=select
            )
        return self.table.list_entities(results_per_page=per_page, select=select)

    def merge(self, item: M, partition_key: str, row_key: str, fields: Iterable[str]) -> None:
        """Write only `fields` (by name) of `item` onto the stored row, leaving the rest as it is."""
        aliases = {type(item).model_fields[name].alias or name for name in fields}
        entity = {
            k: v
            for k, v in self.codec.to_entity(item, partition_key, row_key).items()
            if k in aliases or k in ("PartitionKey", "RowKey")
        }
        capture = self._writing(entity, lambda: {k: v for k, v in image_of(item).items() if k in aliases})
        try:
            self.table.update_entity(entity, mode=UpdateMode.MERGE)
        except ResourceNotFoundError as exc:
            raise NotFound.resource(self.kind, row_key, "id") from exc
        finally:
            self._recent.forget((partition_key, row_key))
        if capture is not None:
            capture.merged(self._key(partition_key, row_key), {k: v for k, v in image_of(item).items() if k in aliases})

    def merge_values(self, partition_key: str, row_key: str, values: dict[str, Any]) -> None:
        """Set raw properties on an existing row in one round trip (no read); NotFound if there is no row."""
        entity = {"PartitionKey": partition_key, "RowKey": row_key, **values}
        capture = self._writing(entity, lambda: {k: plain_value(v) for k, v in values.items()})
        try:
            self.table.update_entity(entity, mode=UpdateMode.MERGE)
        except ResourceNotFoundError as exc:
            raise NotFound.resource(self.kind, row_key, "id") from exc
        finally:
            self._recent.forget((partition_key, row_key))
        if capture is not None:
            capture.merged(self._key(partition_key, row_key), {k: plain_value(v) for k, v in values.items()})

    def delete_while_unchanged(self, partition_key: str, row_key: str, etag: str, *, witness: tuple[str, str]) -> None:
        """Delete a row only while another row of its partition (row key, etag) is unchanged, in one transaction:
        two callers each deleting one of the last two rows of a kind cannot both succeed."""
        witness_key, witness_etag = witness
        entity = {"PartitionKey": partition_key, "RowKey": row_key}
        capture = self._writing(entity, None)
        unchanged = {"match_condition": MatchConditions.IfNotModified}
        operations: list[Any] = [
            (TransactionOperation.DELETE, entity, {"etag": etag, **unchanged}),
            (
                TransactionOperation.UPDATE,
                {"PartitionKey": partition_key, "RowKey": witness_key},
                {"mode": UpdateMode.MERGE, "etag": witness_etag, **unchanged},
            ),
        ]
        try:
            self.table.submit_transaction(operations)
        except TableTransactionError as exc:
            raise PreconditionFailed.stale(self.kind, row_key) from exc
        finally:
            self._recent.forget((partition_key, row_key), (partition_key, witness_key))
        if capture is not None:
            capture.wrote(self._key(partition_key, row_key), None)

    def delete_many(self, partition_key: str, row_keys: Iterable[str]) -> int:
        """Delete rows of one partition in transactions of at most 100; returns the count."""
        operations = [(TransactionOperation.DELETE, {"PartitionKey": partition_key, "RowKey": k}) for k in row_keys]
        for _, entity in operations:
            self._writing(entity, None)
        try:
            for start in range(0, len(operations), MAX_BATCH):
                self.table.submit_transaction(operations[start : start + MAX_BATCH])
        finally:
            self._recent.forget(*((partition_key, entity["RowKey"]) for _, entity in operations))
        return len(operations)

    def put_many(self, rows: Iterable[tuple[M, str, str]]) -> int:
        """Upsert many items in transactions of at most 100, grouped by partition; returns the count."""
        by_partition: dict[str, list[tuple[TransactionOperation, dict[str, Any]]]] = defaultdict(list)
        for item, partition_key, row_key in rows:
            entity = self.codec.to_entity(item, partition_key, row_key)
            self._writing(entity, lambda item=item: image_of(item))  # type: ignore[misc]
            by_partition[partition_key].append((TransactionOperation.UPSERT, entity))
        written = 0
        try:
            for operations in by_partition.values():
                for start in range(0, len(operations), MAX_BATCH):
                    chunk = operations[start : start + MAX_BATCH]
                    self.table.submit_transaction(chunk)
                    written += len(chunk)
        finally:
            self._recent.forget(*((e["PartitionKey"], e["RowKey"]) for ops in by_partition.values() for _, e in ops))
        return written


def _refused_etag(exc: HttpResponseError, kind: str, row_key: str, if_match: str | None) -> Exception:
    """Storage refuses an If-Match it cannot parse with 400; to the caller it is an etag that does not match."""
    if if_match and exc.status_code == 400:
        return PreconditionFailed.stale(kind, row_key)
    return exc
