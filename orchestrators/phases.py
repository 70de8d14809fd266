"""The loop of phased work: an activity takes phases until it answers an outcome or when to ask again."""

from __future__ import annotations

from collections.abc import Callable, Generator
from datetime import datetime
from typing import Any, Protocol

import azure.durable_functions as df

from orchestrators.provisioning import CALLS_PER_EXECUTION, MAX_CALLS, TRANSIENT, wait_until
from shared.models.orchestrations import PhasedRun

Orchestration = Generator[Any, Any, Any]


class Step(Protocol):
    """What one activity call answers: the outcome, or the run so far and when to call again."""

    @property
    def outcome(self) -> str | None: ...

    @property
    def run(self) -> Any: ...

    @property
    def wait_seconds(self) -> float: ...

    @property
    def resume_at(self) -> datetime | None: ...


# a pause other than a timer (a build waiting for the admin's capture): the run to go on with, or None for none
Pause = Callable[[df.DurableOrchestrationContext, Any, Any], Orchestration | None]


def take_phases(
    context: df.DurableOrchestrationContext, activity: str, run: PhasedRun, read: Callable[[Any], Step],
    pause: Pause | None = None,
) -> Orchestration:  # fmt: skip
    """Call `activity` until the work is over, waiting on durable timers between; continue as new every few
    calls, so a long wait never builds a long history to replay."""
    for _ in range(CALLS_PER_EXECUTION):
        if run.calls >= MAX_CALLS:
            return "timedOut"
        answer = yield context.call_activity_with_retry(activity, TRANSIENT, run.model_dump(mode="json", by_alias=True))
        step = read(answer)
        if step.outcome is not None:
            return step.outcome
        run = step.run.model_copy(update={"calls": run.calls + 1})
        paused = pause(context, run, step) if pause is not None else None
        if paused is not None:
            run = yield from paused
            continue
        yield from wait_until(context, step.wait_seconds, step.resume_at)
    context.continue_as_new(run.model_dump(mode="json", by_alias=True))
    return None
