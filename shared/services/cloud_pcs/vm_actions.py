"""The Azure work of a VM action (power, resize, troubleshoot) that the app's own backend leaves to an orchestration:
phases, each an idempotent call that answers done or "ask again after N seconds", as provisioning steps do."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Protocol

from shared.catalog.marketplace_images import os_disk_size_gb
from shared.catalog.service_plans import SERVICE_PLANS_BY_ID
from shared.errors import PreconditionFailed
from shared.models.cloud_pc_actions import TroubleshootCheck, TroubleshootResult, VmActionName
from shared.models.cloud_pcs import BuildSettings, CloudPc, PowerState, StatusDetail
from shared.models.costs import PowerChange
from shared.models.orchestrations import PhasedStep, VmActionRun
from shared.ports.cloud_errors import CloudError
from shared.ports.cloud_pc_operations import CloudPcOperations, PowerAction
from shared.ports.cloud_pc_work_ports import ActionCheckPorts, DirectoryEventPorts, PowerRecordPorts, TimelinePorts
from shared.ports.compute import ProvisioningCompute
from shared.ports.progress import Progress
from shared.services.cloud_pcs import cloud_pc_metering, lifecycle
from shared.services.cloud_pcs import cloud_pc_transitions as machine
from shared.services.cloud_pcs.cloud_pc_actions import license_held_by_group
from shared.services.cloud_pcs.provisioning_steps import placement_of, post_script, vm_name
from shared.services.cloud_pcs.timeline import save
from shared.services.engine import phased

PHASE_TIMEOUT = timedelta(minutes=30)
# The Azure work of each VM action, in order. A resize switches the user's license first (Windows 365 moves
# a directly assigned license itself; one a group assigns only the group can move, so such a resize is refused),
# then resizes a deallocated VM, grows its disk and the C: partition.
PHASES: dict[VmActionName, tuple[str, ...]] = {
    "reboot": ("restartVm",),
    "powerOn": ("startVm",),
    "powerOff": ("deallocateVm",),
    "resize": ("switchLicense", "deallocateVm", "resizeVm", "growOsDisk", "startVm", "extendPartition"),
    "troubleshoot": ("troubleshoot",),
    "sleep": ("deallocateVm",),
    "hibernate": ("hibernateVm",),
}
POWER: dict[str, PowerAction] = {
    "restartVm": "restart",
    "startVm": "start",
    "deallocateVm": "deallocate",
    "hibernateVm": "hibernate",
}
METERED: dict[str, PowerChange] = {"startVm": "started", "deallocateVm": "stopped", "hibernateVm": "stopped"}
DONE_LINE = {
    "reboot": "rebooted",
    "powerOn": "poweredOn",
    "powerOff": "poweredOff",
    "troubleshoot": "troubleshot",
    "sleep": "asleep",
    "hibernate": "asleep",
}


class VmActionPorts(ActionCheckPorts, TimelinePorts, DirectoryEventPorts, PowerRecordPorts, Protocol):
    """The Azure work a VM action leaves to its orchestration (advance_vm_action): the VM's power and size, the
    user's license, and what a troubleshoot reads."""

    @property
    def compute(self) -> ProvisioningCompute: ...
    @property
    def operations(self) -> CloudPcOperations: ...


def advance_vm_action(ports: VmActionPorts, run: VmActionRun) -> PhasedStep[VmActionRun]:
    """Take the action's phases as far as they go; a phase still in progress answers when to ask again."""
    cloud_pc = ports.cloud_pcs.find_cloud_pc(run.tenant_id, run.cloud_pc_id)
    if cloud_pc is None or cloud_pc.last_request_id != run.request_id or cloud_pc.build is None:
        return PhasedStep(outcome="superseded", run=run)  # deprovisioned, or another action took over
    known = cloud_pc
    return phased.drive(
        run,
        PHASES[run.action],
        lambda now, phase: _phase(ports, known, now, phase),
        clock=ports.clock,
        limit=PHASE_TIMEOUT,
        on_fail=lambda now, phase, exc: PhasedStep(outcome=_failed(ports, known, now, phase, exc), run=now),
        on_done=lambda now, phase, _: _powered(ports, known, now, phase),
        finish=lambda done: PhasedStep(outcome=_succeeded(ports, known, done), run=done),
    )


def _powered(ports: VmActionPorts, cloud_pc: CloudPc, run: VmActionRun, phase: str) -> VmActionRun:
    """A start or a stop the VM finished, for the cost view; a resize's start is at its new size."""
    change = METERED.get(phase)
    if change is not None:
        build = _resized(cloud_pc) if run.action == "resize" else None
        cloud_pc_metering.record_power(ports, cloud_pc, change, ports.clock(), build)
    return run


