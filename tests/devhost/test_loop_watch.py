"""The loop watch names the code that holds the host's event loop, once per block."""

from __future__ import annotations

import asyncio
import logging
import threading

import pytest

from devhost.loop_watch import LoopWatch


def a_sync_call_in_an_async_function(release: threading.Event) -> None:
    release.wait(timeout=60)


def test_a_blocked_loop_is_reported_once_with_the_stack_that_holds_it(caplog: pytest.LogCaptureFixture) -> None:
    release, reported = threading.Event(), threading.Event()

    class Noticed(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if "has not answered" in record.getMessage():
                reported.set()

    noticed = Noticed()
    logging.getLogger("devhost.loop_watch").addHandler(noticed)

    async def main() -> int:
        watch = LoopWatch(asyncio.get_running_loop(), interval_s=0.01, blocked_s=0.05).start()
        try:
            # the loop is held until the watch has reported it: the test waits on the report, not on a clock
            threading.Thread(target=lambda: release.set() if reported.wait(timeout=60) else None).start()
            a_sync_call_in_an_async_function(release)
            await asyncio.sleep(0.1)  # free again: no second report for the same block
            return watch.reports
        finally:
            watch.stop()

    try:
        with caplog.at_level(logging.WARNING, logger="devhost.loop_watch"):
            reports = asyncio.run(main())
    finally:
        logging.getLogger("devhost.loop_watch").removeHandler(noticed)
    assert reports == 1
    blocked = next(r.getMessage() for r in caplog.records if "has not answered" in r.getMessage())
    assert "a_sync_call_in_an_async_function" in blocked
    assert any("free again" in r.getMessage() for r in caplog.records)
