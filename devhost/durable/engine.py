"""DurableEngine: runs orchestrations by driving the real Durable Python SDK over stored history (one concern: the
engine's loop; replay, timers, activities and management are modules of their own).

Interface used by the host (see also `management.ManagementMixin` for client operations):

    DurableEngine(orchestrators=..., activities=..., store=..., task_hub=..., base_url=...,
                  max_concurrent_activities=10, max_concurrent_orchestrations=10,
                  overridable_existing_instance_states="NonRunningStates", default_version=None)
    await start(); await stop(); client_binding_json(); add_routes(app)
    await start_new(name, instance_id, input, version=None); await get_status(id); await wait_for_completion(id, t)

`orchestrators` maps a registration name to the SDK handle (context JSON in, state JSON out), or to a
coroutine function doing the same (the host's, which runs the handle where its functions run).
An instance keeps the version it was started with (host.json `defaultVersion` when none is given), as
the extension does, across continue-as-new too; the orchestrator reads it as `context.version`.
`activities` maps a registration name to an `ActivityFunction(fn, input_param_name)` (called
as `fn(**{input_param_name: decoded_input})`) or to a bare callable (called with the decoded
input as its single positional argument). Sync activities run in a thread pool; async ones on
the loop; both under the same `max_concurrent_activities` bound.

Extra to the agreed interface: `raise_event`, `terminate`, `suspend`, `resume`, `purge`,
`purge_by`, `list_statuses`, `restart`, and `stats` (episodes run, history events replayed).
Starting an id whose instance is in a blocking state raises `OrchestrationAlreadyExistsError`
(HTTP 409); an unknown orchestrator raises `UnknownOrchestratorError` (HTTP 400).
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Awaitable, Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from devhost.durable import binding
from devhost.durable import history as h
from devhost.durable.activities import ActivityFunction, run_activity
from devhost.durable.client_api import add_routes as add_client_routes
from devhost.durable.episode import run_episode
from devhost.durable.fair_slots import FairSlots, party_of
from devhost.durable.instance import DEDUPE_STATUSES, TERMINAL, Instance, Message, new_row
from devhost.durable.management import ManagementMixin
from devhost.durable.store import DurableStore, WorkKey


class OrchestrationAlreadyExistsError(Exception):
    """An instance with that id exists in a state the dedupe policy does not override."""


class UnknownOrchestratorError(ValueError):
    """No orchestrator function is registered under that name."""


@dataclass
class EngineStats:
    episodes: int = 0
    events_replayed: int = 0  # history events handed to the SDK, summed over all replays
    activities: int = 0  # activity invocations, retries and re-runs after a restart included


OrchestratorHandle = Callable[[str], str] | Callable[[str], Awaitable[str]]


class DurableEngine(ManagementMixin):
    def __init__(
        self,
        *,
        orchestrators: Mapping[str, OrchestratorHandle],
        activities: Mapping[str, ActivityFunction | Callable[..., Any]],
        store: DurableStore,
        task_hub: str,
        base_url: str,
        max_concurrent_activities: int = 10,
        max_concurrent_orchestrations: int = 10,
        overridable_existing_instance_states: str = "NonRunningStates",
        default_version: str | None = None,
    ) -> None:
        self.orchestrators = dict(orchestrators)
        self.activities = dict(activities)
        self.store = store
        self.task_hub = task_hub
        self.base_url = base_url
        # set by the host when it requires keys: the system key the binding's links carry, and
        # the loopback-only listener the SDK's client calls go to (see binding.client_binding_json)
        self.webhook_code: str | None = None
        self.rpc_base_url: str | None = None
        self.dedupe = DEDUPE_STATUSES[overridable_existing_instance_states.lower()]
        self.default_version = default_version
        self.stats = EngineStats()
        self.instances: dict[str, Instance] = {}
        self._activity_pool = ThreadPoolExecutor(max_concurrent_activities, "durable-activity")
        self._orchestrator_pool = ThreadPoolExecutor(max_concurrent_orchestrations, "durable-orchestrator")
        self._activity_slots = FairSlots(max_concurrent_activities)
        self._orchestrator_slots = FairSlots(max_concurrent_orchestrations)
        self._tasks: set[asyncio.Task[None]] = set()
        self._timers: dict[tuple[str, str, int], asyncio.TimerHandle] = {}
        self._waiters: dict[str, list[asyncio.Future[dict[str, Any]]]] = {}
        self._stopping = False

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Load every instance and resume outstanding work (activities re-run at least once)."""
        for stored in self.store.load():
            instance = Instance(row=stored.row, inbox=stored.inbox, live_waits=json.loads(stored.row["waits"] or "{}"))
            instance.extend_history(stored.history)
            self.instances[instance.instance_id] = instance
        for key, name, input_text in self.store.activities():
            self.dispatch_activity(key, name, input_text)
        for key, fire_at in self.store.timers():
            self.arm_timer(key, h.parse_ts(fire_at))
        for instance in self.instances.values():
            if instance.inbox:
                self.kick(instance)

    async def stop(self, grace_s: float = 5.0) -> None:
        """Stop taking work, let running episodes/activities finish briefly, cancel the rest."""
        self._stopping = True
        for handle in self._timers.values():
            handle.cancel()
        self._timers.clear()
        tasks = list(self._tasks)
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=grace_s)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        self._activity_pool.shutdown(wait=False, cancel_futures=True)
        self._orchestrator_pool.shutdown(wait=False, cancel_futures=True)

    def client_binding_json(self) -> str:
        return binding.client_binding_json(
            self.base_url, self.task_hub, code=self.webhook_code, rpc_base_url=self.rpc_base_url
        )

    def add_routes(self, app: web.Application) -> None:
        add_client_routes(app, self)

    # -- scheduling ------------------------------------------------------------------------

    def spawn(self, coro: Any) -> None:
        task: asyncio.Task[None] = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def kick(self, instance: Instance) -> None:
        """Make sure a driver is processing this instance's inbox."""
        if self._stopping or (instance.driver is not None and not instance.driver.done()):
            return
        driver = asyncio.get_running_loop().create_task(self._drive(instance))
        instance.driver = driver
        self._tasks.add(driver)
        driver.add_done_callback(self._tasks.discard)

    async def _drive(self, instance: Instance) -> None:
        while not self._stopping:
            async with self._orchestrator_slots.slot(party_of(instance.instance_id)), instance.lock:
                batch, dropped = self._take_batch(instance)
                if not batch:
                    if dropped:
                        with self.store.transaction() as tx:
                            tx.consume(dropped)
                        self._forget_messages(instance, dropped)
                    return
                await run_episode(self, instance, batch, dropped, self._orchestrator_pool)

    def _take_batch(self, instance: Instance) -> tuple[list[tuple[int, Message]], list[int]]:
        """All deliverable inbox messages (one episode); stale ones are dropped.

        Raised events wait in the inbox (FIFO per name) until the orchestrator has a live
        wait for that name, so each wait gets exactly one event.
        """
        if instance.status in TERMINAL:
            return [], [row_id for row_id, _ in instance.inbox]
        if instance.status == "Suspended":
            return [], []
        budget = dict(instance.live_waits)
        batch: list[tuple[int, Message]] = []
        dropped: list[int] = []
        for row_id, message in instance.inbox:
            if message["type"] == "start":
                batch.append((row_id, message))
                continue
            owner = message.get("execution_id")
            if owner is not None and owner != instance.execution_id:
                dropped.append(row_id)
                continue
            event = message["event"]
            if event["EventType"] == h.EVENT_RAISED:
                name = event["Name"]
                if budget.get(name, 0) <= 0:
                    continue
                budget[name] -= 1
            batch.append((row_id, message))
        return batch, dropped

    @staticmethod
    def _forget_messages(instance: Instance, row_ids: list[int]) -> None:
        gone = set(row_ids)
        instance.inbox = [(i, m) for i, m in instance.inbox if i not in gone]

    def deliver(self, instance_id: str, row_id: int, message: Message) -> None:
        instance = self.instances.get(instance_id)
        if instance is not None:
            instance.inbox.append((row_id, message))
            self.kick(instance)

    # -- activities and timers -------------------------------------------------------------

    def dispatch_activity(self, key: WorkKey, name: str, input_text: str | None) -> None:
        self.spawn(self._activity(key, name, input_text))

    async def _activity(self, key: WorkKey, name: str, input_text: str | None) -> None:
        async with self._activity_slots.slot(party_of(key.instance_id)):
            if self._stopping:
                return
            self.stats.activities += 1
            outcome = await run_activity(name, self.activities.get(name), input_text, self._activity_pool)
        now = h.utcnow()
        if outcome.ok:
            event = h.make(h.TASK_COMPLETED, now, TaskScheduledId=key.task_id, Result=outcome.result)
        else:
            event = h.make(
                h.TASK_FAILED, now, TaskScheduledId=key.task_id, Reason=outcome.reason, Details=outcome.details
            )
        message = {"type": "event", "execution_id": key.execution_id, "event": event}
        with self.store.transaction() as tx:
            # Removing the work row and posting the completion together is what makes a
            # persisted completion final: it will never be run again after a restart.
            if not tx.remove_activity(key):
                return
            row_id = tx.post(key.instance_id, message)
        self.deliver(key.instance_id, row_id, message)

    def arm_timer(self, key: WorkKey, fire_at: Any) -> None:
        delay = max(0.0, (fire_at - h.utcnow()).total_seconds())
        handle = asyncio.get_running_loop().call_later(delay, self._fire_timer, key, fire_at)
        self._timers[(key.instance_id, key.execution_id, key.task_id)] = handle

    def _fire_timer(self, key: WorkKey, fire_at: Any) -> None:
        self._timers.pop((key.instance_id, key.execution_id, key.task_id), None)
        if self._stopping:
            return
        if h.utcnow() < fire_at:  # the loop's clock may run slightly ahead of the wall clock
            self.arm_timer(key, fire_at)
            return
        event = h.make(h.TIMER_FIRED, h.utcnow(), TimerId=key.task_id, FireAt=h.format_ts(fire_at))
        message = {"type": "event", "execution_id": key.execution_id, "event": event}
        with self.store.transaction() as tx:
            if not tx.remove_timer(key):
                return
            row_id = tx.post(key.instance_id, message)
        self.deliver(key.instance_id, row_id, message)

    # -- completion waiters ----------------------------------------------------------------

    def notify_finished(self, instance: Instance) -> None:
        waiters = self._waiters.pop(instance.instance_id, [])
        if not waiters:
            return  # the payload parses every value of the instance: made only for a waiter
        payload = instance.status_payload()
        for future in waiters:
            if not future.done():
                future.set_result(payload)

    async def wait_for_completion(self, instance_id: str, timeout_s: float) -> dict[str, Any]:
        """The final status once the instance is Completed/Failed/Terminated (TimeoutError)."""
        instance = self.instances.get(instance_id)
        if instance is None:
            raise KeyError(instance_id)
        if instance.status in TERMINAL:
            return instance.status_payload()
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiters.setdefault(instance_id, []).append(future)
        return await asyncio.wait_for(future, timeout_s)

    # -- starting instances ----------------------------------------------------------------

    async def start_new(self, name: str, instance_id: str | None, input: Any, version: str | None = None) -> str:
        """Start `name` with `input` (any JSON-able value, encoded like the SDK client does)."""
        from azure.durable_functions.models.utils.df_serialization import df_dumps

        return self.create_instance(name, instance_id, df_dumps(input) if input is not None else None, version=version)

    def create_instance(
        self,
        name: str,
        instance_id: str | None,
        input_value: Any,
        parent: dict[str, Any] | None = None,
        version: str | None = None,
    ) -> str:
        """Create (or replace) an instance whose context input is `input_value` (version None: the default)."""
        if name not in self.orchestrators:
            raise UnknownOrchestratorError(
                f"The function '{name}' doesn't exist, is disabled, or is not an orchestrator function."
            )
        instance_id = instance_id or uuid.uuid4().hex
        existing = self.instances.get(instance_id)
        if existing is not None and existing.status in self.dedupe:
            raise OrchestrationAlreadyExistsError(
                f"An Orchestration instance with the status {existing.status} already exists."
            )
        with self.store.transaction() as tx:
            instance, row_id, message = self.stage_instance(tx, name, instance_id, input_value, parent, version)
        self.instances[instance_id] = instance
        instance.inbox.append((row_id, message))
        self.kick(instance)
        return instance_id

    def stage_instance(
        self,
        tx: Any,
        name: str,
        instance_id: str,
        input_value: Any,
        parent: dict[str, Any] | None,
        version: str | None = None,
    ) -> tuple[Instance, int, Message]:
        chosen = version if version is not None else self.default_version
        row = new_row(instance_id, name, uuid.uuid4().hex, input_value, h.utcnow(), parent, chosen)
        tx.delete_instance(instance_id)
        tx.put_instance(row)
        message: Message = {"type": "start"}
        row_id = tx.post(instance_id, message)
        return Instance(row=row), row_id, message
