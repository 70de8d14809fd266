"""Microsoft.Compute VM power actions (start, deallocate, restart, powerOff), generalize, and managed disks."""

from __future__ import annotations

from typing import Any

from azure_emulator.arm import common, operations
from azure_emulator.arm.compute import NS, VM, VM_TYPE, vm_id_of
from azure_emulator.server import ApiError, Context, Request, Response

ACTIONS = {"start": "running", "deallocate": "deallocated", "restart": "running", "powerOff": "stopped"}


def register(ctx: Context) -> None:
    for action in ACTIONS:
        _register_action(ctx, action)

    @common.route(ctx, "POST", VM + r"/generalize", operation="generalizeVm")
    def generalize(request: Request) -> Response:
        vm = common.require(ctx, vm_id_of(request), "virtual machine")
        if vm["meta"].get("power") == "running":
            raise ApiError(409, "OperationNotAllowed", "Stop or deallocate the sysprepped VM before generalizing it.")
        vm["meta"]["generalized"] = True
        common.put(ctx, vm)
        return Response(200)

    disk = common.RG + r"/providers/Microsoft\.Compute/disks"

    @common.route(ctx, "GET", disk + r"/(?P<disk>[^/]+)", operation="getDisk")
    def get_disk(request: Request) -> Response:
        p = request.params
        return Response(
            200, common.shown(common.require(ctx, common.provider_id(p["sub"], p["rg"], NS, "disks", p["disk"])))
        )

    @common.route(ctx, "GET", disk, operation="listDisks")
    def list_disks(request: Request) -> Response:
        return common.listing(common.in_group(ctx, request.params["sub"], request.params["rg"], NS, "disks"))


def _register_action(ctx: Context, action: str) -> None:
    operation = f"{action}Vm"

    @common.route(ctx, "POST", VM + f"/{action}", operation=operation, faults=False)
    def act(request: Request) -> Response:
        vm = common.require(ctx, vm_id_of(request), "virtual machine")
        if vm["resource"]["properties"]["provisioningState"] != "Succeeded":
            raise ApiError(409, "OperationNotAllowed", f"Cannot {action} a VM that is not provisioned.")
        return operations.respond(
            ctx, request, resource_id=vm["resource"]["id"], action=action, names=(operation,), sync_status=200,
            location=vm["resource"]["location"],
        )  # fmt: skip

    def apply(ctx: Context, resource_id: str, op: dict[str, Any]) -> None:
        vm = common.get(ctx, resource_id)
        if vm is not None:
            vm["meta"]["power"] = ACTIONS[action]
            common.put(ctx, vm)

    operations.on(VM_TYPE, action)(apply)
