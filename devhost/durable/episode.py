"""One orchestration episode: replay through the SDK, turn its new actions into history, commit."""

from __future__ import annotations

import asyncio
import inspect
import json
import uuid
from collections.abc import Awaitable, Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from devhost.durable import history as h
from devhost.durable.instance import Instance, Message
from devhost.durable.replay import (
    NonDeterminismError,
    ReplayResult,
    UnsupportedActionError,
    replay,
)
from devhost.durable.store import WorkKey

if TYPE_CHECKING:
    from devhost.durable.engine import DurableEngine

_OUT_OF_PROC_LABEL = "\n\n$OutOfProcData$:"


async def invoke(
    handle: Callable[[str], str] | Callable[[str], Awaitable[str]] | None, context: str, pool: Executor
) -> tuple[dict[str, Any] | None, str | None]:
    """Run the SDK handle (a sync one on pool); on an orchestrator exception keep the state it carries."""
    if handle is None:
        return None, "the orchestrator function is not registered"
    try:
        if inspect.iscoroutinefunction(handle):
            text = await handle(context)
        else:
            text = await asyncio.get_running_loop().run_in_executor(pool, handle, context)
        return json.loads(text), None
    except Exception as exc:  # the SDK reports orchestrator errors by raising
        text = str(exc)
        if _OUT_OF_PROC_LABEL in text:
            message, _, state_text = text.partition(_OUT_OF_PROC_LABEL)
            try:
                return json.loads(state_text), message
            except ValueError:
                pass
        return None, text


def _is_raised_event(message: Message) -> bool:
    return message["type"] == "event" and message["event"]["EventType"] == h.EVENT_RAISED


def tick(instance: Instance) -> datetime:
    """Episode time: wall clock, but never behind the instance's last event."""
    now = h.utcnow()
    if instance.last_ts is not None and now <= instance.last_ts:
        now = instance.last_ts + timedelta(microseconds=1)
    instance.last_ts = now
    return now


def parent_message(instance: Instance, now: datetime, ok: bool, value: Any) -> Message | None:
    """The SubOrchestrationInstanceCompleted/Failed message for the parent, if any."""
    parent = instance.parent
    if parent is None:
        return None
    if ok:
        event = h.make(h.SUB_ORCHESTRATION_COMPLETED, now, TaskScheduledId=parent["task_id"], Result=json.dumps(value))
    else:
        event = h.make(
            h.SUB_ORCHESTRATION_FAILED, now, TaskScheduledId=parent["task_id"], Reason=str(value), Details=""
        )
    return {"type": "event", "execution_id": parent["execution_id"], "event": event}


# DTFx's dispatcher runs a continued-as-new execution in the same work item as the one that continued: no message to
# itself and no second episode. A bound, for an orchestrator that continues as new without ever awaiting anything:
# past it the next execution starts from a message, as a new episode.
MAX_EXECUTIONS_PER_EPISODE = 10


@dataclass
class Executed:
    """What one execution of the orchestrator made of its history and new events."""

    row: dict[str, Any]  # the instance's row after it
    appended: list[h.Event]  # what it adds to the execution's history (nothing kept when it continued as new)
    result: ReplayResult | None
    finished: tuple[bool, Any] | None  # (succeeded, output) when it ended
    continue_as_new: bool


async def run_episode(
    engine: DurableEngine, instance: Instance, batch: list[tuple[int, Message]], dropped: list[int], pool: Executor
) -> None:
    row, instance_id = dict(instance.row), instance.instance_id
    now = tick(instance)
    new_events = [h.make(h.ORCHESTRATOR_STARTED, now)]
    for _, message in batch:
        if message["type"] == "start":
            new_events.append(_execution_started(instance, row, now))
        else:
            new_events.append(message["event"])
    # events that had arrived but that no wait took: continue-as-new drops them, as the extension does
    waiting = {row_id for row_id, m in instance.inbox if _is_raised_event(m)} - {row_id for row_id, _ in batch}
    engine.stats.episodes += 1
    executed = await execute(engine, instance, row, instance.played, instance.history, new_events, now, pool)
    restarted = False
    for _ in range(MAX_EXECUTIONS_PER_EPISODE - 1):
        if not executed.continue_as_new:
            break
        restarted, row = True, {**executed.row, "status": "Running"}
        started = [h.make(h.ORCHESTRATOR_STARTED, now), _execution_started(instance, row, now)]
        executed = await execute(engine, instance, row, [], [], started, now, pool)
    if engine.instances.get(instance_id) is not instance:
        return  # replaced meanwhile (AnyState policy): this episode's outcome is moot
    if restarted or executed.continue_as_new:
        dropped = dropped + sorted(waiting)
    _commit(engine, instance, executed, batch, dropped, restarted, now)


def _execution_started(instance: Instance, row: dict[str, Any], now: datetime) -> h.Event:
    parent = instance.parent
    return h.execution_started(
        now,
        row["name"],
        row["input"],
        instance.instance_id,
        row["execution_id"],
        parent["instance_id"] if parent else None,
        instance.version,
    )


