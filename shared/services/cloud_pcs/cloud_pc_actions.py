"""Admin actions on one Cloud PC: the checks, the state change, and the Azure work they leave to an orchestration.

`perform` is the one entry for a single action and a bulk action's item alike, so both refuse and succeed
for the same reasons. It is idempotent per request id: an item a crashed bulk run applied already is
reported as done, never refused for the state it put the Cloud PC in. The Azure work of a VM action
(power, resize, troubleshoot) runs in phases through `advance_vm_action`, each an idempotent call that
answers done or "ask again after N seconds", as provisioning steps do.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

from shared.catalog.marketplace_images import os_disk_size_gb
from shared.catalog.service_plans import SERVICE_PLANS, SERVICE_PLANS_BY_ID, WINDOWS365_ID_BY_PLAN_ID
from shared.errors import Conflict, DomainError, ErrorDetail, PreconditionFailed, ValidationFailed
from shared.models.cloud_pc_actions import (
    TroubleshootCheck,
    TroubleshootResult,
    VmActionName,
)
from shared.models.cloud_pcs import CloudPc, PowerState, StatusDetail
from shared.models.orchestrations import PhasedStep, VmActionRun
from shared.ports.cloud_errors import CloudError
from shared.ports.cloud_pc_operations import PowerAction
from shared.ports.engine_ports import EnginePorts
from shared.ports.progress import Progress
from shared.services.cloud_pcs import cloud_pc_transitions as machine
from shared.services.cloud_pcs import lifecycle
from shared.services.cloud_pcs.provisioning_steps import placement_of, post_script, vm_name
from shared.services.cloud_pcs.timeline import save, save_move
from shared.services.engine import phased
from shared.services.engine.windows365_refusals import refused_as_conflict

ActionName = Literal[
    "reprovision", "retry", "endGracePeriod", "reboot", "powerOn", "powerOff", "resize", "troubleshoot"
]
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
}
POWER: dict[str, PowerAction] = {"restartVm": "restart", "startVm": "start", "deallocateVm": "deallocate"}
DONE_LINE = {"reboot": "rebooted", "powerOn": "poweredOn", "powerOff": "poweredOff", "troubleshoot": "troubleshot"}


@dataclass(frozen=True)
class Performed:
    """An action applied (or found applied by the same request), and the background work it needs started."""

    cloud_pc: CloudPc
    provisioning_run: int | None = None  # start this provisioning run (retry, reprovision)
    vm_action: VmActionRun | None = None  # start this VM action
    follow_windows365: bool = False  # Windows 365 carries it out: follow the tenant's Cloud PCs until it is done


# what Windows 365 does of the admin's actions, by Graph's name of each (https://learn.microsoft.com/graph/api/resources/cloudpc)
WINDOWS365_ACTIONS: dict[str, str] = {"reboot": "reboot", "reprovision": "reprovision", "resize": "resize",
                                      "endGracePeriod": "endGracePeriod", "troubleshoot": "troubleshoot"}  # fmt: skip


def served(cloud_pc: CloudPc, action: str) -> bool:
    """Whether the Cloud PC's backend carries out `action`: Windows 365 has its own set (and its rename)."""
    return cloud_pc.windows365_id is None or action in WINDOWS365_ACTIONS or action == "rename"


