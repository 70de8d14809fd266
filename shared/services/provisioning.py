"""The provisioning run loop: begin, take the steps attempt by attempt, remove a failed attempt, settle the Cloud PC.

Every function here is what one activity does; each is idempotent, so a re-delivered activity or a replayed
orchestration repeats nothing that already happened. The orchestration carries a `RunState`, so no call reads
the Cloud PC back to know where the run stands.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial
from typing import Any

from shared.cloud.ports import CloudError, Progress
from shared.models.cloud_pcs import CloudPc, CloudPcEvent, StatusDetail
from shared.models.lifecycle import DueWork
from shared.models.provisioning import Advanced, CloudPcJob, RunState, StepsResult
from shared.services.build_settings import ProvisioningFailed, build_settings, claim_device_name
from shared.services.engine_ports import EnginePorts
from shared.services.provisioning_steps import (
    ASSIGNMENT_STEPS,
    CORE_STEPS,
    DEFAULT_STEP_TIMEOUT,
    POST_STEPS,
    STEP_TIMEOUT,
    call_step,
    nic_name,
    placement_of,
    vm_name,
)
from shared.services.timeline import record, timeline_event

REMOVE_VM, REMOVE_NIC = "removeVm", "removeNic"  # the phases of removing a failed attempt
MIN_WAIT_S = 0.5  # an operation still in progress is never polled in a tight loop


def run_resources(max_attempts: int, cloud_pc: CloudPc) -> tuple[list[str], list[str]]:
    """The VM and NIC names every attempt of the Cloud PC's current run may have made."""
    attempts = range(1, max(max_attempts, cloud_pc.attempt) + 1)
    return [vm_name(cloud_pc.id, cloud_pc.run, a) for a in attempts], [
        nic_name(cloud_pc.id, cloud_pc.run, a) for a in attempts
    ]


def due_work(ports: EnginePorts, cloud_pc: CloudPc, kind: str, at: datetime) -> DueWork:
    vms, nics = run_resources(ports.max_attempts, cloud_pc)
    return DueWork.model_validate(
        {
            "kind": kind,
            "due_date_time": at,
            "tenant_id": cloud_pc.tenant_id,
            "cloud_pc_id": cloud_pc.id,
            "run": cloud_pc.run,
            "generation": cloud_pc.generation,
            "device_name": cloud_pc.managed_device_name,
            "build": cloud_pc.build,
            "vm_names": vms,
            "nic_names": nics,
        }
    )


def schedule_clean_up(ports: EnginePorts, cloud_pc: CloudPc) -> None:
    """Devices and NICs go CLOUDPC_CLEANUP_DELAY later, as Windows 365 does after a failure or deprovision."""
    ports.due.upsert_due(due_work(ports, cloud_pc, "cleanUp", ports.clock() + ports.cleanup_delay))


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
        post=[s for s in POST_STEPS if s != "addLocalAdmin" or cloud_pc.build.local_admin_enabled],
        assignment=list(ASSIGNMENT_STEPS),
    )


