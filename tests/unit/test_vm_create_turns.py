"""Throttled VM creates come back one at a time, not all at once."""

from __future__ import annotations

from shared.cloud.azure.arm_compute import Turns


def test_callers_told_to_retry_in_a_second_get_turns_a_second_apart() -> None:
    now = [100.0]
    turns = Turns(lambda: now[0])
    assert [turns.wait("sub/westeurope", 1.0) for _ in range(4)] == [1.0, 2.0, 3.0, 4.0]
    assert turns.wait("sub/northeurope", 1.0) == 1.0, "another region has its own limit"


def test_once_the_queue_has_passed_a_caller_waits_only_what_azure_says() -> None:
    now = [100.0]
    turns = Turns(lambda: now[0])
    turns.wait("sub/westeurope", 1.0)
    turns.wait("sub/westeurope", 1.0)
    now[0] = 200.0
    assert turns.wait("SUB/westeurope", 3.0) == 3.0