def perform(
    ports: EnginePorts, tenant_id: str, cloud_pc_id: str, action: ActionName, *, request_id: str,
    target_service_plan_id: str | None = None,
) -> Performed:  # fmt: skip
    """Apply `action` to the Cloud PC; `409 wrongStatus` (or another DomainError) when it cannot be."""
    cloud_pc = ports.cloud_pcs.get_cloud_pc(tenant_id, cloud_pc_id)
    if cloud_pc.last_request_id == request_id:  # this request applied it already (a repeated bulk item)
        if cloud_pc.windows365_id is not None:
            return Performed(cloud_pc, follow_windows365=True)
        return _work_of(cloud_pc, action, request_id, target_service_plan_id)
    check(ports, cloud_pc, action, target_service_plan_id)
    if cloud_pc.windows365_id is not None:
        return _by_windows365(ports, cloud_pc, action, request_id, target_service_plan_id)
    if action in ("retry", "reprovision"):
        cloud_pc = lifecycle.new_run(ports, tenant_id, cloud_pc_id, action, request_id=request_id)
    elif action == "endGracePeriod":
        cloud_pc = lifecycle.end_grace_period(ports, tenant_id, cloud_pc_id)
    elif action == "resize":
        assert target_service_plan_id is not None
        plan = SERVICE_PLANS_BY_ID[target_service_plan_id]
        slot = sum(1 for c in ports.cloud_pcs.list_users_cloud_pcs(tenant_id, cloud_pc.user_id)
                   if c.service_plan_id == plan.id)  # fmt: skip
        cloud_pc = save_move(ports, cloud_pc, lambda current: machine.move(
            current, "resize", ports.clock(), request_id=request_id,
            message=f"{current.service_plan_name} -> {plan.display_name}",
            service_plan_id=plan.id, service_plan_name=plan.display_name, slot_index=slot,
            resize_from_service_plan_id=current.service_plan_id,
        ), doing=action)  # fmt: skip
    else:
        cloud_pc = save_move(ports, cloud_pc, lambda current: machine.move(
            current, action, ports.clock(), request_id=request_id), doing=action)  # fmt: skip
    return _work_of(cloud_pc, action, request_id, target_service_plan_id)


def _by_windows365(
    ports: EnginePorts, cloud_pc: CloudPc, action: ActionName, request_id: str, target_service_plan_id: str | None
) -> Performed:
    """Windows 365 is asked to do it; the app records the request, and follows what Windows 365 then reports."""
    assert cloud_pc.windows365_id is not None
    body: dict[str, str] | None = None
    asked: str = action
    if action == "resize":  # Windows 365 names the size by its own service plan id
        assert target_service_plan_id is not None
        body = {"targetServicePlanId": WINDOWS365_ID_BY_PLAN_ID[target_service_plan_id]}
        asked = f"resize to {SERVICE_PLANS_BY_ID[target_service_plan_id].display_name}"
    with refused_as_conflict(f"{action} Cloud PC '{cloud_pc.display_name}'", "status"):
        ports.windows365.act(cloud_pc.tenant_id, cloud_pc.windows365_id, WINDOWS365_ACTIONS[action], body)
    # the request's own line; the status is Windows 365's to change, and the follower brings it in
    saved = save_move(ports, cloud_pc, lambda current: machine.move(current, "mirror", ports.clock(),
                      request_id=request_id, message=f"{asked} asked of Windows 365"), doing=action)  # fmt: skip
    return Performed(saved, follow_windows365=True)


def check(ports: EnginePorts, cloud_pc: CloudPc, action: ActionName, target_service_plan_id: str | None) -> None:
    """Every reason the action would be refused, without changing anything (bulk `validateOnly` uses it)."""
    machine.check(cloud_pc, action)
    if cloud_pc.windows365_id is not None:
        if not served(cloud_pc, action):
            raise Conflict(f"Windows 365 offers no {action} for Cloud PC '{cloud_pc.display_name}' through this "
                           "service yet.", code="backendNotServed", target="action")  # fmt: skip
        if action == "resize":
            check_resize(ports, cloud_pc, target_service_plan_id)
            if target_service_plan_id not in WINDOWS365_ID_BY_PLAN_ID:
                raise ValidationFailed.of(ErrorDetail(
                    "invalidServicePlan", "Windows 365 provisions no Cloud PC of this plan.", "targetServicePlanId"))
        return
    if action in ("reboot", "powerOn", "powerOff", "resize", "troubleshoot") and cloud_pc.build is None:
        raise Conflict(f"Cloud PC '{cloud_pc.display_name}' has no VM yet.", code="wrongStatus", target="status")
    if action == "resize":
        check_resize(ports, cloud_pc, target_service_plan_id)