def begin(
    ports: EnginePorts, tenant_id: str, cloud_pc_id: str, run: int, timeline: list[CloudPcEvent]
) -> RunState | str:
    """Take ownership for `run`: resolve the build settings and the device name, move to `provisioning`.

    The run's first state, or why it does not go ahead; its timeline line joins `timeline`.
    """
    cloud_pc = ports.cloud_pcs.find_cloud_pc(tenant_id, cloud_pc_id)
    if cloud_pc is None or cloud_pc.run != run or cloud_pc.status not in ("pendingProvision", "provisioning"):
        return "skipped: superseded or already settled"
    if cloud_pc.status != "provisioning" or cloud_pc.build is None:  # else a repeated call: the work is decided
        try:
            build = build_settings(ports, cloud_pc)
            device = cloud_pc.managed_device_name or claim_device_name(ports, cloud_pc, build.naming_template)
        except ProvisioningFailed as failure:
            fail(ports, tenant_id, cloud_pc_id, run, failure.step, failure.code, str(failure))
            return f"skipped: {failure}"
        started = cloud_pc.model_copy(
            update={
                "status": "provisioning",
                "status_detail": None,
                "build": build,
                "managed_device_name": device,
                "image_display_name": build.image_display_name,
                "attempt": 0,
                "warnings": [],
                "last_modified_date_time": ports.clock(),
            }
        )
        cloud_pc = ports.cloud_pcs.upsert_cloud_pc(started, if_match=cloud_pc.etag)
    job = _job(cloud_pc)
    # made from the row, so a call repeated after a crash writes the very same line
    timeline.append(
        timeline_event(
            cloud_pc_id,
            run,
            cloud_pc.generation,
            "provisioningStarted",
            cloud_pc.last_modified_date_time,
            message=f"Device {job.device_name} from {job.build.image_display_name}",
        )
    )
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
        removing, resume = _remove_attempt(ports, state)
        if not removing.done:
            wait = max(removing.retry_after_s, MIN_WAIT_S)
            return _waiting(ports, state.model_copy(update={"resume": resume}), wait)
        if state.attempt >= max_attempts:
            return Advanced(outcome=fail(ports, tenant_id, cloud_pc_id, run, **state.failure))
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
        state = state.model_copy(update={"resume": {"step": REMOVE_VM}})
    if result.waiting:
        return _waiting(ports, state, max(result.waiting["retryAfterSeconds"], MIN_WAIT_S))
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
    resume: dict[str, object] | None = None,
    timeline: list[CloudPcEvent],
) -> StepsResult:
    """Take the steps in order until one must be waited for or fails; their lines join `timeline`.

    A failed post-provisioning step becomes a warning and the next one runs.
    """
    result = StepsResult(completed=0)
    for step in steps:
        now = ports.clock()
        resumed = resume is not None and resume.get("step") == step
        start = datetime.fromisoformat(str(resume["startedAt"])) if resume is not None and resumed else now
        operation = str(resume["operation"]) if resume is not None and resumed and resume.get("operation") else None

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
            result.failure = {"step": step, "code": exc.code, "message": str(exc)}
            break
        if not progress.done:
            if not resumed:
                timeline.append(line("running"))
            result.waiting = {
                "step": step,
                "startedAt": start.isoformat(),
                "retryAfterSeconds": progress.retry_after_s,
                "operation": progress.operation,
            }
            break
        timeline.append(line("succeeded"))
        result.completed += 1
        resume = None
        if step == "createVm" and progress.resource_id:
            result.resources["virtual_machine_id"] = progress.resource_id
        elif step == "attachNetwork" and progress.resource_id:
            result.resources["network_interface_id"] = progress.resource_id
    return result


def _remove_attempt(ports: EnginePorts, state: RunState) -> tuple[Progress, dict[str, object]]:
    """Remove a failed attempt's VM, then its NIC (in use until the VM is gone), then record it: the next
    attempt starts clean, with a new NIC and address. Each phase is polled like a step; the answer says
    how far it got and what to resume from."""
    job, attempt = state.job, state.attempt
    resume = state.resume or {"step": REMOVE_VM}
    placement = placement_of(job.build)
    operation = str(resume["operation"]) if resume.get("operation") else None
    if resume.get("step") == REMOVE_VM:
        vm = ports.compute.delete_vm(job.tenant_id, placement, vm_name(job.cloud_pc_id, job.run, attempt), operation)
        if not vm.done:
            return vm, {"step": REMOVE_VM, "operation": vm.operation}
        operation = None
    nic = ports.compute.delete_nic(job.tenant_id, placement, nic_name(job.cloud_pc_id, job.run, attempt), operation)
    if not nic.done:
        return nic, {"step": REMOVE_NIC, "operation": nic.operation}
    failure = state.failure or {}
    now = ports.clock()
    ids = (job.cloud_pc_id, job.run, job.generation)
    ports.cloud_pcs.upsert_events(
        job.tenant_id,
        [
            timeline_event(*ids, "attemptFailed", now, outcome="failed", attempt=attempt,
                           message=f"{failure.get('step')}: {failure.get('message')}"),
            timeline_event(*ids, "attemptCleanedUp", now, attempt=attempt,
                           message="VM and network interface removed"),
        ],
    )  # fmt: skip
    ports.cloud_pcs.merge_cloud_pc(_stub(job, {"attempt": attempt}), ["attempt"])
    return nic, {}


