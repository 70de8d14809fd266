"""Throttled VM creates are paced: turns a learned spacing apart, a 429 waited out, and no call to Azure before a
caller's turn; a fake clock drives the pacing."""

from __future__ import annotations

from itertools import pairwise

import pytest

from shared.cloud.azure.arm_clients import INLINE_WAIT_S, held_for
from shared.cloud.azure.arm_vm_turns import (
    FIRST_SPACING,
    NARROW,
    STALE_TURN_S,
    TURN_MARGIN_S,
    WIDEN,
    WRITE_PACE_S,
    WRITE_ROOM_S,
    Turns,
)
from shared.ports.progress import MIN_WAIT_S

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
    assert turns.admit(LINE, "vm1") == 0.0, "late: it goes at once"
    assert turns.admit(LINE, "vm2") == pytest.approx(step), "late too, but the spacing after the one let go before it"
    clock.now += step
    assert turns.admit(LINE, "vm2") == 0.0


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
    assert turns.admit(LINE, "vm1") == 0.0
    clock.now += wider
    assert turns.admit(LINE, "vm0") == 0.0
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
    waits = iter([INLINE_WAIT_S * 0.75, MIN_WAIT_S * 0.9, MIN_WAIT_S * 0.9])  # a last wait shorter than a hand-back's
    assert held_for(lambda: next(waits), clock.sleep) == pytest.approx(MIN_WAIT_S * 0.9), "slept once, then handed"
    assert clock.now == pytest.approx(100.0 + INLINE_WAIT_S * 1.5 + MIN_WAIT_S * 0.9), "back: the call slept enough"
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


def test_a_hold_by_the_write_budget_keeps_the_callers_place_and_teaches_the_spacing_nothing() -> None:
    clock = Clock()
    turns = Turns(clock)
    turns.throttled(LINE, "vm0", 1.0)
    clock.now = 101.0
    assert turns.admit(LINE, "vm0") == 0.0
    assert turns.throttled(LINE, "vm0", 0.5, by_azure=False) == pytest.approx(0.5), "back after the budget's wait"
    # the turns after it come the spacing after its moment: the line neither paused nor wider
    assert turns.admit(LINE, "vm1") == pytest.approx(0.5 + FIRST_SPACING)
    assert turns.admit(LINE, "vm2") == pytest.approx(0.5 + 2 * FIRST_SPACING)
    clock.now += 0.5  # vm0's hold is over
    assert turns.admit(LINE, "vm0") == 0.0, "not sent to the end of the line: it goes"
    clock.now += FIRST_SPACING
    assert turns.admit(LINE, "vm1") == 0.0 and turns.admit(LINE, "vm2") == pytest.approx(FIRST_SPACING)


def test_turns_come_no_closer_than_the_write_budget_carries_new_vms_once_its_room_is_spent() -> None:
    clock = Clock()
    turns = Turns(clock)
    turns.throttled(LINE, "vm0", 0.04)  # Compute would take a create every 10 ms
    waits = [turns.admit(LINE, f"vm{i}") for i in range(1, 60)]
    gaps = [later - earlier for earlier, later in pairwise(waits)]
    assert gaps[0] == pytest.approx(0.04 * FIRST_SPACING), "the budget's room first, at Compute's pace"
    assert gaps[-10:] == pytest.approx([WRITE_PACE_S] * 10), "then as fast as ARM refills a VM's writes"
    at_compute_pace = sum(1 for gap in gaps if gap < WRITE_PACE_S / 2)
    assert at_compute_pace == pytest.approx(WRITE_ROOM_S / WRITE_PACE_S, abs=2)


def test_callers_late_for_their_turns_go_one_by_one_in_the_order_they_came() -> None:
    clock = Clock()
    turns = Turns(clock)
    turns.throttled(LINE, "vm0", 1.0)
    for name in ("vm1", "vm2", "vm3"):
        turns.admit(LINE, name)  # turns a quarter of a second apart, after the Retry-After
    clock.now = 110.0  # all four are late
    assert turns.admit(LINE, "vm0") == 0.0
    step = FIRST_SPACING
    assert turns.admit(LINE, "vm2") == pytest.approx(step), "its own moment, the spacing after vm0's"
    clock.now += step / 2
    assert turns.admit(LINE, "vm1") == pytest.approx(step * 1.5), "came later: the moment after vm2's"
    clock.now += step / 2
    assert turns.admit(LINE, "vm1") > 0.0 and turns.admit(LINE, "vm2") == 0.0, "vm2 is not passed over"
    assert turns.admit(LINE, "vm3") == pytest.approx(step * 2), "and vm3 comes after both"
    clock.now += step
    assert turns.admit(LINE, "vm1") == 0.0


def test_late_callers_filling_the_line_past_a_calls_sleep_send_the_next_late_one_to_the_end() -> None:
    clock = Clock()
    turns = Turns(clock)
    turns.throttled(LINE, "vm0", 1.0)
    names = [f"vm{i}" for i in range(1, 9)]
    given = {name: turns.admit(LINE, name) + clock.now for name in names}  # a quarter of a second apart
    clock.now = given["vm4"]  # vm0 to vm4 come together, at vm4's turn (a busy host)
    waits = [turns.admit(LINE, name) for name in ("vm0", "vm1", "vm2", "vm3", "vm4")]
    step = FIRST_SPACING
    assert waits[:3] == [0.0, pytest.approx(step), pytest.approx(2 * step)], "one by one, within a call's sleep"
    assert min(waits[3:]) > given["vm8"] - clock.now, "the others: new turns after the last one given"
    for name in ("vm5", "vm6", "vm7", "vm8"):  # the callers on time keep their turns, pushed no further than
        clock.now = given[name]  # a call sleeps
        wait = turns.admit(LINE, name)
        assert wait <= INLINE_WAIT_S
        clock.now += wait
        assert turns.admit(LINE, name) == 0.0


def test_callers_the_write_budget_held_alike_come_back_each_at_a_moment_of_its_own() -> None:
    clock = Clock()
    turns = Turns(clock)
    turns.throttled(LINE, "vm0", 1.0)
    clock.now = 101.0
    names = [f"vm{i}" for i in range(5)]
    for name in names:  # each let go at its turn
        while (wait := turns.admit(LINE, name)) > 0:
            clock.now += wait
    # then all held back by the write budget for the same wait: each is given a moment of its own at once, so none
    # comes back with the others only to be pushed apart, past a call's sleep, and handed back once more
    moments = {name: clock.now + turns.throttled(LINE, name, 3.0, by_azure=False) for name in names}
    given = sorted(moments.values())
    assert given[0] == pytest.approx(clock.now + 3.0), "the first after the budget's wait"
    gaps = [later - earlier for earlier, later in pairwise(given)]
    assert min(gaps) >= FIRST_SPACING - 1e-9, "no two share a moment"
    assert turns.admit(LINE, "vm5") > given[-1] - clock.now, "a caller after them comes after them"
    for name in sorted(names, key=moments.__getitem__):
        clock.now = moments[name]
        assert turns.admit(LINE, name) == 0.0, "back at its moment, it goes"