def _phase(ports: VmActionPorts, cloud_pc: CloudPc, run: VmActionRun, phase: str) -> Progress:
    assert cloud_pc.build is not None
    tenant, placement = cloud_pc.tenant_id, placement_of(cloud_pc.build)
    vm = vm_name(cloud_pc.id, cloud_pc.run, cloud_pc.attempt)
    ops = ports.operations
    if phase in POWER:
        return ops.power_vm(tenant, placement, vm, POWER[phase], run.operation)
    if phase == "switchLicense":
        # a group may have come to assign the old license since the request was checked
        moving = run.from_service_plan_id
        if moving and (held := license_held_by_group(ports, tenant, cloud_pc.user_id, moving)):
            raise CloudError(phase, "licenseAssignedByGroup", held)
        return ports.licenses.switch_license(
            tenant, cloud_pc.user_id, cloud_pc.service_plan_id, run.from_service_plan_id
        )
    plan = SERVICE_PLANS_BY_ID[cloud_pc.service_plan_id]
    if phase == "resizeVm":
        return ops.resize_vm(tenant, placement, vm, plan.vm_size, run.operation)
    if phase == "growOsDisk":
        return ops.grow_os_disk(tenant, placement, vm, plan.storage_in_gb, run.operation)
    if phase == "extendPartition":
        script = post_script("resizeOsDisk", cloud_pc.build, cloud_pc.user_principal_name)
        return ports.compute.run_command(tenant, placement, vm, "resizeOsDisk", script, run.operation)
    if phase == "troubleshoot":
        troubleshoot(ports, cloud_pc)
        return Progress(done=True)
    raise ValueError(f"unknown phase {phase}")


def _succeeded(ports: VmActionPorts, cloud_pc: CloudPc, run: VmActionRun) -> str:
    if run.action == "troubleshoot":
        return "succeeded"  # its line carries the checks' outcome
    if run.action != "resize":
        _note_power(ports, cloud_pc, machine.POWER_AFTER.get(run.action))
        lifecycle.lifecycle_event(
            ports,
            cloud_pc.tenant_id,
            lifecycle.ids_of(cloud_pc),
            DONE_LINE[run.action],
            outcome="succeeded",
            once=False,
        )
        return "succeeded"
    if not machine.allows("finishResize", cloud_pc.status):
        return "succeeded"  # a repeated call: the resize is on record
    plan = SERVICE_PLANS_BY_ID[cloud_pc.service_plan_id]
    build = _resized(cloud_pc)
    detail = cloud_pc.status_detail  # the warnings of its provisioning stay; an earlier resize's failure goes
    if detail is not None and detail.code == "resizeFailed":
        detail = None
    moved = machine.move(
        cloud_pc,
        "finishResize",
        ports.clock(),
        message=f"Now {plan.display_name}",
        build=build,
        status_detail=detail,
        resize_from_service_plan_id=None,
        recheck_when_settled=False,
    )
    save(ports, moved, if_match=cloud_pc.etag)
    lifecycle.recheck_if_asked(ports, cloud_pc)
    return "succeeded"


def _resized(cloud_pc: CloudPc) -> BuildSettings:
    """Its build at its plan's size and disk (the plan it is resized to)."""
    assert cloud_pc.build is not None
    plan = SERVICE_PLANS_BY_ID[cloud_pc.service_plan_id]
    disk_gb = os_disk_size_gb(cloud_pc.build.image_id, plan.storage_in_gb)  # never less than the image's
    return cloud_pc.build.model_copy(update={"vm_size": plan.vm_size, "os_disk_size_gb": disk_gb})


def _note_power(ports: VmActionPorts, cloud_pc: CloudPc, power: PowerState | None) -> None:
    """Keep what the VM was left in; a record changed meanwhile is read again (the power state is not its status)."""
    for _ in range(3):
        if power is None or cloud_pc.power_state == power:
            return
        try:
            ports.cloud_pcs.upsert_cloud_pc(cloud_pc.model_copy(update={"power_state": power}), if_match=cloud_pc.etag)
            return
        except PreconditionFailed:
            found = ports.cloud_pcs.find_cloud_pc(cloud_pc.tenant_id, cloud_pc.id)
            if found is None:
                return
            cloud_pc = found


