"""Phased work's bookkeeping between activity calls: a phase not done yet, a phase done, a phase taking too long.

The orchestrator side is orchestrators/phases.py; the runs are PhasedRun contracts (shared/models/orchestrations.py).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TypeVar

from shared.cloud.ports import CloudError, Progress
from shared.models.orchestrations import PhasedRun

MIN_WAIT_S = 0.5  # never ask again sooner, whatever Azure said
Run = TypeVar("Run", bound=PhasedRun)


def next_phase(run: Run) -> Run:
    return run.model_copy(update={"phase": run.phase + 1, "operation": None, "started_at": None})


def check_time(run: PhasedRun, phase: str, started: datetime, now: datetime, limit: timedelta) -> None:
    """A phase whose Azure operation has run past `limit` fails as timedOut."""
    if run.operation and now - started > limit:
        raise CloudError(phase, "timedOut", f"{phase} did not finish within {limit}")


def waiting(run: Run, progress: Progress, started: datetime, now: datetime) -> tuple[Run, float, datetime]:
    """A phase not done yet: the run carrying the operation to poll, the wait, and when to call again."""
    wait = max(progress.retry_after_s, MIN_WAIT_S)
    later = run.model_copy(update={"operation": progress.operation, "started_at": started})
    return later, wait, now + timedelta(seconds=wait)
