"""After provisioning: grace periods, deprovisioning, clean-up, and the admin's retry and reprovision.

Every step is idempotent and writes its timeline line under a deterministic id, so two sweeps that
meet the same due work, or a sweep that runs again after a crash, do it once.
"""

from __future__ import annotations

import dataclasses
import logging
from datetime import datetime, timedelta
from typing import Any, Literal

from shared.errors import PreconditionFailed
from shared.models.cloud_pcs import CloudPc
from shared.models.lifecycle import DueWork
from shared.ports.cloud_errors import CloudError
from shared.ports.cloud_pc_work_ports import (
    DeprovisionPorts,
    DirectoryEventPorts,
    GracePorts,
    NewRunPorts,
    ScheduledWorkPorts,
    TimelinePorts,
    VmRemovalPorts,
)
from shared.ports.progress import Progress
from shared.services.cloud_pcs import cloud_pc_metering
from shared.services.cloud_pcs import cloud_pc_transitions as machine
from shared.services.cloud_pcs.desktop_brokering import host_pool_name
from shared.services.cloud_pcs.provisioning_steps import nic_name, placement_of, vm_name
from shared.services.cloud_pcs.timeline import save, save_move, timeline_event
from shared.services.engine.phased import DONE, held_wait

log = logging.getLogger(__name__)
# a due work that failed in a way no rule here knows is tried again after this, not at every sweep
FAILED_DUE_RETRY = timedelta(minutes=1)


def run_resources(max_attempts: int, cloud_pc: CloudPc) -> tuple[list[str], list[str]]:
    """The VM and NIC names every attempt of the Cloud PC's current run may have made."""
    attempts = range(1, max(max_attempts, cloud_pc.attempt) + 1)
    return [vm_name(cloud_pc.id, cloud_pc.run, a) for a in attempts], [
        nic_name(cloud_pc.id, cloud_pc.run, a) for a in attempts
    ]


def due_work(ports: ScheduledWorkPorts, cloud_pc: CloudPc, kind: str, at: datetime) -> DueWork:
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
            "host_pool": host_pool_name(cloud_pc.provisioning_policy_id, cloud_pc.build) if cloud_pc.build else None,
            "session_host_vm": cloud_pc.virtual_machine_id.rsplit("/", 1)[-1] if cloud_pc.virtual_machine_id else None,
        }
    )


def schedule_clean_up(ports: VmRemovalPorts, cloud_pc: CloudPc) -> None:
    """Devices and NICs go CLOUDPC_CLEANUP_DELAY later, as Windows 365 does after a failure or deprovision."""
    ports.due.upsert_due(due_work(ports, cloud_pc, "cleanUp", ports.clock() + ports.cleanup_delay))


def recheck_if_asked(ports: DirectoryEventPorts, cloud_pc: CloudPc) -> None:
    """A reconcile found the user untargeted mid-run; now that the run settled, let it decide again."""
    if cloud_pc.recheck_when_settled:
        ports.events.publish_directory_event(cloud_pc.tenant_id, user_ids=[cloud_pc.user_id])


def lifecycle_event(
    ports: TimelinePorts,
    tenant_id: str,
    ids: tuple[str, int, int],
    name: str,
    *,
    outcome: str = "info",
    message: str = "",
    once: bool = True,
) -> None:
    """A milestone line for (cloud PC id, run, generation); a `once` line has one id per run, so repeating
    the work never adds a second."""
    cloud_pc_id, run, generation = ids
    event = timeline_event(
        cloud_pc_id, run, generation, name, ports.clock(), outcome=outcome, message=message, repeatable=not once
    )
    ports.cloud_pcs.upsert_event(tenant_id, event)


def ids_of(cloud_pc: CloudPc) -> tuple[str, int, int]:
    return cloud_pc.id, cloud_pc.run, cloud_pc.generation


def enter_grace(ports: GracePorts, cloud_pc: CloudPc, reason: str, *, reclaim: bool = False) -> CloudPc:
    """Its grace period starts; one the reclaim rule starts keeps its announcement, which marks it reclaimed."""
    now = ports.clock()
    end = now + ports.grace_period
    announced = cloud_pc.reclaim_announced_date_time if reclaim else None
    moved = machine.move(
        cloud_pc,
        "enterGrace",
        now,
        grace_period_end_date_time=end,
        reclaim_announced_date_time=announced,
        message=f"{reason}; ends {end:%Y-%m-%dT%H:%M:%SZ}",
    )
    # its expiry first: a grace period on record always has one (an expiry that finds none does nothing)
    ports.due.upsert_due(due_work(ports, moved.cloud_pc, "graceExpiry", end))
    return save(ports, moved, if_match=cloud_pc.etag)