def _failed(ports: VmActionPorts, cloud_pc: CloudPc, run: VmActionRun, phase: str, exc: CloudError) -> str:
    message = f"{run.action} failed at {phase}: {exc}"
    if run.action != "resize":
        lifecycle.lifecycle_event(
            ports,
            cloud_pc.tenant_id,
            lifecycle.ids_of(cloud_pc),
            DONE_LINE[run.action],
            outcome="failed",
            message=message,
            once=False,
        )
        return "failed"
    if not machine.allows("failResize", cloud_pc.status):
        return "failed"
    # before the license moved, the Cloud PC is still on its old plan; after, the admin may reprovision it
    back: dict[str, Any] = (
        {
            "service_plan_id": run.from_service_plan_id,
            "service_plan_name": SERVICE_PLANS_BY_ID[run.from_service_plan_id].display_name,
        }
        if run.phase == 0 and run.from_service_plan_id
        else {}
    )
    moved = machine.move(
        cloud_pc,
        "failResize",
        ports.clock(),
        code=exc.code,
        message=message,
        status_detail=StatusDetail(code="resizeFailed", message=message),
        resize_from_service_plan_id=None,
        recheck_when_settled=False,
        **back,
    )
    save(ports, moved, if_match=cloud_pc.etag)
    lifecycle.recheck_if_asked(ports, cloud_pc)
    return "failed"


def troubleshoot(ports: VmActionPorts, cloud_pc: CloudPc) -> TroubleshootResult:
    """Read-only checks of what a working Cloud PC needs; the result is kept on the Cloud PC and its timeline."""
    assert cloud_pc.build is not None and cloud_pc.managed_device_name is not None
    ops, tenant, device = ports.operations, cloud_pc.tenant_id, cloud_pc.managed_device_name
    placement, vm = placement_of(cloud_pc.build), vm_name(cloud_pc.id, cloud_pc.run, cloud_pc.attempt)
    checks: list[TroubleshootCheck] = []

    def note(name: str, passed: bool, message: str) -> None:
        checks.append(TroubleshootCheck(name=name, status="passed" if passed else "failed", message=message))

    inspection = ops.inspect_vm(tenant, placement, vm)
    if inspection is None:
        note("virtualMachine", False, f"VM {vm} does not exist.")
    else:
        running = inspection.power_state == "running"
        note(
            "virtualMachine",
            running and inspection.provisioning_state == "Succeeded",
            f"VM {vm} is {inspection.power_state} ({inspection.provisioning_state}), size {inspection.vm_size}.",
        )
        broken = {n: s for n, s in inspection.extensions.items() if s != "Succeeded"}
        note(
            "extensions",
            not broken and bool(inspection.extensions),
            "Every extension succeeded."
            if inspection.extensions and not broken
            else f"Extensions not succeeded: {broken or 'none installed'}.",
        )
    entra = ops.find_device(tenant, device)
    note(
        "entraDevice",
        entra is not None and entra.account_enabled,
        f"Entra device {device} "
        + ("is enabled." if entra and entra.account_enabled else "is disabled." if entra else "is missing."),
    )
    managed = ops.find_managed_device(tenant, device)
    note(
        "intuneDevice",
        managed is not None and managed.primary_user_id == cloud_pc.user_id,
        f"Intune device {device} "
        + (
            "is enrolled with the user as primary user."
            if managed and managed.primary_user_id == cloud_pc.user_id
            else "has another primary user."
            if managed
            else "is not enrolled."
        ),
    )
    role = ops.has_sign_in_role(tenant, placement, vm, cloud_pc.user_id)
    note(
        "userSignInRole",
        role,
        f"{cloud_pc.user_principal_name} " + ("may sign in to the VM." if role else "has no sign-in role on the VM."),
    )
    healthy = all(c.status == "passed" for c in checks)
    result = TroubleshootResult(date_time=ports.clock(), status="healthy" if healthy else "unhealthy", checks=checks)
    failed = [c.name for c in checks if c.status == "failed"]
    lifecycle.lifecycle_event(
        ports,
        tenant,
        lifecycle.ids_of(cloud_pc),
        "troubleshot",
        outcome="succeeded" if healthy else "warning",
        once=False,
        message="All checks passed" if healthy else f"Failed: {', '.join(failed)}",
    )
    # a merge of the one field: no read first, and no etag race with whatever else moves the Cloud PC
    ports.cloud_pcs.merge_cloud_pc(
        cloud_pc.model_copy(update={"last_troubleshoot_result": result}), ["last_troubleshoot_result"]
    )
    return result
