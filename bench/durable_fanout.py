"""Fan-out benchmark for the devhost Durable engine: one big orchestration vs 10 sub-orchestrations.

Run: .venv/bin/python -m bench.durable_fanout [--sizes 1000 5000] [--parts 10]
Prints wall time, episodes and the history events handed to the SDK over all replays.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import tempfile
import time
from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any

import azure.durable_functions as df

from devhost.durable import ActivityFunction, DurableEngine, DurableStore

bp = df.Blueprint()


@bp.activity_trigger(input_name="value")
def bench_work(value: int) -> int:
    return value


@bp.orchestration_trigger(context_name="context")
def bench_fanout(context: df.DurableOrchestrationContext) -> Generator[Any, Any, int]:
    start, count = context.get_input()
    results = yield context.task_all([context.call_activity("bench_work", start + i) for i in range(count)])
    return sum(results)


@bp.orchestration_trigger(context_name="context")
def bench_split(context: df.DurableOrchestrationContext) -> Generator[Any, Any, int]:
    total, parts = context.get_input()
    size = total // parts
    children = [context.call_sub_orchestrator("bench_fanout", [p * size, size]) for p in range(parts)]
    results = yield context.task_all(children)
    return sum(results)


def _functions() -> tuple[dict[str, Callable[[str], str]], dict[str, ActivityFunction]]:
    app = df.DFApp()
    app.register_functions(bp)
    orchestrators: dict[str, Callable[[str], str]] = {}
    activities: dict[str, ActivityFunction] = {}
    for function in app.get_functions():
        trigger = function.get_trigger()
        if trigger is None:
            continue
        if trigger.get_binding_name() == "orchestrationTrigger":
            orchestrators[function.get_function_name()] = function.get_user_function()
        else:
            activities[function.get_function_name()] = ActivityFunction(function.get_user_function(), trigger.name)
    return orchestrators, activities


async def _scenario(folder: Path, label: str, name: str, value: Any, expected: int) -> None:
    orchestrators, activities = _functions()
    store = DurableStore(folder / f"{label}.sqlite")
    engine = DurableEngine(
        orchestrators=orchestrators,
        activities=activities,
        store=store,
        task_hub="Bench",
        base_url="http://127.0.0.1:7071",
    )
    await engine.start()
    began = time.perf_counter()
    instance_id = await engine.start_new(name, None, value)
    status = await engine.wait_for_completion(instance_id, 3600)
    elapsed = time.perf_counter() - began
    await engine.stop()
    store.close()
    assert status["output"] == expected, status
    print(
        f"{label:<28} {elapsed:8.2f} s  {engine.stats.episodes:6d} episodes  "
        f"{engine.stats.events_replayed:>11,d} history events replayed",
        flush=True,
    )


async def main(sizes: list[int], parts: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        for size in sizes:
            expected = sum(range(size))
            await _scenario(Path(folder), f"{size} in one orchestration", "bench_fanout", [0, size], expected)
            await _scenario(Path(folder), f"{size} over {parts} sub-orchs", "bench_split", [size, parts], expected)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--parts", type=int, default=10)
    arguments = parser.parse_args()
    logging.getLogger().setLevel(logging.ERROR)  # the SDK warns about auth levels
    asyncio.run(main(arguments.sizes, arguments.parts))
