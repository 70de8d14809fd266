"""SQLite persistence for one task hub: instances, history, inboxes and outstanding work.

Every state change the engine makes is one transaction here, so a killed process leaves the
file consistent: a completed activity is either still listed as outstanding work (and re-runs
on restart) or its completion is in the instance's inbox (and it does not).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS instances (
    instance_id TEXT PRIMARY KEY, name TEXT NOT NULL, execution_id TEXT NOT NULL,
    status TEXT NOT NULL, input TEXT, output TEXT, custom_status TEXT,
    created TEXT NOT NULL, updated TEXT NOT NULL, parent TEXT, waits TEXT, version TEXT);
CREATE TABLE IF NOT EXISTS history (
    instance_id TEXT NOT NULL, seq INTEGER NOT NULL, event TEXT NOT NULL,
    PRIMARY KEY (instance_id, seq));
CREATE TABLE IF NOT EXISTS inbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT, instance_id TEXT NOT NULL, message TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS inbox_by_instance ON inbox (instance_id);
CREATE TABLE IF NOT EXISTS activities (
    instance_id TEXT NOT NULL, execution_id TEXT NOT NULL, task_id INTEGER NOT NULL,
    name TEXT NOT NULL, input TEXT, PRIMARY KEY (instance_id, execution_id, task_id));
CREATE TABLE IF NOT EXISTS timers (
    instance_id TEXT NOT NULL, execution_id TEXT NOT NULL, timer_id INTEGER NOT NULL,
    fire_at TEXT NOT NULL, PRIMARY KEY (instance_id, execution_id, timer_id));
"""

INSTANCE_COLUMNS = (
    "instance_id",
    "name",
    "execution_id",
    "status",
    "input",
    "output",
    "custom_status",
    "created",
    "updated",
    "parent",
    "waits",
    "version",
)


@dataclass
class StoredInstance:
    row: dict[str, Any]
    history: list[dict[str, Any]] = field(default_factory=list)
    inbox: list[tuple[int, dict[str, Any]]] = field(default_factory=list)


@dataclass
class WorkKey:
    instance_id: str
    execution_id: str
    task_id: int


class DurableStore:
    """A SQLite file (or `":memory:"`) holding one task hub's state."""

    def __init__(self, path: str | Path = ":memory:") -> None:
        self.path = str(path)
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        if self.path != ":memory:":
            # WAL keeps every commit through a killed process: the operating system holds what was written. Nothing
            # is synced (OFF): a power cut may corrupt this local, scratch file (delete it then), while the syncs
            # NORMAL made at each checkpoint were a fifth of the store's CPU (2.6 to 2.0 ms an orchestration of 13
            # episodes, measured in turns)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=OFF")
        self._db.executescript(_SCHEMA)
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(instances)")}
        if "version" not in columns:  # a file written before versions were kept
            self._db.execute("ALTER TABLE instances ADD COLUMN version TEXT")

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield Transaction(self._db)
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def load(self) -> list[StoredInstance]:
        instances: dict[str, StoredInstance] = {}
        for values in self._db.execute(f"SELECT {', '.join(INSTANCE_COLUMNS)} FROM instances"):
            row = dict(zip(INSTANCE_COLUMNS, values, strict=True))
            instances[row["instance_id"]] = StoredInstance(row)
        for instance_id, event in self._db.execute("SELECT instance_id, event FROM history ORDER BY instance_id, seq"):
            if instance_id in instances:
                instances[instance_id].history.append(json.loads(event))
        for row_id, instance_id, message in self._db.execute("SELECT id, instance_id, message FROM inbox ORDER BY id"):
            if instance_id in instances:
                instances[instance_id].inbox.append((row_id, json.loads(message)))
        return list(instances.values())

    def activities(self) -> list[tuple[WorkKey, str, str | None]]:
        rows = self._db.execute("SELECT instance_id, execution_id, task_id, name, input FROM activities")
        return [(WorkKey(i, e, t), n, inp) for i, e, t, n, inp in rows]

    def timers(self) -> list[tuple[WorkKey, str]]:
        rows = self._db.execute("SELECT instance_id, execution_id, timer_id, fire_at FROM timers")
        return [(WorkKey(i, e, t), f) for i, e, t, f in rows]


class Transaction:
    """Write operations; only valid inside `DurableStore.transaction()`."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def put_instance(self, row: dict[str, Any]) -> None:
        names = ", ".join(INSTANCE_COLUMNS)
        marks = ", ".join("?" for _ in INSTANCE_COLUMNS)
        self._db.execute(
            f"INSERT OR REPLACE INTO instances ({names}) VALUES ({marks})", [row[c] for c in INSTANCE_COLUMNS]
        )

    def delete_instance(self, instance_id: str) -> None:
        for table in ("instances", "history", "inbox", "activities", "timers"):
            self._db.execute(f"DELETE FROM {table} WHERE instance_id = ?", (instance_id,))

    def reset_history(self, instance_id: str) -> None:
        self._db.execute("DELETE FROM history WHERE instance_id = ?", (instance_id,))

    def append_history(self, instance_id: str, start_seq: int, texts: Iterable[str]) -> None:
        """`texts`: each event's JSON text (history.text)."""
        self._db.executemany(
            "INSERT INTO history (instance_id, seq, event) VALUES (?, ?, ?)",
            [(instance_id, start_seq + i, text) for i, text in enumerate(texts)],
        )

    def post(self, instance_id: str, message: dict[str, Any]) -> int:
        cursor = self._db.execute(
            "INSERT INTO inbox (instance_id, message) VALUES (?, ?)", (instance_id, json.dumps(message))
        )
        return int(cursor.lastrowid or 0)

    def consume(self, row_ids: Iterable[int]) -> None:
        self._db.executemany("DELETE FROM inbox WHERE id = ?", [(i,) for i in row_ids])

    def add_activity(self, key: WorkKey, name: str, input_text: str | None) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO activities VALUES (?, ?, ?, ?, ?)",
            (key.instance_id, key.execution_id, key.task_id, name, input_text),
        )

    def remove_activity(self, key: WorkKey) -> bool:
        cursor = self._db.execute(
            "DELETE FROM activities WHERE instance_id = ? AND execution_id = ? AND task_id = ?",
            (key.instance_id, key.execution_id, key.task_id),
        )
        return cursor.rowcount > 0

    def add_timer(self, key: WorkKey, fire_at: str) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO timers VALUES (?, ?, ?, ?)",
            (key.instance_id, key.execution_id, key.task_id, fire_at),
        )

    def remove_timer(self, key: WorkKey) -> bool:
        cursor = self._db.execute(
            "DELETE FROM timers WHERE instance_id = ? AND execution_id = ? AND timer_id = ?",
            (key.instance_id, key.execution_id, key.task_id),
        )
        return cursor.rowcount > 0

    def drop_work(self, instance_id: str) -> None:
        """Forget outstanding activities and timers (the instance finished or restarted)."""
        self._db.execute("DELETE FROM activities WHERE instance_id = ?", (instance_id,))
        self._db.execute("DELETE FROM timers WHERE instance_id = ?", (instance_id,))
