"""The emulator's HTTP(S) server, the one path every request takes: routes by method and path pattern, bearer
tokens, request counts, faults, CORS."""

from __future__ import annotations

import json
import logging
import re
import socket
import ssl
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qsl, unquote, urlsplit

from azure_emulator.controls import Controls
from azure_emulator.development_issuer import DevelopmentIssuer
from azure_emulator.http_messages import ApiError as ApiError
from azure_emulator.http_messages import Request as Request
from azure_emulator.http_messages import Response as Response
from azure_emulator.store import Store
from azure_emulator.tokens import TokenIssuer

log = logging.getLogger("azure_emulator")

Api = Literal["arm", "monitor", "graph", "keyvault", "identity", "prices", "emulator"]
Kind = Literal["read", "write", "poll"]
# a browser may only send these names in Access-Control-Request-Headers; anything else is not echoed back
HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
# an Origin is echoed only when it is one (scheme://host[:port] or null); anything else gets `*`
ORIGIN = re.compile(r"(?:[A-Za-z][A-Za-z0-9+.-]*://[^\s,/]+|null)")
PREFLIGHT_MAX_AGE_S = 3600


Handler = Callable[[Request], Response]
# one grant_type of the v2.0 token endpoint: the request and its form fields
Grant = Callable[[Request, dict[str, str]], Response]


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    handler: Handler
    operation: str
    api: Api
    kind: Kind
    auth: bool  # a bearer token is required
    faults: bool  # the dispatcher applies armed faults of `operation` before the handler runs
    cors: bool  # browsers on any origin may call it (Entra's token, discovery and key endpoints are open to SPAs)


class Router:
    def __init__(self) -> None:
        self.routes: list[Route] = []
        # per API, the headers of a 401 sent when no token came (Key Vault's challenge needs its own)
        self.challenges: dict[str, Callable[[Request], dict[str, str]]] = {}

    def route(
        self,
        method: str,
        pattern: str,
        *,
        operation: str,
        api: Api,
        kind: Kind | None = None,
        auth: bool = True,
        faults: bool = True,
        cors: bool = False,
    ) -> Callable[[Handler], Handler]:
        """Register `handler` for METHOD and a regex of the whole path (matched case-insensitively, as ARM is)."""

        def register(handler: Handler) -> Handler:
            counted: Kind = kind or ("read" if method == "GET" else "write")
            compiled = re.compile(f"^{pattern}/?$", re.IGNORECASE)
            self.routes.append(Route(method, compiled, handler, operation, api, counted, auth, faults, cors))
            return handler

        return register

    def match(self, method: str, path: str) -> tuple[Route | None, dict[str, str], bool]:
        """The route, its parameters, and whether the path exists under another method (405)."""
        other = False
        for route in self.routes:
            found = route.pattern.match(path)
            if found is None:
                continue
            if route.method == method:
                return route, {k: v for k, v in found.groupdict().items() if v is not None}, False
            other = True
        return None, {}, other

    def cors_methods(self, path: str) -> list[str]:
        """The methods a browser may call `path` with from another origin; none for a path without CORS."""
        return [route.method for route in self.routes if route.cors and route.pattern.match(path)]


# the audiences ARM accepts a token for (https://learn.microsoft.com/rest/api/azure/#create-the-request: a token for
# https://management.azure.com/ or the classic https://management.core.windows.net/)
ARM_AUDIENCES = (
    "https://management.azure.com",
    "https://management.azure.com/",
    "https://management.core.windows.net/",
)


@dataclass
class Context:
    """What every API module shares: state, controls, tokens, the clock and the server's own URL."""

    store: Store
    controls: Controls
    tokens: TokenIssuer
    users: DevelopmentIssuer  # signs user tokens for the app's API: `make token`'s and the sign-in page's
    router: Router
    state_dir: Path | None
    base_url: str = ""
    clock: Callable[[], float] = time.time
    background: list[Callable[[], None]] = field(default_factory=list)  # stopped with the server
    grants: dict[str, Grant] = field(default_factory=dict)  # the token endpoint's, by grant_type
    # per API, the audiences for which it takes a user's token from the sign-in page (the development issuer's) as a
    # delegated call; an API not named here takes none. Graph adds its own when it registers (graph/__init__.py).
    user_audiences: dict[str, Callable[[], list[str]]] = field(
        default_factory=lambda: {"arm": lambda: list(ARM_AUDIENCES)}
    )


def _bearer(headers: dict[str, str]) -> str | None:
    value = headers.get("authorization", "")
    if value[:7].lower() == "bearer ":
        return value[7:].strip()
    return None


