"""Connects indexed orchestrator/activity functions and host.json to the Durable engine."""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

from devhost.durable.engine import DurableEngine
from devhost.durable.store import DurableStore
from devhost.indexing import ACTIVITY_TRIGGER, ORCHESTRATION_TRIGGER, FunctionInfo
from devhost.invocation import Invoker
from devhost.settings import extension_section, resolve

log = logging.getLogger("devhost")
DEFAULT_HUB = "TestHubName"  # what Core Tools uses when host.json names no hub


def _orchestrator(info: FunctionInfo, invoker: Invoker) -> Callable[[str], Awaitable[str]]:
    async def episode(context_json: str) -> str:
        # runs where the app's other functions run: the worker's thread pool, or a worker process
        return await invoker.call_orchestrator(info, context_json)

    return episode


def _activity(info: FunctionInfo, invoker: Invoker) -> Callable[[Any], Any]:
    async def call(value: Any) -> Any:
        return await invoker.call(info, {info.trigger_param: value}, reason="(activity)")

    return call


# the durable SDK's HTTP session of each running loop (see share_sdk_session_per_loop)
_loop_sessions: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Any] = weakref.WeakKeyDictionary()


async def _session_of_running_loop() -> Any:
    """The SDK's session settings (a 4-minute total timeout, 30 connections to the host), for the running loop."""
    import aiohttp

    loop = asyncio.get_running_loop()
    session = _loop_sessions.get(loop)
    if session is None or session.closed:
        timeout = aiohttp.ClientTimeout(total=240, sock_connect=10, sock_read=None)
        connector = aiohttp.TCPConnector(limit=30, limit_per_host=30, enable_cleanup_closed=True)
        session = _loop_sessions[loop] = aiohttp.ClientSession(timeout=timeout, connector=connector)
    return session


def share_sdk_session_per_loop() -> None:
    """Give the durable SDK one HTTP session per event loop instead of one per process.

    The worker has one loop for the life of its process, and the SDK keeps one session bound to it. DevHost makes a
    loop per host, and a process may run two hosts at once (a test's own host beside the session's app host): a
    session made on one loop fails on the other ("Timeout context manager should be used inside a task").
    """
    try:
        from azure.durable_functions.models.utils import http_utils
    except ImportError:  # a future SDK layout: its own session is left as it is
        return
    http_utils._get_session = _session_of_running_loop


async def release_sdk_session() -> None:
    """Close the durable SDK's HTTP session of this host's loop, which is bound to that loop.

    The worker has one loop for the life of the process; DevHost makes one per start, so a
    session (or lock) left from a stopped host would be tied to a closed loop.
    """
    mine = _loop_sessions.pop(asyncio.get_running_loop(), None)
    if mine is not None and not mine.closed:
        await mine.close()
    try:
        from azure.durable_functions.models.utils import http_utils
    except ImportError:  # a future SDK layout: nothing we know how to release
        return
    session = getattr(http_utils, "_client_session", None)
    if session is not None and not session.closed:
        if getattr(session, "_loop", None) is asyncio.get_running_loop():
            await session.close()
        else:  # made on another host's loop, which is gone: it cannot be closed from here, only let go
            session.detach()
    http_utils._client_session = None
    http_utils._session_lock = asyncio.Lock()


def create_engine(
    functions: list[FunctionInfo],
    invoker: Invoker,
    host_json: Mapping[str, Any],
    base_url: str,
    store_path: Path | None,
) -> DurableEngine | None:
    """The engine, or None when the app has no durable functions or client bindings."""
    share_sdk_session_per_loop()
    orchestrators = {
        f.registration_name: _orchestrator(f, invoker) for f in functions if f.trigger_type == ORCHESTRATION_TRIGGER
    }
    activities = {f.registration_name: _activity(f, invoker) for f in functions if f.trigger_type == ACTIVITY_TRIGGER}
    clients = [f for f in functions if f.durable_client_param is not None]
    if not (orchestrators or activities or clients):
        return None
    section = extension_section(host_json, "durableTask")
    hub = resolve(str(section.get("hubName") or DEFAULT_HUB))
    if store_path is not None:
        store_path.parent.mkdir(parents=True, exist_ok=True)
    store = DurableStore(store_path if store_path is not None else ":memory:")
    log.info("Durable task hub '%s' (%s)", hub, store_path or "in-memory store")
    return DurableEngine(
        orchestrators=orchestrators,
        activities=activities,
        store=store,
        task_hub=hub,
        base_url=base_url,
        max_concurrent_activities=int(section.get("maxConcurrentActivityFunctions", 10)),
        max_concurrent_orchestrations=int(section.get("maxConcurrentOrchestratorFunctions", 10)),
        overridable_existing_instance_states=str(section.get("overridableExistingInstanceStates", "NonRunningStates")),
        default_version=str(section["defaultVersion"]) if section.get("defaultVersion") is not None else None,
    )
