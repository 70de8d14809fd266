"""Admin actions on one Cloud PC: the checks, the tenant's backend carrying them out, and the Azure work the app's own
backend leaves to an orchestration.

`perform` is the one entry for a single action and a bulk action's item alike, so both refuse and succeed
for the same reasons. It is idempotent per request id: an item a crashed bulk run applied already is
reported as done, never refused for the state it put the Cloud PC in. The Azure work of a VM action
(power, resize, troubleshoot) runs in phases through `vm_actions.advance_vm_action`.
"""

from __future__ import annotations

from typing import Protocol, get_args

from shared.catalog.service_plans import SERVICE_PLANS, SERVICE_PLANS_BY_ID, disk_shrink_refusal
from shared.errors import Conflict, DomainError, ErrorDetail, ValidationFailed
from shared.models.cloud_pc_actions import ActionName
from shared.models.cloud_pc_work import Performed
from shared.models.cloud_pcs import CloudPc
from shared.ports.backend_choice import BackendChoice
from shared.ports.backend_facets import CloudPcWork
from shared.ports.cloud_errors import CloudError
from shared.ports.cloud_pc_work_ports import ActionCheckPorts, ActionPorts
from shared.services.cloud_pcs import cloud_pc_transitions as machine
from shared.services.cloud_pcs.timeline import save_move


class CloudPcActionPorts(ActionPorts, ActionCheckPorts, Protocol):
    """The admin's actions on a Cloud PC, checked and carried out by the tenant's backend."""

    @property
    def backends(self) -> BackendChoice[CloudPcWork]: ...


def offered(ports: CloudPcActionPorts, cloud_pc: CloudPc) -> list[str]:
    """The actions the Cloud PC's status allows now and its backend carries out (the caller's role is apart)."""
    backend = ports.backends.of(cloud_pc.tenant_id)
    return [
        action
        for action in (*get_args(ActionName), "rename")
        if machine.allows(action, cloud_pc.status)
        and backend.carries_out(action)
        and machine.worth_offering(action, cloud_pc)
    ]


def perform(
    ports: CloudPcActionPorts,
    tenant_id: str,
    cloud_pc_id: str,
    action: ActionName,
    *,
    request_id: str,
    target_service_plan_id: str | None = None,
) -> Performed:
    """Apply `action` to the Cloud PC; `409 wrongStatus` (or another DomainError) when it cannot be."""
    cloud_pc = ports.cloud_pcs.get_cloud_pc(tenant_id, cloud_pc_id)
    backend = ports.backends.of(tenant_id)
    if cloud_pc.last_request_id == request_id:  # this request applied it already (a repeated bulk item)
        return backend.work_of(cloud_pc, action, request_id, target_service_plan_id)
    check(ports, cloud_pc, action, target_service_plan_id)
    return backend.perform(ports, cloud_pc, action, request_id, target_service_plan_id)


def check(ports: CloudPcActionPorts, cloud_pc: CloudPc, action: ActionName, target_service_plan_id: str | None) -> None:
    """Every reason the action would be refused, without changing anything (bulk `validateOnly` uses it)."""
    machine.check(cloud_pc, action)
    ports.backends.of(cloud_pc.tenant_id).check(ports, cloud_pc, action, target_service_plan_id)


def check_resize(ports: ActionCheckPorts, cloud_pc: CloudPc, target_service_plan_id: str | None) -> None:
    plan = SERVICE_PLANS_BY_ID.get(target_service_plan_id or "")
    if plan is None or plan not in SERVICE_PLANS:
        raise ValidationFailed.of(
            ErrorDetail(
                "invalidServicePlan",
                f"'{target_service_plan_id}' is not a Windows 365 service plan.",
                "targetServicePlanId",
            )
        )
    if not plan.provisioned_by_policy:
        raise ValidationFailed.of(
            ErrorDetail(
                "invalidServicePlan",
                f"{plan.display_name} is not a plan provisioning policies make "
                "Cloud PCs of; choose a Windows 365 Enterprise plan.",
                "targetServicePlanId",
            )
        )
    if plan.id == cloud_pc.service_plan_id:
        raise ValidationFailed.of(
            ErrorDetail("sameServicePlan", f"The Cloud PC already has {plan.display_name}.", "targetServicePlanId")
        )
    current = SERVICE_PLANS_BY_ID.get(cloud_pc.service_plan_id)
    if current is not None and (refusal := disk_shrink_refusal(current, plan)):
        raise ValidationFailed.of(ErrorDetail("diskCannotShrink", refusal, "targetServicePlanId"))
    if held := license_held_by_group(ports, cloud_pc.tenant_id, cloud_pc.user_id, cloud_pc.service_plan_id):
        raise Conflict(held, code="licenseAssignedByGroup", target="targetServicePlanId")
    if ports.licenses.free_licenses(cloud_pc.tenant_id, plan.id) < 1:
        raise Conflict(
            f"The tenant has no free {plan.display_name} license to move the user to; buy or free one first.",
            code="noFreeLicense",
            target="targetServicePlanId",
        )


def license_held_by_group(ports: ActionCheckPorts, tenant_id: str, user_id: str, service_plan_id: str) -> str | None:
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


def _group_name(ports: ActionCheckPorts, tenant_id: str, group_id: str) -> str:
    group = ports.directory.get_group(tenant_id, group_id)
    return f"'{group.display_name}' ({group_id})" if group is not None else group_id


def rename(ports: CloudPcActionPorts, tenant_id: str, cloud_pc_id: str, display_name: str) -> CloudPc:
    """The friendly name only: the device name, which Windows and Intune know the Cloud PC by, never changes."""
    cloud_pc = ports.cloud_pcs.get_cloud_pc(tenant_id, cloud_pc_id)
    machine.check(cloud_pc, "rename")
    ports.backends.of(tenant_id).rename(ports, cloud_pc, display_name)
    return save_move(
        ports,
        cloud_pc,
        lambda current: machine.move(
            current,
            "rename",
            ports.clock(),
            display_name=display_name,
            message=f"'{current.display_name}' -> '{display_name}'",
        ),
        doing="rename",
    )


def restore_snapshot(
    ports: CloudPcActionPorts, tenant_id: str, cloud_pc_id: str, snapshot_id: str, request_id: str
) -> Performed:
    """The backend restores the Cloud PC to one of its restore points."""
    cloud_pc = ports.cloud_pcs.get_cloud_pc(tenant_id, cloud_pc_id)
    return ports.backends.of(tenant_id).restore(ports, cloud_pc, snapshot_id, request_id)


def create_snapshot(ports: CloudPcActionPorts, tenant_id: str, cloud_pc_id: str, request_id: str) -> Performed:
    """The backend takes a restore point now, beside its scheduled ones."""
    cloud_pc = ports.cloud_pcs.get_cloud_pc(tenant_id, cloud_pc_id)
    return ports.backends.of(tenant_id).take_restore_point(ports, cloud_pc, request_id)


def refusal(error: Exception) -> tuple[str, str]:
    """The (code, message) a bulk item reports for a refused action."""
    if isinstance(error, DomainError):
        return error.code, error.message
    if isinstance(error, CloudError):
        return error.code, str(error)
    return "internalError", "The action could not be applied; try again."
