"""The orchestrator that follows a windows365 tenant's Cloud PCs: reads Windows 365 until it is done working."""

from __future__ import annotations

from collections.abc import Generator
from datetime import timedelta
from typing import Any

import azure.durable_functions as df

from orchestrators import names
from shared.models.orchestrations import Windows365MirrorAnswer, Windows365MirrorRun

RETRY = df.RetryOptions(first_retry_interval_in_milliseconds=5000, max_number_of_attempts=3)
MIN_WAIT = timedelta(seconds=1)
ROUNDS_PER_EXECUTION = 50  # then continue as new: the history stays small however long Windows 365 takes

Orchestration = Generator[Any, Any, Any]


def mirror_windows365_cloud_pcs(context: df.DurableOrchestrationContext) -> Orchestration:
    """Input Windows365MirrorRun: read, and read again after the wait the read asks for, until nothing is in flight."""
    run = Windows365MirrorRun.model_validate(context.get_input())
    payload = run.model_dump(mode="json", by_alias=True)
    for _ in range(ROUNDS_PER_EXECUTION):
        raw = yield context.call_activity_with_retry(names.READ_WINDOWS365_CLOUD_PCS, RETRY, payload)
        answer = Windows365MirrorAnswer.model_validate(raw)
        run = run.model_copy(update={"audit_since": answer.audit_since})  # the audit log is read on from there
        payload = run.model_dump(mode="json", by_alias=True)
        if not answer.in_flight:
            return "settled"
        wait = max(timedelta(seconds=answer.wait_seconds), MIN_WAIT)
        yield context.create_timer(context.current_utc_datetime + wait)
    context.continue_as_new(payload)
    return "continued"


def blueprint() -> df.Blueprint:
    bp = df.Blueprint()
    bp.orchestration_trigger(context_name="context", orchestration=names.MIRROR_WINDOWS365_CLOUD_PCS)(
        mirror_windows365_cloud_pcs
    )
    return bp
