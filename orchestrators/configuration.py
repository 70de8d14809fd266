"""Orchestrators of the configuration wizards: connection health checks and device-image imports."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import azure.durable_functions as df

from orchestrators import names

# Transient cloud errors are retried a few times with back-off; the checks themselves never raise.
RETRY = df.RetryOptions(first_retry_interval_in_milliseconds=2000, max_number_of_attempts=3)


def blueprint() -> df.Blueprint:
    bp = df.Blueprint()

    @bp.orchestration_trigger(context_name="context", orchestration=names.CONNECTION_HEALTH_CHECK)
    def connection_health_check(context: df.DurableOrchestrationContext) -> Generator[Any, Any, str]:
        """Input: {tenantId, connectionId, run, checks}. Runs every check in parallel, then records them."""
        run = context.get_input()
        running = yield context.call_activity(names.MARK_HEALTH_CHECKS_RUNNING, run)
        if not running:
            return "superseded"
        tasks = [
            context.call_activity_with_retry(names.RUN_HEALTH_CHECK, RETRY, {**run, "check": check})
            for check in run["checks"]
        ]
        try:
            results = yield context.task_all(tasks)
        except Exception as exc:  # a check that could not run at all counts as failed, never as stuck
            results = [
                {"name": check, "status": "failed", "errorType": "internalServerError", "reason": str(exc)[:200]}
                for check in run["checks"]
            ]
        recorded = yield context.call_activity(names.RECORD_HEALTH_CHECKS, {**run, "results": results})
        return "recorded" if recorded else "superseded"

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
