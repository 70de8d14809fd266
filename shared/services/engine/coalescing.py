"""One key's work at a time in this process: what arrives while it runs is merged, and runs once after it.

A queue trigger takes up to `batchSize` messages at once, and a burst of hints about one subject (a group's members
added one by one) would each do the same reads side by side. Here the first runs; the hints that arrive meanwhile
wait, merged into one item, and one of their callers runs it when the first is done. So every caller returns only
after a run that began after its call and held its item: what that run read is at least as new as what the caller's
own run would have read. A failed run fails each of its callers, so each message is retried as before.

The state lives on the process's one event loop (the Python worker runs every async function there); another
instance, or another worker process, coalesces its own messages.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
T = TypeVar("T")


class MergedRunFailed(Exception):
    """The run that held this caller's item (with others') failed or was cancelled: the caller's work is not done."""


def _future() -> asyncio.Future[None]:
    return asyncio.get_running_loop().create_future()


@dataclass(eq=False)
class _Batch(Generic[T]):
    """Items that arrived while their key was busy, run together once it is free."""

    item: T
    turn: asyncio.Future[None] = field(default_factory=_future)
    done: asyncio.Future[None] = field(default_factory=_future)
    waiting: int = 0  # callers still waiting for it: when none is left, no one runs it (their messages come again)
    claimed: bool = False

    def __post_init__(self) -> None:
        self.done.add_done_callback(lambda f: f.exception())  # read, even when no other caller waits on it


class Coalescer(Generic[K, T]):
    def __init__(self, merge: Callable[[T, T], T]) -> None:
        self._merge = merge
        self._next: dict[K, _Batch[T] | None] = {}  # a key present is busy; its value is the batch that waits

    async def run(self, key: K, item: T, work: Callable[[T], Awaitable[None]]) -> bool:
        """`work` run on `item`, or on a merge that holds it, begun after this call: True if this caller ran it.

        Raises what the run raised (`MergedRunFailed` for a caller whose item another ran)."""
        batch = self._next.get(key)
        if key not in self._next:  # the key is free: this caller's turn is now
            self._next[key] = None
            batch = _Batch(item)
            batch.turn.set_result(None)
        elif batch is None:
            batch = self._next[key] = _Batch(item)
        else:
            batch.item = self._merge(batch.item, item)
        batch.waiting += 1
        try:
            await asyncio.shield(batch.turn)
        except asyncio.CancelledError:
            batch.waiting -= 1
            if not batch.waiting and batch.turn.done() and not batch.claimed:
                self._pass_on(key)  # its turn came and no one is left to take it: the key moves on
            raise
        if batch.claimed:
            try:
                await asyncio.shield(batch.done)
            except Exception as exc:
                raise MergedRunFailed(f"the run that held this item failed: {exc!r}") from exc
            return False
        batch.claimed = True
        try:
            await work(batch.item)
        except asyncio.CancelledError:
            batch.done.set_exception(MergedRunFailed("the run that held this item was cancelled"))
            raise
        except Exception as exc:
            batch.done.set_exception(exc)
            raise
        else:
            batch.done.set_result(None)
        finally:
            self._pass_on(key)
        return True

    def _pass_on(self, key: K) -> None:
        """The key's run is over: the batch that waits takes its turn, or the key is free."""
        batch = self._next.pop(key)
        if batch is not None and batch.waiting:
            self._next[key] = None
            batch.turn.set_result(None)
