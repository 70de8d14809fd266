"""Throttled VM creates are paced: one turn per Retry-After, and no call to Azure before a caller's turn."""

from __future__ import annotations

import pytest

from shared.cloud.azure.arm_compute import TURN_MARGIN_S, Turns

LINE = "sub/westeurope"


def test_without_a_line_every_caller_goes_ahead() -> None:
    turns = Turns(lambda: 100.0)
    assert [turns.admit(LINE, f"vm{i}") for i in range(3)] == [0.0, 0.0, 0.0]


def test_throttled_callers_get_turns_one_retry_after_apart_and_newcomers_queue_behind_them() -> None:
    now = [100.0]
    turns = Turns(lambda: now[0])
    step = 1.0 + TURN_MARGIN_S
    assert [turns.throttled(LINE, f"vm{i}", 1.0) for i in range(3)] == pytest.approx([1.0, 1.0 + step, 1.0 + 2 * step])
    assert turns.admit(LINE, "vm9") == pytest.approx(1.0 + 3 * step), "a newcomer waits behind the line, not calling"
    assert turns.admit("sub/northeurope", "vm8") == 0.0, "another region has its own limit"
    now[0] = 101.0
    assert turns.admit(LINE, "vm0") == 0.0, "its turn has come"
    assert turns.admit(LINE, "vm1") == pytest.approx(step)


def test_a_caller_refused_at_its_turn_goes_to_the_end_of_the_line() -> None:
    now = [100.0]
    turns = Turns(lambda: now[0])
    turns.throttled(LINE, "vm0", 1.0)
    turns.throttled(LINE, "vm1", 1.0)
    now[0] = 101.0
    assert turns.admit(LINE, "vm0") == 0.0
    assert turns.throttled(LINE, "vm0", 1.0) == pytest.approx(2 * (1.0 + TURN_MARGIN_S)), "behind vm1"


def test_once_the_line_has_passed_callers_go_ahead_again() -> None:
    now = [100.0]
    turns = Turns(lambda: now[0])
    turns.throttled(LINE, "vm0", 1.0)
    now[0] = 200.0
    assert turns.admit(LINE, "vm5") == 0.0
