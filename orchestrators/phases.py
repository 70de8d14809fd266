"""The loop of phased work: an activity takes phases until it answers an outcome or when to ask again."""

from __future__ import annotations

from collections.abc import Callable, Generator
from datetime import UTC, datetime, timedelta
from typing import Any

import azure.durable_functions as df

from shared.models.orchestrations import Looped, PhasedStep
from shared.services.engine.phased import TIMED_OUT

# Storage or cloud hiccups inside an activity are retried; a step's own failure is an answer, not an error.
TRANSIENT = df.RetryOptions(first_retry_interval_in_milliseconds=1000, max_number_of_attempts=4)
MAX_CALLS = 5000  # with ~5 s between polls: hours of waiting before a run is declared stuck
CALLS_PER_EXECUTION = 3  # then continue as new, so a long wait never builds a long history to replay (by default)

Orchestration = Generator[Any, Any, Any]


# a pause other than a timer (a build waiting for the admin's capture): the run to go on with, or None for none
Pause = Callable[[df.DurableOrchestrationContext, Any, Any], Orchestration | None]


def take_phases(
    context: df.DurableOrchestrationContext,
    activity: str,
    run: Looped,
    read: Callable[[Any], Any] | None = None,
    pause: Pause | None = None,
) -> Orchestration:
    """Call `activity` until the work is over, waiting on durable timers between; continue as new every few
    calls, so a long wait never builds a long history to replay. Each call answers a PhasedStep of the run's
    type (shared/services/engine/phased.py), unless `read` says otherwise (provisioning's own steps)."""
    if read is None:
        read = PhasedStep[type(run)].model_validate  # type: ignore[misc]
    for _ in range(run.per_execution or CALLS_PER_EXECUTION):
        if run.calls >= MAX_CALLS:
            return TIMED_OUT
        asked = run.model_copy(update={"asked_at": _utc(context.current_utc_datetime)})  # it says a long wait
        answer = yield context.call_activity_with_retry(
            activity, TRANSIENT, asked.model_dump(mode="json", by_alias=True)
        )
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


def wait_until(
    context: df.DurableOrchestrationContext, wait_seconds: float, resume_at: datetime | None
) -> Orchestration:
    """A durable timer at `resume_at` - the wait as measured when Azure answered, not from this later moment -
    or `wait_seconds` from now; never in the past. The minimum wait is the driver's (shared/services/engine/
    phased.py), measured from the answer, so the calls are that far apart however late the timer is set."""
    yield timer(context, wait_seconds, resume_at)


def timer(context: df.DurableOrchestrationContext, wait_seconds: float, resume_at: datetime | None) -> Any:
    """wait_until's durable timer, as a task (to race an event with it)."""
    now = context.current_utc_datetime
    wait = _like(now, resume_at) if resume_at is not None else now + timedelta(seconds=wait_seconds)
    return context.create_timer(max(wait, now))


def _utc(moment: datetime) -> datetime:
    """The engine's clock, which may be naive UTC, as UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _like(now: datetime, moment: datetime) -> datetime:
    """`moment` comparable with `now` (the engine's clock may be naive UTC)."""
    if now.tzinfo is None:
        return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
