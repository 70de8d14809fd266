"""A test's own Durable engine on loopback, and the SDK's process-wide HTTP session set aside meanwhile.

The SDK keeps one aiohttp session (and the lock that guards its creation) per process, tied to the loop that
made it. Another host in the same test process (the e2e session's devhost) may hold it for its own loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager

import azure.durable_functions as df
from aiohttp import web
from azure.durable_functions.models.utils import http_utils

from devhost.azurite import free_port
from devhost.durable import DurableEngine, DurableStore
from devhost.durable_wiring import release_sdk_session


@contextmanager
def own_sdk_session() -> Iterator[None]:
    """A fresh session slot for the block (close what the block made before it ends); the old one after it."""
    saved = http_utils._client_session, http_utils._session_lock
    http_utils._client_session, http_utils._session_lock = None, asyncio.Lock()
    try:
        yield
    finally:
        http_utils._client_session, http_utils._session_lock = saved


def orchestrators_of(blueprint: df.Blueprint) -> dict[str, Callable[[str], str]]:
    """A blueprint's orchestrators by name, as the engine runs them."""
    app = df.DFApp()
    app.register_functions(blueprint)
    return {f.get_function_name(): f.get_user_function() for f in app.get_functions()}


@asynccontextmanager
async def durable_engine(
    orchestrators: dict[str, Callable[[str], str]], task_hub: str
) -> AsyncIterator[tuple[df.DurableOrchestrationClient, str]]:
    """The local Durable engine on a loopback port: a client of it, and the client binding a function gets."""
    port = free_port()
    engine = DurableEngine(
        orchestrators=orchestrators,
        activities={},
        store=DurableStore(),
        task_hub=task_hub,
        base_url=f"http://127.0.0.1:{port}",
    )
    site = web.Application()
    engine.add_routes(site)
    runner = web.AppRunner(site)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    await engine.start()
    try:
        with own_sdk_session():
            try:
                yield df.DurableOrchestrationClient(engine.client_binding_json()), engine.client_binding_json()
            finally:
                # the session the client made: the SDK's own, or this loop's once a devhost in this process has
                # given the SDK a session per loop (durable_wiring), which the SDK's close would not reach
                await release_sdk_session()
    finally:
        await engine.stop()
        await runner.cleanup()
