"""The engine's concurrency slots, shared in turn by the parties (tenants) its work is for, not first come first served.

One tenant's burst (a thousand Cloud PCs assigned at once) queues thousands of episodes and activities; taken in
the order they came, another tenant's few would wait behind all of them. A freed slot goes instead to the party
that has waited longest since it was last served (round robin among the parties with work waiting), and within a
party in the order its work came. A party is what `party_of` reads from an instance id: the first GUID in it, which
every instance id of the app carries as its tenant (orchestrators/names.py), else the whole id.
"""

from __future__ import annotations

import asyncio
import re
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def party_of(instance_id: str) -> str:
    found = GUID.search(instance_id)
    return found.group(0).lower() if found else instance_id


class FairSlots:
    """At most `limit` holders at once; waiters served round robin by party, in order within one."""

    def __init__(self, limit: int) -> None:
        self._free = limit
        self._waiting: dict[str, deque[asyncio.Future[None]]] = {}  # in the order the parties are to be served

    @asynccontextmanager
    async def slot(self, party: str) -> AsyncIterator[None]:
        if self._free > 0 and not self._waiting:
            self._free -= 1
        else:
            turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._waiting.setdefault(party, deque()).append(turn)
            try:
                await turn
            except asyncio.CancelledError:
                if turn.done() and not turn.cancelled():
                    self._release()  # handed the slot as it was cancelled: pass it on
                else:
                    self._forget(party, turn)
                raise
        try:
            yield
        finally:
            self._release()

    def _release(self) -> None:
        while self._waiting:
            party = next(iter(self._waiting))
            queue = self._waiting.pop(party)
            turn = queue.popleft()
            if queue:
                self._waiting[party] = queue  # the party goes to the back of the round
            if not turn.done():
                turn.set_result(None)
                return
        self._free += 1

    def _forget(self, party: str, turn: asyncio.Future[None]) -> None:
        queue = self._waiting.get(party)
        if queue is not None and turn in queue:
            queue.remove(turn)
            if not queue:
                del self._waiting[party]
