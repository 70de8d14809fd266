"""Test-only orchestrators and activities for the Durable engine tests (one df.Blueprint)."""

from __future__ import annotations

import asyncio
import functools
import os
import threading
import time
from collections.abc import Callable, Generator
from datetime import timedelta
from typing import Any

import azure.durable_functions as df

from devhost.durable import ActivityFunction, DurableEngine, DurableStore

bp = df.Blueprint()

# Test-controlled knobs, shared with the tests in this process.
GATES: dict[str, threading.Event] = {}
MODES: dict[str, str] = {}
_FAILED_ONCE: set[str] = set()
_LOCK = threading.Lock()

Orchestration = Generator[Any, Any, Any]


def gate(name: str) -> threading.Event:
    with _LOCK:
        return GATES.setdefault(name, threading.Event())


def _fail_first_time(key: str) -> bool:
    with _LOCK:
        if key in _FAILED_ONCE:
            return False
        _FAILED_ONCE.add(key)
        return True


# -- activities -----------------------------------------------------------------------------


@bp.activity_trigger(input_name="value")
def ds_echo(value: Any) -> Any:
    return value


@bp.activity_trigger(input_name="value")
def ds_square(value: int) -> int:
    return value * value


@bp.activity_trigger(input_name="value")
async def ds_async_double(value: int) -> int:
    await asyncio.sleep(0)
    return value * 2


@bp.activity_trigger(input_name="value")
def ds_flaky(value: dict[str, Any]) -> int:
    """Fails on its first attempt for every input divisible by `fail_every`."""
    number = int(value["i"])
    if number % int(value["fail_every"]) == 0 and _fail_first_time(f"{value['run']}:{number}"):
        raise RuntimeError(f"transient failure for {number}")
    return number


@bp.activity_trigger(input_name="value")
def ds_always_fail(value: str) -> None:
    raise ValueError(f"cannot handle {value}")


@bp.activity_trigger(input_name="value")
def ds_gate(value: str) -> str:
    gate(value).wait(20)
    return value


@bp.activity_trigger(input_name="value")
def ds_record(value: int) -> int:
    """Appends '<run tag> <value>' to $DURABLE_SAMPLE_LOG, then takes a little time."""
    with open(os.environ["DURABLE_SAMPLE_LOG"], "a", encoding="utf-8") as log:
        log.write(f"{os.environ.get('DURABLE_SAMPLE_RUN', '?')} {value}\n")
    time.sleep(0.05)
    return value


# -- orchestrators --------------------------------------------------------------------------


@bp.orchestration_trigger(context_name="context")
def ds_sequence(context: df.DurableOrchestrationContext) -> Orchestration:
    first = yield context.call_activity("ds_echo", context.get_input())
    context.set_custom_status({"step": 1, "replaying": context.is_replaying})
    second = yield context.call_activity("ds_async_double", 21)
    return [first, second]


@bp.orchestration_trigger(context_name="context")
def ds_fanout(context: df.DurableOrchestrationContext) -> Orchestration:
    count = int(context.get_input())
    results = yield context.task_all([context.call_activity("ds_square", i) for i in range(count)])
    return sum(results)


@bp.orchestration_trigger(context_name="context")
def ds_gated_fanout(context: df.DurableOrchestrationContext) -> Orchestration:
    names = context.get_input()
    results = yield context.task_all([context.call_activity("ds_gate", n) for n in names])
    return results


@bp.orchestration_trigger(context_name="context")
def ds_fanout_retry(context: df.DurableOrchestrationContext) -> Orchestration:
    spec = context.get_input()
    options = df.RetryOptions(spec["interval_ms"], spec["attempts"])
    tasks = [
        context.call_activity_with_retry(
            "ds_flaky", options, {"i": i, "fail_every": spec["fail_every"], "run": spec["run"]}
        )
        for i in range(spec["n"])
    ]
    results = yield context.task_all(tasks)
    return sum(results)


@bp.orchestration_trigger(context_name="context")
def ds_retry_exhausted(context: df.DurableOrchestrationContext) -> Orchestration:
    options = df.RetryOptions(10, 2)
    try:
        yield context.call_activity_with_retry("ds_always_fail", options, "x")
    except Exception as error:
        return f"gave up: {str(error).splitlines()[0]}"
    return "unexpected success"


@bp.orchestration_trigger(context_name="context")
def ds_child(context: df.DurableOrchestrationContext) -> Orchestration:
    value = context.get_input()
    if isinstance(value, dict) and value.get("fail_first") and _fail_first_time(value["key"]):
        raise RuntimeError("child failed on purpose")
    doubled = yield context.call_activity("ds_async_double", value["n"])
    return {"doubled": doubled, "me": context.instance_id, "parent": context.parent_instance_id}


@bp.orchestration_trigger(context_name="context")
def ds_parent(context: df.DurableOrchestrationContext) -> Orchestration:
    key = context.get_input()
    plain = yield context.call_sub_orchestrator("ds_child", {"n": 1})
    named = yield context.call_sub_orchestrator("ds_child", {"n": 2}, f"{key}-named")
    retried = yield context.call_sub_orchestrator_with_retry(
        "ds_child", df.RetryOptions(10, 3), {"n": 3, "fail_first": True, "key": key}, f"{key}-retried"
    )
    return [plain, named, retried]


@bp.orchestration_trigger(context_name="context")
def ds_timer(context: df.DurableOrchestrationContext) -> Orchestration:
    fire_at = context.current_utc_datetime + timedelta(milliseconds=30)
    yield context.create_timer(fire_at)
    return context.current_utc_datetime >= fire_at


