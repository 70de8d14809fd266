"""Rows this process read a moment ago, for the reads that may be that old (a GET's tenant and role, in the gate)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

T = TypeVar("T")
CAPACITY = 10_000  # rows kept at once (tenants, principals' roles): past it the oldest read goes first


class RecentRows(Generic[T]):
    """Rows by key with when they were read. A write through this process forgets its row at once, and a read that
    was under way while any write went on here is not kept, since it may hold what that write replaced; a row
    changed by another process is seen once its copy here is older than the reader allows, or at once by a read
    that allows no age, which refreshes the copy. A missing row is never kept: one made a moment ago is found.
    Callers get copies (`copy`), so none changes the row kept for the others."""

    def __init__(
        self, copy: Callable[[T], T], clock: Callable[[], float] = time.monotonic, capacity: int = CAPACITY
    ) -> None:
        self._copy = copy
        self._clock = clock
        self._capacity = capacity
        self._lock = threading.Lock()
        self._rows: dict[Hashable, tuple[float, T]] = {}  # in the order they were read: the oldest first
        self._writes = 0  # writes ended here so far: a read that spans one is not kept

    def read(self, key: Hashable, max_age: float, load: Callable[[], T | None]) -> T | None:
        """The row as read at most `max_age` seconds ago, else `load()`'s, which is kept when `max_age` allows any
        age (or refreshes the copy kept)."""
        began = self._clock()  # the age counts from before the read: storage may have changed while it ran
        with self._lock:
            kept = self._rows.get(key)
            if kept is not None and max_age > 0 and began - kept[0] <= max_age:
                return self._copy(kept[1])
            writes = self._writes
        value = load()
        with self._lock:
            if value is None or self._writes != writes:
                self._rows.pop(key, None)
            elif max_age > 0 or key in self._rows:  # a read that allows no age keeps no new row
                self._rows.pop(key, None)
                if len(self._rows) >= self._capacity:
                    del self._rows[next(iter(self._rows))]
                self._rows[key] = (began, self._copy(value))
        return value

    def forget(self, *keys: Hashable) -> None:
        """Rows a write has just changed (or tried to: a failed write may have landed)."""
        with self._lock:
            self._writes += 1
            for key in keys:
                self._rows.pop(key, None)
