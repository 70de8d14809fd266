"""Helpers for the devhost tests: plain HTTP calls, polling for eventual outcomes, queues."""

from __future__ import annotations

import base64
import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError
from azure.storage.queue import QueueClient

SAMPLE_APP = Path(__file__).resolve().parent / "sample_app"
T = TypeVar("T")


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


def call(method: str, url: str, body: bytes | None = None, headers: dict[str, str] | None = None) -> Reply:
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return Reply(response.status, dict(response.headers), response.read())
    except urllib.error.HTTPError as error:
        return Reply(error.code, dict(error.headers), error.read())


def eventually(probe: Callable[[], T | None], *, timeout_s: float = 30.0, what: str = "condition") -> T:
    """Poll until probe returns something truthy; generous deadline, no timing assertions."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def queue(connection_string: str, name: str) -> QueueClient:
    client = QueueClient.from_connection_string(connection_string, name)
    try:
        client.create_queue()
    except ResourceExistsError:
        pass
    return client


def peek_all(connection_string: str, name: str) -> list[str]:
    client = QueueClient.from_connection_string(connection_string, name)
    try:
        return [str(m.content) for m in client.peek_messages(max_messages=32)]
    except ResourceNotFoundError:
        return []


def b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def quiet_env(*functions: str) -> dict[str, str]:
    """Settings that switch the named sample functions off (AzureWebJobs.<name>.Disabled)."""
    return {f"AzureWebJobs.{name}.Disabled": "true" for name in functions}
