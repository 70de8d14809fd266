"""Durable Functions through DevHost: an HTTP function with a durable client starts an orchestration."""

from __future__ import annotations

import json
from typing import Any

from devhost.host import DevHost
from tests.devhost.support import call, eventually


def _finished(url: str) -> dict[str, Any] | None:
    reply = call("GET", url)
    status: dict[str, Any] = reply.json()
    return status if status["runtimeStatus"] in ("Completed", "Failed", "Terminated") else None


def test_http_started_orchestration_runs_to_completion(sample_host: DevHost) -> None:
    reply = call(
        "POST",
        f"{sample_host.base_url}/api/start/greet_all",
        json.dumps(["ada", "grace"]).encode(),
        {"Content-Type": "application/json"},
    )
    assert reply.status == 202
    payload = reply.json()
    location = reply.headers["Location"]
    assert location == payload["statusQueryGetUri"]
    assert location.startswith(f"{sample_host.base_url}/runtime/webhooks/durabletask/instances/")

    status = eventually(lambda: _finished(location), what="orchestration to finish")
    assert status["runtimeStatus"] == "Completed"
    # the activity reads SAMPLE_GREETING, which only local.settings.sample.json defines
    assert status["output"] == ["hello from local settings, ada", "hello from local settings, grace"]
    assert status["instanceId"] == payload["id"]


def test_unknown_orchestrator_fails_the_client_function(sample_host: DevHost) -> None:
    reply = call("POST", f"{sample_host.base_url}/api/start/no_such_orchestrator", b"")
    assert reply.status == 500


def test_registered_blueprint_orchestration_runs_through_the_host(sample_host: DevHost) -> None:
    assert any(f.name == "ds_sequence" for f in sample_host.functions), "the sample blueprint is not registered"
    reply = call(
        "POST", f"{sample_host.base_url}/api/start/ds_sequence", b'"first"', {"Content-Type": "application/json"}
    )
    assert reply.status == 202
    status = eventually(lambda: _finished(reply.headers["Location"]), what="the blueprint orchestration")
    assert status["runtimeStatus"] == "Completed"
    assert status["output"] == ["first", 42]