def restore_from_grace(ports: TimelinePorts, cloud_pc: CloudPc, why: str = "Targeted and licensed again") -> CloudPc:
    """Targeted and licensed again in time (or, reclaimed, its user connected): back as it was, VM untouched.

    Its grace-expiry entry stays due, and finds nothing to do when it comes.
    """
    moved = machine.move(cloud_pc, "restore", ports.clock(), message=why, reclaim_announced_date_time=None)
    return save(ports, moved, if_match=cloud_pc.etag)


def delete_vms(ports: VmRemovalPorts, cloud_pc: CloudPc) -> None:
    """Start deleting the VMs of the Cloud PC's run, followed to their end by due work (deleteVms on the timeline,
    running until Azure has deleted them): a delete Azure holds (a throttle, an outage, the subscription's write
    budget) is asked again a moment later, so a VM the admin let go never runs on until the clean-up."""
    if cloud_pc.build is None:
        return
    now = ports.clock()
    work = due_work(ports, cloud_pc, "removeVms", now).model_copy(update={"since": now})
    try:
        remove_due_vms(ports, work)
    except CloudError:  # the first try, made at once, failed: the sweep tries again, and the deprovision goes on
        failed_due_later(ports, work)


def remove_vms(ports: VmRemovalPorts, work: DueWork) -> Progress:
    """Delete each VM `work` names in turn (one gone already is done), following a delete under way to its end:
    not done while Azure holds one or is deleting it, the operation kept with the VM it is of. Before any delete,
    the settled VM's session host leaves its pool, and its user's assignment with it (rename and resize keep the VM, and
    so the host; the pool stays for the policy's other Cloud PCs). A delete Azure fails raises its CloudError."""
    if work.build is None:
        return DONE
    placement = placement_of(work.build)
    if work.operation is None and work.host_pool and work.session_host_vm:
        try:
            leaving = ports.avd.remove_session_host(work.tenant_id, placement, work.host_pool, work.session_host_vm)
        except CloudError as exc:
            if not exc.transient:
                raise
            leaving = Progress(done=False, retry_after_s=held_wait(exc), held=exc.code, reason=exc.reason)
        if not leaving.done:
            return leaving
    deleting_vm, _, operation = (work.operation or "").partition(" ")
    for name in work.vm_names:
        try:
            deleting = ports.compute.delete_vm(
                work.tenant_id, placement, name, operation if name == deleting_vm else None
            )
        except CloudError as exc:
            if not exc.transient:
                raise
            deleting = Progress(done=False, retry_after_s=held_wait(exc), held=exc.code, reason=exc.reason)
        if not deleting.done:
            kept = f"{name} {deleting.operation}" if deleting.operation else None
            return dataclasses.replace(deleting, operation=kept)
        cloud_pc_metering.record_vm(
            ports,
            work.tenant_id,
            work.cloud_pc_id,
            None,
            work.device_name or name,
            work.build,
            name,
            "deleted",
            ports.clock(),
        )
    return DONE


def remove_due_vms(ports: VmRemovalPorts, work: DueWork) -> None:
    """remove_vms, its line on the timeline (running, then succeeded or failed with Azure's code), due again while
    not done; a failure is raised on, for the sweep to try again later."""
    try:
        progress = remove_vms(ports, work)
    except CloudError as exc:
        _vms_line(ports, work, "failed", code=exc.code, message=str(exc))
        raise
    if progress.done:
        _vms_line(ports, work, "succeeded", message="VMs deleted")
    elif progress.held is not None:
        _vms_line(ports, work, "running", code=progress.held, message=f"Azure holds the delete ({progress.held})")
    elif work.operation is None:  # the first answer: the line says it runs; the polls after it need not again
        _vms_line(ports, work, "running", message="Azure is deleting the VMs")
    due_again(ports, work, progress)


def _vms_line(ports: TimelinePorts, work: DueWork, outcome: str, *, code: str | None = None, message: str) -> None:
    line = timeline_event(
        work.cloud_pc_id,
        work.run,
        work.generation,
        "deleteVms",
        ports.clock(),
        outcome=outcome,
        start=work.since,
        code=code,
        message=message,
    )
    ports.cloud_pcs.upsert_event(work.tenant_id, line)


