"""The provisioning run: begin, take the steps attempt by attempt, remove a failed attempt, settle the Cloud PC.

Every function here is what one activity does; each is idempotent, so a re-delivered activity or a replayed
orchestration repeats nothing that already happened. The orchestration carries a `RunState`, so no call reads
the Cloud PC back to know where the run stands. An attempt's steps, and the removal of a failed attempt, are
phased work: the one driver (shared/services/engine/phased.py) takes them, with its time limit and minimum wait.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial
from typing import Any, Protocol

from shared.models.cloud_pcs import CloudPc, CloudPcEvent, StatusDetail
from shared.models.costs import PowerChange
from shared.models.orchestrations import PhasedRun, PhasedStep
from shared.models.provisioning import Advanced, CloudPcJob, RunState, StepFailure, StepWait
from shared.ports.cloud_errors import CloudError, refused_for_good
from shared.ports.cloud_pc_work_ports import DirectoryEventPorts, VmRemovalPorts
from shared.ports.progress import Progress
from shared.services.cloud_pcs import cloud_pc_metering
from shared.services.cloud_pcs import cloud_pc_transitions as machine
from shared.services.cloud_pcs.build_settings import (
    BuildSettingsPorts,
    ProvisioningFailed,
    build_settings,
    claim_device_name,
)
from shared.services.cloud_pcs.desktop_brokering import SLOT_MARKS, desktop_slot, host_pool_name
from shared.services.cloud_pcs.lifecycle import recheck_if_asked, schedule_clean_up
from shared.services.cloud_pcs.provisioning_steps import (
    ASSIGNMENT_STEPS,
    CORE_STEPS,
    DEFAULT_STEP_TIMEOUT,
    STEP_TIMEOUT,
    ProvisioningStepPorts,
    call_step,
    nic_name,
    placement_of,
    post_steps,
    vm_name,
)
from shared.services.cloud_pcs.timeline import held_line, queued_line, save, timeline_event
from shared.services.engine import phased

# the phases of removing a failed attempt: its session host first, so no assignment outlives the VM
REMOVE_SESSION_HOST, REMOVE_VM, REMOVE_NIC = "removeSessionHost", "removeVm", "removeNic"
REMOVAL = (REMOVE_SESSION_HOST, REMOVE_VM, REMOVE_NIC)
RESOURCE_OF = {"createVm": "virtual_machine_id", "attachNetwork": "network_interface_id"}  # what a step made


class ProvisioningPorts(BuildSettingsPorts, ProvisioningStepPorts, VmRemovalPorts, DirectoryEventPorts, Protocol):
    """A provisioning run: built from its policy's settings, step by step; a failed attempt's VM removed, a failed
    run's clean-up scheduled."""

    @property
    def silent_since(self) -> Callable[[datetime], list[str]]: ...


class Steps(PhasedRun):
    """Where a list of phases stands within one call, as the driver takes them; the run carries it in its
    `RunState` (`completed` and `resume`), the shape its in-flight histories already hold."""


def _steps_from(phases: tuple[str, ...] | list[str], done: int, resume: StepWait | None) -> Steps:
    resumed = resume is not None and done < len(phases) and resume.step == phases[done]
    if not resumed or resume is None:
        return Steps(phase=done)
    return Steps(phase=done, operation=resume.operation, started_at=resume.started_at, held=resume.held)


def _resume_of(phases: tuple[str, ...] | list[str], step: PhasedStep[Steps]) -> StepWait | None:
    """The wait a step answered, as the run keeps it."""
    if step.outcome is not None:
        return None
    return StepWait(step=phases[step.run.phase], started_at=step.run.started_at, operation=step.run.operation,
                    held=step.run.held)  # fmt: skip


def _step_limit(step: str) -> timedelta:
    return STEP_TIMEOUT.get(step, DEFAULT_STEP_TIMEOUT)


