"""Queue triggers through DevHost against Azurite: success, retries, poison queue, encodings."""

from __future__ import annotations

import base64
import uuid
from typing import Any

from devhost.host import DevHost
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
