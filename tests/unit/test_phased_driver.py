"""The phased-work driver on its own: phases taken in order until one waits, answers, fails or none is left."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shared.models.orchestrations import PhasedStep, VmActionRun
from shared.ports.cloud_errors import CloudError
from shared.ports.progress import Progress
from shared.services.engine import phased

T0 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
LIMIT = timedelta(minutes=30)
RUN = VmActionRun(tenant_id="t", cloud_pc_id="c", action="reboot", request_id="r")


def fail_step(run: VmActionRun, phase: str, exc: CloudError) -> PhasedStep[VmActionRun]:
    return PhasedStep(outcome=f"failed at {phase}: {exc.code}", run=run)


def drive(
    run: VmActionRun, answers: dict[str, Progress | PhasedStep[VmActionRun]], **options: Any
) -> tuple[PhasedStep[VmActionRun], list[str]]:
    """The driver over three phases, each answering as `answers` says (done by default); the phases it took."""
    taken: list[str] = []

    def take(now: VmActionRun, phase: str) -> Progress | PhasedStep[VmActionRun]:
        taken.append(phase)
        return answers.get(phase, phased.DONE)

    settings: dict[str, Any] = {"clock": lambda: T0, "limit": LIMIT, "on_fail": fail_step, **options}
    return phased.drive(run, ("first", "second", "third"), take, **settings), taken


def test_every_phase_done_at_once_is_one_call_that_succeeds() -> None:
    step, taken = drive(RUN, {})
    assert (step.outcome, step.run.phase, taken) == ("succeeded", 3, ["first", "second", "third"])


def test_a_phase_in_progress_answers_when_to_ask_again_never_sooner_than_the_minimum() -> None:
    step, taken = drive(RUN, {"second": Progress(done=False, retry_after_s=0.1, operation="op-1")})
    assert step.outcome is None and taken == ["first", "second"]
    assert (step.run.phase, step.run.operation, step.run.started_at) == (1, "op-1", T0)
    assert step.wait_seconds == phased.MIN_WAIT_S and step.resume_at == T0 + timedelta(seconds=phased.MIN_WAIT_S)


def test_the_next_call_goes_on_from_the_phase_it_waited_in_with_its_operation() -> None:
    waiting = RUN.model_copy(update={"phase": 1, "operation": "op-1", "started_at": T0 - timedelta(minutes=1)})
    seen: list[str | None] = []

    def take(now: VmActionRun, phase: str) -> Progress:
        seen.append(now.operation)
        return phased.DONE

    step = phased.drive(waiting, ("first", "second", "third"), take, clock=lambda: T0, limit=LIMIT, on_fail=fail_step)
    assert step.outcome == "succeeded" and seen == ["op-1", None]  # the operation is the waited phase's only


def test_an_operation_running_past_the_limit_fails_as_timed_out_without_asking_azure_again() -> None:
    late = RUN.model_copy(update={"phase": 2, "operation": "op-9", "started_at": T0 - LIMIT - timedelta(seconds=1)})
    step, taken = drive(late, {})
    assert step.outcome == "failed at third: timedOut" and taken == []


def test_a_wait_without_an_operation_has_a_time_limit_too_and_each_phase_may_have_its_own() -> None:
    started = T0 - LIMIT - timedelta(seconds=1)  # a hybrid join waits for a sync, with no operation to follow
    late = RUN.model_copy(update={"phase": 2, "started_at": started})
    step, taken = drive(late, {})
    assert step.outcome == "failed at third: timedOut" and taken == []
    longer = {"third": LIMIT * 3}
    step, taken = drive(late, {}, limit=lambda phase: longer.get(phase, LIMIT))
    assert step.outcome == "succeeded" and taken == ["third"]


def test_a_failure_either_answers_the_call_or_gives_the_run_to_go_on_with() -> None:
    def refuse(now: VmActionRun, phase: str) -> Progress:
        if phase == "first":
            raise CloudError(phase, "AllocationFailed", "no capacity")
        return phased.DONE

    def skip_to_last(run: VmActionRun, phase: str, exc: CloudError) -> VmActionRun:
        return run.model_copy(update={"phase": 2})  # a build goes on to its clean-up

    step = phased.drive(RUN, ("first", "second", "third"), refuse, clock=lambda: T0, limit=LIMIT, on_fail=skip_to_last)
    assert (step.outcome, step.run.phase) == ("succeeded", 3)


@pytest.mark.parametrize("outcome", ["superseded", None])
def test_a_phase_may_answer_the_call_itself(outcome: str | None) -> None:
    answer: PhasedStep[VmActionRun] = PhasedStep(outcome=outcome, run=RUN, awaiting_capture=outcome is None)
    step, taken = drive(RUN, {"second": answer})
    assert step is answer and taken == ["first", "second"]


def test_what_a_finished_phase_made_is_recorded_before_the_next() -> None:
    recorded: list[tuple[str, str | None]] = []

    def record(run: VmActionRun, phase: str, progress: Progress) -> VmActionRun:
        recorded.append((phase, progress.resource_id))
        return run.model_copy(update={"from_service_plan_id": progress.resource_id or run.from_service_plan_id})

    def finish(run: VmActionRun) -> PhasedStep[VmActionRun]:
        return PhasedStep(outcome=f"built from {run.from_service_plan_id}", run=run)

    made, _ = drive(RUN, {"first": Progress(done=True, resource_id="/vm")}, on_done=record, finish=finish)
    assert recorded == [("first", "/vm"), ("second", None), ("third", None)]
    assert made.outcome == "built from /vm"  # the run carried what the first phase made to the end


@pytest.mark.parametrize("status", [429, 503, None])
def test_a_throttle_or_an_outage_holds_the_phase_instead_of_failing_it(status: int | None) -> None:
    def outage(now: VmActionRun, phase: str) -> Progress:
        if phase == "second":
            exc = CloudError(phase, "serviceUnavailable" if status is None else f"Http{status}", "not now")
            exc.status, exc.retry_after_s = status, (12.0 if status == 429 else None)
            raise exc
        return phased.DONE

    waiting = RUN.model_copy(update={"operation": "op-1"})
    step = phased.drive(waiting, ("first", "second"), outage, clock=lambda: T0, limit=LIMIT, on_fail=fail_step)
    assert step.outcome is None and step.run.phase == 1 and step.run.started_at == T0
    assert step.run.held == ("serviceUnavailable" if status is None else f"Http{status}")
    assert step.wait_seconds == (12.0 if status == 429 else phased.HOLD_WAIT_S)


def test_a_hold_counts_against_the_time_limit_and_ends_when_a_call_gets_through() -> None:
    held = RUN.model_copy(update={"phase": 1, "held": "Http503", "started_at": T0 - LIMIT - timedelta(seconds=1)})
    step, taken = drive(held, {})
    assert step.outcome == "failed at second: timedOut" and taken == []
    through, _ = drive(held.model_copy(update={"started_at": T0}), {"third": Progress(done=False, operation="op")})
    assert through.run.phase == 2 and through.run.held is None  # the hold was the second phase's, now done


def test_a_refusal_is_not_held_but_failed() -> None:
    def refuse(now: VmActionRun, phase: str) -> Progress:
        exc = CloudError(phase, "SubnetIsFull", "no address")
        exc.status = 400
        raise exc

    step = phased.drive(RUN, ("first",), refuse, clock=lambda: T0, limit=LIMIT, on_fail=fail_step)
    assert step.outcome == "failed at first: SubnetIsFull"


def test_the_wait_counts_from_azures_answer_not_from_before_the_call() -> None:
    now = [T0]

    def slow_take(run: VmActionRun, phase: str) -> Progress:
        now[0] += timedelta(seconds=3)  # the call took 3 s before Azure answered "in 2 s"
        return Progress(done=False, retry_after_s=2.0, operation="op-1")

    step = phased.drive(RUN, ("first",), slow_take, clock=lambda: now[0], limit=LIMIT, on_fail=fail_step)
    assert step.resume_at == T0 + timedelta(seconds=3 + 2)