def _job(cloud_pc: CloudPc) -> CloudPcJob:
    assert cloud_pc.build is not None and cloud_pc.managed_device_name is not None
    return CloudPcJob(
        tenant_id=cloud_pc.tenant_id,
        cloud_pc_id=cloud_pc.id,
        policy_id=cloud_pc.provisioning_policy_id,
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
    ports: ProvisioningPorts, tenant_id: str, cloud_pc_id: str, run: int, timeline: list[CloudPcEvent]
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
            slot = desktop_slot(cloud_pc, ports.cloud_pcs.list_users_cloud_pcs(tenant_id, cloud_pc.user_id))
            if slot is None:
                most = len(SLOT_MARKS) - 1
                raise ProvisioningFailed("begin", "tooManyDesktops", f"a user holds at most {most} Cloud PCs of a "
                                         "policy: one personal desktop in each of its host pools")  # fmt: skip
            build = build.model_copy(update={"desktop_slot": slot})
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
    ports: ProvisioningPorts,
    tenant_id: str,
    cloud_pc_id: str,
    run: int,
    max_attempts: int,
    state: RunState | None,
    asked_at: datetime | None = None,
) -> Advanced:
    """Take the run as far as it goes in one call: begin, the attempt's steps, finish; one timeline write.

    A step still in progress ends the call with the time to wait. A failed attempt ends it too, and the
    next calls remove what that attempt made before the next attempt (or the failure) - so a repeated
    call, after a crash, always starts from a state that was fully reached. A call that waited long for a thread
    since it was `asked_at` says by what on the step it resumes.
    """
    timeline: list[CloudPcEvent] = []
    if state is None:
        begun = begin(ports, tenant_id, cloud_pc_id, run, timeline)
        if isinstance(begun, str):
            return Advanced(outcome=begun)
        state = begun
    elif state.failure is not None:
        removing = _remove_attempt(ports, state)
        if removing.outcome is None:
            return _waiting(state.model_copy(update={"resume": _resume_of(REMOVAL, removing)}), removing)
        failure = state.failure
        settle = partial(fail, ports, tenant_id, cloud_pc_id, run, failure.step, failure.code)
        if removing.outcome != "succeeded":  # refused too: the clean-up sweep removes what is left
            return Advanced(outcome=settle(f"{failure.message} Its resources could not be removed either "
                                           f"({removing.outcome})."))  # fmt: skip
        if state.attempt >= max_attempts:
            return Advanced(outcome=settle(failure.message))
        if refused_for_good(failure.code):  # the next attempt would meet the same refusal: fail now, saying why
            return Advanced(outcome=settle(f"{failure.message} Azure refuses this for good ({failure.code}), so the "
                                           "app did not try again; fix the cause, then retry.",))  # fmt: skip
        state = RunState(job=state.job, attempt=state.attempt + 1)
    elif asked_at is not None and state.completed < len(state.job.steps):
        queued = queued_line(state.job, state.attempt, state.job.steps[state.completed], asked_at, ports.clock(),
                             ports.silent_since(asked_at))  # fmt: skip
        if queued is not None:
            timeline.append(queued)
    state, taken = take_steps(ports, state, timeline)
    if taken.outcome == "succeeded":
        return Advanced(outcome=finish(ports, state, timeline))
    ports.cloud_pcs.upsert_events(tenant_id, timeline)
    if state.failure is not None:  # removal starts on the next call, after the failure is on record
        return Advanced(state=state.model_copy(update={"resume": StepWait(step=REMOVAL[0])}))
    return _waiting(state, taken)


def _waiting(state: RunState, step: PhasedStep[Steps]) -> Advanced:
    return Advanced(state=state, wait_seconds=step.wait_seconds, resume_at=step.resume_at)


def take_steps(
    ports: ProvisioningPorts, state: RunState, timeline: list[CloudPcEvent]
) -> tuple[RunState, PhasedStep[Steps]]:
    """The attempt's steps from where it stands, until one must be waited for, one fails the attempt (`failed`,
    its failure on the state), or none is left (`succeeded`); their lines join `timeline`. A failed
    post-provisioning step becomes a warning and the next one runs. The state as far as the steps took it."""
    job, attempt = state.job, state.attempt
    start = _steps_from(job.steps, state.completed, state.resume)
    warnings, resources = list(state.warnings), dict(state.resources)
    failure: list[StepFailure] = []
    begun: dict[str, datetime] = {}  # when each step taken in this call started

    def line(now: Steps, step: str, outcome: str, code: str | None = None, message: str | None = None) -> None:
        timeline.append(timeline_event(
            job.cloud_pc_id, job.run, job.generation, step, ports.clock(), kind="step", attempt=attempt,
            start=now.started_at or begun[step], outcome=outcome, code=code, message=message,
        ))  # fmt: skip

    def take(now: Steps, step: str) -> Progress:
        begun[step] = ports.clock()
        return call_step(
            ports, step, tenant_id=job.tenant_id, cloud_pc_id=job.cloud_pc_id, policy_id=job.policy_id, run=job.run,
            attempt=attempt, device_name=job.device_name, user_id=job.user_id,
            user_principal_name=job.user_principal_name, build=job.build, operation=now.operation,
        )  # fmt: skip

    def failed(now: Steps, step: str, exc: CloudError) -> PhasedStep[Steps] | Steps:
        begun.setdefault(step, ports.clock())  # failed on its time limit, before it was asked again
        if step in job.post:
            line(now, step, "warning", exc.code, str(exc))
            warnings.append(f"{step}: {exc}")
            return phased.next_phase(now)
        line(now, step, "failed", exc.code, str(exc))
        failure.append(StepFailure(step=step, code=exc.code, message=str(exc)))
        return PhasedStep(outcome="failed", run=now)

    def made(now: Steps, step: str, progress: Progress) -> Steps:
        if step == "createVm":
            metered_vm(ports, job, attempt, "created")
        line(now, step, "succeeded")
        if progress.resource_id and step in RESOURCE_OF:
            resources[RESOURCE_OF[step]] = progress.resource_id
        return now

    taken = phased.drive(start, job.steps, take, clock=ports.clock, limit=_step_limit, on_fail=failed, on_done=made)
    waited_before = start.started_at is not None and taken.run.phase == start.phase
    if taken.outcome is None and not waited_before:  # a step that starts waiting says so once
        line(taken.run, job.steps[taken.run.phase], "running")
    held = taken.run.held if taken.outcome is None else None
    if held is not None and not (waited_before and start.held == held):  # a hold says so once, not per request
        said = held_line(job, attempt, job.steps[taken.run.phase], held, taken.wait_seconds, ports.clock(),
                         taken.run.held_reason)  # fmt: skip
        if said is not None:
            timeline.append(said)
    reached = state.model_copy(update={
        "completed": taken.run.phase, "resume": _resume_of(job.steps, taken), "warnings": warnings,
        "resources": resources, "failure": failure[0] if failure else None,
    })  # fmt: skip
    return reached, taken


