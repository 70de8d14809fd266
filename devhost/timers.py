"""Timer triggers: schedule loop, run_on_startup, and past-due detection via a schedule monitor."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from azure.functions.timer import TimerRequest

from devhost.ncrontab import Schedule, is_frequent

log = logging.getLogger("devhost")

NEVER = datetime.min.replace(tzinfo=UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class ScheduleStatus:
    last: datetime
    next: datetime
    last_updated: datetime

    def as_dict(self) -> dict[str, str]:
        return {
            "Last": self.last.isoformat(),
            "Next": self.next.isoformat(),
            "LastUpdated": self.last_updated.isoformat(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, str]) -> ScheduleStatus:
        return cls(*(datetime.fromisoformat(data[k]) for k in ("Last", "Next", "LastUpdated")))


class ScheduleMonitor:
    """Remembers each timer's last/next occurrence, in files under `folder` or in memory."""

    def __init__(self, folder: Path | None) -> None:
        self._folder = folder
        self._memory: dict[str, ScheduleStatus] = {}

    def _path(self, name: str) -> Path | None:
        return None if self._folder is None else self._folder / f"{name}.json"

    def get(self, name: str) -> ScheduleStatus | None:
        path = self._path(name)
        if path is None:
            return self._memory.get(name)
        try:
            return ScheduleStatus.from_dict(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError, TypeError):
            return None  # no status yet, or an unreadable one: start afresh as the host does

    def put(self, name: str, status: ScheduleStatus) -> None:
        path = self._path(name)
        if path is None:
            self._memory[name] = status
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(status.as_dict()), encoding="utf-8")


class TimerListener:
    """Fires one function on its schedule, one invocation at a time."""

    def __init__(
        self,
        name: str,
        schedule: Schedule,
        *,
        run_on_startup: bool,
        use_monitor: bool,
        monitor: ScheduleMonitor,
        invoke: Callable[[TimerRequest], Awaitable[object]],
    ) -> None:
        self.name = name
        self.schedule = schedule
        self.run_on_startup = run_on_startup
        self.monitor = monitor if use_monitor and not is_frequent(schedule, utcnow()) else None
        self._invoke = invoke
        self._lock = asyncio.Lock()
        self.status: ScheduleStatus | None = None

    async def run(self) -> None:
        now = utcnow()
        past_due = False
        if self.monitor is not None:
            self.status = self.monitor.get(self.name)
            if self.status is not None:
                # a changed schedule moves the expected occurrence, as the host re-derives it
                if self.status.last_updated != NEVER:
                    self.status.next = self.schedule.next_after(self.status.last_updated)
                past_due = now > self.status.next
        if self.status is None:
            self.status = ScheduleStatus(NEVER, self.schedule.next_after(now), NEVER)
        if past_due:
            log.info("Timer '%s' is past due (expected %s)", self.name, self.status.next.isoformat())
            await self.fire(past_due=True)
        elif self.run_on_startup:
            await self.fire(unscheduled=True)
        while True:
            await asyncio.sleep(max(0.0, (self.status.next - utcnow()).total_seconds()))
            await self.fire()

    async def fire(self, *, past_due: bool = False, unscheduled: bool = False) -> None:
        """One invocation; the next occurrence counts from when this one started."""
        async with self._lock:
            started = utcnow()
            status = self.status.as_dict() if self.status and self.monitor else {}
            request = TimerRequest(past_due=past_due, schedule_status=status, schedule={"AdjustForDST": True})
            # failures were logged by the invoker; they never stop the schedule
            with contextlib.suppress(Exception):
                await self._invoke(request)
            base = started
            if not (past_due or unscheduled) and self.status and self.status.next > started:
                base = self.status.next  # fired a hair early: don't schedule the same slot twice
            self.status = ScheduleStatus(base, self.schedule.next_after(base), base)
            if self.monitor is not None:
                self.monitor.put(self.name, self.status)