async def execute(
    engine: DurableEngine,
    instance: Instance,
    row: dict[str, Any],
    played: list[str],
    history: list[h.Event],
    new_events: list[h.Event],
    now: datetime,
    pool: Executor,
) -> Executed:
    """Replay one execution through the SDK: its played history and these new events; what it asks for next."""
    name, row = row["name"], dict(row)
    context = instance.context_json(new_events, played, row)
    engine.stats.events_replayed += len(history) + len(new_events)
    state, error = await invoke(engine.orchestrators.get(name), context, pool)
    result: ReplayResult | None = None
    if state is not None:
        try:
            actions = state.get("actions") or [[]]
            result = replay(
                history + new_events, actions[0] if actions else [], now, row["execution_id"], engine.default_version
            )
        except NonDeterminismError as exc:
            error = f"Non-deterministic orchestration: {exc}"
        except UnsupportedActionError as exc:
            error = str(exc)
    custom = state.get("customStatus") if state else None
    row["custom_status"] = json.dumps(custom) if custom is not None else None
    row["updated"] = h.format_ts(now)
    closing = [h.make(h.ORCHESTRATOR_COMPLETED, now)]
    finished: tuple[bool, Any] | None = None
    continue_as_new = False
    if error is not None or result is None or state is None:
        failure = f"Orchestrator function '{name}' failed: {error}"
        row["status"], row["output"] = "Failed", json.dumps(failure)
        finished = (False, failure)
    elif state.get("isDone") and result.continue_as_new:
        continue_as_new = True
        row["status"], row["execution_id"] = "ContinuedAsNew", uuid.uuid4().hex
        row["input"] = json.dumps(result.continue_input)
    elif state.get("isDone"):
        row["status"], row["output"] = "Completed", json.dumps(state.get("output"))
        finished = (True, state.get("output"))
    else:
        row["status"] = "Running"
    # Persisted so that buffered events are still delivered after a restart.
    live = result.live_waits if result is not None and row["status"] == "Running" else {}
    row["waits"] = json.dumps(live) if live else None
    if finished is not None:
        closing.append(h.make(h.EXECUTION_COMPLETED, now, OrchestrationStatus=row["status"], Result=row["output"]))
    appended = new_events + (result.new_events if result and row["status"] == "Running" else []) + closing
    return Executed(row, appended, result, finished, continue_as_new)


def _commit(
    engine: DurableEngine,
    instance: Instance,
    executed: Executed,
    batch: list[tuple[int, Message]],
    dropped: list[int],
    restarted: bool,
    now: datetime,
) -> None:
    """Store the episode in one transaction; `restarted`: the history is the continued execution's own."""
    row, result, finished = executed.row, executed.result, executed.finished
    instance_id, execution_id = instance.instance_id, str(row["execution_id"])
    consumed = [row_id for row_id, _ in batch] + dropped
    running = row["status"] == "Running" and result is not None
    own_posts: list[tuple[int, Message]] = []
    children: list[tuple[Instance, int, Message]] = []
    to_parent: tuple[str, int, Message] | None = None
    texts = [h.text(e) for e in executed.appended] if not executed.continue_as_new else []
    with engine.store.transaction() as tx:
        tx.consume(consumed)
        if restarted or executed.continue_as_new:
            tx.reset_history(instance_id)
            tx.drop_work(instance_id)
        if executed.continue_as_new:
            start: Message = {"type": "start"}
            own_posts.append((tx.post(instance_id, start), start))
        else:
            tx.append_history(instance_id, 0 if restarted else len(instance.history), texts)
        if running and result is not None:
            for activity in result.activities:
                tx.add_activity(WorkKey(instance_id, execution_id, activity.task_id), activity.name, activity.input)
            for timer in result.timers:
                tx.add_timer(WorkKey(instance_id, execution_id, timer.timer_id), h.format_ts(timer.fire_at))
            for sub in result.sub_orchestrations:
                refusal = _refuse_child(engine, sub.name, sub.instance_id)
                if refusal is not None:
                    event = h.make(
                        h.SUB_ORCHESTRATION_FAILED, now, TaskScheduledId=sub.task_id, Reason=refusal, Details=""
                    )
                    message = {"type": "event", "execution_id": execution_id, "event": event}
                    own_posts.append((tx.post(instance_id, message), message))
                    continue
                parent = {"instance_id": instance_id, "execution_id": execution_id, "task_id": sub.task_id}
                children.append(engine.stage_instance(tx, sub.name, sub.instance_id, sub.input, parent, sub.version))
        if finished is not None:
            tx.drop_work(instance_id)
            message_for_parent = parent_message(instance, now, *finished)
            if message_for_parent is not None:
                target = instance.parent["instance_id"]  # type: ignore[index]
                to_parent = (target, tx.post(target, message_for_parent), message_for_parent)
        tx.put_instance(row)
    # The store is committed; mirror it in memory and start the follow-up work.
    instance.row = row
    gone = set(consumed)
    instance.inbox = [(i, m) for i, m in instance.inbox if i not in gone] + own_posts
    if restarted or executed.continue_as_new:
        instance.reset_history()
    if not executed.continue_as_new:
        instance.extend_history(executed.appended, texts)
        instance.live_waits = json.loads(row["waits"] or "{}")
    for child, row_id, message in children:
        engine.instances[child.instance_id] = child
        child.inbox.append((row_id, message))
        engine.kick(child)
    if running and result is not None:
        for activity in result.activities:
            engine.dispatch_activity(
                WorkKey(instance_id, execution_id, activity.task_id), activity.name, activity.input
            )
        for timer in result.timers:
            engine.arm_timer(WorkKey(instance_id, execution_id, timer.timer_id), timer.fire_at)
    if to_parent is not None:
        engine.deliver(*to_parent)
    if finished is not None:
        engine.notify_finished(instance)


def _refuse_child(engine: DurableEngine, name: str, child_id: str) -> str | None:
    if name not in engine.orchestrators:
        return f"The function '{name}' doesn't exist, is disabled, or is not an orchestrator function."
    existing = engine.instances.get(child_id)
    if existing is not None and existing.status in engine.dedupe:
        return f"An Orchestration instance with the status {existing.status} already exists."
    return None
