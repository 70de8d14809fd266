"""What every emulated Graph route shares: the version prefix, the token's audience, application and delegated
permissions, throttling, latency, errors."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import time
import uuid
from collections.abc import Callable
from typing import Any

from azure_emulator import directory_roles
from azure_emulator.graph import permissions, throttling
from azure_emulator.server import ApiError, Context, Handler, Kind, Request, Response
from azure_emulator.tokens import PUBLIC_GRAPH

VERSIONS = ("v1.0", "beta")
GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
ERRORS = "https://learn.microsoft.com/graph/errors"

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


def error_response(request: Request, exc: ApiError) -> Response:
    """Graph's error answer (ERRORS): `{"error": {code, message, innerError}}`, the inner error naming the time and
    the request's ids, which Graph also sends as headers. The date is shaped as Graph's examples show it."""
    request_id = str(uuid.uuid4())
    client_request_id = request.headers.get("client-request-id") or request_id
    date = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")
    inner = {"date": date, "request-id": request_id, "client-request-id": client_request_id}
    body = {"error": {"code": exc.code, "message": exc.message, "innerError": inner}}
    headers = {**exc.headers, "request-id": request_id, "client-request-id": client_request_id}
    return Response(exc.status, body, headers)


UNSERVED = "/graph/(?P<version>[^/]+)/(?P<rest>.*)"
UNSERVED_OPERATION = "graphUnserved"  # no Graph operation: it needs no permission entry


def register_unserved(ctx: Context) -> None:
    """Registered after every Graph route: a Graph path the emulator does not serve answers as Graph does (ERRORS),
    with its innerError: 405 where the path is served for another method, else 400 BadRequest naming the segment
    (Graph's words for a path its model lacks: "Resource not found for the segment '...'")."""

    def unserved(request: Request) -> Response:
        served = [r for r in ctx.router.routes if r.operation != UNSERVED_OPERATION and r.pattern.match(request.path)]
        if served:
            refused = ApiError(405, "Request_BadRequest", f"{request.method} is not supported on this resource.")
            return error_response(request, refused)
        segment = request.params.get("rest", "").split("?")[0].split("/")[-1] or request.params.get("version", "")
        return error_response(request, bad_request(f"Resource not found for the segment '{segment}'.", "BadRequest"))

    for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
        register = ctx.router.route(
            method, UNSERVED, operation=UNSERVED_OPERATION, api="graph", auth=False, faults=False
        )
        register(unserved)


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
        service: throttling.Service = "identity",
        resource: permissions.ResourceOf | None = None,
    ) -> Callable[[Handler], Handler]:
        """Register `operation`; `resource` names what a resource-dependent operation's permission depends on, and
        `service` the throttling budgets it is charged against (throttling.py).

        Raises MissingPermissions when permissions.json has no entry for `operation`: no Graph route is served
        without the application permissions Microsoft documents for it.
        """
        entry = permissions.entry(operation)
        prefix = "/graph/(?P<version>" + "|".join(v.replace(".", r"\.") for v in versions) + ")"

        def register(handler: Handler) -> Handler:
            def graph_handler(request: Request) -> Response:
                try:
                    response = self._answer(request, handler, entry, resource, service)
                except ApiError as exc:
                    response = error_response(request, exc)
                self._log(request, response.status)
                response.headers.setdefault("request-id", str(uuid.uuid4()))
                return response

            # the token and armed faults are checked here rather than by the dispatcher, so that their errors too
            # are Graph's, with an innerError
            self.ctx.router.route(
                method, prefix + path, operation=operation, api="graph", kind=kind, auth=False, faults=False
            )(graph_handler)
            return handler

        return register

    def _answer(
        self,
        request: Request,
        handler: Handler,
        entry: permissions.Entry,
        resource: permissions.ResourceOf | None,
        service: throttling.Service,
    ) -> Response:
        if request.claims is None:
            sent = request.headers.get("authorization", "")[:7].lower() == "bearer "
            code = "InvalidAuthenticationToken" if sent else "Unauthorized"
            headers = {"WWW-Authenticate": 'Bearer realm="azure-emulator"'}
            raise ApiError(401, code, "A valid bearer token is required.", headers)
        self.ctx.controls.raise_fault(request.operation)
        self._check_audience(request)
        self._check_permissions(request, entry, resource)
        charged = throttling.charge(self.ctx, request, service)
        delay = self.ctx.controls.delay(request.operation)
        if delay > 0:
            time.sleep(delay)
        response = handler(request)
        response.headers.update(charged)
        return response

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
    ) -> None:
        """Graph's 403 for a token that holds none of the operation's permissions of its kind.

        An app-only token (`idtyp` app: the client-credentials grant's, a managed identity's) is limited by the
        operation's application permissions, in its `roles`. A user's token from the sign-in page (a delegated call)
        is limited by the operation's delegated permissions, in its `scp`; an operation whose delegated row the data
        file does not hold refuses it, as the emulator does not guess one. What a delegated call may then do also
        depends on the user's directory roles, which the operation checks itself where its page names them
        (`require_directory_role`). Any other token stands in for the customer's own administrator (`POST
        /emulator/token`), who may do everything the emulator serves.
        """
        claims = request.claims or {}
        if request.delegated:
            # https://learn.microsoft.com/graph/permissions-overview: a delegated call needs one of the page's
            # delegated permissions in the token's scopes; Graph answers as for an app (ERRORS)
            if entry.delegated is None or not permissions.allowed(entry.delegated, claims.get("scp", "")):
                raise ApiError(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
            return
        if claims.get("idtyp") != "app":
            return
        subject = resource(request) if resource is not None and entry.by_resource else None
        options = entry.options(subject)
        granted = permissions.allowed(options, claims.get("roles"))
        self.ctx.controls.record_access(
            str(claims.get("tid") or ""), str(claims.get("oid") or ""), "graph", entry.operation, subject or "", granted
        )
        if not granted:  # Graph names no permission here; the app looks the operation up in permissions.json itself
            raise ApiError(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")


def require_directory_role(ctx: Context, request: Request, roles: tuple[str, ...]) -> None:
    """A delegated call's 403 when the signed-in user holds none of `roles` in the tenant (a Global Administrator
    holds them all): what an operation's page lists as the Microsoft Entra roles a delegated caller needs. Graph's
    code and message for it are those of a missing permission (Authorization_RequestDenied, "Insufficient privileges
    to complete the operation."), as Graph answers a delegated call beyond the user's privileges. Apps and the
    emulator's administrator are not limited by it."""
    if not request.delegated:
        return
    claims = request.claims or {}
    if not directory_roles.holds_any(ctx.store, str(claims.get("tid") or ""), str(claims.get("oid") or ""), roles):
        raise ApiError(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")


def select(
    doc: dict[str, Any],
    fields: list[str] | None,
    defaults: tuple[str, ...] | None = None,
    only_on_select: tuple[str, ...] = (),
) -> dict[str, Any]:
    """`$select` (or the type's default properties when it has a default set), keeping `@odata.type`; without a
    `$select`, the properties a resource page marks "Returned only on `$select`" (`only_on_select`) are left out."""
    wanted = fields if fields else (list(defaults) if defaults else None)
    if wanted is None:
        return {k: v for k, v in doc.items() if not k.startswith("_") and k not in only_on_select}
    shown = {k: doc.get(k) for k in wanted}
    if "@odata.type" in doc:
        shown = {"@odata.type": doc["@odata.type"], **shown}
    return shown


def select_fields(request: Request) -> list[str] | None:
    raw = request.q("$select")
    if not raw:
        return None
    return [part.strip() for part in raw.split(",") if part.strip()]


# Graph's evolvable enumerations (https://learn.microsoft.com/graph/best-practices-concept#handling-future-members-in-evolvable-enumerations):
# the members listed after `unknownFutureValue` are sent only to a client that asks for them with
# `Prefer: include-unknown-enum-members`; any other reads `unknownFutureValue` in their place, so that a member added
# later never reaches a client written before it
UNKNOWN_FUTURE_VALUE = "unknownFutureValue"
INCLUDE_UNKNOWN_MEMBERS = "include-unknown-enum-members"


def prefers(request: Request, preference: str) -> bool:
    """Whether the request's `Prefer` header (comma-separated preferences, RFC 7240) holds `preference`."""
    said = (part.split(";", 1)[0].strip().lower() for part in request.headers.get("prefer", "").split(","))
    return preference.lower() in said


def evolvable(request: Request, shown: dict[str, Any], late_members: dict[str, frozenset[str]]) -> dict[str, Any]:
    """`shown` as the request may see it: each property of `late_members` whose value is one of the members its enum
    lists after `unknownFutureValue` reads `unknownFutureValue` unless the request prefers to include them."""
    if prefers(request, INCLUDE_UNKNOWN_MEMBERS):
        return shown
    return {
        name: UNKNOWN_FUTURE_VALUE if value in late_members.get(name, ()) else value for name, value in shown.items()
    }
