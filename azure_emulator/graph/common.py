"""What every emulated Graph route shares: the version prefix, the token's audience, application permissions,
throttling, latency, errors."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
import time
import uuid
from collections.abc import Callable
from typing import Any

from azure_emulator.graph import permissions
from azure_emulator.server import ApiError, Context, Handler, Kind, Request, Response

VERSIONS = ("v1.0", "beta")
GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
PUBLIC_GRAPH = "https://graph.microsoft.com"
# Graph's per app-and-tenant budget (resource units per 10 s, counted here as requests) and Intune's write limit
DIRECTORY_THROTTLE = ("graph", (12_000.0, 2_000.0))  # per minute, burst
INTUNE_WRITE_THROTTLE = ("graphIntuneWrites", (600.0, 200.0))  # 200 per 20 s

GUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
ID = r"[^/$]+"  # an object id or, for users, a userPrincipalName


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def not_found(object_id: str) -> ApiError:
    return ApiError(
        404,
        "Request_ResourceNotFound",
        f"Resource '{object_id}' does not exist or one of its queried reference-property objects are not present.",
    )


def bad_request(message: str, code: str = "Request_BadRequest") -> ApiError:
    return ApiError(400, code, message)


def accepted_audiences(ctx: Context) -> set[str]:
    """Graph's own audiences, and the emulator's Graph URL for a client that derives its scope from the endpoint."""
    own = f"{ctx.base_url}/graph"
    return {PUBLIC_GRAPH, f"{PUBLIC_GRAPH}/", GRAPH_APP_ID, own, f"{own}/"}


def odata_context(request: Request, entity_set: str) -> str:
    version = request.params.get("version", "v1.0")
    return f"{request.base_url}/graph/{version}/$metadata#{entity_set}"


class GraphRoutes:
    """Registers handlers under `/graph/{version}` with Graph's cross-cutting behaviour around them."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def route(
        self,
        method: str,
        path: str,
        operation: str,
        *,
        kind: Kind | None = None,
        versions: tuple[str, ...] = VERSIONS,
        throttle: tuple[str, tuple[float, float]] = DIRECTORY_THROTTLE,
        resource: permissions.ResourceOf | None = None,
    ) -> Callable[[Handler], Handler]:
        """Register `operation`; `resource` names what a resource-dependent operation's permission depends on.

        Raises MissingPermissions when permissions.json has no entry for `operation`: no Graph route is served
        without the application permissions Microsoft documents for it.
        """
        entry = permissions.entry(operation)
        prefix = "/graph/(?P<version>" + "|".join(v.replace(".", r"\.") for v in versions) + ")"

        def register(handler: Handler) -> Handler:
            def graph_handler(request: Request) -> Response:
                self._check_audience(request)
                denied = self._check_permissions(request, entry, resource)
                if denied is not None:
                    self._log(request, denied.status)
                    return denied
                self._throttle(request, DIRECTORY_THROTTLE)
                if throttle is not DIRECTORY_THROTTLE:  # Intune writes have a budget of their own as well
                    self._throttle(request, throttle)
                delay = self.ctx.controls.latency(request.operation)
                if delay > 0:
                    time.sleep(delay)
                try:
                    response = handler(request)
                except ApiError as exc:
                    self._log(request, exc.status)
                    raise
                self._log(request, response.status)
                response.headers.setdefault("request-id", request.headers.get("client-request-id") or str(uuid.uuid4()))
                return response

            self.ctx.router.route(method, prefix + path, operation=operation, api="graph", kind=kind)(graph_handler)
            return handler

        return register

    def _log(self, request: Request, status: int) -> None:
        """The request log tests read; a subscription's clientState is a secret and never goes there."""
        body = request.body
        if b"clientState" in body:
            try:
                body = json.dumps({**json.loads(body), "clientState": "***"}).encode()
            except (ValueError, TypeError):
                body = b""
        self.ctx.controls.log_request(dataclasses.replace(request, body=body), status)

    def _check_audience(self, request: Request) -> None:
        audience = (request.claims or {}).get("aud")
        if audience not in accepted_audiences(self.ctx):
            raise ApiError(
                401,
                "InvalidAuthenticationToken",
                "Access token validation failure. Invalid audience.",
                {"WWW-Authenticate": 'Bearer realm="", error="invalid_token"'},
            )

    def _check_permissions(
        self, request: Request, entry: permissions.Entry, resource: permissions.ResourceOf | None
    ) -> Response | None:
        """Graph's 403 for an app-only token whose `roles` hold none of the operation's application permissions.

        Only app-only tokens (`idtyp` app: the client-credentials grant's, a managed identity's) are limited by
        application permissions. Any other token stands in for the customer's own administrator signed in with
        delegated rights: what a delegated call may do is the intersection of its scopes and the user's directory
        roles, which the emulator does not model, and an administrator may do everything it serves.
        """
        claims = request.claims or {}
        if claims.get("idtyp") != "app":
            return None
        subject = resource(request) if resource is not None and entry.by_resource else None
        options = entry.options(subject)
        granted = permissions.allowed(options, claims.get("roles"))
        self.ctx.controls.record_access(str(claims.get("tid") or ""), str(claims.get("oid") or ""), "graph",
                                        entry.operation, subject or "", granted)  # fmt: skip
        if granted:
            return None
        # Graph names no permission here; the app looks the operation up in permissions.json itself
        request_id = request.headers.get("client-request-id") or str(uuid.uuid4())
        inner = {"date": now_iso(), "request-id": request_id, "client-request-id": request_id}
        body = {
            "error": {
                "code": "Authorization_RequestDenied",
                "message": "Insufficient privileges to complete the operation.",
                "innerError": inner,
            }
        }
        return Response(403, body, {"request-id": request_id, "client-request-id": request_id})

    def _throttle(self, request: Request, throttle: tuple[str, tuple[float, float]]) -> None:
        name, default = throttle
        claims = request.claims or {}
        wait = self.ctx.controls.throttle(name, f"{claims.get('tid')}/{claims.get('appid')}", default)
        if wait > 0:
            raise ApiError(
                429,
                "TooManyRequests",
                "Too many requests: the application exceeded its request budget for this tenant. Retry later.",
                {"Retry-After": str(max(1, math.ceil(wait)))},
            )


def select(doc: dict[str, Any], fields: list[str] | None, defaults: tuple[str, ...] | None = None) -> dict[str, Any]:
    """`$select` (or the type's default properties when it has a default set), keeping `@odata.type`."""
    wanted = fields if fields else (list(defaults) if defaults else None)
    if wanted is None:
        return {k: v for k, v in doc.items() if not k.startswith("_")}
    shown = {k: doc.get(k) for k in wanted}
    if "@odata.type" in doc:
        shown = {"@odata.type": doc["@odata.type"], **shown}
    return shown


def select_fields(request: Request) -> list[str] | None:
    raw = request.q("$select")
    if not raw:
        return None
    return [part.strip() for part in raw.split(",") if part.strip()]
