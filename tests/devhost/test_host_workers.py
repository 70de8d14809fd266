"""FUNCTIONS_WORKER_PROCESS_COUNT=2: functions run in worker processes, which a timeout or a crash replaces."""

from __future__ import annotations

import json
import logging
import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from devhost.host import DevHost
from tests.devhost.support import SAMPLE_APP, b64, call, eventually, peek_all, queue, quiet_env


@pytest.fixture(scope="module")
def workers_host(storage_connection_string: str) -> Iterator[DevHost]:
    host = DevHost(
        SAMPLE_APP,
        env={
            "AzureWebJobsStorage": storage_connection_string,
            **quiet_env("every_second", "daily", "work_item", "slow_item"),
            "SAMPLE_TEXT_QUEUE": f"text-{uuid.uuid4().hex[:12]}",
            "FUNCTIONS_WORKER_PROCESS_COUNT": "2",
            "AzureFunctionsJobHost__functionTimeout": "00:00:01",
        },
    )
    host.start()
    try:
        yield host
    finally:
        host.stop()


def _pids(host: DevHost) -> list[int]:
    assert host.invoker is not None
    return host.invoker.worker_pids


def _replaced(host: DevHost, before: set[int]) -> set[int] | None:
    """The worker pids once both workers run again and they are not those of before."""
    pids = set(_pids(host))
    return pids if len(pids) == 2 and pids != before else None


def _finished(url: str) -> dict[str, Any] | None:
    status: dict[str, Any] = call("GET", url).json()
    return status if status["runtimeStatus"] in ("Completed", "Failed", "Terminated") else None


def test_invocations_go_to_the_worker_processes_in_turn(
    workers_host: DevHost, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    answered = {call("GET", f"{workers_host.base_url}/api/pid").json()["pid"] for _ in range(4)}
    assert answered == set(_pids(workers_host))
    assert len(answered) == 2
    assert os.getpid() not in answered
    # the app's own log records come back to the host's logging
    for pid in answered:
        assert f"pid {pid} answered" in caplog.messages


def test_what_the_app_logs_while_it_is_imported_reaches_the_host(
    storage_connection_string: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    host = DevHost(
        SAMPLE_APP,
        env={
            "AzureWebJobsStorage": storage_connection_string,
            **quiet_env("every_second", "daily", "work_item", "slow_item"),
            "FUNCTIONS_WORKER_PROCESS_COUNT": "2",
        },
    )
    host.start()
    try:
        pids = _pids(host)
    finally:
        host.stop()
    assert len(pids) == 2
    for pid in pids:
        assert f"sample app loading in process {pid}" in caplog.messages


def test_durable_functions_run_in_the_workers(workers_host: DevHost) -> None:
    reply = call(
        "POST",
        f"{workers_host.base_url}/api/start/greet_all",
        json.dumps(["ada", "grace"]).encode(),
        {"Content-Type": "application/json"},
    )
    assert reply.status == 202
    status = eventually(lambda: _finished(reply.headers["Location"]), what="the orchestration")
    assert status["runtimeStatus"] == "Completed"
    assert status["output"] == ["hello from local settings, ada", "hello from local settings, grace"]


def test_requests_outputs_and_errors_cross_the_process_boundary(
    workers_host: DevHost, storage_connection_string: str, caplog: pytest.LogCaptureFixture
) -> None:
    reply = call("POST", f"{workers_host.base_url}/api/echo?q=1", b"payload", {"x-sample": "yes"})
    assert reply.status == 201
    assert (reply.json()["query"], reply.json()["header"], reply.json()["body"]) == ({"q": "1"}, "yes", "payload")

    assert call("GET", f"{workers_host.base_url}/api/boom").status == 500
    assert "RuntimeError: boom on purpose\n(raised in worker process " in caplog.text

    body = f"forward me {uuid.uuid4()}"
    queue(storage_connection_string, workers_host.env["SAMPLE_TEXT_QUEUE"]).send_message(b64(body))
    eventually(
        lambda: b64(body.upper()) in peek_all(storage_connection_string, "sample-forwarded"),
        what="the output binding's message, set in a worker",
    )


def test_a_timed_out_invocation_restarts_its_worker_process(
    workers_host: DevHost, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    before = set(_pids(workers_host))
    reply = call("GET", f"{workers_host.base_url}/api/hold/{uuid.uuid4().hex}")
    assert reply.status == 500
    assert "Timeout value of 00:00:01 exceeded by function 'Functions.hold'" in caplog.text
    assert "A function timeout has occurred. Restarting worker process executing invocationId '" in caplog.text
    after = eventually(lambda: _replaced(workers_host, before), what="a replacement worker process")
    assert len(after & before) == 1  # only the worker that ran the invocation was replaced
    eventually(lambda: "Restart of language worker process(es) completed." in caplog.messages, what="the restart log")
    assert {call("GET", f"{workers_host.base_url}/api/pid").json()["pid"] for _ in range(2)} == after


def test_a_crashed_worker_process_is_replaced(workers_host: DevHost, caplog: pytest.LogCaptureFixture) -> None:
    before = set(_pids(workers_host))
    victim = min(before)
    statuses = [call("POST", f"{workers_host.base_url}/api/crash/{victim}").status for _ in range(2)]
    # one call reached the other worker (409), the one that reached the victim failed with it
    assert sorted(statuses) == [409, 500]
    assert f"Language Worker Process exited. Pid={victim}." in caplog.text
    after = eventually(lambda: _replaced(workers_host, before), what="a replacement worker process")
    assert victim not in after
    assert after - before and before - after == {victim}
