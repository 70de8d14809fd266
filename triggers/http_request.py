"""A function's view of an HTTP request: its route and query parameters, headers and JSON body, checked as the
contract says, each problem raised as the contract's error."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import urlencode, urlsplit, urlunsplit

import azure.functions as func
from pydantic import BaseModel

from shared.errors import (
    ErrorDetail,
    PreconditionFailed,
    ValidationFailed,
)
from shared.models.access import Caller, ManagedIdentity, Role
from shared.models.base import SKIP_TOKEN_PATTERN
from shared.models.tenants import Tenant
from triggers.http_responses import HttpError

T = TypeVar("T", bound=BaseModel)
MAX_BODY_BYTES = 1024 * 1024
JSON_TYPES = ("application/json", "application/merge-patch+json")
MAX_JSON_DEPTH = 32  # the deepest resource nests a few levels; more is an attack on the parser
ASCII_NUMBER = re.compile(r"[0-9]{1,9}")  # str.isdigit() would take '²' and '٣'
ETAG = re.compile(r'\*|(W/)?"[^"\x00-\x1f]*"')  # RFC 9110 entity-tag (or *)


@dataclass(frozen=True)
class QueryParam:
    name: str
    description: str
    schema: dict[str, Any] = field(default_factory=lambda: {"type": "string"})
    required: bool = False


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


class ApiRequest:
    """A function's view of an HTTP request: typed accessors that raise contract errors."""

    def __init__(self, req: func.HttpRequest, durable: Any = None) -> None:
        self.raw = req
        self._durable = durable
        self._caller: Caller | None = None
        self.role: Role | None = None  # the caller's role on the route's tenant, once authorized
        self._tenant: Tenant | None = None
        self.identity: ManagedIdentity | None = None  # an Azure resource calling with its managed identity

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
    def tenant(self) -> Tenant:
        """The route's tenant, read once by the gate (which answered 404 when there is none)."""
        if self._tenant is None:
            raise RuntimeError("this operation has no tenant in its route")
        return self._tenant

    @tenant.setter
    def tenant(self, tenant: Tenant) -> None:
        self._tenant = tenant

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
                if param.required:
                    raise _bad_query(param.name, f"{param.name} is required: {param.description}")
                continue
            kind, enum = param.schema.get("type"), param.schema.get("enum")
            if kind == "integer":
                low, high = param.schema.get("minimum", 0), param.schema.get("maximum", 10**9)
                if not ASCII_NUMBER.fullmatch(value) or not low <= int(value) <= high:
                    raise _bad_query(param.name, f"{param.name} must be a whole number from {low} to {high}.")
            elif kind == "boolean":
                if value.lower() not in ("true", "false"):
                    raise _bad_query(param.name, f"{param.name} must be true or false, not '{value}'.")
                if enum is not None and (value.lower() == "true") not in enum:  # one value only, such as true
                    raise _bad_query(param.name, f"{param.name} must be {str(enum[0]).lower()}: {param.description}")
            elif enum is not None and value not in enum:
                raise _bad_query(param.name, f"{param.name} must be one of {', '.join(map(str, enum))}.")
            elif param.schema.get("format") == "date-time" and not _aware_time(value):
                raise _bad_query(param.name, f"{param.name} must be a time with its offset, e.g. 2026-01-31T12:00:00Z.")
            elif len(value) > param.schema.get("maxLength", len(value)):
                raise _bad_query(param.name, f"{param.name} may have at most {param.schema['maxLength']} characters.")
            elif len(value) < param.schema.get("minLength", 0):
                raise _bad_query(param.name, f"{param.name} needs at least {param.schema['minLength']} character(s).")

    def choices(self, name: str, allowed: Sequence[str]) -> frozenset[str] | None:
        """A comma-separated list of known values (`action=start,deallocate`), or None when the parameter is absent;
        a value not in `allowed` is a 400 naming the parameter."""
        raw = self.query(name)
        if raw is None:
            return None
        asked = frozenset(value.strip() for value in raw.split(","))
        unknown = sorted(asked - set(allowed))
        if unknown:
            raise _bad_query(
                name,
                f"{name} has no {', '.join(repr(value) for value in unknown)}: one or more of "
                f"{', '.join(allowed)}, comma-separated.",
            )
        return asked

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


def choice_list(name: str, description: str, allowed: Sequence[str]) -> QueryParam:
    """A parameter naming one or more of `allowed`, comma-separated (read with ApiRequest.choices)."""
    one = "|".join(re.escape(value) for value in allowed)
    return QueryParam(name, description, {"type": "string", "pattern": f"^({one})(,({one}))*$"})


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
