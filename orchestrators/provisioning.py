"""Orchestrators that provision Cloud PCs: a bounded batch, and one Cloud PC through its three stages."""

from __future__ import annotations

from collections.abc import Generator, Sequence
from datetime import timedelta
from typing import Any

import azure.durable_functions as df

from orchestrators import names

# Storage or cloud hiccups inside an activity are retried; a step's own failure is an answer, not an error.
TRANSIENT = df.RetryOptions(first_retry_interval_in_milliseconds=1000, max_number_of_attempts=4)
MAX_POLLS_PER_STEP = 2000  # with ~5 s between polls: hours of waiting before a step is declared stuck

Orchestration = Generator[Any, Any, Any]


def run_steps(
    context: df.DurableOrchestrationContext, job: dict[str, Any], attempt: int, steps: Sequence[str]
) -> Orchestration:
    """Run steps in order, waiting on durable timers while a step is still in progress; None or the failure."""
    for step in steps:
        for _ in range(MAX_POLLS_PER_STEP):
            result = yield context.call_activity_with_retry(
                names.RUN_PROVISIONING_STEP, TRANSIENT, {**job, "attempt": attempt, "step": step}
            )
            if result["failed"]:
                return {"step": step, "code": result["code"], "message": result["message"]}
            if result["done"]:
                break
            wait = timedelta(seconds=max(float(result["retryAfterSeconds"]), 0.05))
            yield context.create_timer(context.current_utc_datetime + wait)
        else:
            return {"step": step, "code": "timedOut", "message": f"{step} did not finish in time"}
    return None


def provision(context: df.DurableOrchestrationContext, job: dict[str, Any]) -> Orchestration:
    plan = yield context.call_activity_with_retry(names.BEGIN_PROVISIONING, TRANSIENT, job)
    if not plan["proceed"]:
        return f"skipped: {plan['reason']}"
    failure: dict[str, str] = {}
    for attempt in range(1, int(job["maxAttempts"]) + 1):
        warnings: list[str] = []
        problem = yield from run_steps(context, job, attempt, plan["core"])
        if problem is None:
            for step in plan["post"]:  # post-provisioning failures only warn
                warning = yield from run_steps(context, job, attempt, [step])
                if warning is not None:
                    warnings.append(f"{step}: {warning['message']}")
            problem = yield from run_steps(context, job, attempt, plan["assignment"])
        if problem is None:
            status = yield context.call_activity_with_retry(
                names.FINISH_PROVISIONING, TRANSIENT, {**job, "attempt": attempt, "warnings": warnings}
            )
            return status
        failure = problem
        yield context.call_activity_with_retry(
            names.CLEAN_UP_ATTEMPT,
            TRANSIENT,
            {**job, "attempt": attempt, "reason": f"{problem['step']}: {problem['message']}"},
        )
    status = yield context.call_activity_with_retry(names.FAIL_PROVISIONING, TRANSIENT, {**job, **failure})
    return status


def blueprint() -> df.Blueprint:
    bp = df.Blueprint()

    @bp.orchestration_trigger(context_name="context", orchestration=names.PROVISION_CLOUD_PC)
    def provision_cloud_pc(context: df.DurableOrchestrationContext) -> Orchestration:
        """Input {tenantId, cloudPcId, run, maxAttempts}: core, post-provisioning, assignment; retried whole."""
        job = context.get_input()
        try:
            result = yield from provision(context, job)
        except Exception as exc:  # storage kept failing: settle the Cloud PC rather than leave it provisioning
            failure = {"step": "provisioning", "code": "internalError", "message": str(exc)[:300]}
            result = yield context.call_activity_with_retry(names.FAIL_PROVISIONING, TRANSIENT, {**job, **failure})
        return result

    @bp.orchestration_trigger(context_name="context", orchestration=names.PROVISION_BATCH)
    def provision_batch(context: df.DurableOrchestrationContext) -> Orchestration:
        """Input {tenantId, maxAttempts, cloudPcs: [{cloudPcId, run}]} (at most BATCH_SIZE)."""
        batch = context.get_input()
        tasks = [
            context.call_sub_orchestrator(
                names.PROVISION_CLOUD_PC,
                {"tenantId": batch["tenantId"], "maxAttempts": batch["maxAttempts"], **item},
                names.cloud_pc_instance_id(batch["tenantId"], item["cloudPcId"], item["run"]),
            )
            for item in batch["cloudPcs"]
        ]
        try:
            results = yield context.task_all(tasks)
        except Exception as exc:  # typically a duplicate: that Cloud PC's run is already in progress elsewhere
            return {"completed": False, "reason": str(exc)[:300]}
        return {"completed": True, "statuses": results}

    return bp
