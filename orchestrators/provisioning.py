"""The orchestrator that provisions one Cloud PC through its three stages, attempt by attempt."""

from __future__ import annotations

from collections.abc import Generator
from datetime import UTC, datetime, timedelta
from typing import Any

import azure.durable_functions as df

from orchestrators import names

# Storage or cloud hiccups inside an activity are retried; a step's own failure is an answer, not an error.
TRANSIENT = df.RetryOptions(first_retry_interval_in_milliseconds=1000, max_number_of_attempts=4)
MAX_CALLS = 5000  # with ~5 s between polls: hours of waiting before a run is declared stuck
CALLS_PER_EXECUTION = 3  # then continue as new, so a long wait never builds a long history to replay
MIN_WAIT = timedelta(milliseconds=50)

Orchestration = Generator[Any, Any, Any]


def provision(context: df.DurableOrchestrationContext, request: dict[str, Any]) -> Orchestration:
    """Call `advance` until the run is over, waiting on a durable timer whenever a step is still in progress.

    With nothing to wait for, a whole run - core, post-provisioning, assignment - is a single activity call.
    A run that keeps waiting starts afresh every CALLS_PER_EXECUTION calls with its state as the input.
    """
    run = {key: value for key, value in request.items() if key not in ("state", "calls")}
    state, calls = request.get("state"), int(request.get("calls", 0))
    for _ in range(CALLS_PER_EXECUTION):
        if calls >= MAX_CALLS:
            step = (state or {}).get("resume") or {}
            failure = {
                "step": step.get("step", "provisioning"),
                "code": "timedOut",
                "message": "did not finish in time",
            }
            return (yield context.call_activity_with_retry(names.FAIL_PROVISIONING, TRANSIENT, {**run, **failure}))
        advanced = yield context.call_activity_with_retry(
            names.ADVANCE_PROVISIONING, TRANSIENT, {**run, "state": state}
        )
        calls += 1
        if advanced["outcome"] is not None:
            return advanced["outcome"]
        state = advanced["state"]
        if advanced["waitSeconds"] > 0:
            earliest = context.current_utc_datetime + MIN_WAIT
            wait = context.current_utc_datetime + timedelta(seconds=float(advanced["waitSeconds"]))
            if advanced.get("resumeAt"):  # the wait as measured when Azure answered, not from this later moment
                wait = _like(context.current_utc_datetime, str(advanced["resumeAt"]))
            yield context.create_timer(max(wait, earliest))
    context.continue_as_new({**run, "state": state, "calls": calls})
    return None


def _like(now: datetime, moment: str) -> datetime:
    """The ISO time `moment` as a datetime comparable with `now` (the engine's clock may be naive UTC)."""
    parsed = datetime.fromisoformat(moment.replace("Z", "+00:00"))
    if now.tzinfo is None:
        return parsed.astimezone(UTC).replace(tzinfo=None) if parsed.tzinfo else parsed
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def blueprint() -> df.Blueprint:
    bp = df.Blueprint()

    @bp.orchestration_trigger(context_name="context", orchestration=names.PROVISION_CLOUD_PC)
    def provision_cloud_pc(context: df.DurableOrchestrationContext) -> Orchestration:
        """Input {tenantId, cloudPcId, run, maxAttempts}: core, post-provisioning, assignment; retried whole."""
        request = context.get_input()
        try:
            result = yield from provision(context, request)
        except Exception as exc:  # storage kept failing: settle the Cloud PC rather than leave it provisioning
            failure = {"step": "provisioning", "code": "internalError", "message": str(exc)[:300]}
            result = yield context.call_activity_with_retry(names.FAIL_PROVISIONING, TRANSIENT, {**request, **failure})
        return result

    return bp