def _stub(job: CloudPcJob, fields: dict[str, Any]) -> CloudPc:
    """A Cloud PC carrying only what a merge writes (the other fields are placeholders, never written)."""
    return CloudPc.model_construct(id=job.cloud_pc_id, tenant_id=job.tenant_id, **fields)


def finish(ports: EnginePorts, state: RunState, timeline: list[CloudPcEvent]) -> str:
    """Settle a run whose steps are all taken; the timeline is written before the status says so."""
    job = state.job
    cloud_pc = ports.cloud_pcs.get_cloud_pc(job.tenant_id, job.cloud_pc_id)
    if cloud_pc.run != job.run:
        ports.cloud_pcs.upsert_events(job.tenant_id, timeline)
        return cloud_pc.status  # another run took over (retry, reprovision): its result counts
    warnings = state.warnings
    status = "provisionedWithWarnings" if warnings else "provisioned"
    now = ports.clock()
    detail = StatusDetail(code="provisionedWithWarnings", message="; ".join(warnings)) if warnings else None
    done = cloud_pc.model_copy(
        update={
            **state.resources,
            "status": status,
            "status_detail": detail,
            "attempt": state.attempt,
            "warnings": warnings,
            "provisioned_date_time": now,
            "last_modified_date_time": now,
            "recheck_when_settled": False,
        }
    )
    timeline.append(
        timeline_event(
            job.cloud_pc_id,
            job.run,
            job.generation,
            "provisioned",
            now,
            outcome="warning" if warnings else "succeeded",
            attempt=state.attempt,
            message=f"{status} after {state.attempt} attempt(s)",
        )
    )
    ports.cloud_pcs.upsert_events(job.tenant_id, timeline)
    ports.cloud_pcs.upsert_cloud_pc(done, if_match=cloud_pc.etag)
    recheck_if_asked(ports, cloud_pc)
    return status


def recheck_if_asked(ports: EnginePorts, cloud_pc: CloudPc) -> None:
    """A reconcile found the user untargeted mid-run; now that the run settled, let it decide again."""
    if cloud_pc.recheck_when_settled:
        ports.events.publish_directory_event(cloud_pc.tenant_id, user_ids=[cloud_pc.user_id])


def fail(ports: EnginePorts, tenant_id: str, cloud_pc_id: str, run: int, step: str, code: str, message: str) -> str:
    cloud_pc = ports.cloud_pcs.get_cloud_pc(tenant_id, cloud_pc_id)
    if cloud_pc.run != run:
        return cloud_pc.status
    failed = cloud_pc.model_copy(
        update={
            "status": "failed",
            "status_detail": StatusDetail(code=code, message=f"Provisioning failed at {step}: {message}"),
            "last_modified_date_time": ports.clock(),
        }
    )
    failed = ports.cloud_pcs.upsert_cloud_pc(
        failed.model_copy(update={"recheck_when_settled": False}), if_match=cloud_pc.etag
    )
    schedule_clean_up(ports, failed)
    recheck_if_asked(ports, cloud_pc)
    record(
        ports,
        failed,
        "provisioningFailed",
        outcome="failed",
        attempt=cloud_pc.attempt,
        code=code,
        message=f"{step}: {message}",
    )
    return "failed"
