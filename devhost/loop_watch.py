"""A watch on the host's event loop: when a callback holds it (a sync call inside an async function), say where.

Every trigger, the Durable engine and every async function share the one loop, as in the Functions host's Python
worker, so one blocking call inside an async function stalls them all. The watch asks the loop to answer every
`interval_s`; a loop that has not answered within `blocked_s` is reported once, with the stack of the code that
holds it, and again only when it is free and later blocked anew.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
import time
import traceback

log = logging.getLogger(__name__)


class LoopWatch:
    def __init__(self, loop: asyncio.AbstractEventLoop, *, interval_s: float = 0.5, blocked_s: float = 5.0) -> None:
        self._loop = loop
        self._interval_s = interval_s
        self._blocked_s = blocked_s
        self._loop_thread = threading.get_ident()  # made on the loop's own thread
        self._answered = threading.Event()
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="devhost-loop-watch", daemon=True)
        self.reports = 0  # how many blocks were reported (tests)

    def start(self) -> LoopWatch:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join(timeout=5)

    def _watch(self) -> None:
        while not self._stopped.wait(self._interval_s):
            self._answered.clear()
            asked = time.monotonic()
            try:
                self._loop.call_soon_threadsafe(self._answered.set)
            except RuntimeError:  # the loop is closed
                return
            if self._answered.wait(self._blocked_s) or self._stopped.is_set():
                continue
            self._report(time.monotonic() - asked)
            while not self._answered.wait(self._interval_s):
                if self._stopped.is_set():
                    return
            log.warning("The host's event loop is free again after %.1f s", time.monotonic() - asked)

    def _report(self, waited_s: float) -> None:
        self.reports += 1
        frame = sys._current_frames().get(self._loop_thread)
        stack = "".join(traceback.format_stack(frame)) if frame is not None else "(its thread has ended)\n"
        log.warning(
            "The host's event loop has not answered for %.1f s: a sync call in an async function holds every "
            "trigger and the Durable engine. It is here:\n%s",
            waited_s,
            stack,
        )
