"""The emulator's own control routes under /emulator (faults, latency, timers, page sizes, throttles, request counts
and logs, access checks, tokens for tests, health): what Azure does not have."""

from __future__ import annotations

from typing import Any

from azure_emulator.controls import EXTRA_OPERATIONS, LOG_SIZE, Fault
from azure_emulator.http_messages import ApiError, Request, Response
from azure_emulator.server import Context


def register(ctx: Context) -> None:
    """The /emulator control routes (not Azure's)."""
    r = ctx.router
    controls = ctx.controls

    def _body_number(request: Request, name: str, minimum: float = 0) -> float:
        value = request.json().get(name)
        if not isinstance(value, int | float) or isinstance(value, bool) or value < minimum:
            raise ApiError(400, "InvalidRequestContent", f"'{name}' must be a number >= {minimum}.")
        return float(value)

    @r.route("PUT", r"/emulator/faults/(?P<op>[^/]+)", operation="emulatorControl", api="emulator", auth=False)
    def put_fault(request: Request) -> Response:
        body = request.json()
        count = int(_body_number(request, "count", 1))
        error_code = body.get("errorCode")
        status = int(body.get("status") or 400)
        retry_after = _body_number(request, "retryAfter") if body.get("retryAfter") is not None else 1.0
        tenant = body.get("tenantId") or None
        controls.arm_fault(request.params["op"], Fault(count, error_code, status, retry_after), tenant)
        answer = {"operation": request.params["op"], "count": count, "errorCode": error_code, "tenantId": tenant}
        return Response(200, answer)

    @r.route("DELETE", r"/emulator/faults/(?P<op>[^/]+)", operation="emulatorControl", api="emulator", auth=False)
    def delete_fault(request: Request) -> Response:
        with controls._lock:
            controls.faults.pop((request.params["op"], request.q("tenantId")), None)
        return Response(204)

    def keyed(path: str, table: dict[Any, Any], key: str, field: str, minimum: float = 0, whole: bool = False) -> None:
        """PUT sets `field` (a number, `whole` or not) for the name in the path, for one tenant (`tenantId`) or every
        one; DELETE forgets it: latency, timers and page sizes are each such a table."""

        @r.route("PUT", path, operation="emulatorControl", api="emulator", auth=False)
        def put(request: Request) -> Response:
            number = _body_number(request, field, minimum)
            value = int(number) if whole else number
            tenant = request.json().get("tenantId") or None
            with controls._lock:
                table[(request.params["name"], tenant)] = value
            return Response(200, {key: request.params["name"], field: value, "tenantId": tenant})

        @r.route("DELETE", path, operation="emulatorControl", api="emulator", auth=False)
        def delete(request: Request) -> Response:
            with controls._lock:
                table.pop((request.params["name"], request.q("tenantId")), None)
            return Response(204)

    keyed(r"/emulator/latency/(?P<name>[^/]+)", controls.latency_s, "operation", "seconds")
    keyed(r"/emulator/timers/(?P<name>[^/]+)", controls.timers, "name", "seconds")
    keyed(r"/emulator/pageSize/(?P<name>[^/]+)", controls.page_sizes, "operation", "size", minimum=1, whole=True)

    @r.route("PUT", r"/emulator/throttles/(?P<name>[^/]+)", operation="emulatorControl", api="emulator", auth=False)
    def put_throttle(request: Request) -> Response:
        per_minute, burst = _body_number(request, "perMinute", 1), _body_number(request, "burst", 1)
        with controls._lock:
            controls.throttles[request.params["name"]] = (per_minute, burst)
        return Response(200, {"name": request.params["name"], "perMinute": per_minute, "burst": burst})

    @r.route("DELETE", r"/emulator/throttles/(?P<name>[^/]+)", operation="emulatorControl", api="emulator", auth=False)
    def delete_throttle(request: Request) -> Response:
        """Back to the API's own budget for `name`."""
        with controls._lock:
            controls.throttles.pop(request.params["name"], None)
        return Response(204)

    @r.route("GET", r"/emulator/operations", operation="emulatorControl", api="emulator", auth=False)
    def list_operations(request: Request) -> Response:
        names = sorted({route.operation for route in r.routes if route.api != "emulator"} | EXTRA_OPERATIONS)
        return Response(200, {"value": names})

    @r.route("GET", r"/emulator/requests", operation="emulatorControl", api="emulator", auth=False)
    def get_requests(request: Request) -> Response:
        return Response(200, controls.counts())

    @r.route("DELETE", r"/emulator/requests", operation="emulatorControl", api="emulator", auth=False)
    def reset_requests(request: Request) -> Response:
        controls.reset_counts()
        return Response(204)

    @r.route("GET", r"/emulator/requests/log", operation="emulatorControl", api="emulator", auth=False)
    def get_request_log(request: Request) -> Response:
        limit = int(request.q("limit") or LOG_SIZE)
        return Response(200, {"value": controls.logged(request.q("operation"), limit)})

    # what the tenant's apps were checked for: each ARM action and Graph operation, its scopes, granted and refused
    # (Azure's activity log and Entra's sign-in logs tell an admin the same); DELETE forgets them
    access = r"/emulator/tenants/(?P<tid>[^/]+)/accessChecks"

    @r.route("GET", access, operation="emulatorControl", api="emulator", auth=False)
    def get_access_checks(request: Request) -> Response:
        return Response(200, {"value": controls.access_checks(request.params["tid"])})

    @r.route("GET", r"/emulator/accessChecks", operation="emulatorControl", api="emulator", auth=False)
    def get_all_access_checks(request: Request) -> Response:
        return Response(200, {"value": controls.access_checks(None)})

    @r.route("DELETE", access, operation="emulatorControl", api="emulator", auth=False)
    def forget_access_checks(request: Request) -> Response:
        controls.forget_access(request.params["tid"])
        return Response(204)

    @r.route("POST", r"/emulator/token", operation="emulatorControl", api="emulator", auth=False)
    def post_token(request: Request) -> Response:
        body = request.json()
        tenant = body.get("tenantId")
        if not isinstance(tenant, str) or not tenant:
            raise ApiError(400, "InvalidRequestContent", "'tenantId' is required.")
        token, expires = ctx.tokens.issue(
            tenant, audience=str(body.get("audience") or "https://graph.microsoft.com"), object_id=body.get("objectId")
        )
        return Response(200, {"access_token": token, "token_type": "Bearer", "expires_on": expires})

    @r.route("GET", r"/emulator/health", operation="emulatorControl", api="emulator", auth=False)
    def health(request: Request) -> Response:
        return Response(200, {"status": "ok"})
