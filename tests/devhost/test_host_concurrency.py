"""Invocations at once (thread pool, event loop), functionTimeout, and host.json overrides of a running host."""

from __future__ import annotations

import json
import logging
import os
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from devhost.host import DevHost
from devhost.invocation import process_count_setting, thread_count_setting
from tests.devhost.support import SAMPLE_APP, Reply, b64, call, eventually, peek_all, queue, quiet_env

OTHER_TRIGGERS = ("every_second", "daily", "work_item", "text_item")


def _together(*urls: str) -> list[Reply]:
    """GET every URL at the same time, from as many client threads."""
    with ThreadPoolExecutor(len(urls)) as clients:
        return list(clients.map(lambda url: call("GET", url), urls))


def _observed(host: DevHost, kind: str) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = call("GET", f"{host.base_url}/api/observed/{kind}").json()
    return seen


def _finished(url: str) -> dict[str, Any] | None:
    status: dict[str, Any] = call("GET", url).json()
    return status if status["runtimeStatus"] in ("Completed", "Failed", "Terminated") else None


def test_two_sync_invocations_run_at_once(sample_host: DevHost) -> None:
    url = f"{sample_host.base_url}/api/rendezvous/{uuid.uuid4().hex}"
    replies = _together(url, url)
    # each call returns only once the other has arrived: they overlapped on the worker's thread pool
    assert [(r.status, r.json()) for r in replies] == [(200, {"met": True})] * 2


def test_two_async_invocations_run_at_once_on_the_loop(sample_host: DevHost) -> None:
    url = f"{sample_host.base_url}/api/rendezvous-async/{uuid.uuid4().hex}"
    replies = _together(url, url)
    assert [(r.status, r.json()) for r in replies] == [(200, {"met": True})] * 2


def test_worker_settings_are_read_as_the_worker_reads_them(caplog: pytest.LogCaptureFixture) -> None:
    assert thread_count_setting({}) is None  # the pool's own default, min(32, cpus + 4)
    assert thread_count_setting({"PYTHON_THREADPOOL_THREAD_COUNT": "3"}) == 3
    assert thread_count_setting({"PYTHON_THREADPOOL_THREAD_COUNT": "0"}) is None
    assert thread_count_setting({"PYTHON_THREADPOOL_THREAD_COUNT": "many"}) is None
    assert "PYTHON_THREADPOOL_THREAD_COUNT must be an integer" in caplog.text
    assert process_count_setting({}) == 1
    assert process_count_setting({"FUNCTIONS_WORKER_PROCESS_COUNT": "4"}) == 4
    assert process_count_setting({"FUNCTIONS_WORKER_PROCESS_COUNT": "11"}) == 1  # the host allows 1 to 10


def test_the_thread_count_setting_sizes_the_pool(tmp_path: Path) -> None:
    folder = tmp_path / "app"
    folder.mkdir()
    (folder / "host.json").write_text('{"version": "2.0"}')
    (folder / "function_app.py").write_text(
        "import azure.functions as func\napp = func.FunctionApp()\n"
        "@app.route(route='x')\ndef x(req: func.HttpRequest) -> str:\n    return 'x'\n"
    )
    (folder / "local.settings.json").write_text(json.dumps({"Values": {"PYTHON_THREADPOOL_THREAD_COUNT": "2"}}))
    with DevHost(folder) as host:
        assert host.invoker is not None and host.invoker.pool_size == 2
        assert host.invoker.worker_pids == [os.getpid()]


# -- a second sample host with a one-second functionTimeout, set by an app setting ------------------------


@pytest.fixture(scope="module")
def strict_host(storage_connection_string: str) -> Iterator[DevHost]:
    host = DevHost(
        SAMPLE_APP,
        env={
            "AzureWebJobsStorage": storage_connection_string,
            **quiet_env(*OTHER_TRIGGERS),
            "SAMPLE_SLOW_QUEUE": f"slow-{uuid.uuid4().hex[:12]}",
            "AzureFunctionsJobHost__functionTimeout": "00:00:01",
            "AzureFunctionsJobHost__extensions__durableTask__defaultVersion": "1.5",
        },
    )
    host.start()
    try:
        yield host
    finally:
        host.stop()


@pytest.fixture
def gates(strict_host: DevHost) -> Iterator[list[str]]:
    """Names of held invocations, released at the end so that their threads finish."""
    names: list[str] = []
    yield names
    for name in names:
        call("POST", f"{strict_host.base_url}/api/release/{name}")


def test_overrides_reached_the_running_host(strict_host: DevHost) -> None:
    assert strict_host.host_json["functionTimeout"] == "00:00:01"
    assert strict_host.invoker is not None and strict_host.invoker.function_timeout_s == 1
    reply = call("POST", f"{strict_host.base_url}/api/start/ds_versions", b"")
    assert reply.status == 202
    status = eventually(lambda: _finished(reply.headers["Location"]), what="the orchestration")
    assert status["runtimeStatus"] == "Completed"
    # host.json had no defaultVersion: the app setting's applies to the instance and to its first child
    assert status["output"] == ["1.5", "1.5", "3.0", "1.5"]


def test_function_timeout_fails_a_sync_http_invocation(
    strict_host: DevHost, gates: list[str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    name = f"http-{uuid.uuid4().hex}"
    gates.append(name)
    reply = call("GET", f"{strict_host.base_url}/api/hold/{name}")
    assert reply.status == 500
    assert "Timeout value of 00:00:01 exceeded by function 'Functions.hold' (Id: '" in caplog.text
    assert "FunctionTimeoutError: Timeout value of 00:00:01 was exceeded by function: Functions.hold" in caplog.text
    # devhost's own process cannot be restarted as a worker is: the thread runs on until released
    assert strict_host.invoker is not None and strict_host.invoker.abandoned >= 1
    assert "its thread runs on until the function returns" in caplog.text
    call("POST", f"{strict_host.base_url}/api/release/{name}")
    held = eventually(
        lambda: [h for h in _observed(strict_host, "held") if h["name"] == name], what="the released invocation"
    )
    assert held == [{"name": name, "released": True}]


def test_function_timeout_cancels_an_async_invocation(strict_host: DevHost) -> None:
    name = f"nap-{uuid.uuid4().hex}"
    assert call("GET", f"{strict_host.base_url}/api/nap/{name}").status == 500
    cancelled = eventually(
        lambda: [c for c in _observed(strict_host, "cancelled") if c["name"] == name], what="the cancellation"
    )
    assert cancelled == [{"name": name}]


def test_a_timed_out_queue_message_is_retried_then_poisoned(
    strict_host: DevHost, gates: list[str], storage_connection_string: str
) -> None:
    slow_queue = strict_host.env["SAMPLE_SLOW_QUEUE"]
    body = f"slow-{uuid.uuid4().hex}"
    gates.append(body)
    queue(storage_connection_string, slow_queue).send_message(b64(body))
    eventually(
        lambda: b64(body) in peek_all(storage_connection_string, f"{slow_queue}-poison"),
        what="the message in the poison queue",
    )
    # each attempt timed out (the gate stayed shut) and counted as a failure: maxDequeueCount is 2
    attempts = [a["dequeue_count"] for a in _observed(strict_host, "slow") if a["body"] == body]
    assert attempts == [1, 2]
    assert b64(body) not in peek_all(storage_connection_string, slow_queue)
