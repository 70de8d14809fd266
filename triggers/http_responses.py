"""The app's JSON answers: a body or the contract's error shape, and how every failure of a request becomes one."""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import uuid
from collections.abc import Mapping, Sequence
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
from shared.models.validation import validation_details
from shared.ports.cloud_errors import NO_CONSENT, NOT_LINKED, CloudError

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


def takes_gzip(headers: Mapping[str, str]) -> bool:
    """Whether the client's Accept-Encoding takes gzip (named, or `*`, without q=0)."""
    for offer in (headers.get("Accept-Encoding") or "").lower().split(","):
        coding, _, params = offer.strip().partition(";")
        if coding.strip() in ("gzip", "*") and params.replace(" ", "") not in ("q=0", "q=0.0", "q=0.00", "q=0.000"):
            return True
    return False


# below about one network packet, gzip saves too little to be worth its time on either side
GZIP_MIN_BYTES = 1024


def compressed(response: func.HttpResponse, headers: Mapping[str, str]) -> func.HttpResponse:
    """A JSON answer of GZIP_MIN_BYTES or more, gzipped for a client whose Accept-Encoding takes it. Not one with an
    ETag: an item's ETag is its version, which the client sends back in If-Match, and one validator must not name two
    representations (RFC 9110, 8.8.3); lists, the bulk of the bytes, carry none."""
    body = response.get_body()
    if (
        len(body) < GZIP_MIN_BYTES
        or response.mimetype != "application/json"
        or "ETag" in response.headers
        or "Content-Encoding" in response.headers
    ):
        return response
    if not takes_gzip(headers):
        response.headers["Vary"] = "Accept-Encoding"
        return response
    return func.HttpResponse(
        gzip.compress(body, 6, mtime=0),
        status_code=response.status_code,
        headers={**dict(response.headers), "Content-Encoding": "gzip", "Vary": "Accept-Encoding"},
        mimetype=response.mimetype,
        charset=response.charset,
    )


@dataclass(frozen=True)
class FixedDocument:
    """A JSON body that changes only with the code: serialized, compressed and hashed once, then answered with a
    strong ETag a browser revalidates with (304, no body), gzipped to a client that takes it."""

    text: bytes
    packed: bytes
    etag: str
    cache_control: str = "public, max-age=300"

    @classmethod
    def of(cls, body: Any) -> FixedDocument:
        text = json.dumps(body, separators=(",", ":")).encode()
        return cls(text, gzip.compress(text, 9, mtime=0), f'"{hashlib.sha256(text).hexdigest()[:32]}"')

    def answer(self, headers: Mapping[str, str]) -> func.HttpResponse:
        validators = {"ETag": self.etag, "Cache-Control": self.cache_control, "Vary": "Accept-Encoding"}
        sent = [tag.strip().removeprefix("W/") for tag in (headers.get("If-None-Match") or "").split(",")]
        if self.etag in sent or "*" in sent:
            return func.HttpResponse(status_code=304, headers=validators)
        if takes_gzip(headers):
            return func.HttpResponse(
                self.packed,
                status_code=200,
                headers={**validators, "Content-Encoding": "gzip"},
                mimetype="application/json",
            )
        return func.HttpResponse(self.text, status_code=200, headers=validators, mimetype="application/json")


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


# the service a raw SDK error came from, by the deepest SDK module on its traceback (a token request inside an ARM call
# fails in azure.identity, not in azure.mgmt): a 503 names what did not answer, never storage by default
SERVICE_OF_MODULE = (
    ("azure.identity", "Microsoft Entra ID"),
    ("msal", "Microsoft Entra ID"),
    ("azure.data.tables", "Storage"),
    ("azure.storage", "Storage"),
    ("azure.keyvault", "Key Vault"),
    ("azure.mgmt", "Azure Resource Manager"),
    ("shared.cloud.azure.graph", "Microsoft Graph"),
    ("shared.storage", "Storage"),
    ("shared.cloud.azure", "Azure Resource Manager"),
)


