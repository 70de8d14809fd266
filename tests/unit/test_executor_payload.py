"""The Durable SDK's executors share one payload class, and map each completion event as the SDK's own does
(orchestrators/executor_payload.py)."""

from __future__ import annotations

import collections

from azure.durable_functions.models.TaskOrchestrationExecutor import TaskOrchestrationExecutor

from orchestrators import executor_payload


def test_every_executor_after_the_first_reuses_the_payload_class_with_the_same_values() -> None:
    executor_payload.task_executor.namedtuple = collections.namedtuple  # type: ignore[attr-defined]  # as shipped
    try:
        shipped = [TaskOrchestrationExecutor().event_to_SetTaskValuePayload for _ in range(2)]
        assert type(next(iter(shipped[0].values()))) is not type(next(iter(shipped[1].values())))  # a class each
        executor_payload.install()
        executor_payload.install()  # idempotent
        first, second = (TaskOrchestrationExecutor().event_to_SetTaskValuePayload for _ in range(2))
    finally:
        executor_payload.install()
    assert {type(payload) for payload in [*first.values(), *second.values()]} == {type(next(iter(first.values())))}
    assert first == second == shipped[0]  # the same events, the same (is_success, task_id_key) values
    assert {tuple(p._fields) for p in first.values()} == {("is_success", "task_id_key")}
