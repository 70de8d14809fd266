"""Replays an orchestrator's action list against its history, as the extension does (one algorithm, one module).

The SDK reports every action it has ever yielded, not only the new ones. Like the extension,
we walk the whole history again: each yielded task gets ids 0, 1, 2, ... in the order the SDK
hands them out (a task's ids are assigned when the SDK reaches its `yield`, retry timers and
attempts when the failure / timer event is replayed). Ids already in history must match the
recorded event (else the orchestration is non-deterministic); the rest become new events.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from devhost.durable import history as h

RUNNING, SUCCEEDED, FAILED = 0, 1, 2
_SCHEDULE_TYPES = {"activity": h.TASK_SCHEDULED, "suborch": h.SUB_ORCHESTRATION_CREATED, "timer": h.TIMER_CREATED}
_UNSUPPORTED = {7: "call_entity", 8: "call_http", 9: "signal_entity"}


class NonDeterminismError(Exception):
    """The orchestrator's actions disagree with the recorded history."""


class UnsupportedActionError(Exception):
    """The orchestrator used an SDK feature this host does not emulate."""


@dataclass
class NewActivity:
    task_id: int
    name: str
    input: str | None


@dataclass
class NewTimer:
    timer_id: int
    fire_at: datetime


@dataclass
class NewSubOrchestration:
    task_id: int
    name: str
    input: Any
    instance_id: str
    version: str | None = None  # the one the orchestrator asked for; None: the host's defaultVersion


@dataclass
class ReplayResult:
    new_events: list[h.Event] = field(default_factory=list)
    activities: list[NewActivity] = field(default_factory=list)
    timers: list[NewTimer] = field(default_factory=list)
    sub_orchestrations: list[NewSubOrchestration] = field(default_factory=list)
    live_waits: dict[str, int] = field(default_factory=dict)  # event name -> open waits
    continue_as_new: bool = False
    continue_input: Any = None


class _Node:
    __slots__ = ("attempts", "children", "kind", "parent", "pending", "retry", "spec", "state")

    def __init__(self, kind: str, spec: dict[str, Any], parent: _Node | None) -> None:
        self.kind = kind  # activity | suborch | timer | wait | all | any | retry
        self.spec = spec
        self.parent = parent
        self.children: list[_Node] = []
        self.state = RUNNING
        self.pending = 0
        self.retry: dict[str, Any] = {}
        self.attempts = 0


