"""HTTP plumbing every route shares: declaring operations, reading requests, mapping errors."""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, TypeVar
from urllib.parse import urlencode, urlsplit, urlunsplit

import azure.durable_functions as df
import azure.functions as func
from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ServiceRequestError,
    ServiceResponseError,
)
from opentelemetry.trace import SpanKind
from pydantic import BaseModel, ValidationError

from shared import telemetry
from shared.cloud.ports import CloudError
from shared.errors import (
    Conflict,
    DomainError,
    ErrorDetail,
    Forbidden,
    NotFound,
    PreconditionFailed,
    Unauthenticated,
    Unavailable,
    ValidationFailed,
)
from shared.models.access import Caller, Role
from shared.models.base import Review
from shared.storage.tables import SKIP_TOKEN_PATTERN
from triggers.http_access import Access, Audience, access_of

log = logging.getLogger(__name__)
T = TypeVar("T", bound=BaseModel)
MAX_BODY_BYTES = 1024 * 1024
JSON_TYPES = ("application/json", "application/merge-patch+json")
MAX_JSON_DEPTH = 32  # the deepest resource nests a few levels; more is an attack on the parser
EMPTY_PAGE_MAX_BYTES = 32  # `{"value": []}` in any spacing; only a body this short is parsed to tell
ASCII_NUMBER = re.compile(r"[0-9]{1,9}")  # str.isdigit() would take '²' and '٣'
ETAG = re.compile(r'\*|(W/)?"[^"\x00-\x1f]*"')  # RFC 9110 entity-tag (or *)
ROUTE_PARAM = re.compile(r"\{(\w+)(?::[^}]*)?\??\}")
STATUS_OF: dict[type[DomainError], int] = {
    ValidationFailed: 400,
    Unauthenticated: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    PreconditionFailed: 412,
    Unavailable: 503,
}


class HttpError(DomainError):
    """A request-level problem (size, media type, method) with its own status code."""

    def __init__(self, status: int, code: str, message: str, target: str | None = None) -> None:
        super().__init__(message, code=code, target=target)
        self.status = status


@dataclass(frozen=True)
class QueryParam:
    name: str
    description: str
    schema: dict[str, Any] = field(default_factory=lambda: {"type": "string"})


TOP = QueryParam("top", "Page size, 1-1000 (default 100).", {"type": "integer", "minimum": 1, "maximum": 1000})
SKIP_TOKEN = QueryParam(
    "skipToken",
    "Opaque continuation from a previous page's nextLink, signed by this service: only a token it issued is "
    "accepted (400 invalidSkipToken otherwise), so copy nextLink rather than building one. Empty: the first page.",
    {"type": "string", "pattern": SKIP_TOKEN_PATTERN},  # documents the shape; the signature is what is checked
)
VALIDATE_ONLY = QueryParam(
    "validateOnly", "Run every check and return the review summary without saving.", {"type": "boolean"}
)
PAGING = (TOP, SKIP_TOKEN)


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
    conditional: bool = False
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


