"""The emulator's state: JSON documents by kind and key, in memory, written through to SQLite when a folder is given."""

from __future__ import annotations

import bisect
import json
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

# A document's value in an index (its resource type, the VM a session host is): None leaves it out of the index.
IndexValue = Callable[[dict[str, Any]], str | None]


class Store:
    """Documents keyed by (kind, key). Keys are compared as given: callers lower-case ARM names themselves.

    Every public call is atomic; `transaction()` holds the lock across several calls for a read-modify-write.
    """

    def __init__(self, path: Path | None = None) -> None:
        self._lock = threading.RLock()
        self._docs: dict[str, dict[str, dict[str, Any]]] = {}
        self._sorted: dict[str, list[str]] = {}  # each kind's keys in order: a prefix is a range, not a full scan
        # kind -> index name -> (the value of a document, value -> the keys that have it): a lookup by what a document
        # is, where a scan would read every tenant's documents on each request
        self._indexes: dict[str, dict[str, tuple[IndexValue, dict[str, set[str]]]]] = {}
        self._db: sqlite3.Connection | None = None
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS docs (kind TEXT, key TEXT, body TEXT, PRIMARY KEY (kind, key))"
            )
            for kind, key, body in self._db.execute("SELECT kind, key, body FROM docs"):
                self._docs.setdefault(kind, {})[key] = json.loads(body)
            self._sorted = {kind: sorted(docs) for kind, docs in self._docs.items()}

    def add_index(self, kind: str, name: str, value_of: IndexValue) -> None:
        """Keep the keys of `kind`'s documents by `value_of` (for `find`), as documents are written and deleted."""
        with self._lock:
            index: tuple[IndexValue, dict[str, set[str]]] = (value_of, {})
            self._indexes.setdefault(kind, {})[name] = index
            for key, doc in self._docs.get(kind, {}).items():
                _file(index, key, doc)

    def find(
        self, kind: str, name: str, value: str, where: Callable[[dict[str, Any]], bool] | None = None
    ) -> list[dict[str, Any]]:
        """Copies of the documents whose value in index `name` is `value` (and that `where` accepts), in key order."""
        with self._lock:
            docs = self._docs.get(kind, {})
            keys = sorted(self._indexes[kind][name][1].get(value, ()))
            return [json.loads(json.dumps(docs[k])) for k in keys if where is None or where(docs[k])]

    def _unindex(self, kind: str, key: str, doc: dict[str, Any]) -> None:
        for value_of, keys_by_value in self._indexes.get(kind, {}).values():
            if (value := value_of(doc)) is not None and (keys := keys_by_value.get(value)) is not None:
                keys.discard(key)
                if not keys:
                    del keys_by_value[value]

    def _index(self, kind: str, key: str, doc: dict[str, Any]) -> None:
        for index in self._indexes.get(kind, {}).values():
            _file(index, key, doc)

    @contextmanager
    def transaction(self) -> Iterator[Store]:
        with self._lock:
            yield self

    def get(self, kind: str, key: str) -> dict[str, Any] | None:
        with self._lock:
            doc = self._docs.get(kind, {}).get(key)
            return json.loads(json.dumps(doc)) if doc is not None else None

    def put(self, kind: str, key: str, doc: dict[str, Any]) -> dict[str, Any]:
        body = json.dumps(doc)
        with self._lock:
            docs = self._docs.setdefault(kind, {})
            if (old := docs.get(key)) is None:
                bisect.insort(self._sorted.setdefault(kind, []), key)
            else:
                self._unindex(kind, key, old)
            docs[key] = json.loads(body)
            self._index(kind, key, docs[key])
            if self._db is not None:
                self._db.execute("INSERT OR REPLACE INTO docs VALUES (?, ?, ?)", (kind, key, body))
        return doc

    def insert(self, kind: str, key: str, doc: dict[str, Any]) -> bool:
        """Create-only: False (and nothing written) when the key exists."""
        with self._lock:
            if key in self._docs.get(kind, {}):
                return False
            self.put(kind, key, doc)
            return True

    def delete(self, kind: str, key: str) -> bool:
        with self._lock:
            old = self._docs.get(kind, {}).pop(key, None)
            if old is None:
                return False
            self._unindex(kind, key, old)
            keys = self._sorted[kind]
            del keys[bisect.bisect_left(keys, key)]
            if self._db is not None:
                self._db.execute("DELETE FROM docs WHERE kind = ? AND key = ?", (kind, key))
            return True

    def scan(
        self, kind: str, prefix: str = "", where: Callable[[dict[str, Any]], bool] | None = None
    ) -> list[dict[str, Any]]:
        """Copies of the documents whose key starts with `prefix` (and that `where` accepts), in key order."""
        with self._lock:
            docs = self._docs.get(kind, {})
            return [
                json.loads(json.dumps(docs[k])) for k in self._range(kind, prefix) if where is None or where(docs[k])
            ]

    def keys(self, kind: str, prefix: str = "", where: Callable[[dict[str, Any]], bool] | None = None) -> list[str]:
        """The keys that start with `prefix` (of the documents `where` accepts: no copy is made to ask), in order."""
        with self._lock:
            docs = self._docs.get(kind, {})
            return [k for k in self._range(kind, prefix) if where is None or where(docs[k])]

    def _range(self, kind: str, prefix: str) -> Iterator[str]:
        keys = self._sorted.get(kind, [])
        for index in range(bisect.bisect_left(keys, prefix), len(keys)):
            if not keys[index].startswith(prefix):
                return
            yield keys[index]

    def clear(self) -> None:
        with self._lock:
            self._docs.clear()
            self._sorted.clear()
            for indexes in self._indexes.values():
                for _value_of, keys_by_value in indexes.values():
                    keys_by_value.clear()
            if self._db is not None:
                self._db.execute("DELETE FROM docs")

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None


def _file(index: tuple[IndexValue, dict[str, set[str]]], key: str, doc: dict[str, Any]) -> None:
    """File the document's key under its value in one index (a document without a value is left out)."""
    value_of, keys_by_value = index
    if (value := value_of(doc)) is not None:
        keys_by_value.setdefault(value, set()).add(key)
