"""ARM's request pipeline for every provider's routes: ARM's request limits, the api-version, the caller's permission,
the resource type's rules, operations settled first, Compute's limits on a VM, faults, and the request logged."""

from __future__ import annotations

from collections.abc import Callable

from azure_emulator.arm import common, compute_limits, operations, rbac, request_limits, resource_types
from azure_emulator.controls import unanswered
from azure_emulator.server import ApiError, Context, Kind, Request, Response


def route(
    ctx: Context,
    method: str,
    pattern: str,
    *,
    operation: str,
    action: str,
    kind: Kind | None = None,
    faults: bool = True,
    attributes: Callable[[Request], dict[str, dict[str, list[str]]]] | None = None,
) -> Callable[[Callable[[Request], Response]], Callable[[Request], Response]]:
    """Register an ARM route: api-version required, the caller's permission checked, then what ARM checks of the
    resource type (api-version offered, a new resource's name and region: `resource_types`), state settled first,
    the request logged, faults applied.

    `action` is the RBAC action ARM checks for the request at its path (`rbac.authorize`), as Microsoft's resource
    provider operations name it; `{name}` in it is the route's parameter of that name (a list's namespace and type).
    `attributes` gives the request's attributes that role conditions test (a role assignment's role and principal).

    The whole handler runs under the store's lock: ARM handlers are short, and a read-modify-write of
    several resources (a VM and its NIC) must not interleave with another request's.
    """
    if "{" not in action:
        rbac.OPERATIONS.add(action)

    def register(handler: Callable[[Request], Response]) -> Callable[[Request], Response]:
        def handle(request: Request) -> Response:
            status = 500
            limits: dict[str, str] = {}
            try:
                limits = request_limits.admit(ctx, request)
                if not request.q("api-version"):
                    raise ApiError(
                        400,
                        "MissingApiVersionParameter",
                        "The api-version query parameter (?api-version=) is required.",
                    )
                with ctx.store.transaction():
                    found = attributes(request) if attributes is not None else None
                    rbac.authorize(ctx, request, action.format(**request.params), attributes=found)
                    resource_types.check(
                        request, lambda: _acting_location(ctx, request), lambda: _group_exists(ctx, request)
                    )
                    operations.settle_due(ctx)
                    # Compute's own limits on a VM, once ARM let the request through to the provider
                    limits.update(compute_limits.admit(ctx, request))
                    # a write whose faults are its operation's end still meets a throttle or an outage at the door
                    ctx.controls.raise_fault(request.operation, None if faults else unanswered)
                    response = handler(request)
                status = response.status
                response.headers.update(limits)
                return response
            except ApiError as exc:
                status = exc.status
                exc.headers = {**limits, **exc.headers}
                raise
            finally:
                ctx.controls.log_request(request, status)

        ctx.router.route(method, pattern, operation=operation, api="arm", kind=kind, faults=False)(handle)
        return handler

    return register


def _group_exists(ctx: Context, request: Request) -> bool:
    """Whether the resource group the path names exists (True for a path outside any group)."""
    parts = [p for p in request.path.removeprefix("/arm").split("/") if p]
    if len(parts) >= 4 and parts[2].lower() == "resourcegroups":
        return common.get(ctx, common.group_id(parts[1], parts[3])) is not None
    return True


def _acting_location(ctx: Context, request: Request) -> str | None:
    """The region a request acts in, as ARM names it in a refusal: the body's, else the resource's (or, for an
    action, its parent's), else the path's `locations/<region>`, else the resource group's."""
    try:
        body = request.json() if request.method == "PUT" else None
    except ApiError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("location"), str):
        return str(body["location"])
    path = request.path.removeprefix("/arm")
    for resource_id in (path, common.parent_of(path)):
        doc = common.get(ctx, resource_id)
        if doc is not None and doc["resource"].get("location"):
            return str(doc["resource"]["location"])
    parts = [p for p in path.split("/") if p]
    lowered = [p.lower() for p in parts]
    if "locations" in lowered[:-1]:
        return parts[lowered.index("locations") + 1]
    if len(parts) >= 4 and lowered[2] == "resourcegroups":
        group = common.get(ctx, common.group_id(parts[1], parts[3]))
        if group is not None:
            return str(group["resource"].get("location") or "") or None
    return None
