"""The orchestrator that provisions one Cloud PC through its three stages, attempt by attempt: phased work
(orchestrators/phases.py) whose activity is `advance`, with the run's state carried in its input."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import azure.durable_functions as df

from orchestrators import names
from orchestrators.phases import TIMED_OUT, TRANSIENT, Orchestration, take_phases, wait_until
from shared.models.orchestrations import CloudPcRun, FailCall, ProvisionInput
from shared.models.provisioning import Advanced


@dataclass(frozen=True)
class ProvisionStep:
    """What one `advance` call achieved, as the loop reads it: the outcome, or the run with its new state."""

    outcome: str | None
    run: ProvisionInput
    wait_seconds: float
    resume_at: datetime | None


def provision_cloud_pc(context: df.DurableOrchestrationContext) -> Orchestration:
    """Input ProvisionInput: core, post-provisioning, assignment, each attempt retried whole; the final status.

    With nothing to wait for, a whole run is a single activity call; a run that waits starts afresh every few
    calls with its state as the input. A run that never ends, or whose storage kept failing, is settled failed.
    """
    request = ProvisionInput.model_validate(context.get_input())
    latest = [request]

    def read(answer: Any) -> ProvisionStep:
        # the activity answers Advanced (the domain's own answer; histories recorded before keep replaying)
        advanced = Advanced.model_validate(answer)
        latest[0] = latest[0].model_copy(update={"state": advanced.state})
        return ProvisionStep(advanced.outcome, latest[0], advanced.wait_seconds, advanced.resume_at)

    try:
        if request.calls == 0 and request.not_before is not None:  # a burst's run, started at its pace
            yield from wait_until(context, 0, request.not_before)
        outcome = yield from take_phases(context, names.ADVANCE_PROVISIONING, request, read)
        if outcome != TIMED_OUT:
            return outcome
        state = latest[0].state
        failed = _fail_call(
            request,
            state.resume.step if state and state.resume else "provisioning",
            "timedOut",
            "did not finish in time",
        )
    except Exception as exc:  # storage kept failing: settle the Cloud PC rather than leave it provisioning
        failed = _fail_call(request, "provisioning", "internalError", str(exc)[:300])
    return (yield context.call_activity_with_retry(names.FAIL_PROVISIONING, TRANSIENT, failed))


def _fail_call(run: CloudPcRun, step: str, code: str, message: str) -> dict[str, Any]:
    return run.derive(FailCall, step=step, code=code, message=message).model_dump(mode="json", by_alias=True)


def blueprint() -> df.Blueprint:
    bp = df.Blueprint()
    # registered as is, so the orchestrator stays a plain generator function that tests can drive
    bp.orchestration_trigger(context_name="context", orchestration=names.PROVISION_CLOUD_PC)(provision_cloud_pc)
    return bp