def check_resize(ports: EnginePorts, cloud_pc: CloudPc, target_service_plan_id: str | None) -> None:
    plan = SERVICE_PLANS_BY_ID.get(target_service_plan_id or "")
    if plan is None or plan not in SERVICE_PLANS:
        raise ValidationFailed.of(
            ErrorDetail("invalidServicePlan", f"'{target_service_plan_id}' is not a Windows 365 service plan.",
                        "targetServicePlanId")
        )  # fmt: skip
    if not plan.provisioned_by_policy:
        raise ValidationFailed.of(
            ErrorDetail("invalidServicePlan", f"{plan.display_name} is not a plan provisioning policies make "
                        "Cloud PCs of; choose a Windows 365 Enterprise plan.", "targetServicePlanId")
        )  # fmt: skip
    if plan.id == cloud_pc.service_plan_id:
        raise ValidationFailed.of(
            ErrorDetail("sameServicePlan", f"The Cloud PC already has {plan.display_name}.", "targetServicePlanId")
        )
    if held := license_held_by_group(ports, cloud_pc.tenant_id, cloud_pc.user_id, cloud_pc.service_plan_id):
        raise Conflict(held, code="licenseAssignedByGroup", target="targetServicePlanId")
    if ports.licenses.free_licenses(cloud_pc.tenant_id, plan.id) < 1:
        raise Conflict(
            f"The tenant has no free {plan.display_name} license to move the user to; buy or free one first.",
            code="noFreeLicense",
            target="targetServicePlanId",
        )


def license_held_by_group(ports: EnginePorts, tenant_id: str, user_id: str, service_plan_id: str) -> str | None:
    """Why the user's license of the plan cannot be moved, when a group assigns it; None when it can.

    In Entra group-based licensing a license a group assigns is the group's to change: Graph refuses to remove it
    from the user, and were it assigned directly as well, removing the direct one would leave the user holding it.
    """
    user = ports.directory.get_users(tenant_id, [user_id]).get(user_id)
    group_ids = user.groups_assigning(service_plan_id) if user is not None else []
    if user is None or not group_ids:
        return None
    groups = ", ".join(_group_name(ports, tenant_id, group_id) for group_id in group_ids)
    plan = SERVICE_PLANS_BY_ID[service_plan_id].display_name
    return (
        f"{user.user_principal_name} has the {plan} license from group {groups} (group-based "
        "licensing), and only the group's license assignment can change it: change the group's licenses, or the "
        "user's membership, in Entra ID instead of resizing the Cloud PC."
    )


def _group_name(ports: EnginePorts, tenant_id: str, group_id: str) -> str:
    group = ports.directory.get_group(tenant_id, group_id)
    return f"'{group.display_name}' ({group_id})" if group is not None else group_id


def _work_of(cloud_pc: CloudPc, action: ActionName, request_id: str, target: str | None) -> Performed:
    if action in ("retry", "reprovision"):
        return Performed(cloud_pc, provisioning_run=cloud_pc.run if cloud_pc.status == "pendingProvision" else None)
    if action in PHASES:
        run = VmActionRun(
            tenant_id=cloud_pc.tenant_id, cloud_pc_id=cloud_pc.id, action=action, request_id=request_id,
            from_service_plan_id=cloud_pc.resize_from_service_plan_id if action == "resize" else None,
        )  # fmt: skip
        return Performed(cloud_pc, vm_action=run)
    return Performed(cloud_pc)


def rename(ports: EnginePorts, tenant_id: str, cloud_pc_id: str, display_name: str) -> CloudPc:
    """The friendly name only: the device name, which Windows and Intune know the Cloud PC by, never changes."""
    cloud_pc = ports.cloud_pcs.get_cloud_pc(tenant_id, cloud_pc_id)
    machine.check(cloud_pc, "rename")
    if cloud_pc.windows365_id is not None:  # Windows 365 keeps the name
        ports.windows365.act(tenant_id, cloud_pc.windows365_id, "rename", {"displayName": display_name})
    return save_move(ports, cloud_pc, lambda current: machine.move(current, "rename", ports.clock(),
                     display_name=display_name, message=f"'{current.display_name}' -> '{display_name}'"),
                     doing="rename")  # fmt: skip


def restore_snapshot(ports: EnginePorts, tenant_id: str, cloud_pc_id: str, snapshot_id: str, request_id: str
                     ) -> Performed:  # fmt: skip
    """Windows 365 restores the Cloud PC to one of its restore points (cloudpc-restore): it is `restoring`, then
    provisioned again, which the follower brings in."""
    return _windows365_only(ports, tenant_id, cloud_pc_id, "restoreSnapshot", request_id, "restore",
                            {"cloudPcSnapshotId": snapshot_id}, f"restore to restore point {snapshot_id}")  # fmt: skip


