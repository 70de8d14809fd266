"""Driving an adapter's Progress-answering call to its end, as an orchestrator does, for contract tests."""

from __future__ import annotations

import time
from collections.abc import Callable

from shared.cloud.ports import Progress


def until_done(call: Callable[[str | None], Progress], progress: Progress | None = None, limit: int = 40) -> Progress:
    """Call again with the operation handed back, as the orchestrator does (its timer's wait cut short)."""
    progress = call(None) if progress is None else progress
    for _ in range(limit):
        if progress.done:
            return progress
        time.sleep(min(progress.retry_after_s, 1.0))
        progress = call(progress.operation)
    raise AssertionError(f"not done after {limit} calls: {progress}")