class ApiRequest:
    """A function's view of an HTTP request: typed accessors that raise contract errors."""

    def __init__(self, req: func.HttpRequest, durable: Any = None) -> None:
        self.raw = req
        self._durable = durable
        self._caller: Caller | None = None
        self.role: Role | None = None  # the caller's role on the route's tenant, once authorized

    @property
    def caller(self) -> Caller:
        """The authenticated caller (every operation but the anonymous ones has one)."""
        if self._caller is None:
            raise RuntimeError("this operation is anonymous: it has no caller")
        return self._caller

    @caller.setter
    def caller(self, caller: Caller | None) -> None:
        self._caller = caller

    @property
    def durable(self) -> Any:
        """The DurableOrchestrationClient, for operations declared with durable=True."""
        if self._durable is None:
            raise RuntimeError("this operation was not declared with durable=True")
        return self._durable

    def param(self, name: str) -> str:
        return self.raw.route_params[name]

    def query(self, name: str) -> str | None:
        value = self.raw.params.get(name)
        return value if value not in (None, "") else None

    def flag(self, name: str) -> bool:
        value = (self.query(name) or "false").lower()
        if value not in ("true", "false"):
            raise _bad_query(name, f"{name} must be true or false, not '{value}'.")
        return value == "true"

    def check_query(self, declared: Sequence[QueryParam]) -> None:
        """Each declared query parameter that is present (empty too) against its schema, before anything else
        reads the request: a value the document would not allow is a 400 naming the parameter."""
        for param in declared:
            value = self.raw.params.get(param.name)
            if value is None:
                continue
            kind, enum = param.schema.get("type"), param.schema.get("enum")
            if kind == "integer":
                low, high = param.schema.get("minimum", 0), param.schema.get("maximum", 10**9)
                if not ASCII_NUMBER.fullmatch(value) or not low <= int(value) <= high:
                    raise _bad_query(param.name, f"{param.name} must be a whole number from {low} to {high}.")
            elif kind == "boolean" and value.lower() not in ("true", "false"):
                raise _bad_query(param.name, f"{param.name} must be true or false, not '{value}'.")
            elif enum is not None and value not in enum:
                raise _bad_query(param.name, f"{param.name} must be one of {', '.join(map(str, enum))}.")
            elif param.schema.get("format") == "date-time" and not _aware_time(value):
                raise _bad_query(param.name, f"{param.name} must be a time with its offset, e.g. 2026-01-31T12:00:00Z.")
            elif len(value) > param.schema.get("maxLength", len(value)):
                raise _bad_query(param.name, f"{param.name} may have at most {param.schema['maxLength']} characters.")

    @property
    def validate_only(self) -> bool:
        return self.flag("validateOnly")

    @property
    def if_match(self) -> str | None:
        """The etag in If-Match; one that is not an etag at all can match nothing, so it fails as a stale one."""
        value = (self.raw.headers.get("if-match") or "").strip() or None
        if value is not None and not ETAG.fullmatch(value):
            raise PreconditionFailed(
                "If-Match must be * or an etag this service returned, such as W/\"datetime'...'\".",
                code="preconditionFailed",
                target="If-Match",
            )
        return value

    @property
    def top(self) -> int:
        raw = self.query("top") or "100"
        if not ASCII_NUMBER.fullmatch(raw) or not 1 <= int(raw) <= 1000:
            raise _bad_query("top", f"top must be a whole number from 1 to 1000, not '{raw}'.")
        return int(raw)

    @property
    def skip_token(self) -> str | None:
        return self.query("skipToken")

    def body(self, model: type[T]) -> T:
        return model.model_validate(self.json())

    def json(self) -> dict[str, Any]:
        declared = self.raw.headers.get("content-length") or ""
        if ASCII_NUMBER.fullmatch(declared) and int(declared) > MAX_BODY_BYTES:  # refused before it is read
            raise HttpError(413, "payloadTooLarge", f"The body has {declared} bytes; at most 1 MiB is accepted.")
        media_type, _, parameters = (self.raw.headers.get("content-type") or "").partition(";")
        content_type = media_type.strip().lower()
        if content_type not in JSON_TYPES:
            shown = content_type or "none"
            raise HttpError(415, "unsupportedMediaType", f"Send the body as application/json (got {shown}).")
        charset = _charset(parameters)
        if charset not in (None, "utf-8", "utf8"):
            raise HttpError(415, "unsupportedMediaType", f"Send the body as UTF-8 JSON (got charset {charset}).")
        raw = self.raw.get_body() or b""
        if len(raw) > MAX_BODY_BYTES:
            raise HttpError(413, "payloadTooLarge", f"The body has {len(raw)} bytes; at most 1 MiB is accepted.")
        try:
            text = raw.decode("utf-8")
            _check_depth(text)
            data = json.loads(text, parse_constant=_reject_constant, object_pairs_hook=_no_duplicate_keys)
            # an escaped lone surrogate (\ud800 without its pair) parses, but is no character: refuse it here
            json.dumps(data, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise HttpError(400, "invalidJson", "The body holds an unpaired surrogate (\\uD800-\\uDFFF).") from None
        except (UnicodeDecodeError, ValueError) as exc:
            raise HttpError(400, "invalidJson", f"The body is not valid JSON: {exc}.") from None
        if not isinstance(data, dict):
            raise HttpError(400, "invalidJson", "The body must be a JSON object.")
        return data

    def url(self, path: str, query: dict[str, str] | None = None) -> str:
        """Absolute URL of another resource of this API, e.g. url('tenants/42')."""
        parts = urlsplit(self.raw.url)
        prefix = parts.path.split("/")[1] if parts.path.count("/") > 1 else "api"
        return urlunsplit((parts.scheme, parts.netloc, f"/{prefix}/{path}", urlencode(query or {}), ""))

    def next_link(self, skip_token: str | None) -> str | None:
        if not skip_token:
            return None
        parts = urlsplit(self.raw.url)
        query = {k: v for k, v in self.raw.params.items() if k != "skipToken"}
        query["skipToken"] = skip_token
        return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))


