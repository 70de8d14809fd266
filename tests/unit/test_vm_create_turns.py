"""Throttled VM creates are paced: turns a learned spacing apart, a 429 waited out, and no call to Azure before a
caller's turn; a fake clock drives the pacing."""

from __future__ import annotations

import pytest

from shared.cloud.azure.arm_clients import INLINE_WAIT_S, held_for
from shared.cloud.azure.arm_compute import FIRST_SPACING, NARROW, STALE_TURN_S, TURN_MARGIN_S, WIDEN, Turns

LINE = "sub/westeurope"


class Clock:
    def __init__(self, now: float = 100.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_without_a_line_every_caller_goes_ahead() -> None:
    turns = Turns(Clock())
    assert [turns.admit(LINE, f"vm{i}") for i in range(3)] == [0.0, 0.0, 0.0]


def test_throttled_callers_wait_out_the_retry_after_then_take_turns_a_fraction_of_it_apart() -> None:
    clock = Clock()
    turns = Turns(clock)
    step = 1.0 * FIRST_SPACING  # Retry-After comes in whole seconds: the bucket may refill faster
    assert [turns.throttled(LINE, f"vm{i}", 1.0) for i in range(3)] == pytest.approx([1.0, 1.0 + step, 1.0 + 2 * step])
    assert turns.admit(LINE, "vm9") == pytest.approx(1.0 + 3 * step), "a newcomer waits behind the line, not calling"
    assert turns.admit("sub/northeurope", "vm8") == 0.0, "another region has its own limit"
    clock.now = 100.5
    assert turns.admit(LINE, "vm0") == pytest.approx(0.5), "the 429's Retry-After is waited out, never cut short"
    clock.now = 101.0
    assert turns.admit(LINE, "vm0") == 0.0, "its turn has come"
    assert turns.admit(LINE, "vm1") == pytest.approx(step), "each its own turn"
    clock.now = 101.0 + 5 * step
    assert turns.admit(LINE, "vm1") == 0.0 and turns.admit(LINE, "vm2") == 0.0, "late: they go at once"


def test_the_spacing_widens_at_a_refusal_at_a_turn_and_narrows_with_each_create_let_through() -> None:
    clock = Clock()
    turns = Turns(clock)
    first = 2.0 * FIRST_SPACING
    turns.throttled(LINE, "vm0", 2.0)
    turns.throttled(LINE, "vm1", 2.0)
    clock.now = 102.0
    assert turns.admit(LINE, "vm0") == 0.0
    wider = first * WIDEN
    assert turns.throttled(LINE, "vm0", 1.0) == pytest.approx(0.5 + wider), "a new turn at the end of the line"
    clock.now += 0.5 + wider
    assert turns.admit(LINE, "vm1") == 0.0 and turns.admit(LINE, "vm0") == 0.0
    turns.done(LINE, "vm1")  # both through at their turns
    turns.done(LINE, "vm0")
    assert turns.admit(LINE, "vm2") == pytest.approx(wider * NARROW * NARROW)


def test_the_spacing_never_widens_past_the_retry_after() -> None:
    clock = Clock()
    turns = Turns(clock)
    turns.throttled(LINE, "vm0", 1.0)
    for _ in range(10):
        clock.now += 100.0
        assert turns.admit(LINE, "vm0") == 0.0
        turns.throttled(LINE, "vm0", 1.0)
    clock.now += 100.0
    assert turns.admit(LINE, "vm1") == 0.0
    assert turns.admit(LINE, "vm2") == pytest.approx(1.0 + TURN_MARGIN_S)


def test_a_line_no_one_came_to_for_a_while_is_forgotten() -> None:
    clock = Clock()
    turns = Turns(clock)
    turns.throttled(LINE, "vm0", 1.0)
    clock.now += STALE_TURN_S + 1
    assert turns.admit(LINE, "vm5") == 0.0 and turns.admit(LINE, "vm6") == 0.0


def test_a_short_wait_is_slept_in_the_call_and_a_longer_one_handed_back() -> None:
    clock = Clock()
    waits = iter([INLINE_WAIT_S / 2, INLINE_WAIT_S / 4, 0.0])
    assert held_for(lambda: next(waits), clock.sleep) == 0.0
    assert clock.now == pytest.approx(100.0 + INLINE_WAIT_S * 0.75)
    assert held_for(lambda: 5.0, clock.sleep) == 5.0 and clock.now == pytest.approx(100.0 + INLINE_WAIT_S * 0.75)
    turns = Turns(clock)
    turns.throttled(LINE, "vm0", 1.0)
    turns.throttled(LINE, "vm1", 1.0)
    clock.now += 1.0 - INLINE_WAIT_S / 2  # vm0 comes back a little early: it waits in the call for its turn
    assert held_for(lambda: turns.admit(LINE, "vm0"), clock.sleep) == 0.0


def test_refusals_of_callers_let_go_before_the_last_widening_widen_no_further() -> None:
    clock = Clock()
    turns = Turns(clock)
    first = 1.0 * FIRST_SPACING
    turns.throttled(LINE, "vm0", 1.0)
    turns.throttled(LINE, "vm1", 1.0)
    clock.now = 101.0
    assert turns.admit(LINE, "vm0") == 0.0
    clock.now += first
    assert turns.admit(LINE, "vm1") == 0.0  # both let go at the spacing of the time
    turns.throttled(LINE, "vm0", 1.0)
    turns.throttled(LINE, "vm1", 1.0)  # refused too, but let go before the spacing widened
    clock.now += 10.0
    assert turns.admit(LINE, "vm2") == 0.0
    assert turns.admit(LINE, "vm3") == pytest.approx(first * WIDEN)


def test_a_refusal_by_the_write_budget_waits_its_turn_but_teaches_the_spacing_nothing() -> None:
    clock = Clock()
    turns = Turns(clock)
    turns.throttled(LINE, "vm0", 1.0)
    clock.now = 101.0
    assert turns.admit(LINE, "vm0") == 0.0
    assert turns.throttled(LINE, "vm0", 0.5, by_azure=False) == pytest.approx(0.5), "after the budget's wait"
    assert turns.admit(LINE, "vm1") == pytest.approx(0.5 + FIRST_SPACING), "the spacing as it was"