class _Replayer:
    def __init__(
        self, history: list[h.Event], now: datetime, execution_id: str, default_version: str | None = None
    ) -> None:
        self.default_version = default_version
        self.history = history
        self.now = now
        self.execution_id = execution_id
        self.seq = 0
        self.scheduled = {
            e["EventId"]: e
            for e in history
            if e["EventType"] in (h.TASK_SCHEDULED, h.SUB_ORCHESTRATION_CREATED, h.TIMER_CREATED)
        }
        self.matched: set[int] = set()
        self.open: dict[int, tuple[_Node, str]] = {}
        self.waits: dict[str, list[_Node]] = {}
        # The SDK parks completions whose task is not open yet and applies them on yield.
        self.deferred_ids: dict[int, h.Event] = {}
        self.deferred_events: dict[str, h.Event] = {}
        self.result = ReplayResult()

    def run(self, actions: list[dict[str, Any]]) -> ReplayResult:
        pending = list(reversed(actions))
        current: _Node | None = None
        for event in self.history:
            kind = event["EventType"]
            if kind == h.EXECUTION_STARTED:
                current = self._advance(current, pending)
            elif kind in (
                h.TASK_COMPLETED,
                h.TASK_FAILED,
                h.SUB_ORCHESTRATION_COMPLETED,
                h.SUB_ORCHESTRATION_FAILED,
                h.TIMER_FIRED,
                h.EVENT_RAISED,
            ):
                self._complete(event)
                current = self._advance(current, pending)
        if pending:
            raise NonDeterminismError(
                f"the orchestrator yielded {_describe(pending[-1])} before the task it was "
                "waiting on completed in history"
            )
        unmatched = sorted(set(self.scheduled) - self.matched)
        if unmatched:
            event = self.scheduled[unmatched[0]]
            raise NonDeterminismError(
                f"history has {h.EVENT_NAMES[event['EventType']]} "
                f"'{event.get('Name') or ''}' at id {unmatched[0]} but the orchestrator "
                "no longer schedules it"
            )
        self.result.new_events.sort(key=lambda e: e["EventId"])
        for name, nodes in self.waits.items():
            live = sum(1 for node in nodes if _is_live(node))
            if live:
                self.result.live_waits[name] = live
        return self.result

    def _advance(self, current: _Node | None, pending: list[dict[str, Any]]) -> _Node | None:
        while (current is None or current.state != RUNNING) and pending:
            action = pending.pop()
            if action.get("actionType") == 4:
                self.result.continue_as_new = True
                self.result.continue_input = action.get("input")
                self.seq += 1  # fire-and-forget actions consume a sequence number in the SDK
                continue
            current = self._build(action, None)
            self._open_node(current)
        return current

    def _build(self, action: dict[str, Any], parent: _Node | None) -> _Node:
        kind = action.get("actionType")
        if kind in (11, 12):
            node = _Node("any" if kind == 11 else "all", action, parent)
            node.children = [self._build(child, node) for child in action["compoundActions"]]
            node.pending = len(node.children)
            return node
        if kind in (0, 1, 2, 3):
            leaf = "activity" if kind in (0, 1) else "suborch"
            if kind in (1, 3):
                node = _Node("retry", action, parent)
                node.retry = {"leaf": leaf, **action.get("retryOptions", {})}
                return node
            return _Node(leaf, action, parent)
        if kind == 5:
            return _Node("timer", action, parent)
        if kind == 6:
            return _Node("wait", action, parent)
        if kind in _UNSUPPORTED:
            raise UnsupportedActionError(f"{_UNSUPPORTED[kind]} is not supported by devhost")
        raise UnsupportedActionError(f"unknown actionType {kind}")

    def _open_node(self, node: _Node) -> None:
        """Hand out ids depth-first, as the SDK's `_add_to_open_tasks` does."""
        if node.kind in ("all", "any"):
            if not node.children:
                self._resolve(node, True)
            for child in node.children:
                self._open_node(child)
        elif node.kind == "wait":
            name = node.spec["externalEventName"]
            self.waits.setdefault(name, []).append(node)
            if name in self.deferred_events:
                self._complete(self.deferred_events[name])
        elif node.kind == "retry":
            self._open_attempt(node)
        else:
            self._open_id(self._schedule(node.kind, node.spec), node, "leaf")

    def _open_id(self, task_id: int, node: _Node, role: str) -> None:
        self.open[task_id] = (node, role)
        if task_id in self.deferred_ids:
            self._complete(self.deferred_ids.pop(task_id))

    def _open_attempt(self, node: _Node) -> None:
        node.attempts += 1
        self._open_id(self._schedule(node.retry["leaf"], node.spec), node, "attempt")

    def _schedule(self, kind: str, spec: dict[str, Any], fire_at: datetime | None = None) -> int:
        task_id = self.seq
        self.seq += 1
        recorded = self.scheduled.get(task_id)
        name = spec.get("functionName")
        if recorded is not None:
            self.matched.add(task_id)
            if recorded["EventType"] != _SCHEDULE_TYPES[kind] or (kind != "timer" and recorded.get("Name") != name):
                raise NonDeterminismError(
                    f"at id {task_id} history has {h.EVENT_NAMES[recorded['EventType']]} "
                    f"'{recorded.get('Name') or ''}' but the orchestrator now asks for "
                    f"{_KIND_LABEL[kind]} '{name or ''}'"
                )
            return task_id
        result = self.result
        if kind == "activity":
            result.new_events.append(
                h.make(h.TASK_SCHEDULED, self.now, task_id, Name=name, Input=spec.get("input"), Version="")
            )
            result.activities.append(NewActivity(task_id, str(name), spec.get("input")))
        elif kind == "suborch":
            child_id = spec.get("instanceId") or f"{self.execution_id}:{task_id}"
            asked = spec.get("version")
            version = str(asked) if asked is not None else None
            result.new_events.append(
                h.make(
                    h.SUB_ORCHESTRATION_CREATED,
                    self.now,
                    task_id,
                    Name=name,
                    InstanceId=child_id,
                    Input=spec.get("input"),
                    Version=version if version is not None else self.default_version or "",
                )
            )
            result.sub_orchestrations.append(
                NewSubOrchestration(task_id, str(name), spec.get("input"), child_id, version)
            )
        else:
            when = fire_at or h.parse_ts(spec["fireAt"])
            result.new_events.append(h.make(h.TIMER_CREATED, self.now, task_id, FireAt=h.format_ts(when)))
            result.timers.append(NewTimer(task_id, when))
        return task_id

    def _complete(self, event: h.Event) -> None:
        kind = event["EventType"]
        if kind == h.EVENT_RAISED:
            name = event["Name"]
            waiting = self.waits.get(name)
            if not waiting:
                self.deferred_events[name] = event
                return
            node = waiting.pop()  # the SDK serves the most recent waiter first
            self._resolve(node, True)
            return
        key = event["TimerId"] if kind == h.TIMER_FIRED else event["TaskScheduledId"]
        entry = self.open.pop(key, None)
        if entry is None:
            self.deferred_ids[key] = event
            return
        node, role = entry
        ok = kind in (h.TASK_COMPLETED, h.SUB_ORCHESTRATION_COMPLETED, h.TIMER_FIRED)
        if role == "leaf" or (role == "attempt" and ok):
            self._resolve(node, ok)
        elif role == "attempt":
            # Failed attempt: the extension always waits on a timer, even after the last one.
            delay = _retry_delay(node.retry, node.attempts - 1)
            timer_id = self._schedule("timer", {}, fire_at=self.now + delay)
            self._open_id(timer_id, node, "timer")
        elif node.attempts >= int(node.retry.get("maxNumberOfAttempts", 1)):
            self._resolve(node, False)
        else:
            self._open_attempt(node)

    def _resolve(self, node: _Node, ok: bool) -> None:
        if node.state != RUNNING:
            return
        node.state = SUCCEEDED if ok else FAILED
        parent = node.parent
        if parent is None or parent.state != RUNNING:
            return
        if parent.kind == "any":
            self._resolve(parent, True)
        elif not ok:
            self._resolve(parent, False)
        else:
            parent.pending -= 1
            if parent.pending <= 0:
                self._resolve(parent, True)