def create_snapshot(ports: EnginePorts, tenant_id: str, cloud_pc_id: str, request_id: str) -> Performed:
    """Windows 365 takes a restore point now (cloudpc-createsnapshot), beside its scheduled ones."""
    return _windows365_only(ports, tenant_id, cloud_pc_id, "createSnapshot", request_id, "createSnapshot", None,
                            "a restore point")  # fmt: skip


def _windows365_only(
    ports: EnginePorts, tenant_id: str, cloud_pc_id: str, action: machine.Action, request_id: str, graph_action: str,
    body: dict[str, str] | None, what: str,
) -> Performed:  # fmt: skip
    cloud_pc = ports.cloud_pcs.get_cloud_pc(tenant_id, cloud_pc_id)
    if cloud_pc.windows365_id is None:
        raise Conflict(f"Cloud PC '{cloud_pc.display_name}' is not provisioned by Windows 365, which keeps restore "
                       "points.", code="backendNotServed", target="cloudPcId")  # fmt: skip
    machine.check(cloud_pc, action)
    verb = "restore" if body else "take a restore point of"
    with refused_as_conflict(f"{verb} Cloud PC '{cloud_pc.display_name}'", "snapshotId" if body else "status"):
        ports.windows365.act(tenant_id, cloud_pc.windows365_id, graph_action, body)
    saved = save_move(ports, cloud_pc, lambda current: machine.move(current, action, ports.clock(),
                      request_id=request_id, message=f"{what} asked of Windows 365"), doing=action)  # fmt: skip
    return Performed(saved, follow_windows365=True)


# --- the Azure work of a VM action -------------------------------------------------------------------------


def advance_vm_action(ports: EnginePorts, run: VmActionRun) -> PhasedStep[VmActionRun]:
    """Take the action's phases as far as they go; a phase still in progress answers when to ask again."""
    cloud_pc = ports.cloud_pcs.find_cloud_pc(run.tenant_id, run.cloud_pc_id)
    if cloud_pc is None or cloud_pc.last_request_id != run.request_id or cloud_pc.build is None:
        return PhasedStep(outcome="superseded", run=run)  # deprovisioned, or another action took over
    known = cloud_pc
    return phased.drive(
        run, PHASES[run.action], lambda now, phase: _phase(ports, known, now, phase),
        clock=ports.clock, limit=PHASE_TIMEOUT,
        on_fail=lambda now, phase, exc: PhasedStep(outcome=_failed(ports, known, now, phase, exc), run=now),
        finish=lambda done: PhasedStep(outcome=_succeeded(ports, known, done), run=done),
    )  # fmt: skip


def _phase(ports: EnginePorts, cloud_pc: CloudPc, run: VmActionRun, phase: str) -> Progress:
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


def _succeeded(ports: EnginePorts, cloud_pc: CloudPc, run: VmActionRun) -> str:
    if run.action == "troubleshoot":
        return "succeeded"  # its line carries the checks' outcome
    if run.action != "resize":
        _note_power(ports, cloud_pc, machine.POWER_AFTER.get(run.action))
        lifecycle.lifecycle_event(ports, cloud_pc.tenant_id, lifecycle.ids_of(cloud_pc), DONE_LINE[run.action],
                                  outcome="succeeded", once=False)  # fmt: skip
        return "succeeded"
    if not machine.allows("finishResize", cloud_pc.status):
        return "succeeded"  # a repeated call: the resize is on record
    assert cloud_pc.build is not None
    plan = SERVICE_PLANS_BY_ID[cloud_pc.service_plan_id]
    disk_gb = os_disk_size_gb(cloud_pc.build.image_id, plan.storage_in_gb)  # never less than the image's
    build = cloud_pc.build.model_copy(update={"vm_size": plan.vm_size, "os_disk_size_gb": disk_gb})
    detail = cloud_pc.status_detail  # the warnings of its provisioning stay; an earlier resize's failure goes
    if detail is not None and detail.code == "resizeFailed":
        detail = None
    moved = machine.move(cloud_pc, "finishResize", ports.clock(), message=f"Now {plan.display_name}",
                         build=build, status_detail=detail, resize_from_service_plan_id=None,
                         recheck_when_settled=False)  # fmt: skip
    save(ports, moved, if_match=cloud_pc.etag)
    lifecycle.recheck_if_asked(ports, cloud_pc)
    return "succeeded"


