"""The orchestrator that provisions one Cloud PC through its three stages, attempt by attempt."""

from __future__ import annotations

from collections.abc import Generator
from datetime import UTC, datetime, timedelta
from typing import Any

import azure.durable_functions as df

from orchestrators import names
from shared.models.orchestrations import AdvanceCall, CloudPcRun, Contract, FailCall, ProvisionInput
from shared.models.provisioning import Advanced

# Storage or cloud hiccups inside an activity are retried; a step's own failure is an answer, not an error.
TRANSIENT = df.RetryOptions(first_retry_interval_in_milliseconds=1000, max_number_of_attempts=4)
MAX_CALLS = 5000  # with ~5 s between polls: hours of waiting before a run is declared stuck
CALLS_PER_EXECUTION = 3  # then continue as new, so a long wait never builds a long history to replay
MIN_WAIT = timedelta(milliseconds=50)

Orchestration = Generator[Any, Any, Any]


def provision(context: df.DurableOrchestrationContext, request: ProvisionInput) -> Orchestration:
    """Call `advance` until the run is over, waiting on a durable timer whenever a step is still in progress.

    With nothing to wait for, a whole run - core, post-provisioning, assignment - is a single activity call.
    A run that keeps waiting starts afresh every CALLS_PER_EXECUTION calls with its state as the input.
    """
    state, calls = request.state, request.calls
    for _ in range(CALLS_PER_EXECUTION):
        if calls >= MAX_CALLS:
            step = state.resume.step if state and state.resume else "provisioning"
            timed_out = _fail_call(request, step, "timedOut", "did not finish in time")
            return (yield context.call_activity_with_retry(names.FAIL_PROVISIONING, TRANSIENT, timed_out))
        call = request.derive(AdvanceCall, state=state)
        answer = yield context.call_activity_with_retry(names.ADVANCE_PROVISIONING, TRANSIENT, _wire(call))
        advanced = Advanced.model_validate(answer)
        calls += 1
        if advanced.outcome is not None:
            return advanced.outcome
        state = advanced.state
        if advanced.wait_seconds > 0:
            yield from wait_until(context, advanced.wait_seconds, advanced.resume_at)
    context.continue_as_new(_wire(request.model_copy(update={"state": state, "calls": calls})))
    return None


def wait_until(
    context: df.DurableOrchestrationContext, wait_seconds: float, resume_at: datetime | None
) -> Orchestration:
    """A durable timer at `resume_at` - the wait as measured when Azure answered, not from this later moment -
    or `wait_seconds` from now; never sooner than MIN_WAIT."""
    now = context.current_utc_datetime
    wait = _like(now, resume_at) if resume_at is not None else now + timedelta(seconds=wait_seconds)
    yield context.create_timer(max(wait, now + MIN_WAIT))


def provision_cloud_pc(context: df.DurableOrchestrationContext) -> Orchestration:
    """Input ProvisionInput: core, post-provisioning, assignment, each attempt retried whole; the final status."""
    request = ProvisionInput.model_validate(context.get_input())
    try:
        result = yield from provision(context, request)
    except Exception as exc:  # storage kept failing: settle the Cloud PC rather than leave it provisioning
        failed = _fail_call(request, "provisioning", "internalError", str(exc)[:300])
        result = yield context.call_activity_with_retry(names.FAIL_PROVISIONING, TRANSIENT, failed)
    return result


def _fail_call(run: CloudPcRun, step: str, code: str, message: str) -> dict[str, Any]:
    return _wire(run.derive(FailCall, step=step, code=code, message=message))


def _wire(model: Contract) -> dict[str, Any]:
    return model.model_dump(mode="json", by_alias=True)


def _like(now: datetime, moment: datetime) -> datetime:
    """`moment` comparable with `now` (the engine's clock may be naive UTC)."""
    if now.tzinfo is None:
        return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def blueprint() -> df.Blueprint:
    bp = df.Blueprint()
    # registered as is, so the orchestrator stays a plain generator function that tests can drive
    bp.orchestration_trigger(context_name="context", orchestration=names.PROVISION_CLOUD_PC)(provision_cloud_pc)
    return bp