def deprovision(
    ports: DeprovisionPorts,
    tenant_id: str,
    cloud_pc_id: str,
    run: int,
    reason: str,
    action: Literal["deprovision", "endGracePeriod"] = "deprovision",
    request_id: str | None = None,
) -> bool:
    """Delete the VM and the Cloud PC (GET answers 404 after; its timeline stays); clean-up follows later. The admin's
    request is kept on the Cloud PC while it goes, so the same request made again (a bulk item run twice) finds it
    applied rather than refused for the status it put the Cloud PC in."""
    cloud_pc = ports.cloud_pcs.find_cloud_pc(tenant_id, cloud_pc_id)
    if cloud_pc is None or cloud_pc.run != run or not machine.allows(action, cloud_pc.status):
        return False  # already gone, restored, or taken over by a retry or reprovision
    if cloud_pc.status != "deprovisioning":
        try:
            moved = machine.move(cloud_pc, action, ports.clock(), message=reason, request_id=request_id)
            cloud_pc = save(ports, moved, if_match=cloud_pc.etag)
        except PreconditionFailed:  # someone else moved first (another sweep, or a restore): follow them
            return deprovision(ports, tenant_id, cloud_pc_id, run, reason)
    delete_vms(ports, cloud_pc)
    schedule_clean_up(ports, cloud_pc)
    lifecycle_event(
        ports,
        cloud_pc.tenant_id,
        ids_of(cloud_pc),
        "deprovisioned",
        outcome="succeeded",
        message="VM deletion asked (the next line follows it); clean-up follows",
    )
    ports.cloud_pcs.delete_cloud_pc(tenant_id, cloud_pc_id)
    ports.events.publish_directory_event(tenant_id, full=True)  # a freed license may let a waiting Cloud PC start
    return True


def end_grace_period(
    ports: DeprovisionPorts, tenant_id: str, cloud_pc_id: str, request_id: str | None = None
) -> CloudPc:
    """The grace period ends now: its expiry is made due at once first, so a deprovision cut short (a crash, a
    storage outage) is finished by the next sweep."""
    cloud_pc = ports.cloud_pcs.get_cloud_pc(tenant_id, cloud_pc_id)
    machine.check(cloud_pc, "endGracePeriod")
    ports.due.upsert_due(due_work(ports, cloud_pc, "graceExpiry", ports.clock()))
    deprovision(
        ports, tenant_id, cloud_pc_id, cloud_pc.run, "Grace period ended by an admin", "endGracePeriod", request_id
    )
    return cloud_pc


def new_run(
    ports: NewRunPorts,
    tenant_id: str,
    cloud_pc_id: str,
    action: Literal["retry", "reprovision"],
    request_id: str | None = None,
) -> CloudPc:
    """Start the Cloud PC afresh under a new run: `retry` a failed one with the same device name, or
    `reprovision` it - delete its VM and build a new one from the policy's CURRENT settings (user data is lost)."""
    cloud_pc = ports.cloud_pcs.get_cloud_pc(tenant_id, cloud_pc_id)
    machine.check(cloud_pc, action)
    fresh: dict[str, Any] = {"status_detail": None, "run": cloud_pc.run + 1, "attempt": 0, "build": None}
    message = f"Retry after run {cloud_pc.run} failed"
    if action == "reprovision":
        delete_vms(ports, cloud_pc)
        schedule_clean_up(ports, cloud_pc)
        policy = ports.policies.find_policy(tenant_id, cloud_pc.provisioning_policy_id)
        fresh |= {
            "generation": cloud_pc.generation + 1,
            "managed_device_name": None,
            "virtual_machine_id": None,
            "network_interface_id": None,
            "provisioned_date_time": None,
            "provisioning_policy_name": policy.display_name if policy else cloud_pc.provisioning_policy_name,
            "warnings": [],
        }
        message = "VM deleted; a new one follows from the policy's current settings"
    return save_move(
        ports,
        cloud_pc,
        lambda current: machine.move(current, action, ports.clock(), message=message, request_id=request_id, **fresh),
        doing=action,
    )


def due_again(ports: ScheduledWorkPorts, work: DueWork, progress: Progress) -> None:
    """Work not done yet is due again once Azure has had the time it asked for, polling what is under way."""
    if not progress.done:
        later = ports.clock() + timedelta(seconds=max(progress.retry_after_s, 1.0))
        ports.due.upsert_due(work.model_copy(update={"due_date_time": later, "operation": progress.operation}))


def failed_due_later(ports: ScheduledWorkPorts, work: DueWork) -> None:
    """A failure that would fail again at once (a refusal this code does not know) is not tried at every sweep,
    each try a call to Azure more; what cannot even be moved (storage down) stays due as it is."""
    try:
        due_again(ports, work, Progress(done=False, retry_after_s=FAILED_DUE_RETRY.total_seconds()))
        ports.due.delete_due(work)
    except Exception:
        log.warning("Due %s of Cloud PC %s stays due as it is", work.kind, work.cloud_pc_id, exc_info=True)