def _note_power(ports: EnginePorts, cloud_pc: CloudPc, power: PowerState | None) -> None:
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


def _failed(ports: EnginePorts, cloud_pc: CloudPc, run: VmActionRun, phase: str, exc: CloudError) -> str:
    message = f"{run.action} failed at {phase}: {exc}"
    if run.action != "resize":
        lifecycle.lifecycle_event(ports, cloud_pc.tenant_id, lifecycle.ids_of(cloud_pc), DONE_LINE[run.action],
                                  outcome="failed", message=message, once=False)  # fmt: skip
        return "failed"
    if not machine.allows("failResize", cloud_pc.status):
        return "failed"
    # before the license moved, the Cloud PC is still on its old plan; after, the admin may reprovision it
    back: dict[str, Any] = {"service_plan_id": run.from_service_plan_id,
            "service_plan_name": SERVICE_PLANS_BY_ID[run.from_service_plan_id].display_name} \
        if run.phase == 0 and run.from_service_plan_id else {}  # fmt: skip
    moved = machine.move(
        cloud_pc, "failResize", ports.clock(), code=exc.code, message=message,
        status_detail=StatusDetail(code="resizeFailed", message=message), resize_from_service_plan_id=None,
        recheck_when_settled=False, **back,
    )  # fmt: skip
    save(ports, moved, if_match=cloud_pc.etag)
    lifecycle.recheck_if_asked(ports, cloud_pc)
    return "failed"


def troubleshoot(ports: EnginePorts, cloud_pc: CloudPc) -> TroubleshootResult:
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
        note("extensions", not broken and bool(inspection.extensions),
             "Every extension succeeded." if inspection.extensions and not broken
             else f"Extensions not succeeded: {broken or 'none installed'}.")  # fmt: skip
    entra = ops.find_device(tenant, device)
    note("entraDevice", entra is not None and entra.account_enabled,
         f"Entra device {device} " + ("is enabled." if entra and entra.account_enabled else
                                      "is disabled." if entra else "is missing."))  # fmt: skip
    managed = ops.find_managed_device(tenant, device)
    note("intuneDevice", managed is not None and managed.primary_user_id == cloud_pc.user_id,
         f"Intune device {device} " + ("is enrolled with the user as primary user." if managed and
                                       managed.primary_user_id == cloud_pc.user_id else
                                       "has another primary user." if managed else "is not enrolled."))  # fmt: skip
    role = ops.has_sign_in_role(tenant, placement, vm, cloud_pc.user_id)
    note("userSignInRole", role, f"{cloud_pc.user_principal_name} " + (
        "may sign in to the VM." if role else "has no sign-in role on the VM."))  # fmt: skip
    healthy = all(c.status == "passed" for c in checks)
    result = TroubleshootResult(date_time=ports.clock(), status="healthy" if healthy else "unhealthy", checks=checks)
    failed = [c.name for c in checks if c.status == "failed"]
    lifecycle.lifecycle_event(ports, tenant, lifecycle.ids_of(cloud_pc), "troubleshot",
                              outcome="succeeded" if healthy else "warning", once=False,
                              message="All checks passed" if healthy else f"Failed: {', '.join(failed)}")  # fmt: skip
    # a merge of the one field: no read first, and no etag race with whatever else moves the Cloud PC
    ports.cloud_pcs.merge_cloud_pc(cloud_pc.model_copy(update={"last_troubleshoot_result": result}),
                                   ["last_troubleshoot_result"])  # fmt: skip
    return result


def refusal(error: Exception) -> tuple[str, str]:
    """The (code, message) a bulk item reports for a refused action."""
    if isinstance(error, DomainError):
        return error.code, error.message
    if isinstance(error, CloudError):
        return error.code, str(error)
    return "internalError", "The action could not be applied; try again."
