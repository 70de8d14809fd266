"""The status URLs a long-running ARM operation hands out (Azure-AsyncOperation and Location), polled by clients."""

from __future__ import annotations

from typing import Any

from azure_emulator.arm import common, rbac, routing
from azure_emulator.arm.operations import OPERATION, retry_after
from azure_emulator.server import ApiError, Context, Request, Response


def register(ctx: Context) -> None:
    # the actions of polling, one per provider whose operations the emulator serves (Compute's and Network's)
    rbac.OPERATIONS.update(
        f"{ns}/locations/{kind}/read"
        for ns in ("Microsoft.Compute", "Microsoft.Network", "Microsoft.DesktopVirtualization")
        for kind in ("operations", "operationResults")
    )
    ops = common.SUB + r"/providers/(?P<ns>[^/]+)/locations/(?P<loc>[^/]+)"

    @routing.route(
        ctx,
        "GET",
        ops + r"/operations/(?P<op>[^/]+)",
        operation="pollOperation",
        action="{ns}/locations/operations/read",
        kind="poll",
    )
    def get_status(request: Request) -> Response:
        op = _operation(ctx, request)
        body: dict[str, Any] = {"name": op["id"], "status": op["status"], "startTime": op["startTime"]}
        if op["status"] == "InProgress":
            return Response(200, body, {"Retry-After": str(retry_after(ctx, op))})
        body["endTime"] = op.get("endTime")
        if op.get("error"):
            body["error"] = op["error"]
        if op["detail"]:
            body["properties"] = op["detail"]
        return Response(200, body)

    @routing.route(
        ctx,
        "GET",
        ops + r"/operationResults/(?P<op>[^/]+)",
        operation="pollOperation",
        action="{ns}/locations/operationResults/read",
        kind="poll",
    )
    def get_result(request: Request) -> Response:
        op = _operation(ctx, request)
        if op["status"] == "InProgress":
            return Response(
                202,
                None,
                {
                    "Location": request.base_url + request.path + "?" + _query(request),
                    "Retry-After": str(retry_after(ctx, op)),
                },
            )
        if op.get("error"):
            raise ApiError(400, op["error"]["code"], op["error"]["message"])
        return Response(204)


def _operation(ctx: Context, request: Request) -> dict[str, Any]:
    op = ctx.store.get(OPERATION, request.params["op"])
    if op is None or op["subscription"].lower() != request.params["sub"].lower():
        raise ApiError(404, "OperationNotFound", f"Operation '{request.params['op']}' was not found.")
    return op


def _query(request: Request) -> str:
    return "&".join(f"{k}={v}" for k, v in request.query.items())
