"""Unique values (an Entra tenant id, an image's name and version): claimed atomically, one row per value."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime, timedelta

from shared.errors import Conflict, PreconditionFailed
from shared.models.base import ApiModel
from shared.storage.table_service import TableStorage
from shared.storage.tables import EntityRepository

ATTEMPTS = 5
# a claim younger than this may belong to a request still saving its owner (functionTimeout is 10 minutes)
ABANDONED_AFTER = timedelta(minutes=15)


class ValueClaim(ApiModel):
    owner_id: str
    claimed_date_time: datetime
    etag: str | None = None


def _row(value: str) -> str:
    # row keys may not hold '/', '\\', '#' or '?'; a digest of the normalised value holds none
    return hashlib.sha256(value.strip().lower().encode()).hexdigest()


class UniqueValues:
    """`claim` is create-only, so of two racing requests one wins. A claim abandoned by its request (a crash
    between claiming and saving the owner: old, and the owner does not hold the value) is taken over,
    conditionally on its etag."""

    def __init__(self, storage: TableStorage, clock: Callable[[], datetime]) -> None:
        self._rows = EntityRepository(storage, "UniqueValues", ValueClaim, kind="Unique value")
        self._clock = clock

    def claim(self, scope: str, value: str, owner_id: str, *, holds: Callable[[str], bool]) -> str:
        """Make `value` in `scope` belong to `owner_id`; returns the owner it belongs to (another one: taken).
        `holds(owner)` says whether a recorded owner really holds the value."""
        row = _row(value)
        for _ in range(ATTEMPTS):
            mine = ValueClaim(owner_id=owner_id, claimed_date_time=self._clock())
            try:
                self._rows.put(mine, scope, row, if_none_match=True)
                return owner_id
            except Conflict:
                current = self._rows.find(scope, row)
            if current is None:
                continue  # released meanwhile: claim again
            abandoned = self._clock() - current.claimed_date_time > ABANDONED_AFTER
            if current.owner_id == owner_id or not abandoned or holds(current.owner_id):
                return current.owner_id
            try:
                self._rows.put(mine, scope, row, if_match=current.etag)
                return owner_id
            except PreconditionFailed:
                continue  # someone else took it over first: look again
        raise Conflict("The value is being claimed by several requests at once; try again.", code="concurrentChange")

    def release(self, scope: str, value: str, owner_id: str) -> None:
        """Give the value up, if `owner_id` holds it (never another owner's claim)."""
        row = _row(value)
        current = self._rows.find(scope, row)
        if current is not None and current.owner_id == owner_id:
            try:
                self._rows.delete(scope, row, if_match=current.etag)
            except PreconditionFailed:
                return  # taken over meanwhile: it is no longer ours to release
