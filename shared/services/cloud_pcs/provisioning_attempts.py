"""One attempt of a provisioning run: its steps taken as phased work, and the removal of a failed attempt's
session host, VM and NIC before the next attempt."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Protocol

from shared.models.cloud_pcs import CloudPc, CloudPcEvent
from shared.models.costs import PowerChange
from shared.models.orchestrations import PhasedRun, PhasedStep
from shared.models.provisioning import CloudPcJob, RunState, StepFailure, StepWait
from shared.ports.cloud_errors import CloudError
from shared.ports.cloud_pc_work_ports import VmRemovalPorts
from shared.ports.progress import Progress
from shared.services.cloud_pcs import cloud_pc_metering
from shared.services.cloud_pcs.desktop_brokering import host_pool_name
from shared.services.cloud_pcs.provisioning_steps import (
    DEFAULT_STEP_TIMEOUT,
    STEP_TIMEOUT,
    ProvisioningStepPorts,
    call_step,
    nic_name,
    placement_of,
    vm_name,
)
from shared.services.cloud_pcs.timeline import held_line, timeline_event
from shared.services.engine import phased

# the phases of removing a failed attempt: its session host first, so no assignment outlives the VM
REMOVE_SESSION_HOST, REMOVE_VM, REMOVE_NIC = "removeSessionHost", "removeVm", "removeNic"
REMOVAL = (REMOVE_SESSION_HOST, REMOVE_VM, REMOVE_NIC)
RESOURCE_OF = {"createVm": "virtual_machine_id", "attachNetwork": "network_interface_id"}  # what a step made


class AttemptPorts(ProvisioningStepPorts, VmRemovalPorts, Protocol):
    """An attempt's steps, and the removal of a failed attempt's resources."""


class Steps(PhasedRun):
    """Where a list of phases stands within one call, as the driver takes them; the run carries it in its
    `RunState` (`completed` and `resume`), the shape its in-flight histories already hold."""


def steps_from(phases: tuple[str, ...] | list[str], done: int, resume: StepWait | None) -> Steps:
    resumed = resume is not None and done < len(phases) and resume.step == phases[done]
    if not resumed or resume is None:
        return Steps(phase=done)
    return Steps(phase=done, operation=resume.operation, started_at=resume.started_at, held=resume.held)


def resume_of(phases: tuple[str, ...] | list[str], step: PhasedStep[Steps]) -> StepWait | None:
    """The wait a step answered, as the run keeps it."""
    if step.outcome is not None:
        return None
    return StepWait(
        step=phases[step.run.phase], started_at=step.run.started_at, operation=step.run.operation, held=step.run.held
    )


def step_limit(step: str) -> timedelta:
    return STEP_TIMEOUT.get(step, DEFAULT_STEP_TIMEOUT)


def take_steps(
    ports: AttemptPorts, state: RunState, timeline: list[CloudPcEvent]
) -> tuple[RunState, PhasedStep[Steps]]:
    """The attempt's steps from where it stands, until one must be waited for, one fails the attempt (`failed`,
    its failure on the state), or none is left (`succeeded`); their lines join `timeline`. A failed
    post-provisioning step becomes a warning and the next one runs. The state as far as the steps took it."""
    job, attempt = state.job, state.attempt
    start = steps_from(job.steps, state.completed, state.resume)
    warnings, resources = list(state.warnings), dict(state.resources)
    failure: list[StepFailure] = []
    begun: dict[str, datetime] = {}  # when each step taken in this call started

    def line(now: Steps, step: str, outcome: str, code: str | None = None, message: str | None = None) -> None:
        timeline.append(
            timeline_event(
                job.cloud_pc_id,
                job.run,
                job.generation,
                step,
                ports.clock(),
                kind="step",
                attempt=attempt,
                start=now.started_at or begun[step],
                outcome=outcome,
                code=code,
                message=message,
            )
        )

    def take(now: Steps, step: str) -> Progress:
        begun[step] = ports.clock()
        return call_step(
            ports,
            step,
            tenant_id=job.tenant_id,
            cloud_pc_id=job.cloud_pc_id,
            policy_id=job.policy_id,
            run=job.run,
            attempt=attempt,
            device_name=job.device_name,
            user_id=job.user_id,
            user_principal_name=job.user_principal_name,
            build=job.build,
            operation=now.operation,
        )

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

    taken = phased.drive(start, job.steps, take, clock=ports.clock, limit=step_limit, on_fail=failed, on_done=made)
    waited_before = start.started_at is not None and taken.run.phase == start.phase
    if taken.outcome is None and not waited_before:  # a step that starts waiting says so once
        line(taken.run, job.steps[taken.run.phase], "running")
    held = taken.run.held if taken.outcome is None else None
    if held is not None and not (waited_before and start.held == held):  # a hold says so once, not per request
        said = held_line(
            job, attempt, job.steps[taken.run.phase], held, taken.wait_seconds, ports.clock(), taken.run.held_reason
        )
        if said is not None:
            timeline.append(said)
    reached = state.model_copy(
        update={
            "completed": taken.run.phase,
            "resume": resume_of(job.steps, taken),
            "warnings": warnings,
            "resources": resources,
            "failure": failure[0] if failure else None,
        }
    )
    return reached, taken


def remove_attempt(ports: AttemptPorts, state: RunState) -> PhasedStep[Steps]:
    """Remove a failed attempt's session host (a read only, before its step), its VM, then its NIC (in use until
    the VM is gone), then record it: the next attempt starts clean, with a new NIC and address. `succeeded` once
    removed, waiting as Azure asks, or what refused it (a missing permission, another refusal, or its time limit)
    as the outcome."""
    job, attempt = state.job, state.attempt
    placement = placement_of(job.build)
    resume = state.resume or StepWait(step=REMOVAL[0])
    start = steps_from(REMOVAL, REMOVAL.index(resume.step) if resume.step in REMOVAL else 0, resume)
    vm = vm_name(job.cloud_pc_id, job.run, attempt)

    def take(now: Steps, phase: str) -> Progress:
        if phase == REMOVE_SESSION_HOST:
            return ports.avd.remove_session_host(job.tenant_id, placement, host_pool_name(job.policy_id, job.build), vm)
        if phase == REMOVE_VM:
            return ports.compute.delete_vm(job.tenant_id, placement, vm, now.operation)
        return ports.compute.delete_nic(
            job.tenant_id, placement, nic_name(job.cloud_pc_id, job.run, attempt), now.operation
        )

    def refused(now: Steps, phase: str, exc: CloudError) -> PhasedStep[Steps]:
        # a throttle or an outage never gets here (the driver waits it out): this is a refusal or the time limit
        return PhasedStep(outcome=f"{exc.step}: {exc.code}", run=now)

    def removed(now: Steps, phase: str, progress: Progress) -> Steps:
        if phase == REMOVE_VM:
            metered_vm(ports, job, attempt, "deleted")
        if phase == REMOVE_NIC:
            record_removal(ports, state)
        return now

    return phased.drive(
        start, REMOVAL, take, clock=ports.clock, limit=DEFAULT_STEP_TIMEOUT, on_fail=refused, on_done=removed
    )


def metered_vm(ports: AttemptPorts, job: CloudPcJob, attempt: int, change: PowerChange) -> None:
    vm = vm_name(job.cloud_pc_id, job.run, attempt)
    cloud_pc_metering.record_vm(
        ports, job.tenant_id, job.cloud_pc_id, job.user_id, job.device_name, job.build, vm, change, ports.clock()
    )


def record_removal(ports: AttemptPorts, state: RunState) -> None:
    job, attempt, failure = state.job, state.attempt, state.failure
    now = ports.clock()
    ids = (job.cloud_pc_id, job.run, job.generation)
    ports.cloud_pcs.upsert_events(
        job.tenant_id,
        [
            # the failed step's own line, just before, names the step; this one carries the code the catalogue words
            timeline_event(
                *ids,
                "attemptFailed",
                now,
                outcome="failed",
                attempt=attempt,
                code=failure.code if failure else None,
                message=failure.message if failure else None,
            ),
            timeline_event(
                *ids, "attemptCleanedUp", now, attempt=attempt, message="Session host, VM and network interface removed"
            ),
        ],
    )
    ports.cloud_pcs.merge_cloud_pc(stub(job, {"attempt": attempt}), ["attempt"])


def stub(job: CloudPcJob, fields: dict[str, Any]) -> CloudPc:
    """A Cloud PC carrying only what a merge writes (the other fields are placeholders, never written)."""
    return CloudPc.model_construct(id=job.cloud_pc_id, tenant_id=job.tenant_id, **fields)
