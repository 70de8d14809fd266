"""An in-memory Table service behind the SDK's own client interface, so the real repositories run in the unit tier.

Entities are kept as the wire JSON the SDK would send (its own serializer) and read back through its own
deserializer, filters are the OData text the SDK would send (its own parameter substitution), and the service's
answers are the SDK's exceptions: `tests/integration/test_table_repository.py` runs the same cases here and on
Azurite. What it keeps out: the network, and nothing else a repository can see.
"""

from __future__ import annotations

import itertools
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, cast

from azure.core import MatchConditions
from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceModifiedError, ResourceNotFoundError
from azure.core.paging import ItemPaged
from azure.data.tables import (
    TableEntity,
    TableServiceClient,
    TableTransactionError,
    TransactionOperation,
    UpdateMode,
)
from azure.data.tables._deserialize import _convert_to_entity
from azure.data.tables._serialize import _add_entity_properties, _parameter_filter_substitution

from shared.storage.table_service import TableStorage
from tests.fakes.odata_filter import Predicate, parse_filter

MAX_PAGE = 1000  # the service's own limit per query page
MAX_TRANSACTION = 100
ETAG = re.compile(r"""^W/"datetime'[^']+'"$""")
_etags = itertools.count(1)  # one sequence for every table: no two writes ever share an etag

Key = tuple[str, str]
Wire = dict[str, Any]


def _failure(error: type[HttpResponseError], status: int, message: str) -> HttpResponseError:
    failure = error(message=message)
    failure.status_code = status
    return failure


