"""The HTTP front door: routes requests to HTTP-triggered functions and to the admin API."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import azure.functions as func
from aiohttp import web
from azure.functions.http import HttpRequest
from multidict import CIMultiDict, MultiMapping

from devhost.indexing import FunctionInfo
from devhost.invocation import was_logged
from devhost.routing import Router

log = logging.getLogger("devhost")

MAX_BODY = 100 * 1024 * 1024  # the Functions HTTP trigger limit
# an HTTP function runs with these; returns the function's result or raises
HttpCall = Callable[[FunctionInfo, func.HttpRequest], Awaitable[Any]]
AdminCall = Callable[[FunctionInfo, str], Awaitable[None]]


def _joined(values: MultiMapping[str]) -> dict[str, str]:
    # the host hands the worker one string per name; repeated names are comma-joined
    out: dict[str, str] = {}
    for key in values:
        if key not in out:
            out[key] = ",".join(values.getall(key))
    return out


def to_function_request(request: web.Request, body: bytes, route_params: Mapping[str, str]) -> HttpRequest:
    return HttpRequest(
        method=request.method,
        url=str(request.url),
        headers=_joined(request.headers),
        params=_joined(request.query),
        route_params=dict(route_params),
        body_type="bytes",
        body=body,
    )


def to_web_response(result: Any) -> web.Response:
    """Turn a function's HTTP output into a response, as the worker's HTTP converter does."""
    if result is None:
        return web.Response(status=204)
    if isinstance(result, str):
        return web.Response(status=200, text=result, content_type="text/plain", charset="utf-8")
    if isinstance(result, func.HttpResponse):
        headers: CIMultiDict[str] = CIMultiDict()
        for name, value in result.headers.items():
            headers.add(name, value)
        if "Content-Type" not in headers:
            mimetype = result.mimetype
            headers["Content-Type"] = (
                f"{mimetype}; charset={result.charset}" if mimetype.startswith("text/") else mimetype
            )
        return web.Response(status=result.status_code, body=result.get_body(), headers=headers)
    raise TypeError(f"an HTTP function must return HttpResponse or str, not {type(result).__name__}")


class HttpFront:
    """Dispatches every request that no other registered route (e.g. Durable's) claimed."""

    def __init__(
        self,
        router: Router,
        call: HttpCall,
        admin: Mapping[str, tuple[FunctionInfo, AdminCall]],
        spawn: Callable[[Awaitable[None]], None],
    ) -> None:
        self._router = router
        self._call = call
        self._admin = admin
        self._spawn = spawn

    def install(self, app: web.Application) -> None:
        # when keys are required, host_keys.key_middleware answers 401 to /admin/ without the master key
        app.router.add_route("POST", "/admin/functions/{name}", self._admin_invoke)
        app.router.add_route("*", r"/{tail:[\s\S]*}", self._dispatch)  # any path, a decoded newline included

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        resolved = self._router.resolve(request.method, request.path)
        if isinstance(resolved, int):
            if resolved == 404 and request.path == "/" and request.method in ("GET", "HEAD"):
                return web.Response(text="devhost: the Functions app is running.\n")
            if resolved == 405:  # a method no function takes (TRACE): say which ones the path has
                allowed = ", ".join(self._router.allowed(request.path))
                message = f"{request.method} is not served on {request.path}; use {allowed}."
                return web.json_response(
                    {"error": {"code": "methodNotAllowed", "message": message}}, status=405, headers={"Allow": allowed}
                )
            missing = {"error": {"code": "notFound", "message": "No function serves this path."}}
            return web.json_response(missing, status=404)
        info, route_params = resolved
        if request.content_length is not None and request.content_length > MAX_BODY:
            # refused on the declared length, before a byte is read; a body without one stops at the limit
            return web.json_response(
                {"error": {"code": "payloadTooLarge", "message": f"The body is over {MAX_BODY} bytes."}}, status=413
            )
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return web.json_response(
                {"error": {"code": "payloadTooLarge", "message": f"The body is over {MAX_BODY} bytes."}}, status=413
            )
        try:
            result = await self._call(info, to_function_request(request, body, route_params))
            return to_web_response(result)
        except Exception as exc:  # the client sees a bare 500, as from the Functions host
            if not was_logged(exc):
                log.error("function %s failed: %s", info.name, exc, exc_info=exc)
            return web.Response(status=500)

    async def _admin_invoke(self, request: web.Request) -> web.StreamResponse:
        """Core Tools' `POST /admin/functions/<name>` with `{"input": "..."}` (non-HTTP functions)."""
        name = request.match_info["name"]
        target = next((v for k, v in self._admin.items() if k.lower() == name.lower()), None)
        if target is None:
            return web.Response(status=404)
        try:
            payload = json.loads(await request.text() or "{}")
        except ValueError:
            return web.Response(status=400, text='body must be JSON: {"input": "..."}')
        info, call = target
        value = payload.get("input", "") if isinstance(payload, dict) else ""
        text = value if isinstance(value, str) else json.dumps(value)
        self._spawn(call(info, text))
        return web.Response(status=202)
