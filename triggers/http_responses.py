"""The app's JSON answers: a body or the contract's error shape, and how every failure of a request becomes one."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import azure.functions as func
from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ServiceRequestError,
    ServiceResponseError,
)
from pydantic import BaseModel, ValidationError

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
from shared.ports.cloud import NO_CONSENT, CloudError

log = logging.getLogger(__name__)
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


def _sized(err: Any) -> str | None:
    """A length rule in words: an empty name is "must not be empty", not pydantic's "at least 1 character"."""
    limits = err.get("ctx") or {}
    if err["type"] == "string_too_short":
        least = int(limits.get("min_length", 1))
        return "must not be empty" if least <= 1 else f"must be at least {least} characters"
    if err["type"] == "string_too_long":
        return f"must be at most {limits.get('max_length')} characters"
    if err["type"] == "too_short":
        least = int(limits.get("min_length", 1))
        return f"needs at least {least} item{'s' if least != 1 else ''}"
    if err["type"] == "too_long":
        return f"takes at most {limits.get('max_length')} items"
    return None


def _camel(code: str) -> str:
    head, *rest = code.split("_")
    return head + "".join(word.capitalize() for word in rest)


def validation_details(exc: ValidationError) -> list[ErrorDetail]:
    details = []
    for err in exc.errors(include_url=False):
        target = _pydantic_target(err["loc"]) or None
        message = _sized(err) or FRIENDLY.get(err["type"], err["msg"].removeprefix("Value error, "))
        details.append(ErrorDetail(_camel(err["type"]), f"{target}: {message}" if target else message, target))
    return details


def error_response(exc: Exception) -> func.HttpResponse:
    """Every failure as the contract's error shape; unexpected ones as 500 without internals."""
    if isinstance(exc, ValidationError):
        exc = ValidationFailed.of(*validation_details(exc))
    if isinstance(exc, CloudError):  # Azure or Graph refused or failed a call a request needed
        if exc.code == "tenantNotLinked":
            exc = Conflict(str(exc), code="tenantNotLinked", target="entraTenantId")
        elif exc.code == NO_CONSENT:  # a state of the tenant for its admin to fix, as an unlinked one is
            exc = Conflict(str(exc), code=NO_CONSENT, target="entraTenantId")
        elif exc.permission_denied or exc.code == "ForbiddenByRbac":  # waiting cannot help: say what is missing
            log.warning("A cloud call was refused for want of a permission (%s: %s)", exc.step, exc.code)
            exc = Unavailable(str(exc), code="serviceUnavailable")
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
            headers = {"WWW-Authenticate": 'Bearer error="invalid_token"' if exc.details else "Bearer"}
        return json_response(status, error_body(exc.code, exc.message, exc.target, exc.details), headers)
    incident = str(uuid.uuid4())
    log.exception("Unhandled error (incident %s)", incident)
    return json_response(500, error_body("internalError", f"Something went wrong on our side (incident {incident})."))
