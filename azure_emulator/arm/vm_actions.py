"""Microsoft.Compute VM power actions (start, deallocate, restart, powerOff), generalize, and managed disks.

A deallocate with `hibernate=true` hibernates the VM (only one made with hibernation enabled, and running:
hibernation.py): it is deallocated with its memory kept on its OS disk, so its Azure Virtual Desktop sessions are not
ended but wait, disconnected, for it to be started again.

A disk grows with a PATCH of `diskSizeGB` (never shrinks); as in Azure, only while it is unattached or its VM
is deallocated: the disk of a running or stopped VM is refused with 409 OperationNotAllowed.

A deallocated Spot VM (an evicted one too) starts only where Spot capacity is and its max price is not below the
Spot price, else its start fails with Azure's code (spot.py).
"""

from __future__ import annotations

from typing import Any

from azure_emulator.arm import common, hibernation, operations, routing, spot, user_sessions
from azure_emulator.arm.compute import NS, VM, VM_TYPE, vm_id_of
from azure_emulator.server import ApiError, Context, Request, Response

ACTIONS = {"start": "running", "deallocate": "deallocated", "restart": "running", "powerOff": "stopped"}
# the actions that stop the guest OS: its Azure Virtual Desktop sessions end with it (a restart reboots it)
ENDS_SESSIONS = {"deallocate", "restart", "powerOff"}


def register(ctx: Context) -> None:
    for action in ACTIONS:
        _register_action(ctx, action)

    @routing.route(
        ctx,
        "POST",
        VM + r"/generalize",
        operation="generalizeVm",
        action="Microsoft.Compute/virtualMachines/generalize/action",
    )
    def generalize(request: Request) -> Response:
        vm = common.require(ctx, vm_id_of(request), "virtual machine")
        if vm["meta"].get("power") == "running":
            raise ApiError(409, "OperationNotAllowed", "Stop or deallocate the sysprepped VM before generalizing it.")
        vm["meta"]["generalized"] = True
        common.put(ctx, vm)
        return Response(200)

    disk = common.RG + r"/providers/Microsoft\.Compute/disks"

    @routing.route(ctx, "GET", disk + r"/(?P<disk>[^/]+)", operation="getDisk", action="Microsoft.Compute/disks/read")
    def get_disk(request: Request) -> Response:
        p = request.params
        return Response(
            200, common.shown(common.require(ctx, common.provider_id(p["sub"], p["rg"], NS, "disks", p["disk"])))
        )

    @routing.route(
        ctx,
        "PATCH",
        disk + r"/(?P<disk>[^/]+)",
        operation="updateDisk",
        action="Microsoft.Compute/disks/write",
        faults=False,
    )
    def update_disk(request: Request) -> Response:
        p = request.params
        doc = common.require(ctx, common.provider_id(p["sub"], p["rg"], NS, "disks", p["disk"]), "disk")
        wanted = common.properties(common.body_object(request)).get("diskSizeGB")
        if wanted is not None:
            _grow(ctx, doc, wanted)
        resource = doc["resource"]
        return operations.respond(
            ctx,
            request,
            resource_id=resource["id"],
            action="update",
            names=("updateDisk",),
            sync_status=200,
            location=resource["location"],
        )


def _grow(ctx: Context, disk: dict[str, Any], wanted: Any) -> None:
    """The disk's new size, also in its VM's storageProfile (ARM shows the OS disk's size on the VM)."""
    resource = disk["resource"]
    current = int(resource["properties"]["diskSizeGB"])
    if not isinstance(wanted, int) or isinstance(wanted, bool) or wanted < 1:
        raise ApiError(400, "InvalidParameter", "diskSizeGB must be a whole number of GB.")
    if wanted < current:
        raise ApiError(400, "BadRequest", f"Disk {resource['name']} is {current} GB: a disk cannot shrink.")
    if wanted == current:
        return
    vm = common.get(ctx, resource["managedBy"]) if resource.get("managedBy") else None
    if vm is not None and vm["meta"].get("power") != "deallocated":
        raise ApiError(
            409,
            "OperationNotAllowed",
            f"Disk {resource['name']} is attached to VM "
            f"{vm['resource']['name']}, which is not deallocated: deallocate the VM to resize its "
            "disk.",
        )
    resource["properties"]["diskSizeGB"] = wanted
    common.put(ctx, disk)
    if vm is not None:
        os_disk = vm["resource"]["properties"]["storageProfile"]["osDisk"]
        if common.key(os_disk["managedDisk"]["id"]) == common.key(resource["id"]):
            os_disk["diskSizeGB"] = wanted
            common.put(ctx, vm)


def _register_action(ctx: Context, action: str) -> None:
    operation = f"{action}Vm"

    vm_action = f"Microsoft.Compute/virtualMachines/{action}/action"

    @routing.route(ctx, "POST", VM + f"/{action}", operation=operation, action=vm_action, faults=False)
    def act(request: Request) -> Response:
        vm = common.require(ctx, vm_id_of(request), "virtual machine")
        if vm["resource"]["properties"]["provisioningState"] != "Succeeded":
            raise ApiError(409, "OperationNotAllowed", f"Cannot {action} a VM that is not provisioned.")
        hibernate = action == "deallocate" and (request.q("hibernate") or "").lower() == "true"
        if hibernate:
            hibernation.check_hibernate(vm)
        return operations.respond(
            ctx,
            request,
            resource_id=vm["resource"]["id"],
            action=action,
            names=(operation,),
            sync_status=200,
            location=vm["resource"]["location"],
            detail={"hibernate": True} if hibernate else None,
        )

    def apply(ctx: Context, resource_id: str, op: dict[str, Any]) -> None:
        vm = common.get(ctx, resource_id)
        if vm is not None:
            if action == "start" and vm["meta"].get("power") == "deallocated":
                spot.check_allocation(ctx, vm)  # a deallocated VM starts only where capacity is
            hibernated = bool((op.get("detail") or {}).get("hibernate"))
            common.set_power(ctx, vm, ACTIONS[action])
            vm["meta"]["hibernated"] = hibernated
            vm["meta"].pop("evicted", None)
            common.put(ctx, vm)
            if hibernated:
                user_sessions.suspend_sessions_of_vm(ctx, resource_id)
            elif action in ENDS_SESSIONS:
                user_sessions.end_sessions_of_vm(ctx, resource_id)

    operations.on(VM_TYPE, action)(apply)
