"""Windows 365's refusal of a request the app makes on an admin's behalf, told apart from a throttle, an outage or
a missing permission (which keep their own handling): the admin sees `409 refusedByWindows365` in its words."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from shared.errors import Conflict, ErrorDetail, ValidationFailed
from shared.ports.cloud_errors import CloudError


@contextmanager
def refused_as_conflict(what: str, target: str) -> Iterator[None]:
    """Around a Windows 365 call: its refusal becomes a Conflict saying it refused to `what`, naming `target`."""
    try:
        yield
    except CloudError as exc:
        if exc.transient or exc.permission_denied:
            raise
        raise Conflict(f"Windows 365 refused to {what}: {exc}", code="refusedByWindows365", target=target) from exc


def refused_against_field(exc: CloudError, what: str, fields: dict[str, str]) -> Exception:
    """Graph's refusal of a `what` (a policy, a user setting) shown against the field its message names, by `fields`
    (Graph's name -> the API's), or the whole resource when it names none; a throttle, an outage or a missing
    permission as it is, for the caller's error mapping."""
    if exc.transient or exc.permission_denied:
        return exc
    message = str(exc)
    named = next((ours for graph, ours in fields.items() if graph in message), None)
    return ValidationFailed.of(ErrorDetail("refusedByWindows365", f"Windows 365 refused the {what}: {message}", named))
