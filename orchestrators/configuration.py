"""Orchestrators of the configuration wizards: connection health checks and device-image imports."""

from __future__ import annotations

from collections.abc import Generator
from datetime import timedelta
from typing import Any

import azure.durable_functions as df

from orchestrators import names
from shared.models.orchestrations import (
    CheckAnswer,
    CheckCall,
    ConnectionRun,
    Contract,
    HealthCheckRun,
    ImageImport,
    ImageImportFailure,
    ProbeAnswer,
    ProbeCall,
    RecordCall,
    RecordedCheck,
)
from shared.services.health_checks import in_network

# Transient cloud errors are retried a few times with back-off; the checks themselves never raise.
RETRY = df.RetryOptions(first_retry_interval_in_milliseconds=2000, max_number_of_attempts=3)
MIN_WAIT = timedelta(seconds=1)
MAX_ROUNDS = 720  # with ~5 s between asks: an hour for a probe VM or a check before it counts as failed
TIMED_OUT = "internalServerErrorVMDeploymentTimeout"
COULD_NOT_RUN = "internalServerError"
NO_PROBE = "internalServerErrorAllocateResourceFailed"
IMAGE_UPLOAD_WAIT_S = 5.0  # between reads of an image upload Windows 365 is still validating

Orchestration = Generator[Any, Any, Any]


def _wire(model: Contract) -> dict[str, Any]:
    return model.model_dump(mode="json", by_alias=True)


def _wait(context: df.DurableOrchestrationContext, seconds: float) -> Orchestration:
    yield context.create_timer(context.current_utc_datetime + max(timedelta(seconds=seconds), MIN_WAIT))


def _stand_ins(checks: list[str], error_type: str) -> dict[str, RecordedCheck]:
    """Results for checks that could not run; the record activity fills in the rest."""
    return {check: RecordedCheck(name=check, error_type=error_type) for check in checks}


def run_checks(context: df.DurableOrchestrationContext, run: ConnectionRun, checks: list[str]) -> Orchestration:
    """Every check at once, then again (after the shortest wait asked for) for those still running."""
    pending = {check: run.derive(CheckCall, check=check) for check in checks}
    results: dict[str, RecordedCheck] = {}
    for _ in range(MAX_ROUNDS):
        if not pending:
            break
        asked = list(pending.values())
        answers = yield context.task_all(
            [context.call_activity_with_retry(names.RUN_HEALTH_CHECK, RETRY, _wire(call)) for call in asked]
        )
        pending, waits = {}, []
        for call, raw in zip(asked, answers, strict=True):
            answer = CheckAnswer.model_validate(raw)
            if answer.result is None:  # still running: ask again with what it said to pass back
                update = {"operation": answer.operation, "start_date_time": answer.start_date_time}
                pending[call.check] = call.model_copy(update=update)
                waits.append(answer.wait_seconds)
            else:
                results[call.check] = RecordedCheck(name=call.check, result=answer.result)
        if pending:
            yield from _wait(context, min(waits))
    return {**results, **_stand_ins(list(pending), TIMED_OUT)}


def until_done(context: df.DurableOrchestrationContext, activity: str, call: ProbeCall) -> Orchestration:
    """Call a probe `activity` until it answers done, waiting as it asks; its last answer (None: never done)."""
    for _ in range(MAX_ROUNDS):
        answer = ProbeAnswer.model_validate((yield context.call_activity_with_retry(activity, RETRY, _wire(call))))
        if answer.done:
            return answer
        call = call.model_copy(update={"operation": answer.operation, "probe": answer.probe or call.probe})
        yield from _wait(context, answer.wait_seconds)
    return None