def _remove_attempt(ports: ProvisioningPorts, state: RunState) -> PhasedStep[Steps]:
    """Remove a failed attempt's session host (a read only, before its step), its VM, then its NIC (in use until
    the VM is gone), then record it: the next attempt starts clean, with a new NIC and address. `succeeded` once
    removed, waiting as Azure asks, or what refused it (a missing permission, another refusal, or its time limit)
    as the outcome."""
    job, attempt = state.job, state.attempt
    placement = placement_of(job.build)
    resume = state.resume or StepWait(step=REMOVAL[0])
    start = _steps_from(REMOVAL, REMOVAL.index(resume.step) if resume.step in REMOVAL else 0, resume)
    vm = vm_name(job.cloud_pc_id, job.run, attempt)

    def take(now: Steps, phase: str) -> Progress:
        if phase == REMOVE_SESSION_HOST:
            return ports.avd.remove_session_host(job.tenant_id, placement, host_pool_name(job.policy_id, job.build), vm)
        if phase == REMOVE_VM:
            return ports.compute.delete_vm(job.tenant_id, placement, vm, now.operation)
        return ports.compute.delete_nic(job.tenant_id, placement, nic_name(job.cloud_pc_id, job.run, attempt),
                                        now.operation)  # fmt: skip

    def refused(now: Steps, phase: str, exc: CloudError) -> PhasedStep[Steps]:
        # a throttle or an outage never gets here (the driver waits it out): this is a refusal or the time limit
        return PhasedStep(outcome=f"{exc.step}: {exc.code}", run=now)

    def removed(now: Steps, phase: str, progress: Progress) -> Steps:
        if phase == REMOVE_VM:
            metered_vm(ports, job, attempt, "deleted")
        if phase == REMOVE_NIC:
            _record_removal(ports, state)
        return now

    return phased.drive(start, REMOVAL, take, clock=ports.clock, limit=DEFAULT_STEP_TIMEOUT, on_fail=refused,
                        on_done=removed)  # fmt: skip


def metered_vm(ports: ProvisioningPorts, job: CloudPcJob, attempt: int, change: PowerChange) -> None:
    vm = vm_name(job.cloud_pc_id, job.run, attempt)
    cloud_pc_metering.record_vm(ports, job.tenant_id, job.cloud_pc_id, job.user_id, job.device_name, job.build, vm,
                                change, ports.clock())  # fmt: skip


def _record_removal(ports: ProvisioningPorts, state: RunState) -> None:
    job, attempt, failure = state.job, state.attempt, state.failure
    now = ports.clock()
    ids = (job.cloud_pc_id, job.run, job.generation)
    ports.cloud_pcs.upsert_events(
        job.tenant_id,
        [
            # the failed step's own line, just before, names the step; this one carries the code the catalogue words
            timeline_event(*ids, "attemptFailed", now, outcome="failed", attempt=attempt,
                           code=failure.code if failure else None, message=failure.message if failure else None),
            timeline_event(*ids, "attemptCleanedUp", now, attempt=attempt,
                           message="Session host, VM and network interface removed"),
        ],
    )  # fmt: skip
    ports.cloud_pcs.merge_cloud_pc(_stub(job, {"attempt": attempt}), ["attempt"])


def _stub(job: CloudPcJob, fields: dict[str, Any]) -> CloudPc:
    """A Cloud PC carrying only what a merge writes (the other fields are placeholders, never written)."""
    return CloudPc.model_construct(id=job.cloud_pc_id, tenant_id=job.tenant_id, **fields)


def finish(ports: ProvisioningPorts, state: RunState, timeline: list[CloudPcEvent]) -> str:
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


def fail(
    ports: ProvisioningPorts, tenant_id: str, cloud_pc_id: str, run: int, step: str, code: str, message: str
) -> str:
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
