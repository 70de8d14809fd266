"""The provisioning run loop: begin, take the steps attempt by attempt, remove a failed attempt, settle the Cloud PC.

Every function here is what one activity does; each is idempotent, so a re-delivered activity or a replayed
orchestration repeats nothing that already happened. The orchestration carries a `RunState`, so no call reads
the Cloud PC back to know where the run stands.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial
from typing import Any

from shared.models.cloud_pcs import CloudPc, CloudPcEvent, StatusDetail
from shared.models.provisioning import Advanced, CloudPcJob, RunState, StepFailure, StepsResult, StepWait
from shared.ports.cloud import PERMISSION_DENIED, CloudError, Progress
from shared.ports.engine_ports import EnginePorts
from shared.services.cloud_pcs import cloud_pc_transitions as machine
from shared.services.cloud_pcs.build_settings import ProvisioningFailed, build_settings, claim_device_name
from shared.services.cloud_pcs.lifecycle import recheck_if_asked, schedule_clean_up
from shared.services.cloud_pcs.provisioning_steps import (
    ASSIGNMENT_STEPS,
    CORE_STEPS,
    DEFAULT_STEP_TIMEOUT,
    STEP_TIMEOUT,
    call_step,
    nic_name,
    placement_of,
    post_steps,
    vm_name,
)
from shared.services.cloud_pcs.timeline import save, timeline_event
from shared.services.engine.phased import MIN_WAIT_S  # an operation in progress is never polled in a tight loop

REMOVE_VM, REMOVE_NIC = "removeVm", "removeNic"  # the phases of removing a failed attempt


def _job(cloud_pc: CloudPc) -> CloudPcJob:
    assert cloud_pc.build is not None and cloud_pc.managed_device_name is not None
    return CloudPcJob(
        tenant_id=cloud_pc.tenant_id,
        cloud_pc_id=cloud_pc.id,
        run=cloud_pc.run,
        generation=cloud_pc.generation,
        device_name=cloud_pc.managed_device_name,
        user_id=cloud_pc.user_id,
        user_principal_name=cloud_pc.user_principal_name,
        build=cloud_pc.build,
        core=list(CORE_STEPS),
        post=post_steps(cloud_pc.build),
        assignment=list(ASSIGNMENT_STEPS),
    )


def begin(
    ports: EnginePorts, tenant_id: str, cloud_pc_id: str, run: int, timeline: list[CloudPcEvent]
) -> RunState | str:
    """Take ownership for `run`: resolve the build settings and the device name, move to `provisioning`.

    The run's first state, or why it does not go ahead; its timeline line joins `timeline`.
    """
    cloud_pc = ports.cloud_pcs.find_cloud_pc(tenant_id, cloud_pc_id)
    if cloud_pc is None or cloud_pc.run != run or not machine.allows("begin", cloud_pc.status):
        return "skipped: superseded or already settled"
    if cloud_pc.status != "provisioning" or cloud_pc.build is None:  # else a repeated call: the work is decided
        try:
            build = build_settings(ports, cloud_pc)
            device = cloud_pc.managed_device_name or claim_device_name(ports, cloud_pc, build.naming_template)
        except ProvisioningFailed as failure:
            fail(ports, tenant_id, cloud_pc_id, run, failure.step, failure.code, str(failure))
            return f"skipped: {failure}"
        started = machine.move(
            cloud_pc, "begin", ports.clock(), status_detail=None, build=build, managed_device_name=device,
            image_display_name=build.image_display_name, attempt=0, warnings=[],
        )  # fmt: skip
        cloud_pc = ports.cloud_pcs.upsert_cloud_pc(started.cloud_pc, if_match=cloud_pc.etag)
    job = _job(cloud_pc)
    # made from the row, so a call repeated after a crash writes the very same line
    started_line = machine.line(
        cloud_pc, "begin", cloud_pc.last_modified_date_time,
        message=f"Device {job.device_name} from {job.build.image_display_name}",
    )  # fmt: skip
    assert started_line is not None
    timeline.append(started_line)
    return RunState(job=job)


def advance(
    ports: EnginePorts, tenant_id: str, cloud_pc_id: str, run: int, max_attempts: int, state: RunState | None
) -> Advanced:
    """Take the run as far as it goes in one call: begin, the attempt's steps, finish; one timeline write.

    A step still in progress ends the call with the time to wait. A failed attempt ends it too, and the
    next calls remove what that attempt made before the next attempt (or the failure) - so a repeated
    call, after a crash, always starts from a state that was fully reached.
    """
    timeline: list[CloudPcEvent] = []
    if state is None:
        begun = begin(ports, tenant_id, cloud_pc_id, run, timeline)
        if isinstance(begun, str):
            return Advanced(outcome=begun)
        state = begun
    elif state.failure is not None:
        try:
            removing, resume = _remove_attempt(ports, state)
        except CloudError as exc:
            if not exc.permission_denied:
                raise
            # the removal is refused too: settle with the attempt's failure; the clean-up sweep removes the rest
            step, code = state.failure.step, state.failure.code
            message = f"{state.failure.message} Its resources could not be removed either ({exc.step}: {exc.code})."
            return Advanced(outcome=fail(ports, tenant_id, cloud_pc_id, run, step, code, message))
        if not removing.done:
            wait = max(removing.retry_after_s, MIN_WAIT_S)
            return _waiting(ports, state.model_copy(update={"resume": resume}), wait)
        if state.attempt >= max_attempts or state.failure.code in PERMISSION_DENIED:  # another attempt cannot help
            step, code, message = state.failure.step, state.failure.code, state.failure.message
            return Advanced(outcome=fail(ports, tenant_id, cloud_pc_id, run, step, code, message))
        state = RunState(job=state.job, attempt=state.attempt + 1)
    job = state.job
    steps = job.steps
    result = run_steps(ports, job, state.attempt, steps[state.completed :], resume=state.resume, timeline=timeline)
    state = state.model_copy(
        update={
            "completed": state.completed + result.completed,
            "resume": result.waiting,
            "warnings": state.warnings + result.warnings,
            "resources": {**state.resources, **result.resources},
            "failure": result.failure,
        }
    )
    if state.failure is None and state.completed == len(steps):
        return Advanced(outcome=finish(ports, state, timeline))
    ports.cloud_pcs.upsert_events(tenant_id, timeline)
    if state.failure is not None:  # removal starts on the next call, after the failure is on record
        state = state.model_copy(update={"resume": StepWait(step=REMOVE_VM)})
    if result.waiting:
        return _waiting(ports, state, max(result.waiting.retry_after_seconds, MIN_WAIT_S))
    return Advanced(state=state)


def _waiting(ports: EnginePorts, state: RunState, wait_s: float) -> Advanced:
    return Advanced(state=state, wait_seconds=wait_s, resume_at=ports.clock() + timedelta(seconds=wait_s))


def _step_line(
    ports: EnginePorts, job: CloudPcJob, step: str, attempt: int, start: datetime,
    outcome: str, code: str | None = None, message: str | None = None,
) -> CloudPcEvent:  # fmt: skip
    return timeline_event(
        job.cloud_pc_id, job.run, job.generation, step, ports.clock(),
        kind="step", attempt=attempt, start=start, outcome=outcome, code=code, message=message,
    )  # fmt: skip


def _timed_out(step: str, started: datetime, now: datetime) -> bool:
    return now - started > STEP_TIMEOUT.get(step, DEFAULT_STEP_TIMEOUT)


def run_steps(
    ports: EnginePorts,
    job: CloudPcJob,
    attempt: int,
    steps: list[str],
    *,
    resume: StepWait | None = None,
    timeline: list[CloudPcEvent],
) -> StepsResult:
    """Take the steps in order until one must be waited for or fails; their lines join `timeline`.

    A failed post-provisioning step becomes a warning and the next one runs.
    """
    result = StepsResult(completed=0)
    for step in steps:
        now = ports.clock()
        resumed = resume is not None and resume.step == step
        start = (resume.started_at if resume is not None and resumed else None) or now
        operation = resume.operation if resume is not None and resumed else None

        line = partial(_step_line, ports, job, step, attempt, start)

        try:
            if resumed and _timed_out(step, start, now):
                raise CloudError(step, "timedOut", f"{step} did not finish within its time limit")
            progress = call_step(
                ports, step,
                tenant_id=job.tenant_id, cloud_pc_id=job.cloud_pc_id, run=job.run, attempt=attempt,
                device_name=job.device_name, user_id=job.user_id, user_principal_name=job.user_principal_name,
                build=job.build, operation=operation,
            )  # fmt: skip
        except CloudError as exc:
            if step in job.post:
                timeline.append(line("warning", exc.code, str(exc)))
                result.warnings.append(f"{step}: {exc}")
                result.completed += 1
                resume = None
                continue
            timeline.append(line("failed", exc.code, str(exc)))
            result.failure = StepFailure(step=step, code=exc.code, message=str(exc))
            break
        if not progress.done:
            if not resumed:
                timeline.append(line("running"))
            result.waiting = StepWait(
                step=step, started_at=start, retry_after_seconds=progress.retry_after_s, operation=progress.operation
            )
            break
        timeline.append(line("succeeded"))
        result.completed += 1
        resume = None
        if step == "createVm" and progress.resource_id:
            result.resources["virtual_machine_id"] = progress.resource_id
        elif step == "attachNetwork" and progress.resource_id:
            result.resources["network_interface_id"] = progress.resource_id
    return result


def _remove_attempt(ports: EnginePorts, state: RunState) -> tuple[Progress, StepWait | None]:
    """Remove a failed attempt's VM, then its NIC (in use until the VM is gone), then record it: the next
    attempt starts clean, with a new NIC and address. Each phase is polled like a step; the answer says
    how far it got and what to resume from."""
    job, attempt = state.job, state.attempt
    resume = state.resume or StepWait(step=REMOVE_VM)
    placement = placement_of(job.build)
    operation = resume.operation
    if resume.step == REMOVE_VM:
        vm = ports.compute.delete_vm(job.tenant_id, placement, vm_name(job.cloud_pc_id, job.run, attempt), operation)
        if not vm.done:
            return vm, StepWait(step=REMOVE_VM, operation=vm.operation)
        operation = None
    nic = ports.compute.delete_nic(job.tenant_id, placement, nic_name(job.cloud_pc_id, job.run, attempt), operation)
    if not nic.done:
        return nic, StepWait(step=REMOVE_NIC, operation=nic.operation)
    failure = state.failure
    now = ports.clock()
    ids = (job.cloud_pc_id, job.run, job.generation)
    ports.cloud_pcs.upsert_events(
        job.tenant_id,
        [
            timeline_event(*ids, "attemptFailed", now, outcome="failed", attempt=attempt,
                           message=f"{failure.step}: {failure.message}" if failure else None),
            timeline_event(*ids, "attemptCleanedUp", now, attempt=attempt,
                           message="VM and network interface removed"),
        ],
    )  # fmt: skip
    ports.cloud_pcs.merge_cloud_pc(_stub(job, {"attempt": attempt}), ["attempt"])
    return nic, None


def _stub(job: CloudPcJob, fields: dict[str, Any]) -> CloudPc:
    """A Cloud PC carrying only what a merge writes (the other fields are placeholders, never written)."""
    return CloudPc.model_construct(id=job.cloud_pc_id, tenant_id=job.tenant_id, **fields)


def finish(ports: EnginePorts, state: RunState, timeline: list[CloudPcEvent]) -> str:
    """Settle a run whose steps are all taken; the timeline is written before the status says so."""
    job = state.job
    cloud_pc = ports.cloud_pcs.get_cloud_pc(job.tenant_id, job.cloud_pc_id)
    if cloud_pc.run != job.run or not machine.allows("finish", cloud_pc.status):
        ports.cloud_pcs.upsert_events(job.tenant_id, timeline)
        return cloud_pc.status  # another run took over (retry, reprovision), or a repeated call: it counts
    warnings = state.warnings
    detail = StatusDetail(code="provisionedWithWarnings", message="; ".join(warnings)) if warnings else None
    now = ports.clock()
    done = machine.move(
        cloud_pc, "finish", now, with_warnings=bool(warnings), line_attempt=state.attempt, attempt=state.attempt,
        message=f"{'provisionedWithWarnings' if warnings else 'provisioned'} after {state.attempt} attempt(s)",
        **state.resources, status_detail=detail, warnings=warnings, provisioned_date_time=now,
        recheck_when_settled=False, power_state="running",
    )  # fmt: skip
    assert done.event is not None
    timeline.append(done.event)
    ports.cloud_pcs.upsert_events(job.tenant_id, timeline)
    settled = ports.cloud_pcs.upsert_cloud_pc(done.cloud_pc, if_match=cloud_pc.etag)
    recheck_if_asked(ports, cloud_pc)
    return settled.status


def fail(ports: EnginePorts, tenant_id: str, cloud_pc_id: str, run: int, step: str, code: str, message: str) -> str:
    cloud_pc = ports.cloud_pcs.get_cloud_pc(tenant_id, cloud_pc_id)
    if cloud_pc.run != run or not machine.allows("fail", cloud_pc.status):
        return cloud_pc.status  # another run took over, or a repeated call: the Cloud PC has settled
    schedule_clean_up(ports, cloud_pc)  # first: the failure on record always has its clean-up due
    moved = machine.move(
        cloud_pc, "fail", ports.clock(), line_attempt=cloud_pc.attempt, code=code, message=f"{step}: {message}",
        status_detail=StatusDetail(code=code, message=message),  # the step is on the timeline line
        recheck_when_settled=False,
    )  # fmt: skip
    save(ports, moved, if_match=cloud_pc.etag)
    recheck_if_asked(ports, cloud_pc)
    return "failed"
