"""ARM long-running operations: 201/202 with Azure-AsyncOperation and Retry-After, settled lazily from the clock.

A write whose operation has latency (or an injected fault) is answered at once with a status URL; the
resource shows `Creating`/`Updating`/`Deleting` until the latency has elapsed. Nothing runs in the
background: every ARM request first settles the operations that are due, so whoever looks next (a poll,
a GET, any other call) sees the finished state. Completion hooks per resource type apply the side effects
(a join extension's devices, a run command's result, a delete's cascade); a hook that raises ApiError
makes the operation end `Failed` with that code, as Azure reports a failed deployment.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable
from typing import Any

from azure_emulator.arm import common
from azure_emulator.controls import fault_message
from azure_emulator.server import ApiError, Context, Request, Response

OPERATION, PENDING = "arm.operation", "arm.pending"
TRANSITIONAL = {"create": "Creating", "update": "Updating", "delete": "Deleting"}

# (resource type, action) -> what completing it does; resource type like "microsoft.compute/virtualmachines"
Hook = Callable[[Context, str, dict[str, Any]], None]
HOOKS: dict[tuple[str, str], Hook] = {}


def resource_type(resource_id: str) -> str:
    """`microsoft.compute/virtualmachines/extensions` for a VM extension's id."""
    parts = resource_id.strip("/").split("/")
    providers = [i for i, part in enumerate(parts) if part.lower() == "providers"]
    if not providers:  # /subscriptions/s[/resourceGroups/r]
        return "microsoft.resources/resourcegroups" if len(parts) > 2 else "microsoft.resources/subscriptions"
    at = providers[-1]
    return "/".join([parts[at + 1], *parts[at + 2 :: 2]]).lower()


def on(resource_type_name: str, action: str) -> Callable[[Hook], Hook]:
    def register(hook: Hook) -> Hook:
        HOOKS[(resource_type_name.lower(), action)] = hook
        return hook

    return register


def respond(
    ctx: Context,
    request: Request,
    *,
    resource_id: str,
    action: str,
    names: tuple[str, ...],
    sync_status: int,
    location: str,
    detail: dict[str, Any] | None = None,
    always_accepted: bool = False,
) -> Response:
    """Answer a write that ARM runs as a long-running operation; the resource is already stored (created or changed).

    `names`: the operations whose latency and faults apply (e.g. runCommand and the command's own name).
    `always_accepted`: the operation is answered 202 with its URLs however fast it is done, as Azure answers it.
    """
    fault = None
    for name in names:  # one armed fault is consumed, never several
        fault = ctx.controls.take_fault(name)
        if fault is not None:
            break
    latency = max(ctx.controls.latency(name) for name in names)
    op: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "resourceId": resource_id,
        "action": action,
        "subscription": resource_id.split("/")[2],
        "namespace": _namespace(resource_id),
        "location": location,
        "startTime": common.now_iso(ctx.clock),
        "completesAt": ctx.clock() + latency,
        "status": "InProgress",
        "detail": detail or {},
    }
    if fault is not None:
        code = fault.code
        op["error"] = {"code": code, "message": fault_message(names[0], code)}
    if latency <= 0 and fault is None:
        finish(ctx, op)
        if op["status"] == "Succeeded" and not always_accepted:
            doc = common.get(ctx, resource_id)
            body = common.shown(doc) if doc is not None and action != "delete" else None
            return Response(sync_status, body)
    else:
        mark_transitional(ctx, resource_id, action)
    ctx.store.put(OPERATION, op["id"], op)
    if op["status"] == "InProgress":
        ctx.store.put(PENDING, op["id"], {"completesAt": op["completesAt"]})
    url = status_url(request, op)
    headers = {"Azure-AsyncOperation": url, "Retry-After": str(retry_after(ctx, op))}
    if action in ("create", "update"):
        doc = common.get(ctx, resource_id)
        shown = common.shown(doc) if doc else None
        if shown is not None and op["status"] == "Failed":
            # Azure answers the PUT before the work fails: Creating/Updating, the failure (its code and message) in
            # the operation's status and the resource's instance view, never in this answer (Compute's
            # long-running operations, specification/compute/.../virtualMachine.json x-ms-long-running-operation)
            shown.setdefault("properties", {})["provisioningState"] = TRANSITIONAL[action]
        return Response(201 if action == "create" else 200, shown, headers)
    headers["Location"] = url.replace("/operations/", "/operationResults/", 1)
    return Response(202, None, headers)


