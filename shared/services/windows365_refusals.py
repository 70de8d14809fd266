"""Windows 365's refusal of a request the app makes on an admin's behalf, told apart from a throttle, an outage or
a missing permission (which keep their own handling): the admin sees `409 refusedByWindows365` in its words."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from shared.cloud.ports import CloudError
from shared.errors import Conflict


@contextmanager
def refused_as_conflict(what: str, target: str) -> Iterator[None]:
    """Around a Windows 365 call: its refusal becomes a Conflict saying it refused to `what`, naming `target`."""
    try:
        yield
    except CloudError as exc:
        if exc.transient or exc.permission_denied:
            raise
        raise Conflict(f"Windows 365 refused to {what}: {exc}", code="refusedByWindows365", target=target) from exc
