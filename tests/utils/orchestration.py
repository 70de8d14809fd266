"""Orchestrator generators driven by hand: the parts of DurableOrchestrationContext the orchestrators use, each
yielded task a marker the test answers (no host, no storage, no replay engine)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@dataclass
class Call:
    name: str
    payload: dict[str, Any]


@dataclass
class Timer:
    at: datetime


@dataclass
class All:
    calls: list[Call]


@dataclass
class Context:
    """What an orchestrator sees of its context; `continued_with` is what it continued as new with, and
    `timers` counts the timers a test fired."""

    input: Any = None
    current_utc_datetime: datetime = NOW
    continued_with: Any = field(default=None, init=False)
    timers: int = 0

    def get_input(self) -> Any:
        return self.input

    def call_activity(self, name: str, payload: dict[str, Any]) -> Call:
        return Call(name, payload)

    def call_activity_with_retry(self, name: str, retry: object, payload: dict[str, Any]) -> Call:
        return Call(name, payload)

    def task_all(self, calls: list[Call]) -> All:
        return All(calls)

    def create_timer(self, at: datetime) -> Timer:
        return Timer(at)

    def continue_as_new(self, value: Any) -> None:
        self.continued_with = value
