"""Work of many items, each with its own result (a bulk action's Cloud PCs, a roll-out's tenants): its counts, and
its status from them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from shared.models.cloud_pc_actions import BulkActionCounts

UNDER_WAY = frozenset({"pending", "running"})


class Item(Protocol):
    @property
    def status(self) -> str: ...


def counts_of(items: Iterable[Item]) -> BulkActionCounts:
    statuses = [item.status for item in items]
    return BulkActionCounts(
        succeeded=statuses.count("succeeded"),
        failed=statuses.count("failed"),
        running=sum(1 for status in statuses if status in UNDER_WAY),
    )


def status_of(counts: BulkActionCounts) -> str:
    """Running while any item is; then succeeded, failed, or partiallySucceeded as the results are."""
    if counts.running:
        return "running"
    if not counts.failed:
        return "succeeded"
    return "failed" if not counts.succeeded else "partiallySucceeded"