class MemoryTableService:
    """The account's table service (`TableStorage` takes it in place of `TableServiceClient`). `clock` gives each
    write its Timestamp, as the service's own clock does, so a test's clock decides what is old."""

    def __init__(self, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.clock = clock
        self._tables: dict[str, MemoryTable] = {}
        self._lock = threading.Lock()
        self.round_trips = 0  # requests the account would have answered: a read, a page of a query, a write, a batch

    def create_table_if_not_exists(self, table_name: str, **_: Any) -> MemoryTable:
        with self._lock:
            return self._tables.setdefault(table_name, MemoryTable(table_name, self))

    def get_table_client(self, table_name: str, **_: Any) -> MemoryTable:
        return self.create_table_if_not_exists(table_name)

    def list_tables(self, **_: Any) -> ItemPaged[str]:
        names = sorted(self._tables)
        return ItemPaged(lambda token: names, lambda page: (None, iter(page)))

    def entities(self, table_name: str) -> list[TableEntity]:
        """Every row of a table in key order (for a test's assertions; the app reads through its repositories)."""
        return list(self.get_table_client(table_name).list_entities())


def memory_storage(service: MemoryTableService) -> TableStorage:
    """The app's `TableStorage` on the in-memory service (which has the SDK client's interface, not its type)."""
    return TableStorage(cast(TableServiceClient, service))


class MemoryTable:
    """One table: the `TableClient` methods the repositories call, with the service's conditions and answers."""

    def __init__(self, table_name: str, service: MemoryTableService) -> None:
        self.table_name = table_name
        self._service = service
        self._rows: dict[Key, Wire] = {}
        self._lock = threading.RLock()

    # reads
    def get_entity(self, partition_key: str, row_key: str, **_: Any) -> TableEntity:
        self._service.round_trips += 1
        with self._lock:
            row = self._rows.get((partition_key, row_key))
        if row is None:
            raise _failure(ResourceNotFoundError, 404, "The specified resource does not exist.")
        return _convert_to_entity(dict(row))

    def list_entities(
        self, *, results_per_page: int | None = None, select: list[str] | None = None, **_: Any
    ) -> ItemPaged[TableEntity]:
        return self._pager(None, results_per_page, select)

    def query_entities(
        self,
        query_filter: str,
        *,
        parameters: dict[str, Any] | None = None,
        results_per_page: int | None = None,
        select: list[str] | None = None,
        **_: Any,
    ) -> ItemPaged[TableEntity]:
        return self._pager(
            parse_filter(_parameter_filter_substitution(parameters, query_filter)), results_per_page, select
        )

    def _pager(self, where: Predicate | None, per_page: int | None, select: list[str] | None) -> ItemPaged[TableEntity]:
        size = min(per_page or MAX_PAGE, MAX_PAGE)

        def page(token: Mapping[str, str] | None) -> tuple[Mapping[str, str] | None, list[TableEntity]]:
            self._service.round_trips += 1
            start = (token["PartitionKey"], token["RowKey"]) if token else None
            with self._lock:
                keys = [key for key in sorted(self._rows) if start is None or key >= start]
                found: list[tuple[Key, Wire]] = []
                for key in keys:
                    if len(found) > size:
                        break
                    row = self._rows[key]
                    if where is None or where(_convert_to_entity(dict(row))):
                        found.append((key, row))
            chosen, rest = found[:size], found[size:]
            next_token = {"PartitionKey": rest[0][0][0], "RowKey": rest[0][0][1]} if rest else None
            return next_token, [_selected(_convert_to_entity(dict(row)), select) for _, row in chosen]

        return ItemPaged(page, lambda answer: (answer[0], iter(answer[1])))

    # writes
    def create_entity(self, entity: Mapping[str, Any], **_: Any) -> dict[str, Any]:
        self._service.round_trips += 1
        with self._lock:
            if _key(entity) in self._rows:
                raise _failure(ResourceExistsError, 409, "The specified entity already exists.")
            return self._store(entity)

    def upsert_entity(self, entity: Mapping[str, Any], mode: UpdateMode = UpdateMode.MERGE, **_: Any) -> dict[str, Any]:
        self._service.round_trips += 1
        with self._lock:
            return self._store(entity, merge_onto=self._rows.get(_key(entity)) if mode == UpdateMode.MERGE else None)

    def update_entity(
        self,
        entity: Mapping[str, Any],
        mode: UpdateMode = UpdateMode.MERGE,
        *,
        etag: str | None = None,
        match_condition: MatchConditions | None = None,
        **_: Any,
    ) -> dict[str, Any]:
        self._service.round_trips += 1
        with self._lock:
            current = self._checked(_key(entity), etag, match_condition)
            if current is None:
                raise _failure(ResourceNotFoundError, 404, "The specified resource does not exist.")
            return self._store(entity, merge_onto=current if mode == UpdateMode.MERGE else None)

    def delete_entity(
        self,
        partition_key: str,
        row_key: str,
        *,
        etag: str | None = None,
        match_condition: MatchConditions | None = None,
        **_: Any,
    ) -> None:
        self._service.round_trips += 1
        with self._lock:
            if self._checked((partition_key, row_key), etag, match_condition) is not None:
                del self._rows[(partition_key, row_key)]

    def submit_transaction(self, operations: Iterable[Any], **_: Any) -> list[dict[str, Any]]:
        """All or nothing, one partition, at most 100 operations, each row at most once: as the service does."""
        steps = [(_operation(op[0]), op[1], op[2] if len(op) > 2 else {}) for op in operations]
        if len({entity["PartitionKey"] for _, entity, _ in steps}) > 1:
            raise ValueError("Partition Keys in the batch must all be the same.")
        if len(steps) > MAX_TRANSACTION or len({_key(entity) for _, entity, _ in steps}) < len(steps):
            raise TableTransactionError(message="0:The batch request operation exceeds the maximum 100 changes.")
        with self._lock:
            before, trips = dict(self._rows), self._service.round_trips
            answers = []
            try:
                for index, (op, entity, kwargs) in enumerate(steps):
                    try:
                        answers.append(self._apply(op, entity, kwargs))
                    except HttpResponseError as exc:
                        self._rows = before
                        raise TableTransactionError(message=f"{index}:{exc.message}") from exc
            finally:
                self._service.round_trips = trips + 1  # one request, whatever its steps
            return answers

    def _apply(self, op: TransactionOperation, entity: Mapping[str, Any], kwargs: dict[str, Any]) -> dict[str, Any]:
        if op == TransactionOperation.CREATE:
            return self.create_entity(entity)
        if op == TransactionOperation.UPSERT:
            return self.upsert_entity(entity, **kwargs)
        if op == TransactionOperation.UPDATE:
            return self.update_entity(entity, **kwargs)
        if self._checked(_key(entity), kwargs.get("etag"), kwargs.get("match_condition")) is None:
            raise _failure(ResourceNotFoundError, 404, "The specified resource does not exist.")
        del self._rows[_key(entity)]  # in a transaction, unlike alone, deleting a missing row fails
        return {}

    def _checked(self, key: Key, etag: str | None, condition: MatchConditions | None) -> Wire | None:
        """The row a conditional request may change (None: there is none); the service's 400 or 412 otherwise."""
        current = self._rows.get(key)
        if etag is None or condition != MatchConditions.IfNotModified:
            return current
        if not ETAG.match(etag):
            raise _failure(HttpResponseError, 400, "The etag value is not in a valid format.")
        if current is not None and current["odata.etag"] != etag:
            raise _failure(ResourceModifiedError, 412, "The update condition specified in the request was not met.")
        return current

    def _store(self, entity: Mapping[str, Any], merge_onto: Wire | None = None) -> dict[str, Any]:
        properties = _add_entity_properties(entity)
        now = self._service.clock().astimezone(UTC)
        stamp = now.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        etag = f"W/\"datetime'{stamp[:-1]}{next(_etags):09d}Z'\""
        kept = {k: v for k, v in (merge_onto or {}).items() if not k.startswith("odata.") and k != "Timestamp"}
        self._rows[_key(entity)] = {**kept, **properties, "Timestamp": stamp, "odata.etag": etag}
        return {"etag": etag, "date": now, "version": "2019-02-02"}


def _operation(name: str | TransactionOperation) -> TransactionOperation:
    return name if isinstance(name, TransactionOperation) else TransactionOperation(name.lower())


def _key(entity: Mapping[str, Any]) -> Key:
    return str(entity["PartitionKey"]), str(entity["RowKey"])


def _selected(entity: TableEntity, select: list[str] | None) -> TableEntity:
    if select is None:
        return entity
    chosen = TableEntity({name: entity[name] for name in select if name in entity})
    chosen._metadata = entity.metadata
    return chosen
