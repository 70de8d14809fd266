"""The Durable SDK's process-wide HTTP session, set aside while a test's own host or event loop uses the SDK.

The SDK keeps one aiohttp session (and the lock that guards its creation) per process, tied to the loop that
made it. Another host in the same test process (the e2e session's devhost) may hold it for its own loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager

from azure.durable_functions.models.utils import http_utils


@contextmanager
def own_sdk_session() -> Iterator[None]:
    """A fresh session slot for the block (close what the block made before it ends); the old one after it."""
    saved = http_utils._client_session, http_utils._session_lock
    http_utils._client_session, http_utils._session_lock = None, asyncio.Lock()
    try:
        yield
    finally:
        http_utils._client_session, http_utils._session_lock = saved
