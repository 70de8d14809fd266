"""The coalescer: one run a key at a time, what arrives meanwhile run once merged, and every caller answered by a run
that began after its call and held its item."""

from __future__ import annotations

import asyncio
import random
import threading
from typing import Any, cast

import azure.durable_functions as df
import azure.functions as func
import pytest

import triggers.directory_events as directory_events_trigger
from shared.events import DirectoryEvent
from shared.models.cloud_pc_work import ReconcileOutcome
from shared.services.engine.coalescing import Coalescer, MergedRunFailed
from shared.settings import Settings


class Work:
    """Callers of one coalescer, and runs that hold until the test lets them end: what each ran on, in order."""

    def __init__(self, fail_on: str | None = None) -> None:
        self.coalescer: Coalescer[str, frozenset[str]] = Coalescer(merge)
        self.runs: list[frozenset[str]] = []
        self.runners: list[asyncio.Task[Any] | None] = []
        self.release: dict[int, asyncio.Event] = {}
        self.fail_on = fail_on

    async def __call__(self, item: frozenset[str]) -> None:
        number = len(self.runs)
        self.runs.append(item)
        self.runners.append(asyncio.current_task())
        self.release[number] = asyncio.Event()
        await self.release[number].wait()
        if self.fail_on in item:
            raise RuntimeError(f"no luck with {self.fail_on}")

    async def call(self, items: str, key: str = "t") -> list[asyncio.Task[bool]]:
        """A caller for each item, each having taken its steps."""
        tasks = [asyncio.create_task(self.coalescer.run(key, frozenset(item), self)) for item in items]
        await settle()
        return tasks

    async def end(self, number: int) -> None:
        self.release[number].set()
        await settle()


def merge(a: frozenset[str], b: frozenset[str]) -> frozenset[str]:
    return a | b


async def settle() -> None:
    for _ in range(20):  # every ready task takes its steps
        await asyncio.sleep(0)


def test_what_arrives_while_a_key_runs_is_run_once_merged_after_it() -> None:
    async def test() -> None:
        work = Work()
        (first,) = await work.call("a")
        waiting = await work.call("bcd")
        assert work.runs == [frozenset("a")]  # nothing beside the run under way
        await work.end(0)
        assert first.done() and first.result() is True
        assert work.runs == [frozenset("a"), frozenset("bcd")] and not any(t.done() for t in waiting)
        (later,) = await work.call("e")
        await work.end(1)
        assert sorted(t.result() for t in waiting) == [False, False, True]  # one of them ran it for all three
        assert work.runs[2] == frozenset("e") and not later.done()  # it came during the merged run: a run of its own
        await work.end(2)
        assert await later is True

    asyncio.run(test())


def test_keys_run_side_by_side() -> None:
    async def test() -> None:
        work = Work()
        tasks = [*await work.call("x", key="x"), *await work.call("y", key="y")]
        assert work.runs == [frozenset("x"), frozenset("y")]
        await work.end(0)
        await work.end(1)
        assert await asyncio.gather(*tasks) == [True, True]

    asyncio.run(test())


def test_a_failed_merged_run_fails_each_of_its_callers_and_frees_the_key() -> None:
    async def test() -> None:
        work = Work(fail_on="c")
        (first,) = await work.call("a")
        waiting = await work.call("bc")
        await work.end(0)
        await work.end(1)
        results = await asyncio.gather(*waiting, return_exceptions=True)
        assert await first is True
        assert sorted(type(r).__name__ for r in results) == ["MergedRunFailed", "RuntimeError"]
        failed = next(r for r in results if isinstance(r, MergedRunFailed))
        assert "no luck with c" in str(failed)
        (again,) = await work.call("b")
        assert work.runs[-1] == frozenset("b")  # at once: nothing holds the key
        await work.end(2)
        assert await again is True

    asyncio.run(test())


def test_callers_that_leave_before_their_turn_leave_nothing_to_run() -> None:
    async def test() -> None:
        work = Work()
        (first,) = await work.call("a")
        for task in await work.call("bc"):
            task.cancel()
        await work.end(0)
        assert await first is True
        assert work.runs == [frozenset("a")]  # their messages come again; no one is left to wait for a run
        (again,) = await work.call("d")
        await work.end(1)
        assert await again is True

    asyncio.run(test())


def test_a_cancelled_run_fails_the_callers_it_held() -> None:
    async def test() -> None:
        work = Work()
        (first,) = await work.call("a")
        waiting = await work.call("bc")
        await work.end(0)
        assert work.runs[-1] == frozenset("bc") and work.runners[-1] in waiting
        work.runners[-1].cancel()
        results = await asyncio.gather(*waiting, return_exceptions=True)
        assert await first is True
        assert sorted(type(r).__name__ for r in results) == ["CancelledError", "MergedRunFailed"]

    asyncio.run(test())


