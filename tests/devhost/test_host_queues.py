"""Queue triggers through DevHost against Azurite: success, retries, poison queue, encodings."""

from __future__ import annotations

import asyncio
import base64
import uuid
from typing import Any

import pytest
from azure.functions.queue import QueueMessage as FunctionMessage
from azure.storage.queue.aio import QueueClient as AsyncQueueClient

from devhost.host import DevHost
from devhost.queues import QueueListener, QueueOptions, queue_client
from tests.devhost.support import b64, call, eventually, peek_all, queue

WORK_QUEUE = "sample-work"  # the sample app names it through %SAMPLE_QUEUE%


def _attempts(host: DevHost, kind: str, body: str) -> list[dict[str, Any]]:
    seen = call("GET", f"{host.base_url}/api/observed/{kind}").json()
    return [entry for entry in seen if entry["body"] == body]


def test_base64_message_is_processed_once_and_deleted(sample_host: DevHost, storage_connection_string: str) -> None:
    body = f"ok-{uuid.uuid4()}"
    queue(storage_connection_string, WORK_QUEUE).send_message(b64(body))

    attempts = eventually(lambda: _attempts(sample_host, "queue", body), what="the message")
    assert attempts[0]["dequeue_count"] == 1
    eventually(
        lambda: b64(body) not in peek_all(storage_connection_string, WORK_QUEUE), what="the message to leave the queue"
    )
    assert len(_attempts(sample_host, "queue", body)) == 1


def test_failing_message_moves_to_poison_after_max_dequeue_count(
    sample_host: DevHost, storage_connection_string: str
) -> None:
    body = f"fail-{uuid.uuid4()}"
    queue(storage_connection_string, WORK_QUEUE).send_message(b64(body))

    poison = eventually(
        lambda: [m for m in peek_all(storage_connection_string, f"{WORK_QUEUE}-poison") if m == b64(body)],
        what="the message in the poison queue",
    )
    assert base64.b64decode(poison[0]).decode() == body  # copied with its encoding intact
    # host.json sets maxDequeueCount 2: two attempts, the second with dequeue_count 2
    counts = [a["dequeue_count"] for a in _attempts(sample_host, "queue", body)]
    assert counts == [1, 2]
    assert b64(body) not in peek_all(storage_connection_string, WORK_QUEUE)


def test_plain_text_message_is_poisoned_without_invocation(
    sample_host: DevHost, storage_connection_string: str
) -> None:
    # messageEncoding defaults to base64, and the host poisons what it cannot decode at once
    body = f"plain text {uuid.uuid4()}!"
    queue(storage_connection_string, WORK_QUEUE).send_message(body)

    eventually(
        lambda: body in peek_all(storage_connection_string, f"{WORK_QUEUE}-poison"),
        what="the undecodable message in the poison queue",
    )
    assert _attempts(sample_host, "queue", body) == []


def test_str_parameter_and_queue_output_binding(sample_host: DevHost, storage_connection_string: str) -> None:
    body = f"forward me {uuid.uuid4()}"
    queue(storage_connection_string, "sample-text").send_message(b64(body))

    eventually(lambda: _attempts(sample_host, "text", body), what="the text message")
    forwarded = eventually(
        lambda: [m for m in peek_all(storage_connection_string, "sample-forwarded") if m == b64(body.upper())],
        what="the output binding's message",
    )
    assert forwarded


def test_admin_api_invokes_a_queue_function(sample_host: DevHost) -> None:
    body = f"manual-{uuid.uuid4()}"
    reply = call(
        "POST",
        f"{sample_host.base_url}/admin/functions/work_item",
        f'{{"input": "{body}"}}'.encode(),
        {"Content-Type": "application/json"},
    )
    assert reply.status == 202
    attempts = eventually(lambda: _attempts(sample_host, "queue", body), what="the invocation")
    assert attempts[0]["dequeue_count"] == 1


def test_a_message_stays_leased_while_its_function_runs(storage_connection_string: str) -> None:
    """With a 1 s lease, renewed halfway, a function holding its message longer never lets it reappear."""
    name = f"lease-{uuid.uuid4().hex[:12]}"
    queue(storage_connection_string, name).send_message(b64("long job"))
    seen: list[str] = []

    async def scenario() -> None:
        started, release = asyncio.Event(), asyncio.Event()

        async def invoke(message: FunctionMessage) -> None:
            seen.append(message.get_body().decode())
            started.set()
            await release.wait()

        listener = QueueListener("held", storage_connection_string, name, QueueOptions(), invoke, lease_s=1)
        polling = asyncio.create_task(listener.run())
        try:
            await asyncio.wait_for(started.wait(), 30)
            for _ in range(600):  # three renewals: the function has held the message past its first lease
                if listener.renewals >= 3:
                    break
                await asyncio.sleep(0.05)
            assert listener.renewals >= 3
            other = AsyncQueueClient.from_connection_string(storage_connection_string, name)
            async with other:
                assert [m async for m in other.receive_messages(visibility_timeout=1)] == []
            release.set()
            for _ in range(600):  # deleted with the pop receipt of the last renewal
                if not peek_all(storage_connection_string, name) and not listener._in_flight:
                    break
                await asyncio.sleep(0.05)
        finally:
            release.set()  # close() waits for invocations in flight
            polling.cancel()
            await asyncio.gather(polling, return_exceptions=True)
            await listener.close()

    asyncio.run(scenario())
    assert seen == ["long job"]
    assert peek_all(storage_connection_string, name) == []


def test_a_queue_client_reads_the_environment_at_each_request_only_where_it_names_a_proxy(
    storage_connection_string: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    direct = queue_client(storage_connection_string, WORK_QUEUE)
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.invalid:3128")
    proxied = queue_client(storage_connection_string, WORK_QUEUE)
    # the aiohttp transport's `trust_env`: netrc and the environment's proxies, looked up at every request
    transports = [client._pipeline._transport for client in (direct, proxied)]
    assert [transport._use_env_settings for transport in transports] == [False, True]  # type: ignore[attr-defined]
