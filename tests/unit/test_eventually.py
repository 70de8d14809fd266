"""The tests' patient assertion: it asks often at first and then less; a test that catches a moment keeps its pace."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.utils import api_client
from tests.utils.api_client import FIRST_INTERVAL_S, MAX_INTERVAL_S, eventually


class Clock:
    """time.monotonic and time.sleep of api_client, moved by the pauses alone."""

    def __init__(self) -> None:
        self.now = 0.0
        self.pauses: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.pauses.append(seconds)
        self.now += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(api_client.time, "monotonic", fake.monotonic)
    monkeypatch.setattr(api_client.time, "sleep", fake.sleep)
    return fake


def ready_after(calls: int) -> Callable[[], str]:
    made: list[int] = []

    def check() -> str:
        made.append(1)
        if len(made) <= calls:
            raise AssertionError("not yet")  # the same failure each time: the state does not move
        return "ready"

    return check


def test_the_asks_slow_down_to_twice_a_second(clock: Clock) -> None:
    assert eventually(ready_after(12)) == "ready"
    assert clock.pauses[0] == FIRST_INTERVAL_S
    assert all(later >= earlier for earlier, later in zip(clock.pauses, clock.pauses[1:], strict=False))
    assert clock.pauses[-1] == MAX_INTERVAL_S and max(clock.pauses) == MAX_INTERVAL_S
    assert len(clock.pauses) == 12


def test_a_given_interval_is_kept(clock: Clock) -> None:
    assert eventually(ready_after(5), interval_s=0.02) == "ready"
    assert clock.pauses == [0.02] * 5


def test_a_check_that_stops_moving_fails_after_the_bound(clock: Clock) -> None:
    with pytest.raises(AssertionError, match="not yet"):
        eventually(ready_after(10_000), timeout_s=3.0)
    assert 3.0 < clock.now <= 3.0 + MAX_INTERVAL_S
