"""Orchestrators of the configuration wizards: connection health checks and device-image imports."""

from __future__ import annotations

from collections.abc import Generator
from datetime import timedelta
from typing import Any

import azure.durable_functions as df

from orchestrators import names
from shared.services.health_checks import in_network

# Transient cloud errors are retried a few times with back-off; the checks themselves never raise.
RETRY = df.RetryOptions(first_retry_interval_in_milliseconds=2000, max_number_of_attempts=3)
MIN_WAIT = timedelta(seconds=1)
MAX_ROUNDS = 720  # with ~5 s between asks: an hour for a probe VM or a check before it counts as failed
TIMED_OUT = "internalServerErrorVMDeploymentTimeout"
COULD_NOT_RUN = "internalServerError"
NO_PROBE = "internalServerErrorAllocateResourceFailed"

Orchestration = Generator[Any, Any, Any]


def _wait(context: df.DurableOrchestrationContext, seconds: float) -> Orchestration:
    yield context.create_timer(context.current_utc_datetime + max(timedelta(seconds=seconds), MIN_WAIT))


def _stand_ins(checks: list[str], error_type: str) -> dict[str, dict[str, Any]]:
    """Results for checks that could not run; the record activity fills in the rest."""
    return {check: {"name": check, "status": "failed", "errorType": error_type} for check in checks}


def run_checks(context: df.DurableOrchestrationContext, run: dict[str, Any], checks: list[str]) -> Orchestration:
    """Every check at once, then again (after the shortest wait asked for) for those still running."""
    pending: dict[str, dict[str, Any]] = {check: {} for check in checks}
    results: dict[str, dict[str, Any]] = {}
    for _ in range(MAX_ROUNDS):
        if not pending:
            break
        asked = list(pending)
        answers = yield context.task_all(
            [context.call_activity_with_retry(names.RUN_HEALTH_CHECK, RETRY, {**run, "check": c, **pending[c]})
             for c in asked]
        )  # fmt: skip
        pending, waits = {}, []
        for check, answer in zip(asked, answers, strict=True):
            if answer.get("status") == "running":
                pending[check] = {"operation": answer.get("operation"), "startDateTime": answer.get("startDateTime")}
                waits.append(float(answer.get("waitSeconds") or 0))
            else:
                results[check] = answer
        if pending:
            yield from _wait(context, min(waits))
    return {**results, **_stand_ins(list(pending), TIMED_OUT)}


def until_done(context: df.DurableOrchestrationContext, activity: str, payload: dict[str, Any]) -> Orchestration:
    """Call `activity` until it answers done, waiting as it asks; its last answer (None: it never finished)."""
    for _ in range(MAX_ROUNDS):
        answer = yield context.call_activity_with_retry(activity, RETRY, payload)
        if answer.get("done"):
            return answer
        payload = {**payload, "operation": answer.get("operation"), "probe": answer.get("probe", payload.get("probe"))}
        yield from _wait(context, float(answer.get("waitSeconds") or 0))
    return None


def health_check(context: df.DurableOrchestrationContext, run: dict[str, Any]) -> Orchestration:
    """Control-plane checks; then the probe VM, the checks inside the network, and the probe removed again."""
    checks: list[str] = run["checks"]
    inside = [c for c in checks if in_network(c)]
    outside = [c for c in checks if not in_network(c)]
    results: dict[str, dict[str, Any]] = {}
    try:
        results.update((yield from run_checks(context, run, outside)))
    except Exception:  # a check that could not run at all counts as failed, never as stuck
        results.update(_stand_ins(outside, COULD_NOT_RUN))
    probe: dict[str, Any] | None = None
    if inside:
        try:
            prepared = yield from until_done(context, names.PREPARE_HEALTH_CHECK_PROBE, dict(run))
            probe = (prepared or {}).get("probe")
            if prepared is None or prepared.get("error"):
                results.update(_stand_ins(inside, NO_PROBE if prepared else TIMED_OUT))
            else:
                results.update((yield from run_checks(context, run, inside)))
        except Exception:
            results.update(_stand_ins(inside, COULD_NOT_RUN))
    recorded = yield context.call_activity(names.RECORD_HEALTH_CHECKS, {**run, "results": [results[c] for c in checks]})
    if probe is not None:
        try:
            yield from until_done(context, names.REMOVE_HEALTH_CHECK_PROBE, {**run, "probe": probe})
        except Exception:  # the probe is left behind; the results are recorded all the same
            pass
    return "recorded" if recorded else "superseded"


def blueprint() -> df.Blueprint:
    bp = df.Blueprint()

    @bp.orchestration_trigger(context_name="context", orchestration=names.CONNECTION_HEALTH_CHECK)
    def connection_health_check(context: df.DurableOrchestrationContext) -> Orchestration:
        """Input: {tenantId, connectionId, run, checks}. Checks run in parallel, each waited for on durable timers."""
        run = context.get_input()
        running = yield context.call_activity(names.MARK_HEALTH_CHECKS_RUNNING, run)
        if not running:
            return "superseded"
        return (yield from health_check(context, run))

    @bp.orchestration_trigger(context_name="context", orchestration=names.IMPORT_DEVICE_IMAGE)
    def import_device_image(context: df.DurableOrchestrationContext) -> Generator[Any, Any, str]:
        """Input: {tenantId, imageId}. Validates the source image; ends ready or failed with an errorCode."""
        image = context.get_input()
        try:
            status = yield context.call_activity_with_retry(names.VALIDATE_DEVICE_IMAGE, RETRY, image)
        except Exception as exc:
            message = f"The source image could not be read: {str(exc)[:300]}"
            status = yield context.call_activity(
                names.FAIL_DEVICE_IMAGE, {**image, "errorCode": "internalServerError", "details": message}
            )
        return str(status)

    return bp
