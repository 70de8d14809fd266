"""Client operations on instances: status queries, events, terminate/suspend/resume, purge."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from devhost.durable import history as h
from devhost.durable.episode import parent_message, tick
from devhost.durable.instance import TERMINAL, Instance, Message

if TYPE_CHECKING:
    from devhost.durable.store import DurableStore


class InstanceNotFoundError(KeyError):
    """No instance with that id (HTTP 404)."""


class InstanceGoneError(Exception):
    """The instance already finished (HTTP 410)."""


class ManagementMixin:
    """Mixed into `DurableEngine`; relies on its instances, store and scheduling helpers."""

    instances: dict[str, Instance]
    store: DurableStore

    def kick(self, instance: Instance) -> None:
        raise NotImplementedError

    def deliver(self, instance_id: str, row_id: int, message: Message) -> None:
        raise NotImplementedError

    def notify_finished(self, instance: Instance) -> None:
        raise NotImplementedError

    def create_instance(
        self,
        name: str,
        instance_id: str | None,
        input_value: Any,
        parent: dict[str, Any] | None = None,
        version: str | None = None,
    ) -> str:
        raise NotImplementedError

    def _require(self, instance_id: str, *, running: bool = True) -> Instance:
        instance = self.instances.get(instance_id)
        if instance is None:
            raise InstanceNotFoundError(instance_id)
        if running and instance.status in TERMINAL:
            raise InstanceGoneError(f"Instance {instance_id} is {instance.status}")
        return instance

    async def get_status(
        self,
        instance_id: str,
        *,
        show_history: bool = False,
        show_history_output: bool = False,
        show_input: bool = True,
    ) -> dict[str, Any] | None:
        instance = self.instances.get(instance_id)
        if instance is None:
            return None
        return instance.status_payload(
            show_input=show_input, show_history=show_history, show_history_output=show_history_output
        )

    def _matching(
        self,
        runtime_status: Iterable[str] | None,
        created_from: datetime | None,
        created_to: datetime | None,
        prefix: str | None,
    ) -> list[Instance]:
        wanted = {s.lower() for s in runtime_status or []}
        found = []
        for instance in self.instances.values():
            created = h.parse_ts(instance.row["created"])
            if wanted and instance.status.lower() not in wanted:
                continue
            if created_from is not None and created < created_from:
                continue
            if created_to is not None and created > created_to:
                continue
            if prefix and not instance.instance_id.startswith(prefix):
                continue
            found.append(instance)
        return found

    async def list_statuses(
        self,
        *,
        runtime_status: Iterable[str] | None = None,
        created_from: datetime | None = None,
        created_to: datetime | None = None,
        prefix: str | None = None,
        show_input: bool = False,
    ) -> list[dict[str, Any]]:
        return [
            i.status_payload(show_input=show_input)
            for i in self._matching(runtime_status, created_from, created_to, prefix)
        ]

    async def raise_event(self, instance_id: str, name: str, data: Any) -> None:
        """Queue an EventRaised whose Input is the JSON text of `data`."""
        self._require(instance_id)
        event = h.make(h.EVENT_RAISED, h.utcnow(), Name=name, Input=json.dumps(data))
        message: Message = {"type": "event", "execution_id": None, "event": event}
        with self.store.transaction() as tx:
            row_id = tx.post(instance_id, message)
        self.deliver(instance_id, row_id, message)

    async def terminate(self, instance_id: str, reason: str) -> None:
        instance = self._require(instance_id)
        async with instance.lock:
            if instance.status in TERMINAL:
                raise InstanceGoneError(f"Instance {instance_id} is {instance.status}")
            now = tick(instance)
            row = dict(instance.row, status="Terminated", output=json.dumps(reason), updated=h.format_ts(now))
            event = h.make(h.EXECUTION_TERMINATED, now, Input=reason)
            notice = parent_message(instance, now, False, f"Orchestration '{instance_id}' was terminated: {reason}")
            with self.store.transaction() as tx:
                tx.consume([row_id for row_id, _ in instance.inbox])
                tx.append_history(instance_id, len(instance.history), [h.text(event)])
                tx.drop_work(instance_id)
                posted = None
                if notice is not None and instance.parent is not None:
                    target = instance.parent["instance_id"]
                    posted = (target, tx.post(target, notice), notice)
                tx.put_instance(row)
            instance.row = row
            instance.inbox = []
            instance.extend_history([event])
        if posted is not None:
            self.deliver(*posted)
        self.notify_finished(instance)

    async def _set_status(self, instance: Instance, status: str) -> None:
        row = dict(instance.row, status=status, updated=h.format_ts(h.utcnow()))
        with self.store.transaction() as tx:
            tx.put_instance(row)
        instance.row = row

    async def suspend(self, instance_id: str, reason: str = "") -> None:
        instance = self._require(instance_id)
        async with instance.lock:
            if instance.status in ("Running", "Pending"):
                await self._set_status(instance, "Suspended")

    async def resume(self, instance_id: str, reason: str = "") -> None:
        instance = self._require(instance_id)
        async with instance.lock:
            if instance.status == "Suspended":
                await self._set_status(instance, "Running" if instance.history else "Pending")
        self.kick(instance)

    async def purge(self, instance_id: str) -> int:
        """Delete a finished instance and its history; 0 if unknown or still running."""
        instance = self.instances.get(instance_id)
        if instance is None or instance.status not in TERMINAL:
            return 0
        with self.store.transaction() as tx:
            tx.delete_instance(instance_id)
        del self.instances[instance_id]
        return 1

    async def purge_by(
        self,
        *,
        created_from: datetime | None = None,
        created_to: datetime | None = None,
        runtime_status: Iterable[str] | None = None,
    ) -> int:
        victims = [i for i in self._matching(runtime_status, created_from, created_to, None) if i.status in TERMINAL]
        with self.store.transaction() as tx:
            for instance in victims:
                tx.delete_instance(instance.instance_id)
        for instance in victims:
            del self.instances[instance.instance_id]
        return len(victims)

    async def restart(self, instance_id: str, new_instance_id: bool = True) -> str:
        """Start the same orchestrator again with the instance's original input (as a new start: default version)."""
        instance = self._require(instance_id, running=False)
        input_value = json.loads(instance.row["input"])
        return self.create_instance(instance.row["name"], None if new_instance_id else instance_id, input_value)
