"""Generic Table Storage pieces every repository reuses (codec, paging, etags, batches): one concern, the table
layer under every repository, whose pieces call one another."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import secrets
import threading
import typing
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from enum import Enum
from typing import Any, Generic, TypeVar

from azure.core import MatchConditions
from azure.core.exceptions import (
    HttpResponseError,
    ResourceExistsError,
    ResourceModifiedError,
    ResourceNotFoundError,
)
from azure.data.tables import (
    EdmType,
    EntityProperty,
    TableClient,
    TableServiceClient,
    TableTransactionError,
    TransactionOperation,
    UpdateMode,
)
from pydantic import BaseModel

from shared.errors import Conflict, NotFound, PreconditionFailed, ValidationFailed
from shared.errors import ErrorDetail as Detail
from shared.storage import change_capture
from shared.storage.change_capture import STAMP
from shared.storage.recent_rows import RecentRows

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")
MAX_BATCH = 100  # Table Storage: at most 100 operations per transaction, one partition each
MAX_PAGE = 1000  # Table Storage answers at most 1,000 entities per query page
ETAG_FIELD = "etag"
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1


class RequestCounter:
    """Counts storage round trips (benchmarks report Table transactions per Cloud PC)."""

    count = 0

    @classmethod
    def hook(cls, request: Any) -> None:
        cls.count += 1


class TableStorage:
    """The account's table service; creates each table once, on first use."""

    def __init__(self, service: TableServiceClient, prefix: str = "") -> None:
        self.service = service
        self._prefix = prefix
        # signs the continuation tokens callers get; bootstrap gives it the app's key (in Key Vault)
        self.continuations = PROCESS_TOKENS
        self._ready: dict[str, TableClient] = {}
        self._lock = threading.Lock()

    def table(self, name: str) -> TableClient:
        full_name = f"{self._prefix}{name}"
        with self._lock:
            client = self._ready.get(full_name)
            if client is None:
                self.service.create_table_if_not_exists(full_name)
                client = self.service.get_table_client(full_name)
                self._ready[full_name] = client
            return client

    def ping(self) -> None:
        """One cheap round trip, without retries; raises when storage does not answer."""
        pages = self.service.list_tables(results_per_page=1, retry_total=0, connection_timeout=3).by_page()
        next(pages, None)


def _is_complex(annotation: Any) -> bool:
    origin = typing.get_origin(annotation)
    if origin in (list, dict, tuple, set, frozenset):
        return True
    if origin is typing.Union or str(origin) == "<class 'types.UnionType'>":
        return any(_is_complex(arg) for arg in typing.get_args(annotation) if arg is not type(None))
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


class EntityCodec(Generic[M]):
    """Maps a pydantic model to a table entity: scalars as properties, nested values as JSON text."""

    def __init__(self, model: type[M]) -> None:
        self.model = model
        self._complex = {
            (field.alias or name) for name, field in model.model_fields.items() if _is_complex(field.annotation)
        }

    def to_entity(self, item: M, partition_key: str, row_key: str) -> dict[str, Any]:
        entity: dict[str, Any] = {"PartitionKey": partition_key, "RowKey": row_key}
        # what the API derives on the way out (a failure's catalogue words) is not stored: today's words show
        native = item.model_dump(by_alias=True, exclude={ETAG_FIELD}, exclude_computed_fields=True)
        wire = item.model_dump(by_alias=True, exclude={ETAG_FIELD}, mode="json", exclude_computed_fields=True)
        for key, value in native.items():
            if value is None:
                continue
            if key in self._complex:
                entity[key] = json.dumps(wire[key], separators=(",", ":"))
            elif isinstance(value, datetime):
                entity[key] = value
            elif isinstance(value, Enum):
                entity[key] = value.value
            elif isinstance(value, int) and not isinstance(value, bool) and not INT32_MIN <= value <= INT32_MAX:
                entity[key] = EntityProperty(value, EdmType.INT64)
            else:
                entity[key] = wire[key]
        return entity

    def from_entity(self, entity: Mapping[str, Any]) -> M:
        data: dict[str, Any] = {}
        for key, value in entity.items():
            if key in ("PartitionKey", "RowKey", "Timestamp", STAMP):
                continue
            if isinstance(value, EntityProperty):
                value = value.value
            data[key] = json.loads(value) if key in self._complex and isinstance(value, str) else value
        etag = getattr(entity, "metadata", {}).get("etag")
        if ETAG_FIELD in self.model.model_fields:
            data[ETAG_FIELD] = etag
        return self.model.model_validate(data)


class ContinuationTokens:
    """Continuation tokens as callers see them: Table Storage's continuation, signed (HMAC-SHA256), so a token
    this service did not issue is refused with 400 instead of being passed to storage."""

    def __init__(self, key: Callable[[], bytes]) -> None:
        self._key_source = key  # read on first use: the key lives in the app's Key Vault
        self._key: bytes | None = None
        self._lock = threading.Lock()

    def _signature(self, payload: str) -> str:
        with self._lock:
            if self._key is None:
                self._key = self._key_source()
            key = self._key
        digest = hmac.new(key, payload.encode(), hashlib.sha256).digest()[:18]
        return base64.urlsafe_b64encode(digest).decode()

    def encode(self, token: Any) -> str | None:
        if not token:
            return None
        raw = json.dumps(token, separators=(",", ":"), sort_keys=True).encode()
        payload = base64.urlsafe_b64encode(raw).decode().rstrip("=")
        return f"{payload}.{self._signature(payload)}"

    def decode(self, token: str | None) -> Any:
        if not token:
            return None
        payload, _, signature = token.partition(".")
        decoded = None
        # compared as bytes: compare_digest refuses non-ASCII text, and a forged token may hold any
        if signature and hmac.compare_digest(signature.encode(), self._signature(payload).encode()):
            try:
                decoded = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
            except (ValueError, binascii.Error):
                decoded = None
        if not isinstance(decoded, dict):
            raise ValidationFailed.of(
                Detail(
                    "invalidSkipToken", "skipToken is not one this service issued; start the list again.", "skipToken"
                )
            )
        return decoded

    def page(self, ordered: Sequence[T], *, top: int, skip_token: str | None) -> tuple[list[T], str | None]:
        """One page of a list read whole (a principal's few tenants, what Azure lists), by its position: an item
        added or removed between two pages may shift the rest by one, which a list read whole each time allows."""
        offset = (self.decode(skip_token) or {}).get("offset", 0)
        if not isinstance(offset, int) or offset < 0:
            offset = len(ordered)
        rest = offset + top
        return list(ordered[offset:rest]), self.encode({"offset": rest}) if rest < len(ordered) else None


