"""What an audited request reads and writes: before and after images of rows, and a stamp on each write."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from shared.models.access import Intent, RowKey

STAMP = "AuditEventId"  # the property each write under a capture carries: which audited request wrote the row
Image = dict[str, Any]  # a row as its model's wire fields


@dataclass
class ChangeCapture:
    """Kept for one request in a context variable, so the repositories need no extra arguments."""

    event_id: str
    announce: Callable[[Intent], None]
    before: dict[RowKey, Image] = field(default_factory=dict)
    after: dict[RowKey, Image | None] = field(default_factory=dict)
    written: list[RowKey] = field(default_factory=list)

    def read(self, key: RowKey, image: Image) -> None:
        # the last read before the write is what the write replaced (a write refused for a stale etag reads
        # again); read back after a write that was made, a row shows the change itself
        if key not in self.after:
            self.before[key] = image

    def writing(self, key: RowKey, image: Image | None) -> None:
        """Before each write: the first one is announced with what it changes (None: a delete)."""
        first = not self.written
        if key not in self.written:
            self.written.append(key)
        if first:
            old = self.before.get(key, {})
            changed = {k: v for k, v in (image or {}).items() if digest(v) != digest(old.get(k))}
            resource_id = (image or {}).get("id")
            with capturing(None):  # the announcement is the audit log's own write, not part of the change
                self.announce(Intent(key, resource_id if isinstance(resource_id, str) else None, fingerprint(changed)))

    def wrote(self, key: RowKey, image: Image | None) -> None:
        self.after[key] = image

    def merged(self, key: RowKey, values: Image) -> None:
        self.after[key] = {**(self.after.get(key) or self.before.get(key) or {}), **values}


def fingerprint(values: Mapping[str, Any]) -> dict[str, str]:
    return {name: digest(value) for name, value in values.items()}


def digest(value: Any) -> str:
    """A short digest of a value that is the same for its wire form and its stored form (JSON text, times)."""
    text = json.dumps(_normal(value), sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _normal(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, str):
        if value[:1] in ("{", "["):
            try:
                return _normal(json.loads(value))
            except ValueError:
                return value
        if len(value) >= 19 and value[4:5] == "-" and value[10:11] == "T":
            try:
                return datetime.fromisoformat(value).astimezone(UTC).isoformat()
            except ValueError:
                return value
    if isinstance(value, dict):
        return {k: _normal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_normal(v) for v in value]
    return value


_current: ContextVar[ChangeCapture | None] = ContextVar("change_capture", default=None)


def current() -> ChangeCapture | None:
    return _current.get()


@contextmanager
def capturing(capture: ChangeCapture | None) -> Iterator[ChangeCapture | None]:
    token = _current.set(capture)
    try:
        yield capture
    finally:
        _current.reset(token)
