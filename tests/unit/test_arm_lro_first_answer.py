"""`arm_lro.start` reads a `begin_*` call's first answer as it came: the SDK's deserialization callback, which makes a
model of the whole resource, is never run (shared/cloud/azure/arm_lro.py)."""

from __future__ import annotations

import json
from typing import Any

from azure.core.polling import LROPoller, PollingMethod

from shared.cloud.azure import arm_lro


class _Answer:
    """What an SDK's first answer is to `start`: a pipeline response holding the HTTP response."""

    def __init__(self, status: int, body: str, headers: dict[str, str]) -> None:
        self.http_response = self
        self.status_code, self.headers, self._body = status, headers, body

    def text(self) -> str:
        return self._body

    def json(self) -> Any:
        return json.loads(self._body)


def _begin(answer: _Answer) -> Any:
    def never(_: Any) -> Any:
        raise AssertionError("the SDK's model of the resource was made")

    def begin(*, polling: PollingMethod[Any]) -> LROPoller[Any]:  # as an SDK's begin_* builds its poller
        return LROPoller(None, answer, never, polling)

    return begin


def test_a_started_operation_is_read_from_its_first_answer_without_the_sdks_model() -> None:
    running = _Answer(
        201,
        '{"properties": {"provisioningState": "Creating"}}',
        {"Azure-AsyncOperation": "https://arm/op", "Retry-After": "7"},
    )
    assert arm_lro.start(_begin(running), "createVm") == arm_lro.Later(7.0, "https://arm/op")
    done = _Answer(200, '{"id": "/x", "properties": {"provisioningState": "Succeeded"}}', {})
    assert arm_lro.start(_begin(done), "createVm") == arm_lro.Done(
        {"id": "/x", "properties": {"provisioningState": "Succeeded"}}
    )