def dispatch(ctx: Context, request: Request) -> Response:
    if request.method == "OPTIONS":
        methods = ctx.router.cors_methods(request.path)
        if methods:
            return preflight(request, methods)
    route, params, other = ctx.router.match(request.method, request.path)
    if route is None:
        if other:
            return error_response(ApiError(405, "MethodNotAllowed", f"{request.method} is not allowed here."))
        return error_response(ApiError(404, "NotFound", f"No emulated API at {request.path}."))
    request.params, request.operation = params, route.operation
    token = _bearer(request.headers)
    if token is not None:
        request.claims = ctx.tokens.verify(token)
        if request.claims is None and route.api in ctx.user_audiences:
            # a user signed in through the sign-in page with the API's scope (ARM's user_impersonation, a Graph
            # permission): a delegated token, which the API takes for its own audiences only
            request.claims = ctx.users.verify(token, ctx.user_audiences[route.api]())
            request.delegated = request.claims is not None
    if route.auth and request.claims is None:
        challenge = ctx.router.challenges.get(route.api)
        headers = challenge(request) if challenge else {"WWW-Authenticate": 'Bearer realm="azure-emulator"'}
        code = "Unauthorized" if token is None else "InvalidAuthenticationToken"
        response = error_response(ApiError(401, code, "A valid bearer token is required.", headers))
    else:
        ctx.controls.set_request_tenant(str(request.claims.get("tid") or "") or None if request.claims else None)
        try:
            if route.faults:
                ctx.controls.raise_fault(request.operation)
            response = route.handler(request)
        except ApiError as exc:
            response = error_response(exc)
    ctx.controls.count(route.api, route.kind, request.operation, request.method, response.status)
    if route.cors:  # on errors too: without them a browser hides the error body from the page
        response.headers.update(cors_headers(request))
    return response


def cors_headers(request: Request) -> dict[str, str]:
    origin = request.headers.get("origin", "")
    return {"Access-Control-Allow-Origin": origin if ORIGIN.fullmatch(origin) else "*", "Vary": "Origin"}


def preflight(request: Request, methods: list[str]) -> Response:
    """A CORS preflight's answer: any origin, the path's methods, and whichever well-formed headers it asks for."""
    headers = cors_headers(request)
    headers["Vary"] = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"
    headers["Access-Control-Allow-Methods"] = ", ".join(dict.fromkeys([*methods, "OPTIONS"]))
    asked = HEADER_NAME.findall(request.headers.get("access-control-request-headers", ""))
    if asked:
        headers["Access-Control-Allow-Headers"] = ", ".join(asked)
    headers["Access-Control-Max-Age"] = str(PREFLIGHT_MAX_AGE_S)
    return Response(204, None, headers)


def error_response(exc: ApiError) -> Response:
    body: dict[str, Any] = {"error": {"code": exc.code, "message": exc.message}}
    if exc.target:
        body["error"]["target"] = exc.target
    if exc.inner:
        body["error"]["innererror"] = {"code": exc.inner}
    if exc.details:
        body["error"]["details"] = exc.details
    return Response(exc.status, body, dict(exc.headers))


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: EmulatorServer

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s " + format, self.address_string(), *args)

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        split = urlsplit(self.path)
        request = Request(
            method=self.command,
            path=unquote(split.path),
            query=dict(parse_qsl(split.query, keep_blank_values=True)),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
            base_url=self.server.ctx.base_url,
        )
        try:
            response = dispatch(self.server.ctx, request)
        except Exception:
            log.error("emulator handler failed:\n%s", traceback.format_exc())
            response = error_response(ApiError(500, "InternalServerError", "The emulator failed; see its log."))
        self._send(response)

    def _send(self, response: Response) -> None:
        if response.body is None:
            payload = b""
        elif isinstance(response.body, bytes):
            payload = response.body
        elif isinstance(response.body, str):
            payload = response.body.encode("utf-8")
        else:
            payload = json.dumps(response.body).encode("utf-8")
        self.send_response(response.status)
        if payload or response.body is not None:
            self.send_header("Content-Type", response.content_type)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    do_GET = do_PUT = do_POST = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _handle  # noqa: N815 - the base's names


class EmulatorServer(ThreadingHTTPServer):
    """One thread per connection (clients keep connections alive); TLS is negotiated in that thread."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, ctx: Context, port: int, ssl_context: ssl.SSLContext | None) -> None:
        self.ctx = ctx
        self.ssl_context = ssl_context
        super().__init__(("127.0.0.1", port), _Handler)
        scheme = "https" if ssl_context else "http"
        ctx.base_url = f"{scheme}://127.0.0.1:{self.server_address[1]}"

    def finish_request(self, request: Any, client_address: Any) -> None:
        if self.ssl_context is None:
            super().finish_request(request, client_address)
            return
        request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            wrapped = self.ssl_context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        try:
            super().finish_request(wrapped, client_address)
        finally:
            try:
                wrapped.close()
            except OSError:
                pass


def serve_in_thread(server: EmulatorServer) -> threading.Thread:
    thread = threading.Thread(target=server.serve_forever, name="azure-emulator", daemon=True)
    thread.start()
    return thread