# for repositories that hold no key (the tests' in-memory fakes): signed with a key made for this process
PROCESS_TOKENS = ContinuationTokens(lambda: secrets.token_bytes(32))
encode_skip_token, decode_skip_token = PROCESS_TOKENS.encode, PROCESS_TOKENS.decode


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
        if not (_storable_key(partition_key) and _storable_key(row_key)):
            return None  # no row can have this key (an id from a URL or a body with '/', '#', '?', ...)
        try:
            item = self.codec.from_entity(self.table.get_entity(partition_key, row_key))
        except ResourceNotFoundError:
            return None
        capture = change_capture.current()
        if capture is not None:
            capture.read(self._key(partition_key, row_key), _image(item))
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
        capture = self._writing(entity, lambda: _image(item))
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
            capture.wrote(self._key(partition_key, row_key), _image(item))
        return (
            item.model_copy(update={ETAG_FIELD: metadata.get("etag")})
            if ETAG_FIELD in type(item).model_fields
            else item
        )

    def delete(self, partition_key: str, row_key: str, *, if_match: str | None = None) -> None:
        """Idempotent delete; with an etag, refuses (412) when the entity changed since."""
        if not (_storable_key(partition_key) and _storable_key(row_key)):
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

    def scan(self, query_filter: str | None = None, parameters: dict[str, Any] | None = None) -> Iterator[M]:
        """Every matching item, following continuation tokens."""
        for entity in self._query(query_filter, parameters, MAX_PAGE):
            yield self.codec.from_entity(entity)

    def count_by(self, column: str, query_filter: str, parameters: dict[str, Any] | None = None) -> Counter[Any]:
        """How many matching rows hold each value of `column` (None: rows without it), in one query that reads
        only that column, following continuation tokens: no entity is loaded whole."""
        return Counter(entity.get(column) for entity in self._query(query_filter, parameters, MAX_PAGE, [column]))

    def row_keys(self, query_filter: str, parameters: dict[str, Any] | None = None) -> Iterator[str]:
        """The row key of every matching row, in one query that reads only that column (what a clean-up deletes)."""
        for entity in self._query(query_filter, parameters, MAX_PAGE, ["RowKey"]):
            yield entity["RowKey"]

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
        capture = self._writing(entity, lambda: {k: v for k, v in _image(item).items() if k in aliases})
        try:
            self.table.update_entity(entity, mode=UpdateMode.MERGE)
        except ResourceNotFoundError as exc:
            raise NotFound.resource(self.kind, row_key, "id") from exc
        finally:
            self._recent.forget((partition_key, row_key))
        if capture is not None:
            capture.merged(self._key(partition_key, row_key), {k: v for k, v in _image(item).items() if k in aliases})

    def merge_values(self, partition_key: str, row_key: str, values: dict[str, Any]) -> None:
        """Set raw properties on an existing row in one round trip (no read); NotFound if there is no row."""
        entity = {"PartitionKey": partition_key, "RowKey": row_key, **values}
        capture = self._writing(entity, lambda: {k: _plain(v) for k, v in values.items()})
        try:
            self.table.update_entity(entity, mode=UpdateMode.MERGE)
        except ResourceNotFoundError as exc:
            raise NotFound.resource(self.kind, row_key, "id") from exc
        finally:
            self._recent.forget((partition_key, row_key))
        if capture is not None:
            capture.merged(self._key(partition_key, row_key), {k: _plain(v) for k, v in values.items()})

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
            self._writing(entity, lambda item=item: _image(item))  # type: ignore[misc]
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


def _image(item: BaseModel) -> dict[str, Any]:
    """A row as the audit log compares it: the model's wire fields."""
    return item.model_dump(mode="json", by_alias=True, exclude={ETAG_FIELD}, exclude_computed_fields=True)


def _plain(value: Any) -> Any:
    if isinstance(value, EntityProperty):
        value = value.value
    return value.isoformat() if isinstance(value, datetime) else value


def _refused_etag(exc: HttpResponseError, kind: str, row_key: str, if_match: str | None) -> Exception:
    """Storage refuses an If-Match it cannot parse with 400; to the caller it is an etag that does not match."""
    if if_match and exc.status_code == 400:
        return PreconditionFailed.stale(kind, row_key)
    return exc


UNSTORABLE_KEY = re.compile(r"[/\\#?\x00-\x1f\x7f-\x9f]")  # characters Table Storage refuses in keys


def _storable_key(key: str) -> bool:
    try:
        size = len(key.encode("utf-8"))  # a lone surrogate is no character: no key holds one
    except UnicodeEncodeError:
        return False
    return size <= 1024 and not UNSTORABLE_KEY.search(key)
