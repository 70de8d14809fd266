"""The orchestrator that provisions one Cloud PC through its three stages, attempt by attempt."""

from __future__ import annotations

from collections.abc import Generator
from datetime import timedelta
from typing import Any

import azure.durable_functions as df

from orchestrators import names

# Storage or cloud hiccups inside an activity are retried; a step's own failure is an answer, not an error.
TRANSIENT = df.RetryOptions(first_retry_interval_in_milliseconds=1000, max_number_of_attempts=4)
MAX_WAITS = 5000  # with ~5 s between polls: hours of waiting before a run is declared stuck

Orchestration = Generator[Any, Any, Any]


def run_steps(
    context: df.DurableOrchestrationContext, job: dict[str, Any], attempt: int, steps: list[str], tolerated: list[str]
) -> Orchestration:
    """Take the steps, waiting on durable timers while one is in progress: (failure or None, warnings).

    An activity call goes as far as it can, so with nothing to wait for the whole run is one call.
    """
    remaining, resume = list(steps), None
    warnings: list[str] = []
    for _ in range(MAX_WAITS):
        if not remaining:
            return None, warnings
        result = yield context.call_activity_with_retry(
            names.RUN_PROVISIONING_STEPS,
            TRANSIENT,
            {"job": job, "attempt": attempt, "steps": remaining, "tolerated": tolerated, "resume": resume},
        )
        warnings += result["warnings"]
        if result["failure"] is not None:
            return result["failure"], warnings
        remaining = remaining[result["completed"] :]
        resume = result["waiting"]
        if resume is not None:
            wait = timedelta(seconds=max(float(resume["retryAfterSeconds"]), 0.05))
            yield context.create_timer(context.current_utc_datetime + wait)
    return {"step": remaining[0], "code": "timedOut", "message": f"{remaining[0]} did not finish in time"}, warnings


def provision(context: df.DurableOrchestrationContext, request: dict[str, Any]) -> Orchestration:
    """Core, post-provisioning (failures only warn) and assignment; a failed attempt is cleaned up and retried."""
    begun = yield context.call_activity_with_retry(names.BEGIN_PROVISIONING, TRANSIENT, request)
    if not begun["proceed"]:
        return f"skipped: {begun['reason']}"
    job = begun["job"]
    steps = [*job["core"], *job["post"], *job["assignment"]]
    failure: dict[str, str] = {}
    for attempt in range(1, int(request["maxAttempts"]) + 1):
        problem, warnings = yield from run_steps(context, job, attempt, steps, tolerated=job["post"])
        if problem is None:
            return (
                yield context.call_activity_with_retry(
                    names.FINISH_PROVISIONING, TRANSIENT, {"job": job, "attempt": attempt, "warnings": warnings}
                )
            )
        failure = problem
        reason = f"{problem['step']}: {problem['message']}"
        yield context.call_activity_with_retry(
            names.CLEAN_UP_ATTEMPT, TRANSIENT, {"job": job, "attempt": attempt, "reason": reason}
        )
    return (yield context.call_activity_with_retry(names.FAIL_PROVISIONING, TRANSIENT, {**request, **failure}))


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
