"""The webhook client API, exercised with the SDK's own DurableOrchestrationClient over HTTP."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import aiohttp
import azure.durable_functions as df
import azure.functions as func
import pytest
from aiohttp import web
from azure.durable_functions.models.utils import http_utils

from devhost.durable import DurableEngine
from devhost.durable_wiring import release_sdk_session
from tests.devhost import durable_sample as sample

Status = df.OrchestrationRuntimeStatus


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@asynccontextmanager
async def serving() -> AsyncIterator[tuple[DurableEngine, df.DurableOrchestrationClient, str]]:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    engine = sample.make_engine(base_url=base)
    app = web.Application()
    engine.add_routes(app)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    await engine.start()
    # the SDK keeps one HTTP session per process, bound to the loop that made it: a host run earlier in this
    # process (another test's) may have left one on its own loop, so each test starts and ends without one
    await release_sdk_session()
    try:
        yield engine, df.DurableOrchestrationClient(engine.client_binding_json()), base
    finally:
        await release_sdk_session()
        await engine.stop()
        await runner.cleanup()


async def finished(client: df.DurableOrchestrationClient, instance_id: str) -> Any:
    for _ in range(1000):
        status = await client.get_status(instance_id)
        if status.runtime_status in (Status.Completed, Status.Failed, Status.Terminated):
            return status
        await asyncio.sleep(0.01)
    raise AssertionError(f"{instance_id} did not finish")


def test_start_status_history_and_listing() -> None:
    async def main() -> None:
        async with serving() as (_, client, _base):
            auto_id = await client.start_new("ds_sequence", None, {"a": 1})
            done = await finished(client, auto_id)
            assert done.output == [{"a": 1}, 42]
            assert done.input_ == '{"a": 1}'  # the extension shows the SDK's JSON text
            assert done.custom_status == {"step": 1, "replaying": True}
            detailed = await client.get_status(auto_id, show_history=True)
            kinds = [e["EventType"] for e in detailed.historyEvents]
            assert kinds[:3] == ["OrchestratorStarted", "ExecutionStarted", "TaskScheduled"]

            assert await client.start_new("ds_wait_forever", "http-wait") == "http-wait"
            assert not await client.get_status("no-such-instance")
            everything = {s.instance_id for s in await client.get_status_all()}
            assert {auto_id, "http-wait"} <= everything
            running = await client.get_status_by(runtime_status=[Status.Running, Status.Pending])
            assert [s.instance_id for s in running] == ["http-wait"]
            prefixed = await client.get_status_by(instance_id_prefix="http-")
            assert [s.instance_id for s in prefixed] == ["http-wait"]

    asyncio.run(main())


def test_start_errors_and_duplicate_ids() -> None:
    async def main() -> None:
        async with serving() as (_, client, base):
            await client.start_new("ds_wait_forever", "dup")
            with pytest.raises(Exception, match="already exists"):
                await client.start_new("ds_wait_forever", "dup")
            with pytest.raises(Exception, match="doesn't exist"):
                await client.start_new("no_such_orchestrator")
            async with aiohttp.ClientSession() as session:
                hook = f"{base}/runtime/webhooks/durabletask"
                async with session.post(f"{hook}/orchestrators/ds_wait_forever/dup") as response:
                    assert response.status == 409
                async with session.post(f"{hook}/orchestrators/nope") as response:
                    assert response.status == 400
                async with session.get(f"{hook}/instances/dup") as response:
                    assert response.status == 202
                async with session.get(f"{hook}/instances/unknown") as response:
                    assert response.status == 404

    asyncio.run(main())


def test_events_terminate_suspend_resume_and_purge() -> None:
    async def main() -> None:
        async with serving() as (engine, client, _base):
            await client.start_new("ds_events", "http-events")
            await client.raise_event("http-events", "B", {"x": 1})
            await client.raise_event("http-events", "A", "a1")
            await client.raise_event("http-events", "A", "a2")
            done = await finished(client, "http-events")
            # as in Azure: the SDK posts JSON text, which the orchestrator receives as a string
            assert done.output == ['{"x": 1}', '"a1"', '"a2"']
            with pytest.raises(Exception, match="is gone"):
                await client.raise_event("http-events", "A", 1)

            await client.start_new("ds_wait_forever", "http-suspend")
            await client.suspend("http-suspend", "pause")
            assert (await client.get_status("http-suspend")).runtime_status == Status.Suspended
            await client.resume("http-suspend", "go on")
            assert (await client.get_status("http-suspend")).runtime_status in (Status.Running, Status.Pending)
            await client.terminate("http-suspend", "stop it")
            terminated = await finished(client, "http-suspend")
            assert (terminated.runtime_status, terminated.output) == (Status.Terminated, "stop it")
            await client.terminate("http-suspend", "again")  # 410 is not an error for the SDK

            purged = await client.purge_instance_history("http-suspend")
            assert purged.instances_deleted == 1
            assert (await client.purge_instance_history("http-suspend")).instances_deleted == 0
            by = await client.purge_instance_history_by(
                created_time_from=datetime(2000, 1, 1, tzinfo=UTC), runtime_status=[Status.Completed]
            )
            assert by.instances_deleted == 1
            assert not engine.instances

    asyncio.run(main())


def test_check_status_response_urls_work() -> None:
    async def main() -> None:
        async with serving() as (_, client, base):
            instance_id = await client.start_new("ds_events", "links")
            request = func.HttpRequest("POST", f"{base}/api/start", body=b"")
            response = client.create_check_status_response(request, instance_id)
            assert response.status_code == 202
            links = client.create_http_management_payload(instance_id)
            assert response.headers["Location"] == links["statusQueryGetUri"]
            async with aiohttp.ClientSession() as session:
                for name, value in (("B", "b"), ("A", "a1"), ("A", "a2")):
                    url = links["sendEventPostUri"].replace("{eventName}", name)
                    async with session.post(url, json=value) as posted:
                        assert posted.status == 202
                await finished(client, instance_id)
                async with session.get(links["statusQueryGetUri"]) as status:
                    assert status.status == 200
                    body = await status.json()
            assert body["instanceId"] == "links"
            assert body["output"] == ["b", "a1", "a2"]
            async with aiohttp.ClientSession() as session, session.delete(links["purgeHistoryDeleteUri"]) as purged:
                assert (await purged.json()) == {"instancesDeleted": 1}

    asyncio.run(main())


def test_a_session_another_hosts_loop_made_is_let_go() -> None:
    async def pooled_connection() -> web.AppRunner:
        # a host running on its own loop (its thread) leaves the SDK's session with a keep-alive connection
        async def ok(_: web.Request) -> web.Response:
            return web.Response(text="ok")

        port = _free_port()
        app = web.Application()
        app.router.add_get("/", ok)
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        session = await http_utils._get_session()
        async with session.get(f"http://127.0.0.1:{port}/") as reply:
            assert await reply.text() == "ok"
        return runner  # still serving: the connection stays open, as a running host's would

    other = asyncio.new_event_loop()
    thread = threading.Thread(target=other.run_forever, daemon=True)
    thread.start()
    runner = asyncio.run_coroutine_threadsafe(pooled_connection(), other).result(timeout=30)
    try:
        asyncio.run(release_sdk_session())  # this loop cannot close what the other loop made
        assert http_utils._client_session is None
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), other).result(timeout=30)
        other.call_soon_threadsafe(other.stop)
        thread.join(timeout=30)
        other.close()
