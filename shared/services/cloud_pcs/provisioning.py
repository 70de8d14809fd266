"""The provisioning run: begin, take the steps attempt by attempt, remove a failed attempt, settle the Cloud PC.

Every function here is what one activity does; each is idempotent, so a re-delivered activity or a replayed
orchestration repeats nothing that already happened. The orchestration carries a `RunState`, so no call reads
the Cloud PC back to know where the run stands. An attempt's steps, and the removal of a failed attempt, are
phased work: the one driver (shared/services/engine/phased.py) takes them, with its time limit and minimum wait.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Protocol

from shared.models.cloud_pcs import CloudPc, CloudPcEvent, StatusDetail
from shared.models.orchestrations import PhasedStep
from shared.models.provisioning import Advanced, CloudPcJob, RunState, StepWait
from shared.ports.cloud_errors import refused_for_good
from shared.ports.cloud_pc_work_ports import DirectoryEventPorts, VmRemovalPorts
from shared.services.cloud_pcs import cloud_pc_transitions as machine
from shared.services.cloud_pcs.build_settings import (
    BuildSettingsPorts,
    ProvisioningFailed,
    build_settings,
    claim_device_name,
)
from shared.services.cloud_pcs.desktop_brokering import SLOT_MARKS, desktop_slot
from shared.services.cloud_pcs.lifecycle import recheck_if_asked, schedule_clean_up
from shared.services.cloud_pcs.provisioning_attempts import REMOVAL, Steps, remove_attempt, resume_of, take_steps
from shared.services.cloud_pcs.provisioning_steps import ASSIGNMENT_STEPS, CORE_STEPS, ProvisioningStepPorts, post_steps
from shared.services.cloud_pcs.timeline import queued_line, save


class ProvisioningPorts(BuildSettingsPorts, ProvisioningStepPorts, VmRemovalPorts, DirectoryEventPorts, Protocol):
    """A provisioning run: built from its policy's settings, step by step; a failed attempt's VM removed, a failed
    run's clean-up scheduled."""

    @property
    def silent_since(self) -> Callable[[datetime], list[str]]: ...


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
                raise ProvisioningFailed(
                    "begin",
                    "tooManyDesktops",
                    f"a user holds at most {most} Cloud PCs of a "
                    "policy: one personal desktop in each of its host pools",
                )
            build = build.model_copy(update={"desktop_slot": slot})
            device = cloud_pc.managed_device_name or claim_device_name(ports, cloud_pc, build.naming_template)
        except ProvisioningFailed as failure:
            fail(ports, tenant_id, cloud_pc_id, run, failure.step, failure.code, str(failure))
            return f"skipped: {failure}"
        started = machine.move(
            cloud_pc,
            "begin",
            ports.clock(),
            status_detail=None,
            build=build,
            managed_device_name=device,
            image_display_name=build.image_display_name,
            attempt=0,
            warnings=[],
        )
        cloud_pc = ports.cloud_pcs.upsert_cloud_pc(started.cloud_pc, if_match=cloud_pc.etag)
    job = _job(cloud_pc)
    # made from the row, so a call repeated after a crash writes the very same line
    started_line = machine.line(
        cloud_pc,
        "begin",
        cloud_pc.last_modified_date_time,
        message=f"Device {job.device_name} from {job.build.image_display_name}",
    )
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
        removing = remove_attempt(ports, state)
        if removing.outcome is None:
            return _waiting(state.model_copy(update={"resume": resume_of(REMOVAL, removing)}), removing)
        failure = state.failure
        settle = partial(fail, ports, tenant_id, cloud_pc_id, run, failure.step, failure.code)
        if removing.outcome != "succeeded":  # refused too: the clean-up sweep removes what is left
            return Advanced(
                outcome=settle(f"{failure.message} Its resources could not be removed either ({removing.outcome}).")
            )
        if state.attempt >= max_attempts:
            return Advanced(outcome=settle(failure.message))
        if refused_for_good(failure.code):  # the next attempt would meet the same refusal: fail now, saying why
            return Advanced(
                outcome=settle(
                    f"{failure.message} Azure refuses this for good ({failure.code}), so the "
                    "app did not try again; fix the cause, then retry.",
                )
            )
        state = RunState(job=state.job, attempt=state.attempt + 1)
    elif asked_at is not None and state.completed < len(state.job.steps):
        queued = queued_line(
            state.job,
            state.attempt,
            state.job.steps[state.completed],
            asked_at,
            ports.clock(),
            ports.silent_since(asked_at),
        )
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
        cloud_pc,
        "finish",
        now,
        with_warnings=bool(warnings),
        line_attempt=state.attempt,
        attempt=state.attempt,
        message=f"{'provisionedWithWarnings' if warnings else 'provisioned'} after {state.attempt} attempt(s)",
        **state.resources,
        status_detail=detail,
        warnings=warnings,
        provisioned_date_time=now,
        recheck_when_settled=False,
        power_state="running",
    )
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
        cloud_pc,
        "fail",
        ports.clock(),
        line_attempt=cloud_pc.attempt,
        code=code,
        message=f"{step}: {message}",
        status_detail=StatusDetail(code=code, message=message),  # the step is on the timeline line
        recheck_when_settled=False,
    )
    save(ports, moved, if_match=cloud_pc.etag)
    recheck_if_asked(ports, cloud_pc)
    return "failed"