_KIND_LABEL = {"activity": "activity", "suborch": "sub-orchestration", "timer": "timer"}


def _retry_delay(options: dict[str, Any], attempt: int) -> timedelta:
    first = float(options.get("firstRetryIntervalInMilliseconds", 1000))
    coefficient = float(options.get("backoffCoefficient", 1) or 1)
    delay_ms = first * coefficient**attempt
    cap = options.get("maxRetryIntervalInMilliseconds")
    if cap:
        delay_ms = min(delay_ms, float(cap))
    return timedelta(milliseconds=delay_ms)


def _is_live(node: _Node) -> bool:
    cursor: _Node | None = node
    while cursor is not None:
        if cursor.state != RUNNING:
            return False
        cursor = cursor.parent
    return True


def _describe(action: dict[str, Any]) -> str:
    kind = action.get("actionType")
    name = action.get("functionName") or action.get("externalEventName") or ""
    return f"actionType {kind} '{name}'"


def replay(
    history: list[h.Event],
    actions: list[dict[str, Any]],
    now: datetime,
    execution_id: str,
    default_version: str | None = None,
) -> ReplayResult:
    """Walk `actions` (the state's flat V2/V3 list) over `history` (this episode included)."""
    return _Replayer(history, now, execution_id, default_version).run(actions)