def _aware_time(value: str) -> bool:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return False
    return parsed.tzinfo is not None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:  # which one would win is a guess the caller should not have to make
            raise ValueError(f"the key '{key}' appears twice in one object")
        found[key] = value
    return found


def _check_depth(text: str) -> None:
    """Refuse nesting deeper than any resource has, before the parser recurses into it."""
    depth, in_string, escaped = 0, False, False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > MAX_JSON_DEPTH:
                raise ValueError(f"values are nested more than {MAX_JSON_DEPTH} levels deep")
        elif char in "]}":
            depth -= 1


def _charset(parameters: str) -> str | None:
    for parameter in parameters.split(";"):
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset":
            return value.strip().strip('"').lower()
    return None


def _bad_query(name: str, message: str) -> ValidationFailed:
    return ValidationFailed.of(ErrorDetail("invalidQueryParameter", message, name))


@dataclass
class ApiResponse:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> func.HttpResponse:
    if isinstance(body, BaseModel):
        body = body.model_dump(mode="json", by_alias=True)
    text = None if body is None else json.dumps(body, separators=(",", ":"))
    return func.HttpResponse(
        text,
        status_code=status,
        headers=headers,
        mimetype="application/json" if text else None,
        charset="utf-8",
    )


def error_body(
    code: str, message: str, target: str | None = None, details: Sequence[ErrorDetail] = ()
) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if target:
        error["target"] = target
    if details:
        error["details"] = [
            {k: v for k, v in (("code", d.code), ("message", d.message), ("target", d.target)) if v} for d in details
        ]
    return {"error": error}


def _pydantic_target(loc: Sequence[int | str]) -> str:
    target = ""
    for part in loc:
        target += f"[{part}]" if isinstance(part, int) else (f".{part}" if target else str(part))
    return target


FRIENDLY = {
    "missing": "is required",
    "extra_forbidden": "is not a field of this resource; remove it",
    "string_type": "must be a string",
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "list_type": "must be a list",
    "model_type": "must be an object",
    "model_attributes_type": "must be an object",
    "dict_type": "must be an object",
}


def _camel(code: str) -> str:
    head, *rest = code.split("_")
    return head + "".join(word.capitalize() for word in rest)


def validation_details(exc: ValidationError) -> list[ErrorDetail]:
    details = []
    for err in exc.errors(include_url=False):
        target = _pydantic_target(err["loc"]) or None
        message = FRIENDLY.get(err["type"], err["msg"].removeprefix("Value error, "))
        details.append(ErrorDetail(_camel(err["type"]), f"{target}: {message}" if target else message, target))
    return details