def service_of(exc: BaseException) -> str:
    """The service an SDK error was raised in, read off its traceback (innermost first)."""
    frames = []
    tb = exc.__traceback__
    while tb is not None:
        frames.append(str(tb.tb_frame.f_globals.get("__name__", "")))
        tb = tb.tb_next
    for module in reversed(frames):
        for prefix, service in SERVICE_OF_MODULE:
            if module == prefix or module.startswith(prefix + "."):
                return service
    return "A service the app depends on"


def _as_domain_error(exc: Exception) -> Exception:
    """A failure from below the domain (pydantic, the cloud ports, the SDKs) as the contract's error: a dependency's
    as 503 (or 409 for a state of the tenant), naming the service that failed."""
    if isinstance(exc, ValidationError):
        return ValidationFailed.of(*validation_details(exc))
    if isinstance(exc, CloudError):  # Azure or Graph refused or failed a call a request needed
        if exc.code == NOT_LINKED:
            return Conflict(str(exc), code="tenantNotLinked", target="entraTenantId")
        if exc.code == NO_CONSENT:  # a state of the tenant for its admin to fix, as an unlinked one is
            return Conflict(str(exc), code=NO_CONSENT, target="entraTenantId")
        if exc.permission_denied:  # the customer's tenant lacks a grant: its state, for its admin (the report says)
            return Conflict(str(exc), code="permissionMissing")
        if exc.code == "ForbiddenByRbac":  # the app's own vault refused it: the deployment's, waiting cannot help
            return Unavailable(str(exc), code="serviceUnavailable")
        return Unavailable(  # its message names the service (and is what a timeline would show of it)
            f"Azure or Microsoft Graph could not do what the request needs ({exc.code}: {str(exc)[:500]}); try again "
            "shortly.",
            code="serviceUnavailable",
        )
    if isinstance(exc, (ServiceRequestError, ServiceResponseError)):
        return Unavailable(
            f"{service_of(exc)} is not answering right now; try again shortly.", code="serviceUnavailable"
        )
    if isinstance(exc, HttpResponseError) and (exc.status_code == 429 or (exc.status_code or 0) >= 500):
        # a service throttled or failed a read the request needed, and no port made it a CloudError: it passes
        return Unavailable(
            f"{service_of(exc)} is busy or failing right now ({exc.status_code}); try again shortly.",
            code="serviceUnavailable",
        )
    if isinstance(exc, ClientAuthenticationError) or (
        isinstance(exc, HttpResponseError) and exc.status_code == 403  # Table Storage: AuthenticationFailed
    ):  # a service refused the app's key or identity: not the caller's fault
        return Unavailable(
            f"{service_of(exc)} refused the service's credentials; try again later.", code="serviceUnavailable"
        )
    return exc


def error_response(exc: Exception, *, if_match_sent: bool) -> func.HttpResponse:
    """Every failure as the contract's error shape; unexpected ones as 500 without internals. A 412 is only ever for
    the caller's own stale If-Match: without one (`if_match_sent` False) the app's etag write met other work (409)."""
    cause = exc
    exc = _as_domain_error(exc)
    if isinstance(exc, PreconditionFailed) and not if_match_sent:
        exc = exc.concurrent()
    if isinstance(exc, HttpError):
        return json_response(exc.status, error_body(exc.code, exc.message, exc.target))
    if isinstance(exc, DomainError):
        status = next((s for kind, s in STATUS_OF.items() if isinstance(exc, kind)), 400)
        headers = {"Retry-After": "5"} if status == 503 else None
        if status == 503:  # not the caller's doing: the log keeps what failed underneath
            underneath = cause if cause is not exc else (exc.__cause__ or exc)
            log.warning(
                "Answered 503 %s: %s (cause: %s: %s)", exc.code, exc.message, type(underneath).__name__, underneath
            )
        if status == 401:  # RFC 6750: say which scheme, and that the token (if any) was not accepted
            headers = {"WWW-Authenticate": 'Bearer error="invalid_token"' if exc.details else "Bearer"}
        return json_response(status, error_body(exc.code, exc.message, exc.target, exc.details), headers)
    incident = str(uuid.uuid4())
    log.exception("Unhandled error (incident %s)", incident)
    return json_response(500, error_body("internalError", f"Something went wrong on our side (incident {incident})."))