@pytest.mark.parametrize("seed", range(150))
def test_every_caller_is_answered_by_a_run_that_began_after_it_and_held_its_item(seed: int) -> None:
    """Random arrivals, run lengths, failures and cancellations (a seed makes each case the same every time)."""
    rng = random.Random(seed)

    async def test() -> None:
        coalescer: Coalescer[str, frozenset[str]] = Coalescer(merge)
        clock = 0
        runs: list[tuple[str, frozenset[str], int, int]] = []  # key, item, began, ended
        busy: set[str] = set()

        async def work_of(key: str, item: frozenset[str]) -> None:
            nonlocal clock
            assert key not in busy, "two runs of one key at once"
            busy.add(key)
            clock += 1
            began = clock
            try:
                for _ in range(rng.randrange(4)):
                    await asyncio.sleep(0)
                if rng.random() < 0.15:
                    raise RuntimeError("no luck")
            finally:
                busy.discard(key)
                clock += 1
                runs.append((key, item, began, clock))

        async def caller(name: str, key: str) -> tuple[int, bool]:
            nonlocal clock
            clock += 1
            called = clock
            ran = await coalescer.run(key, frozenset([name]), lambda item: work_of(key, item))
            return called, ran

        tasks: dict[str, tuple[str, asyncio.Task[tuple[int, bool]]]] = {}
        for number in range(40):
            key = rng.choice("xy")
            tasks[f"m{number}"] = key, asyncio.create_task(caller(f"m{number}", key))
            for _ in range(rng.randrange(3)):
                await asyncio.sleep(0)
            if rng.random() < 0.1:
                rng.choice(list(tasks.values()))[1].cancel()
        await asyncio.wait([task for _, task in tasks.values()])
        for name, (key, task) in tasks.items():
            if task.cancelled() or task.exception() is not None:
                continue  # its message comes again
            called, _ = task.result()
            assert any(k == key and name in item and began > called for k, item, began, _ in runs), name
        assert not busy and not coalescer._next  # every key is free

    asyncio.run(test())


def test_directory_hints_merge_to_what_both_say() -> None:
    groups = DirectoryEvent(tenant_id="t", group_ids=["g1", "g2"], traceparent=None)
    more = DirectoryEvent(tenant_id="t", group_ids=["g2", "g3"])
    assert groups.merged(more).group_ids == ["g1", "g2", "g3"]
    users = DirectoryEvent(tenant_id="t", user_ids=["u1"]).merged(DirectoryEvent(tenant_id="t", user_ids=["u2", "u1"]))
    assert (users.user_ids, users.reads_groups) == (["u1", "u2"], False)
    full = groups.merged(DirectoryEvent(tenant_id="t", full=True))
    assert (full.full, full.group_ids, full.reads_groups) == (True, [], True)


def test_the_directory_trigger_runs_a_tenants_hints_of_one_kind_merged_and_keeps_the_kinds_apart(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The queue trigger's use of it: users' hints that arrive while the tenant's users' reconcile runs are acted on
    once, merged, after it; a group hint meanwhile is not held by it."""
    entered, release = threading.Event(), threading.Event()
    seen: list[DirectoryEvent] = []

    def directory_changed(ports: Any, event: DirectoryEvent) -> ReconcileOutcome:
        # a host that an earlier tier's test left in this worker's process may still take its own tenants' hints
        # through the module this replaces: only this test's tenant counts
        if event.tenant_id == "t1":
            seen.append(event)
        if event.user_ids == ["u1"]:
            entered.set()
            assert release.wait(timeout=60), "the test never let the first reconcile end"
        return ReconcileOutcome(tenant_id=event.tenant_id)

    monkeypatch.setattr(directory_events_trigger, "directory_changed", directory_changed)
    monkeypatch.setattr(directory_events_trigger.spot_group_access, "directory_changed", lambda ports, event: 0)
    bp = directory_events_trigger.blueprint(Settings(), *(cast(Any, None),) * 4)
    app = df.DFApp()
    app.register_functions(bp)
    [wrapped] = [f.get_user_function() for f in app.get_functions() if f.get_function_name() == "directoryEvents"]
    handler = getattr(wrapped, "__wrapped__", wrapped)  # without the Durable client's binding, which it never uses here

    def deliver(**hint: Any) -> asyncio.Task[None]:
        body = DirectoryEvent(tenant_id="t1", **hint).model_dump_json(by_alias=True).encode()
        return asyncio.create_task(handler(message=func.QueueMessage(body=body), client=None, context=None))

    async def test() -> None:
        first = deliver(user_ids=["u1"])
        assert await asyncio.to_thread(entered.wait, 60)
        later = [deliver(user_ids=["u2"]), deliver(user_ids=["u3", "u2"])]
        await settle()
        await deliver(group_ids=["g1"])  # another kind: at once, beside the users' reconcile
        assert not first.done() and not any(t.done() for t in later)
        release.set()
        await asyncio.gather(first, *later)

    asyncio.run(test())
    assert [(e.user_ids, e.group_ids) for e in seen] == [(["u1"], []), ([], ["g1"]), (["u2", "u3"], [])]