def error_response(exc: Exception) -> func.HttpResponse:
    """Every failure as the contract's error shape; unexpected ones as 500 without internals."""
    if isinstance(exc, ValidationError):
        exc = ValidationFailed.of(*validation_details(exc))
    if isinstance(exc, CloudError):  # Azure or Graph refused or failed a call a request needed
        if exc.code == "tenantNotLinked":
            exc = Conflict(str(exc), code="tenantNotLinked", target="entraTenantId")
        else:
            log.warning("A cloud call failed during a request (%s: %s)", exc.step, exc.code)
            exc = Unavailable(
                f"Azure or Microsoft Graph could not do what the request needs ({exc.code}); try again shortly.",
                code="serviceUnavailable",
            )
    if isinstance(exc, (ServiceRequestError, ServiceResponseError)):
        exc = Unavailable("Storage is not answering right now; try again shortly.", code="serviceUnavailable")
    if isinstance(exc, ClientAuthenticationError) or (
        isinstance(exc, HttpResponseError) and exc.status_code == 403  # Table Storage: AuthenticationFailed
    ):  # storage refused the app's key or identity: not the caller's fault
        log.error("Storage refused the app's credentials (%s)", type(exc).__name__)
        exc = Unavailable(
            "Storage is not available to the service right now; try again later.", code="serviceUnavailable"
        )
    if isinstance(exc, HttpError):
        return json_response(exc.status, error_body(exc.code, exc.message, exc.target))
    if isinstance(exc, DomainError):
        status = next((s for kind, s in STATUS_OF.items() if isinstance(exc, kind)), 400)
        headers = {"Retry-After": "5"} if status == 503 else None
        if status == 401:  # RFC 6750: say which scheme, and that the token (if any) was not accepted
            headers = {
                "WWW-Authenticate": 'Bearer error="invalid_token"' if exc.details else "Bearer"
            }
        return json_response(status, error_body(exc.code, exc.message, exc.target, exc.details), headers)
    incident = str(uuid.uuid4())
    log.exception("Unhandled error (incident %s)", incident)
    return json_response(500, error_body("internalError", f"Something went wrong on our side (incident {incident})."))


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
            if operation.durable:

                async def durable_function(req: func.HttpRequest, client: Any) -> func.HttpResponse:
                    with Exchange(gate, operation, ApiRequest(req, client)) as exchange:
                        if exchange.admitted:
                            exchange.answer(await handler(exchange.request))
                    return exchange.response

                durable_function.__name__ = operation.name
                bp.function_name(operation.name)(route(bp.durable_client_input(client_name="client")(durable_function)))
                return handler

            def function(req: func.HttpRequest) -> func.HttpResponse:
                with Exchange(gate, operation, ApiRequest(req)) as exchange:
                    if exchange.admitted:
                        exchange.answer(handler(exchange.request))
                return exchange.response

            function.__name__ = operation.name
            bp.function_name(operation.name)(route(function))
            return handler

        return register


OPERATION = "cloudpc.operation"  # the span attribute naming the API operation (operationId)


class Exchange:
    """One request's way through the gate and its handler, sync or async alike: the request's span (continuing
    the caller's `traceparent`, with the route's ids), the gate's passage around the handler, and every error
    turned into its answer. `admitted` says whether the handler is to run; `response` is the answer."""

    def __init__(self, gate: Gate, operation: Operation, request: ApiRequest) -> None:
        self.gate, self.operation, self.request = gate, operation, request
        self._passage: Passage | None = None
        self._response: func.HttpResponse | None = None
        route = f"/api/{operation.route}"
        self._traced = telemetry.span(
            f"{operation.method} {route}",
            kind=SpanKind.SERVER,
            parent=request.raw.headers.get(telemetry.TRACEPARENT),
            ids=telemetry.ids_of(request.raw.route_params),
            attributes={"http.request.method": operation.method, "http.route": route, OPERATION: operation.name},
        )

    def __enter__(self) -> Exchange:
        self._span = self._traced.__enter__()
        try:
            passage = self.gate.enter(self.operation, self.request)
            self.request.check_query(self.operation.query)
        except Exception as exc:
            self._response = error_response(exc)
            return self
        self._scope = passage.scope()
        self._scope.__enter__()
        self._passage = passage
        return self

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
                self._response = error_response(exc)  # inside the passage's scope, as the handler's own answer
            self._scope.__exit__(None, None, None)
            self._response = self._passage.leave(self.response)
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


def is_empty_page(response: func.HttpResponse) -> bool:
    """Whether a response is a page with nothing on it (`page_of` with no items and no next link)."""
    body = response.get_body()
    if response.mimetype != "application/json" or len(body) > EMPTY_PAGE_MAX_BYTES:
        return False  # a page with items is longer: it is not parsed
    try:
        return json.loads(body) == {"value": []}
    except ValueError:
        return False


def page_of(req: ApiRequest, items: list[Any], skip_token: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {"value": [item.model_dump(mode="json", by_alias=True) for item in items]}
    link = req.next_link(skip_token)
    if link:
        body["nextLink"] = link
    return body

