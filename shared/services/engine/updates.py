"""Merge-patch updates with optimistic concurrency, shared by every aggregate."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from pydantic_core import PydanticUndefined

from shared.errors import Conflict, PreconditionFailed
from shared.models.base import InputModel, Resource

R = TypeVar("R", bound=Resource)
ATTEMPTS = 3


def merge_patch(current: R, patch: InputModel, schema: type[InputModel], now: datetime) -> R:
    """`current` with the patch's present fields applied, validated again as a whole by `schema`."""
    fields = set(schema.model_fields)
    merged = {
        **current.model_dump(by_alias=True, include=fields),
        **patch.model_dump(by_alias=True, exclude_unset=True),
    }
    checked = schema.model_validate(merged)
    values = {name: getattr(checked, name) for name in type(checked).model_fields}
    for name, value in values.items():  # null on a field the resource always has resets it to its default
        field = type(current).model_fields.get(name)
        if value is None and field is not None and field.default not in (None, PydanticUndefined):
            values[name] = field.get_default(call_default_factory=True)
    return current.model_copy(update={**values, "last_modified_date_time": now})


def update_with_etag(
    load: Callable[[], R],
    change: Callable[[R], R],
    save: Callable[[R, str | None], R],
    *,
    if_match: str | None,
    dry_run: bool = False,
) -> R:
    """Read, change, write conditionally on the etag read; a caller's If-Match must match exactly.

    Without If-Match a concurrent writer only costs a re-read (up to ATTEMPTS), never a lost update.
    """
    for _ in range(ATTEMPTS):
        current = load()
        if if_match and if_match != "*" and current.etag != if_match:
            raise PreconditionFailed.stale(type(current).__name__, current.id)
        updated = change(current)
        if dry_run:
            return updated
        try:
            return save(updated, current.etag)
        except PreconditionFailed:
            if if_match:
                raise
    raise Conflict("The resource kept changing while it was being updated; try again.", code="conflict")
