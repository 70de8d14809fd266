"""Long-running ARM operations without waiting: start one, hand back its status URL, poll it once per call.

`start` runs an SDK `begin_*` call without polling and reads its first response: done, or the
`Azure-AsyncOperation` (else `Location`) URL to poll and the Retry-After to wait. `poll` GETs that URL once
through the same client pipeline. The URL travels in `Progress.operation` as `"<phase> <url>"`, the phase
naming which step of a multi-step call (network, NIC, VM...) it belongs to. ARM errors become CloudError with
Azure's error code and HTTP status; a 429, a busy resource, a 5xx or no answer at all (or none in time) raises
`Throttled`, which `hand_back` turns into a held Progress: not done, the operation still the one polled, asked again
after Retry-After, with the code that held it and why in words for the timeline.
"""

from __future__ import annotations

import functools
import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NoReturn, TypeVar

from azure.core.exceptions import HttpResponseError, ServiceRequestError, ServiceResponseError
from azure.core.polling import PollingMethod

from shared.cloud.azure.arm_clients import ArmClients, retry_after_s
from shared.cloud.azure.transport import ARM_PATIENCE, TIMEOUTS
from shared.ports.cloud_errors import NOT_ANSWERING, UNANSWERED, CloudError
from shared.ports.progress import Progress

DEFAULT_POLL_S = 5.0  # Azure asks for ~4-5 s between polls of one operation when it does not say
RUNNING = "Azure's operation is still running"  # the reason of a "not yet" that polls an operation
# ARM's refusal of a role for a user or group it does not know yet (Entra replicates new principals within minutes)
PRINCIPAL_NOT_FOUND = "PrincipalNotFound"
NOT_REPLICATED = "Azure Resource Manager does not know the new principal yet (PrincipalNotFound)"
BUSY_CODES = {"AnotherOperationInProgress", "RetryableError", "OperationPreempted", "Conflict"}
TERMINAL_FAILURES = {"failed", "canceled", "cancelled"}
FAILED_STATUS = re.compile(r"^ProvisioningState/failed/(?P<code>[^/]+)$", re.IGNORECASE)


F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")


class Throttled(Exception):
    """ARM said not now (429, another operation on the resource in progress, its own failure) or did not answer:
    ask again later. `code` is what held the call (ARM's error code, UNANSWERED or NOT_ANSWERING), `reason` why in
    words, naming the service."""

    def __init__(self, retry_after_s: float, code: str = "TooManyRequests", reason: str | None = None) -> None:
        super().__init__(f"{code}; retry after {retry_after_s:g} s")
        self.retry_after_s = retry_after_s
        self.code = code
        self.reason = reason or f"{ARM_PATIENCE.service} said not now ({code})"


def hand_back(step: str) -> Callable[[F], F]:
    """Answer Throttled as `Progress(done=False, retry_after_s, operation=<the operation passed in>)`, and
    any other ARM error that got this far as the step's CloudError."""

    def decorate(method: F) -> F:
        signature = inspect.signature(method)

        @functools.wraps(method)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                try:
                    return method(*args, **kwargs)
                except HttpResponseError as exc:
                    raise_for(exc, step)
                except TIMEOUTS as exc:  # a hung service: waited out like an outage, never on a thread
                    raise Throttled(DEFAULT_POLL_S, NOT_ANSWERING, ARM_PATIENCE.not_answering(exc)) from exc
                except (ServiceRequestError, ServiceResponseError) as exc:  # an outage: waited out like a throttle
                    raise Throttled(DEFAULT_POLL_S, UNANSWERED, ARM_PATIENCE.did_not_answer()) from exc
            except Throttled as exc:
                operation = signature.bind(*args, **kwargs).arguments.get("operation")
                return Progress(
                    done=False, retry_after_s=exc.retry_after_s, operation=operation, held=exc.code, reason=exc.reason
                )

        return wrapper  # type: ignore[return-value]

    return decorate


@dataclass(frozen=True)
class Later:
    """Not done yet: ask again after `retry_after_s`, polling `url` if there is one."""

    retry_after_s: float
    url: str | None = None
    # the first answer's body: a PUT's resource as it is so far (a VM's identity is in it, and in no poll's answer)
    body: dict[str, Any] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Done:
    body: dict[str, Any]


def error_code(exc: HttpResponseError) -> str:
    error = getattr(exc, "error", None)
    code = getattr(error, "code", None)
    return str(code or exc.reason or f"Http{exc.status_code}")


def error_message(exc: HttpResponseError) -> str:
    error = getattr(exc, "error", None)
    return str(getattr(error, "message", None) or exc.message or exc)


def is_not_found(exc: HttpResponseError) -> bool:
    return exc.status_code == 404


def found(read: Callable[[], T], step: str) -> T | None:
    """What `read` answers; None when ARM answers 404 (no such resource, or no such resource group); any other
    refusal raises as `raise_for` says."""
    try:
        return read()
    except HttpResponseError as exc:
        if is_not_found(exc):
            return None
        raise_for(exc, step)


def found_json(read: Callable[..., Any], step: str) -> dict[str, Any] | None:
    """What `read(**options)` (a generated client's `get`) answers, as ARM's JSON rather than the SDK's model of it
    (its answer streamed to a `cls`, so the SDK makes none); None for a 404, as `found` says."""

    def as_json() -> dict[str, Any]:
        response = read(stream=True, cls=lambda answer, _streamed, _headers: answer.http_response)
        response.read()
        return _json(response)

    return found(as_json, step)