def schedule(
    ctx: Context,
    resource_id: str,
    action: str,
    location: str,
    completes_at: float,
    detail: dict[str, Any] | None = None,
) -> str:
    """An operation Azure itself starts on the resource (no request: a Spot eviction, a boot for a connecting user),
    its hook run once `completes_at` has come, or earlier by finish_now; its id."""
    op: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "resourceId": resource_id,
        "action": action,
        "subscription": resource_id.split("/")[2],
        "namespace": _namespace(resource_id),
        "location": location,
        "startTime": common.now_iso(ctx.clock),
        "completesAt": completes_at,
        "status": "InProgress",
        "detail": detail or {},
    }
    ctx.store.put(OPERATION, op["id"], op)
    ctx.store.put(PENDING, op["id"], {"completesAt": completes_at})
    return str(op["id"])


def finish_now(ctx: Context, op_id: str) -> None:
    """Complete a pending operation before its time (the caller holds the store's lock)."""
    ctx.store.delete(PENDING, op_id)
    op = ctx.store.get(OPERATION, op_id)
    if op is not None and op["status"] == "InProgress":
        finish(ctx, op)
        ctx.store.put(OPERATION, op_id, op)


def mark_transitional(ctx: Context, resource_id: str, action: str) -> None:
    state = TRANSITIONAL.get(action)
    doc = common.get(ctx, resource_id)
    if state is None or doc is None:
        return
    doc["resource"].setdefault("properties", {})["provisioningState"] = state
    common.put(ctx, doc)


def status_url(request: Request, op: dict[str, Any]) -> str:
    version = request.q("api-version") or "2024-07-01"
    return (
        f"{request.base_url}/arm/subscriptions/{op['subscription']}/providers/{op['namespace']}/locations/"
        f"{op['location']}/operations/{op['id']}?api-version={version}"
    )


def retry_after(ctx: Context, op: dict[str, Any]) -> int:
    return max(1, math.ceil(op["completesAt"] - ctx.clock()))


def finish(ctx: Context, op: dict[str, Any]) -> None:
    """Complete `op` now: run the resource type's hook, then record Succeeded or Failed."""
    resource_id, action = op["resourceId"], op["action"]
    error = op.get("error")
    if error is None:
        try:
            hook = HOOKS.get((resource_type(resource_id), action))
            if hook is not None:
                hook(ctx, resource_id, op)
            elif action == "delete":
                common.delete(ctx, resource_id)
            if action in ("create", "update"):
                set_state(ctx, resource_id, "Succeeded")
        except ApiError as exc:
            error = {"code": exc.code, "message": exc.message}
    if error is not None:
        op["error"] = error
        failed = HOOKS.get((resource_type(resource_id), "failed"))
        if failed is not None:
            failed(ctx, resource_id, op)
        elif action in ("create", "update", "delete"):
            set_state(ctx, resource_id, "Failed", error)
    op["status"] = "Failed" if error is not None else "Succeeded"
    op["endTime"] = common.now_iso(ctx.clock)


def set_state(ctx: Context, resource_id: str, state: str, error: dict[str, Any] | None = None) -> None:
    doc = common.get(ctx, resource_id)
    if doc is None:
        return
    doc["resource"].setdefault("properties", {})["provisioningState"] = state
    doc["meta"]["error"] = error
    common.put(ctx, doc)


def settle_due(ctx: Context) -> None:
    """Finish every pending operation whose time has come (the caller holds the store's lock)."""
    now = ctx.clock()
    for op_id in ctx.store.keys(PENDING, where=lambda pending: pending["completesAt"] <= now):
        finish_now(ctx, op_id)


def _namespace(resource_id: str) -> str:
    parts = resource_id.strip("/").split("/")
    providers = [i for i, part in enumerate(parts) if part.lower() == "providers"]
    return parts[providers[0] + 1] if providers else "Microsoft.Resources"
