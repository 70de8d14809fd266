"""Declaring operations and running them: each route's operation (what the host registers and the OpenAPI document
says), the gate it passes, its span, and its handler's result as the answer."""

from __future__ import annotations

import asyncio
import contextvars
import functools
import os
import re
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol

import azure.durable_functions as df
import azure.functions as func
from pydantic import BaseModel

from shared import telemetry
from shared.models.base import Review
from triggers.http_access import Access, Audience, access_of
from triggers.http_request import ApiRequest, QueryParam
from triggers.http_responses import ApiResponse, compressed, error_response, json_response

ROUTE_PARAM = re.compile(r"\{(\w+)(?::[^}]*)?\??\}")


def _worker_thread_count() -> int | None:
    """PYTHON_THREADPOOL_THREAD_COUNT as the worker reads it (None: the pool's default)."""
    text = (os.environ.get("PYTHON_THREADPOOL_THREAD_COUNT") or "").strip()
    return int(text) if text.isdigit() and int(text) > 0 else None


# The API's requests run on a pool of their own, as large as the worker's: activities and queue triggers share the
# worker's threads, and each may wait on Azure up to its call's read timeout (shared/cloud/azure/transport.py), so a
# read of the app's own state must never queue behind them. Each request is an async function to the host (the
# worker runs those on its event loop, off its pool), which hands the request to this pool.
API_POOL = ThreadPoolExecutor(_worker_thread_count(), thread_name_prefix="api")


async def _on_api_pool(exchanged: Callable[..., func.HttpResponse], *args: Any) -> func.HttpResponse:
    loop = asyncio.get_running_loop()
    call = functools.partial(exchanged, *args, loop)
    return await loop.run_in_executor(API_POOL, contextvars.copy_context().run, call)


@dataclass(frozen=True)
class Operation:
    """One route: what the Functions host registers and what the OpenAPI document describes."""

    name: str
    method: str
    route: str
    summary: str
    tag: str
    description: str = ""  # what the summary cannot say; the document adds who may call it
    status: int = 200
    body: type[BaseModel] | None = None
    response: Any = None
    query: Sequence[QueryParam] = ()
    headers: Sequence[QueryParam] = ()  # request headers of its own, documented; the handler reads and checks them
    conditional: bool = False
    if_match_required: bool = False  # a conditional write that is never blind: without If-Match, a 400
    access: Access = Audience.SIGNED_IN  # from the ACCESS table in triggers/http_access.py
    durable: bool = False  # the handler is async and gets a Durable client as `req.durable`
    # with validateOnly=true it answers Review[response]; a model: that model instead; False: nothing documented
    review: bool | type[BaseModel] = True
    responses: Mapping[str, Any] = field(default_factory=dict)  # more answers to document, by status code

    @property
    def path_params(self) -> list[str]:
        return ROUTE_PARAM.findall(self.route)

    @property
    def anonymous(self) -> bool:
        return self.access is Audience.ANYONE


Handler = Callable[[ApiRequest], Any]


class Passage(Protocol):
    """One request let through the gate: run the handler inside `scope()`, then hand its response to `leave`."""

    def scope(self) -> AbstractContextManager[Any]: ...

    def leave(self, response: func.HttpResponse) -> func.HttpResponse: ...


class Gate(Protocol):
    """Authenticates and authorizes a request before its handler runs (raising the contract's errors)."""

    def enter(self, operation: Operation, req: ApiRequest) -> Passage: ...


class Api:
    """Every operation of the app, remembered for the OpenAPI document, behind one gate."""

    def __init__(self, gate: Gate) -> None:
        self.operations: list[Operation] = []
        self.gate = gate

    def section(self, bp: df.Blueprint, tag: str) -> Routes:
        return Routes(self, bp, tag)


@dataclass
class Routes:
    """Declares one blueprint's routes: `@routes.get("tenants/{tenantId}", "getTenant", "Get a tenant")`."""

    api: Api
    bp: df.Blueprint
    tag: str

    def get(self, route: str, name: str, summary: str, **spec: Any) -> Callable[[Handler], Handler]:
        return self.add("GET", route, name, summary, **spec)

    def post(self, route: str, name: str, summary: str, **spec: Any) -> Callable[[Handler], Handler]:
        return self.add("POST", route, name, summary, **spec)

    def put(self, route: str, name: str, summary: str, **spec: Any) -> Callable[[Handler], Handler]:
        return self.add("PUT", route, name, summary, **{"conditional": True, **spec})

    def patch(self, route: str, name: str, summary: str, **spec: Any) -> Callable[[Handler], Handler]:
        return self.add("PATCH", route, name, summary, **{"conditional": True, **spec})

    def delete(self, route: str, name: str, summary: str, **spec: Any) -> Callable[[Handler], Handler]:
        return self.add("DELETE", route, name, summary, **{"status": 204, "conditional": True, **spec})

    def add(self, method: str, route: str, name: str, summary: str, **spec: Any) -> Callable[[Handler], Handler]:
        operation = Operation(
            name=name, method=method, route=route, summary=summary, tag=self.tag, access=access_of(name), **spec
        )
        self.api.operations.append(operation)
        bp, gate = self.bp, self.api.gate

        def register(handler: Handler) -> Handler:
            # the app checks its callers' Entra tokens itself; host-level function keys would lock a portal out
            route = bp.route(route=operation.route, methods=[operation.method], auth_level=func.AuthLevel.ANONYMOUS)

            def exchanged(
                req: func.HttpRequest, context: func.Context, client: Any, loop: asyncio.AbstractEventLoop
            ) -> func.HttpResponse:
                with Exchange(gate, operation, ApiRequest(req, client), context) as exchange:
                    if exchange.admitted:
                        result = handler(exchange.request)
                        if operation.durable:  # it awaits the Durable client: on the loop every trigger shares
                            result = asyncio.run_coroutine_threadsafe(result, loop).result()
                        exchange.answer(result)
                return exchange.response

            # the gate, the audit and the handler's reads and writes of storage run on the API's pool, never on the
            # loop; `context` is the host's: its span of this request (the worker checks the annotation is exactly
            # Context), and the invocation's context (its trace, its logging) goes along
            async def function(req: func.HttpRequest, context: func.Context) -> func.HttpResponse:
                return await _on_api_pool(exchanged, req, context, None)

            async def durable_function(req: func.HttpRequest, client: Any, context: func.Context) -> func.HttpResponse:
                return await _on_api_pool(exchanged, req, context, client)

            if operation.durable:
                durable_function.__name__ = operation.name
                bp.function_name(operation.name)(route(bp.durable_client_input(client_name="client")(durable_function)))
            else:
                function.__name__ = operation.name
                bp.function_name(operation.name)(route(function))
            return handler

        return register


