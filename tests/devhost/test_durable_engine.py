"""Durable engine behaviour through the real SDK: episodes, retries, sub-orchestrations, events."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable, Coroutine
from typing import Any, cast

import pytest

from devhost.durable import DurableEngine, OrchestrationAlreadyExistsError
from devhost.durable import history as h
from devhost.durable.episode import MAX_EXECUTIONS_PER_EPISODE
from tests.devhost import durable_sample as sample


def run(test: Callable[[DurableEngine], Coroutine[Any, Any, None]], **options: Any) -> None:
    async def main() -> None:
        engine = sample.make_engine(**options)
        await engine.start()
        try:
            await test(engine)
        finally:
            await engine.stop()

    asyncio.run(main())


async def until(predicate: Callable[[], bool]) -> None:
    for _ in range(2000):
        if predicate():
            return
        await asyncio.sleep(0.005)
    raise AssertionError("condition not reached in 10 s")


def events(engine: DurableEngine, instance_id: str) -> list[dict[str, Any]]:
    return engine.instances[instance_id].history


def types(engine: DurableEngine, instance_id: str) -> list[int]:
    return [e["EventType"] for e in events(engine, instance_id)]


def scheduled(engine: DurableEngine, instance_id: str, kind: int) -> int:
    return sum(1 for t in types(engine, instance_id) if t == kind)


async def complete(engine: DurableEngine, name: str, value: Any, instance_id: str | None = None) -> dict[str, Any]:
    started = await engine.start_new(name, instance_id, value)
    return await engine.wait_for_completion(started, 20)


def test_episodes_are_written_like_the_extension() -> None:
    seen: list[str] = []

    async def body(engine: DurableEngine) -> None:
        # the sample's handles are the SDK's own, which are sync
        handle = cast(Callable[[str], str], engine.orchestrators["ds_sequence"])

        def recording(context: str) -> str:
            seen.append(context)
            return handle(context)

        engine.orchestrators["ds_sequence"] = recording
        status = await complete(engine, "ds_sequence", "hi", "seq-1")
        assert status["runtimeStatus"] == "Completed"
        assert status["output"] == ["hi", 42]
        assert status["customStatus"] == {"step": 1, "replaying": True}
        s, e, ts, tc, c, oc = (
            h.ORCHESTRATOR_STARTED,
            h.EXECUTION_STARTED,
            h.TASK_SCHEDULED,
            h.TASK_COMPLETED,
            h.ORCHESTRATOR_COMPLETED,
            h.EXECUTION_COMPLETED,
        )
        assert types(engine, "seq-1") == [s, e, ts, c, s, tc, ts, c, s, tc, c, oc]
        assert [x["EventId"] for x in events(engine, "seq-1") if x["EventType"] == ts] == [0, 1]

    run(body)
    assert len(seen) == 3
    last = json.loads(seen[-1])["history"]
    # earlier episodes are played; the current one (OrchestratorStarted + completion) is new
    assert [x["IsPlayed"] for x in last] == [True] * 8 + [False, False]
    assert json.loads(seen[0])["input"] == '"hi"'
    # the execution's Input is the JSON text of the context's input; every stamp is UTC to the microsecond
    started = next(x for x in last if x["EventType"] == h.EXECUTION_STARTED)
    assert json.loads(started["Input"]) == json.loads(seen[0])["input"]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", x["Timestamp"]) for x in last)


def test_ready_completions_are_batched_into_one_episode() -> None:
    names = ["batch-a", "batch-b", "batch-c"]

    async def body(engine: DurableEngine) -> None:
        iid = await engine.start_new("ds_gated_fanout", "batch", names)
        await until(lambda: scheduled(engine, "batch", h.TASK_SCHEDULED) == 3)
        await engine.suspend(iid)
        for name in names:
            sample.gate(name).set()
        await until(lambda: len(engine.instances[iid].inbox) == 3)
        assert (await engine.get_status(iid) or {})["runtimeStatus"] == "Suspended"
        await engine.resume(iid)
        status = await engine.wait_for_completion(iid, 10)
        assert status["output"] == names
        assert engine.stats.episodes == 2
        kinds = types(engine, iid)
        second = kinds.index(h.ORCHESTRATOR_STARTED, 1)
        assert kinds[second + 1 : second + 4] == [h.TASK_COMPLETED] * 3

    run(body)


def test_fan_out_of_500_with_retries_completes() -> None:
    async def body(engine: DurableEngine) -> None:
        spec = {"n": 500, "fail_every": 7, "attempts": 3, "interval_ms": 10, "run": "fan500"}
        status = await complete(engine, "ds_fanout_retry", spec, "fan500")
        assert status["runtimeStatus"] == "Completed"
        assert status["output"] == sum(range(500))
        failing = len(range(0, 500, 7))
        assert scheduled(engine, "fan500", h.TASK_FAILED) == failing
        assert scheduled(engine, "fan500", h.TIMER_CREATED) == failing
        assert scheduled(engine, "fan500", h.TASK_SCHEDULED) == 500 + failing

    run(body, max_concurrent_activities=8)


def test_exhausted_retry_waits_for_the_final_timer_then_fails_the_task() -> None:
    async def body(engine: DurableEngine) -> None:
        status = await complete(engine, "ds_retry_exhausted", None, "exhaust")
        assert status["output"].startswith("gave up: Activity function 'ds_always_fail' failed")
        assert scheduled(engine, "exhaust", h.TASK_FAILED) == 2
        # one timer between the attempts and one after the last failed attempt
        assert scheduled(engine, "exhaust", h.TIMER_CREATED) == 2
        assert scheduled(engine, "exhaust", h.TIMER_FIRED) == 2

    run(body)


def test_sub_orchestrations_with_ids_and_retry() -> None:
    async def body(engine: DurableEngine) -> None:
        status = await complete(engine, "ds_parent", "p1", "p1")
        plain, named, retried = status["output"]
        execution = engine.instances["p1"].execution_id
        assert plain == {"doubled": 2, "me": f"{execution}:0", "parent": "p1"}
        assert named == {"doubled": 4, "me": "p1-named", "parent": "p1"}
        assert retried == {"doubled": 6, "me": "p1-retried", "parent": "p1"}
        assert scheduled(engine, "p1", h.SUB_ORCHESTRATION_FAILED) == 1
        assert scheduled(engine, "p1", h.SUB_ORCHESTRATION_COMPLETED) == 3
        child = await engine.get_status("p1-retried")
        assert child is not None and child["runtimeStatus"] == "Completed"

    run(body)


def test_durable_timer_fires_and_advances_orchestration_time() -> None:
    async def body(engine: DurableEngine) -> None:
        status = await complete(engine, "ds_timer", None, "timer")
        assert status["output"] is True
        assert scheduled(engine, "timer", h.TIMER_FIRED) == 1

    run(body)


def test_external_events_raised_early_are_buffered_fifo_by_name() -> None:
    async def body(engine: DurableEngine) -> None:
        iid = await engine.start_new("ds_events", "ev", None)
        await engine.raise_event(iid, "A", "first")
        await engine.raise_event(iid, "A", "second")
        await engine.raise_event(iid, "B", "go")
        status = await engine.wait_for_completion(iid, 10)
        assert status["output"] == ["go", "first", "second"]

    run(body)


def test_task_any_with_event_timer_and_activity() -> None:
    async def body(engine: DurableEngine) -> None:
        iid = await engine.start_new("ds_any", "any", None)
        await until(lambda: scheduled(engine, "any", h.TIMER_CREATED) == 1)
        await engine.raise_event(iid, "approve", {"by": "me"})
        status = await engine.wait_for_completion(iid, 10)
        assert status["output"] == ["approved", {"by": "me"}, 9]

    run(body)


def test_continue_as_new_restarts_with_fresh_history() -> None:
    async def body(engine: DurableEngine) -> None:
        status = await complete(engine, "ds_continue", 0, "can")
        assert status["output"] == 3
        assert status["input"] == "3"
        started = [e for e in events(engine, "can") if e["EventType"] == h.EXECUTION_STARTED]
        assert len(started) == 1

    run(body)


def test_a_continued_execution_runs_in_the_episode_that_continued() -> None:
    """As DTFx's dispatcher does: the new execution's first actions are taken in the same work item, so an activity
    and a continue-as-new cost one episode, not two."""

    async def body(engine: DurableEngine) -> None:
        status = await complete(engine, "ds_continue", 0, "inline")
        assert status["output"] == 3
        assert engine.stats.episodes == 5  # the start, then one for each activity's result
        assert types(engine, "inline")[:2] == [h.ORCHESTRATOR_STARTED, h.EXECUTION_STARTED]
        assert len(engine.store.load()[0].inbox) == 0

    run(body)


def test_executions_that_never_await_continue_from_a_message_past_the_bound() -> None:
    async def body(engine: DurableEngine) -> None:
        status = await complete(engine, "ds_continue_at_once", 0, "spin")
        assert (status["output"], status["input"]) == (15, "15")
        # executions 0-9 in the first episode, 10-15 in the next (from the message the tenth posted), its result
        assert engine.stats.episodes == 3 and MAX_EXECUTIONS_PER_EPISODE == 10

    run(body)


def test_custom_status_terminate_and_purge() -> None:
    async def body(engine: DurableEngine) -> None:
        iid = await engine.start_new("ds_wait_forever", "forever", None)
        await until(lambda: engine.instances[iid].status == "Running")
        status = await engine.get_status(iid)
        assert status is not None and status["customStatus"] == "waiting"
        await engine.terminate(iid, "enough")
        final = await engine.wait_for_completion(iid, 5)
        assert (final["runtimeStatus"], final["output"]) == ("Terminated", "enough")
        assert await engine.purge(iid) == 1
        assert await engine.get_status(iid) is None

    run(body)


def test_orchestrator_and_activity_failures() -> None:
    async def body(engine: DurableEngine) -> None:
        failed = await complete(engine, "ds_fail", None)
        assert failed["runtimeStatus"] == "Failed"
        assert failed["output"] == "Orchestrator function 'ds_fail' failed: boom from the orchestrator"
        caught = await complete(engine, "ds_activity_fails", None)
        assert caught["output"].startswith("Activity function 'ds_always_fail' failed: cannot handle input-1")

    run(body)


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("name", "'ds_gate' but the orchestrator now asks for activity 'ds_echo'"),
        ("kind", "TaskScheduled 'ds_gate' but the orchestrator now asks for timer"),
    ],
)
def test_nondeterminism_fails_the_instance(mode: str, expected: str) -> None:
    gate_name = f"nd-{mode}"

    async def body(engine: DurableEngine) -> None:
        sample.MODES["nd"] = "first"
        iid = await engine.start_new("ds_nondeterministic", gate_name, gate_name)
        await until(lambda: scheduled(engine, iid, h.TASK_SCHEDULED) == 1)
        sample.MODES["nd"] = mode
        sample.gate(gate_name).set()
        status = await engine.wait_for_completion(iid, 10)
        assert status["runtimeStatus"] == "Failed"
        assert "Non-deterministic orchestration: " in status["output"]
        assert expected in status["output"]

    try:
        run(body)
    finally:
        sample.MODES.pop("nd", None)


def test_existing_running_instance_is_not_replaced() -> None:
    async def body(engine: DurableEngine) -> None:
        await engine.start_new("ds_wait_forever", "dup", None)
        with pytest.raises(OrchestrationAlreadyExistsError):
            await engine.start_new("ds_wait_forever", "dup", None)
        await engine.terminate("dup", "done")
        await engine.start_new("ds_wait_forever", "dup", None)  # finished ones are replaced
        await until(lambda: engine.instances["dup"].status == "Running")

    run(body)


def test_any_state_policy_replaces_running_instances() -> None:
    async def body(engine: DurableEngine) -> None:
        await engine.start_new("ds_wait_forever", "dup2", None)
        await until(lambda: engine.instances["dup2"].status == "Running")
        await engine.start_new("ds_sequence", "dup2", "again")
        status = await engine.wait_for_completion("dup2", 10)
        assert status["output"] == ["again", 42]

    run(body, overridable_existing_instance_states="AnyState")


def test_continue_as_new_drops_events_no_wait_took() -> None:
    async def body(engine: DurableEngine) -> None:
        iid = await engine.start_new("ds_continue_drops_events", "drops", "first")
        await until(lambda: engine.instances[iid].live_waits.get("go") == 1)
        await engine.raise_event(iid, "A", "early")  # nothing waits for "A" in this execution
        await engine.raise_event(iid, "go", None)
        await until(
            lambda: (
                engine.instances[iid].row["custom_status"] == '"second"'
                and engine.instances[iid].live_waits.get("B") == 1
            )
        )
        await engine.raise_event(iid, "B", "late")  # raised after continue-as-new: delivered
        status = await engine.wait_for_completion(iid, 10)
        # had "A" been kept, the new execution would have taken it first (its inbox is FIFO)
        assert status["output"] == "late"
        assert engine.instances[iid].inbox == []
        assert all(m["event"].get("Name") != "A" for _, m in engine.store.load()[0].inbox if m["type"] == "event")

    run(body)


def test_versions_default_explicit_children_and_continue_as_new() -> None:
    async def body(engine: DurableEngine) -> None:
        default = await complete(engine, "ds_versions", None, "v-default")
        assert default["output"] == ["1.0", "1.0", "3.0", "1.0"]
        explicit = await engine.start_new("ds_versions", "v-explicit", None, version="2.0")
        status = await engine.wait_for_completion(explicit, 20)
        # a child started without a version gets the host's default, not its parent's
        assert status["output"] == ["2.0", "1.0", "3.0", "2.0"]
        started = [e for e in events(engine, "v-explicit") if e["EventType"] == h.EXECUTION_STARTED]
        assert [e["Version"] for e in started] == ["2.0"]
        assert engine.instances["v-explicit"].version == "2.0"

    run(body, default_version="1.0")


def test_without_any_version_the_context_sees_an_empty_one() -> None:
    async def body(engine: DurableEngine) -> None:
        status = await complete(engine, "ds_versions", None, "v-none")
        assert status["output"] == ["", "", "3.0", ""]

    run(body)