def read_json(clients: ArmClients, tenant_id: str, subscription_id: str, url: str, step: str) -> dict[str, Any] | None:
    """A resource's JSON as ARM answers a GET of `url` (its api-version included), None for a 404; any other refusal
    raises as `raise_for` says. This and `found_json` are for reads of a few fields: the SDK's model of a session
    host, a NIC or a Run Command cost 0.07 to 0.2 ms of CPU to make, more than the rest of the read's work here."""
    response = clients.get_url(tenant_id, subscription_id, url, step)
    if response.status_code == 404:
        return None
    if response.status_code >= 400:
        raise_for(HttpResponseError(response=response), step)
    return _json(response)


def raise_for(exc: HttpResponseError, step: str) -> NoReturn:
    """Throttled for a throttled, busy or failing (5xx) answer, which asking again later can mend; else the step's
    CloudError with Azure's code and the answer's status."""
    wait = retry_after_s(exc.response)
    status = exc.status_code or 0
    if status == 429 or (status == 409 and error_code(exc) in BUSY_CODES) or status >= 500:
        raise Throttled(max(1.0, wait if wait is not None else DEFAULT_POLL_S), error_code(exc)) from exc
    refused = CloudError(step, error_code(exc), error_message(exc))
    refused.status = status or None
    raise refused from exc


class FirstAnswer(PollingMethod[Any]):
    """An SDK `begin_*` call's first answer as it came, polled no further. The SDK's own `polling=False` hands that
    answer to its deserialization callback, which makes a model of the whole resource before a `cls` sees it (for a
    VM, 0.18 ms of CPU): `start` reads the answer's JSON and headers only."""

    def initialize(self, client: Any, initial_response: Any, deserialization_callback: Any) -> None:
        self._first = initial_response

    def run(self) -> None:
        return None

    def status(self) -> str:
        return "succeeded"

    def finished(self) -> bool:
        return True

    def resource(self) -> Any:
        return self._first


def start(call: Callable[..., Any], step: str) -> Done | Later:
    """Run `call(polling=FirstAnswer())` (an SDK `begin_*`) and read the first response."""
    try:
        response = call(polling=FirstAnswer()).result().http_response
    except HttpResponseError as exc:
        raise_for(exc, step)
    body = _json(response)
    state = str((body.get("properties") or {}).get("provisioningState") or "").lower()
    url = response.headers.get("Azure-AsyncOperation") or response.headers.get("Location")
    if state == "succeeded" or (not url and response.status_code in (200, 204) and state in ("", "succeeded")):
        return Done(body)
    if state in TERMINAL_FAILURES:
        raise CloudError(step, "ProvisioningFailed", f"{step}: the resource ended {state}.")
    wait = retry_after_s(response)
    return Later(wait if wait is not None else DEFAULT_POLL_S, url, body)


def poll(clients: ArmClients, tenant_id: str, subscription_id: str, url: str, step: str) -> Done | Later:
    """One GET of an operation's status: done, not yet, or the step's CloudError with Azure's error code."""
    if not clients.on_endpoint(url):
        # recorded against another endpoint (the app was pointed elsewhere since): the token never goes there, and
        # the caller reads the resource itself instead, as for an operation ARM has forgotten
        return Later(0.0, None)
    response = clients.get_url(tenant_id, subscription_id, url, step)
    body = _json(response)
    wait = retry_after_s(response)
    # never sooner than the operation's VM may be polled again (Compute's limit per VM: compute_limits.py)
    paced = clients.poll_wait(tenant_id, subscription_id, url)
    if paced > 0:
        wait = max(wait if wait is not None else DEFAULT_POLL_S, paced)
    if response.status_code == 429 or response.status_code >= 500:
        code = (body.get("error") or {}).get("code") or f"Http{response.status_code}"
        raise Throttled(max(1.0, wait if wait is not None else DEFAULT_POLL_S), str(code))
    if response.status_code == 404:  # the operation is forgotten (expired): the caller reads the resource instead
        return Later(DEFAULT_POLL_S, None)
    if response.status_code >= 400:
        error = body.get("error") or {}
        raise CloudError(step, str(error.get("code") or f"Http{response.status_code}"), str(error.get("message") or ""))
    status = body.get("status")
    if status is None:  # a Location URL: 202 while running, then the result
        if response.status_code == 202:
            return Later(wait if wait is not None else DEFAULT_POLL_S, url)
        return Done(body)
    if str(status).lower() == "succeeded":
        return Done(body)
    if str(status).lower() in TERMINAL_FAILURES:
        error = body.get("error") or {}
        raise CloudError(step, str(error.get("code") or "OperationFailed"), str(error.get("message") or status))
    return Later(wait if wait is not None else DEFAULT_POLL_S, url)


def failure_code(statuses: list[Any] | None, default: str = "ProvisioningFailed") -> str:
    """Azure's error code in an instance view's statuses (`ProvisioningState/failed/<Code>`)."""
    for status in statuses or []:
        found = FAILED_STATUS.match(str(status.get("code") or ""))
        if found:
            return found.group("code")
    return default


def encode(phase: str, url: str | None) -> str | None:
    return f"{phase} {url}" if url else None


def decode(operation: str | None) -> tuple[str | None, str | None]:
    if not operation:
        return None, None
    phase, _, url = operation.partition(" ")
    return phase, url or None


def named(phase: str | None) -> str | None:
    """A phase's name, without what it may carry after a colon (a VM's create carries its identity: `vm:<id>`)."""
    return phase.partition(":")[0] if phase else None


def progress(result: Later, phase: str, resource_id: str | None = None) -> Progress:
    return Progress(
        done=False,
        retry_after_s=result.retry_after_s,
        operation=encode(phase, result.url),
        resource_id=resource_id,
        reason=RUNNING,
    )


def _json(response: Any) -> dict[str, Any]:
    try:
        body = response.json() if response.text() else {}
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