@bp.orchestration_trigger(context_name="context")
def ds_events(context: df.DurableOrchestrationContext) -> Orchestration:
    go = yield context.wait_for_external_event("B")
    first = yield context.wait_for_external_event("A")
    second = yield context.wait_for_external_event("A")
    return [go, first, second]


@bp.orchestration_trigger(context_name="context")
def ds_any(context: df.DurableOrchestrationContext) -> Orchestration:
    timeout = context.create_timer(context.current_utc_datetime + timedelta(minutes=5))
    approval = context.wait_for_external_event("approve")
    winner = yield context.task_any([approval, timeout])
    if winner == approval:
        timeout.cancel()
        quick = context.call_activity("ds_square", 3)
        slow_timer = context.create_timer(context.current_utc_datetime + timedelta(minutes=5))
        second = yield context.task_any([quick, slow_timer])
        slow_timer.cancel()
        return ["approved", approval.result, second.result]
    return ["timed out"]


@bp.orchestration_trigger(context_name="context")
def ds_continue(context: df.DurableOrchestrationContext) -> Orchestration:
    count = int(context.get_input())
    yield context.call_activity("ds_echo", count)
    if count < 3:
        context.continue_as_new(count + 1)
        return None
    return count


@bp.orchestration_trigger(context_name="context")
def ds_continue_at_once(context: df.DurableOrchestrationContext) -> Orchestration:
    """Continues as new up to 15 without awaiting anything, then calls an activity."""
    count = int(context.get_input())
    if count >= 15:
        return (yield context.call_activity("ds_echo", count))
    context.continue_as_new(count + 1)
    return None


@bp.orchestration_trigger(context_name="context")
def ds_continue_drops_events(context: df.DurableOrchestrationContext) -> Orchestration:
    """Waits for "go", then continues as new and takes whichever of "A" or "B" comes first."""
    if context.get_input() == "first":
        yield context.wait_for_external_event("go")
        context.continue_as_new("second")
        return None
    context.set_custom_status("second")
    winner = yield context.task_any([context.wait_for_external_event("A"), context.wait_for_external_event("B")])
    return winner.result


@bp.orchestration_trigger(context_name="context")
def ds_versions(context: df.DurableOrchestrationContext) -> Orchestration:
    """[own version, a child's when none is asked, a child's when "3.0" is asked, own version after continue-as-new]."""
    seen = context.get_input()
    if not seen:
        plain = yield context.call_sub_orchestrator("ds_version_child")
        asked = yield context.call_sub_orchestrator("ds_version_child", version="3.0")
        context.continue_as_new([context.version, plain, asked])
        return None
    return [*seen, context.version]


@bp.orchestration_trigger(context_name="context")
def ds_version_child(context: df.DurableOrchestrationContext) -> Orchestration:
    return (yield context.call_activity("ds_echo", context.version))


@bp.orchestration_trigger(context_name="context")
def ds_fail(context: df.DurableOrchestrationContext) -> Orchestration:
    yield context.call_activity("ds_echo", 1)
    raise ValueError("boom from the orchestrator")


@bp.orchestration_trigger(context_name="context")
def ds_activity_fails(context: df.DurableOrchestrationContext) -> Orchestration:
    try:
        yield context.call_activity("ds_always_fail", "input-1")
    except Exception as error:
        return str(error).splitlines()[0]
    return "unexpected success"


@bp.orchestration_trigger(context_name="context")
def ds_nondeterministic(context: df.DurableOrchestrationContext) -> Orchestration:
    """Asks for something different on replay when MODES['nd'] changes meanwhile."""
    mode = MODES.get("nd", "first")
    if mode == "first":
        yield context.call_activity("ds_gate", context.get_input())
    elif mode == "name":
        yield context.call_activity("ds_echo", context.get_input())
    else:
        yield context.create_timer(context.current_utc_datetime + timedelta(milliseconds=1))
    return "done"


@bp.orchestration_trigger(context_name="context")
def ds_wait_forever(context: df.DurableOrchestrationContext) -> Orchestration:
    context.set_custom_status("waiting")
    value = yield context.wait_for_external_event("never")
    return value


@bp.orchestration_trigger(context_name="context")
def ds_record_fanout(context: df.DurableOrchestrationContext) -> Orchestration:
    count = int(context.get_input())
    results = yield context.task_all([context.call_activity("ds_record", i) for i in range(count)])
    return sum(results)


# -- wiring for tests that drive the engine directly ----------------------------------------


@functools.cache
def engine_functions() -> tuple[dict[str, Callable[[str], str]], dict[str, ActivityFunction]]:
    """(orchestrators, activities) as the host hands them to the engine."""
    app = df.DFApp()
    app.register_functions(bp)
    orchestrators: dict[str, Callable[[str], str]] = {}
    activities: dict[str, ActivityFunction] = {}
    for function in app.get_functions():
        trigger = function.get_trigger()
        if trigger is None:
            continue
        kind = trigger.get_binding_name()
        if kind == "orchestrationTrigger":
            name = getattr(trigger, "orchestration", None) or function.get_function_name()
            orchestrators[name] = function.get_user_function()
        elif kind == "activityTrigger":
            name = getattr(trigger, "activity", None) or function.get_function_name()
            activities[name] = ActivityFunction(function.get_user_function(), trigger.name)
    return orchestrators, activities


def make_engine(store: DurableStore | None = None, **options: Any) -> DurableEngine:
    orchestrators, activities = engine_functions()
    settings: dict[str, Any] = {"task_hub": "SampleHub", "base_url": "http://127.0.0.1:9"}
    settings.update(options)
    return DurableEngine(orchestrators=orchestrators, activities=activities, store=store or DurableStore(), **settings)