OPERATION = "cloudpc.operation"  # the span attribute naming the API operation (operationId)


class Exchange:
    """One request's way through the gate and its handler, sync or async alike: the operation's span, the gate's
    passage around the handler, and every error turned into its answer. `admitted` says whether the handler is to
    run; `response` is the answer.

    The host reports the request itself (a server span continuing the caller's `traceparent`) and hands its context
    over in `invocation`: the operation's span is an internal child of it, so the request is not reported twice.
    A host that hands over no trace leaves the request's own `traceparent` header to continue."""

    def __init__(self, gate: Gate, operation: Operation, request: ApiRequest, invocation: func.Context) -> None:
        self.gate, self.operation, self.request = gate, operation, request
        self._passage: Passage | None = None
        self._response: func.HttpResponse | None = None
        route = f"/api/{operation.route}"
        hosted = bool(invocation.trace_context.trace_parent)
        self._traced = telemetry.span(
            f"{operation.method} {route}",
            parent=None if hosted else request.raw.headers.get(telemetry.TRACEPARENT),
            invocation=invocation,
            ids=telemetry.ids_of(request.raw.route_params),
            attributes={"http.request.method": operation.method, "http.route": route, OPERATION: operation.name},
        )

    def __enter__(self) -> Exchange:
        self._span = self._traced.__enter__()
        try:
            passage = self.gate.enter(self.operation, self.request)
            self.request.check_query(self.operation.query)
        except Exception as exc:
            self._response = error_response(exc, if_match_sent=self._if_match_sent)
            return self
        self._scope = passage.scope()
        self._scope.__enter__()
        self._passage = passage
        return self

    @property
    def _if_match_sent(self) -> bool:
        return bool(self.request.raw.headers.get("If-Match"))

    @property
    def admitted(self) -> bool:
        return self._passage is not None and self._response is None

    def answer(self, result: Any) -> None:
        self._response = to_response(self.operation, result)

    @property
    def response(self) -> func.HttpResponse:
        assert self._response is not None, "the exchange has not answered"
        return self._response

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: Any) -> bool:
        if exc is not None and not isinstance(exc, Exception):  # cancelled or interrupted: nothing to answer
            if self._passage is not None:
                self._scope.__exit__(kind, exc, tb)
            self._traced.__exit__(kind, exc, tb)
            return False
        if self._passage is not None:
            if exc is not None:
                # inside the passage's scope, as the handler's own answer
                self._response = error_response(exc, if_match_sent=self._if_match_sent)
            self._scope.__exit__(None, None, None)
            self._response = self._passage.leave(self.response)
        self._response = compressed(self.response, self.request.raw.headers)
        self._span.set_attribute("http.response.status_code", self.response.status_code)
        self._traced.__exit__(None, None, None)
        return True


def to_response(operation: Operation, result: Any) -> func.HttpResponse:
    if isinstance(result, func.HttpResponse):
        return result
    if isinstance(result, ApiResponse):
        return json_response(result.status, result.body, result.headers)
    etag = getattr(result, "etag", None)
    return json_response(operation.status, result, {"ETag": etag} if etag else None)


def created(req: ApiRequest, resource: Any, path: str) -> ApiResponse:
    """201 with Location and ETag, or the review summary (200) when only validating."""
    if req.validate_only:
        return ApiResponse(200, Review[Any](summary=resource))
    return ApiResponse(201, resource, {"Location": req.url(path), "ETag": resource.etag or ""})


def updated(req: ApiRequest, resource: Any) -> ApiResponse:
    if req.validate_only:
        return ApiResponse(200, Review[Any](summary=resource))
    return ApiResponse(200, resource, {"ETag": resource.etag or ""})


def page_of(req: ApiRequest, items: list[Any], skip_token: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {"value": [item.model_dump(mode="json", by_alias=True) for item in items]}
    link = req.next_link(skip_token)
    if link:
        body["nextLink"] = link
    return body