def health_check(context: df.DurableOrchestrationContext, request: Any) -> Orchestration:
    """Control-plane checks; then the probe VM, the checks inside the network, and the probe removed again."""
    run = HealthCheckRun.model_validate(request)
    inside = [c for c in run.checks if in_network(c)]
    outside = [c for c in run.checks if not in_network(c)]
    results: dict[str, RecordedCheck] = {}
    try:
        results.update((yield from run_checks(context, run, outside)))
    except Exception:  # a check that could not run at all counts as failed, never as stuck
        results.update(_stand_ins(outside, COULD_NOT_RUN))
    probe: dict[str, str] | None = None
    if inside:
        try:
            call = run.derive(ProbeCall)
            prepared = yield from until_done(context, names.PREPARE_HEALTH_CHECK_PROBE, call)
            probe = prepared.probe if prepared else None
            if prepared is None or prepared.error:
                results.update(_stand_ins(inside, NO_PROBE if prepared else TIMED_OUT))
            else:
                results.update((yield from run_checks(context, run, inside)))
        except Exception:
            results.update(_stand_ins(inside, COULD_NOT_RUN))
    results_in_order = [results[c] for c in run.checks]
    record = run.derive(RecordCall, results=results_in_order)
    recorded = yield context.call_activity(names.RECORD_HEALTH_CHECKS, _wire(record))
    if probe is not None:
        try:
            removal = run.derive(ProbeCall, probe=probe)
            yield from until_done(context, names.REMOVE_HEALTH_CHECK_PROBE, removal)
        except Exception:  # the probe is left behind; the results are recorded all the same
            pass
    return "recorded" if recorded else "superseded"


def windows365_health_check(context: df.DurableOrchestrationContext, run: HealthCheckRun) -> Orchestration:
    """Windows 365 checks its own connections: the run sends it the connection (made, or changed), then reads its
    checks until they are finished and mirrors them."""
    call = run.derive(ConnectionRun)
    try:
        if run.push:
            pushed = yield context.call_activity_with_retry(names.PUSH_WINDOWS365_CONNECTION, RETRY, _wire(call))
            if pushed != "pushed":
                return str(pushed)  # superseded, or refused and recorded with Windows 365's words
        for _ in range(MAX_ROUNDS):
            wait = yield context.call_activity_with_retry(names.MIRROR_WINDOWS365_CHECKS, RETRY, _wire(call))
            if wait is None:
                return "recorded"
            yield from _wait(context, float(wait))
        error_type = TIMED_OUT
    except Exception:  # Windows 365 could not be reached even after the retries: the run counts as failed
        error_type = COULD_NOT_RUN
    record = run.derive(RecordCall, results=list(_stand_ins(run.checks, error_type).values()))
    recorded = yield context.call_activity(names.RECORD_HEALTH_CHECKS, _wire(record))
    return "recorded" if recorded else "superseded"


def connection_health_check(context: df.DurableOrchestrationContext) -> Orchestration:
    """Input HealthCheckRun. Checks run in parallel, each waited for on durable timers."""
    run = HealthCheckRun.model_validate(context.get_input())
    marking = run.derive(ConnectionRun)
    running = yield context.call_activity(names.MARK_HEALTH_CHECKS_RUNNING, _wire(marking))
    if not running:
        return "superseded"
    if run.backend == "windows365":
        return (yield from windows365_health_check(context, run))
    return (yield from health_check(context, run))


def import_device_image(context: df.DurableOrchestrationContext) -> Generator[Any, Any, str]:
    """Input ImageImport. Validates the source image; ends ready or failed with an errorCode. Where Windows 365
    validates it (a windows365 tenant) the image stays pending for minutes: asked again until it is settled."""
    image = ImageImport.model_validate(context.get_input())
    try:
        for _ in range(MAX_ROUNDS):
            status = yield context.call_activity_with_retry(names.VALIDATE_DEVICE_IMAGE, RETRY, _wire(image))
            if status != "pending":
                break
            yield from _wait(context, IMAGE_UPLOAD_WAIT_S)
        else:
            raise TimeoutError("Windows 365 did not settle the upload within the hour")
    except Exception as exc:
        failure = image.derive(
            ImageImportFailure,
            error_code="internalServerError",
            details=f"The source image could not be read: {str(exc)[:300]}",
        )
        status = yield context.call_activity(names.FAIL_DEVICE_IMAGE, _wire(failure))
    return str(status)


def blueprint() -> df.Blueprint:
    bp = df.Blueprint()
    # registered as are, so the orchestrators stay plain generator functions that tests can drive
    bp.orchestration_trigger(context_name="context", orchestration=names.CONNECTION_HEALTH_CHECK)(
        connection_health_check
    )
    bp.orchestration_trigger(context_name="context", orchestration=names.IMPORT_DEVICE_IMAGE)(import_device_image)
    return bp
