"""In-memory state of one orchestration instance (the store holds the durable copy)."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from devhost.durable import history as h

TERMINAL = frozenset({"Completed", "Failed", "Terminated", "Canceled"})
# The extension's OverridableStates: which existing statuses block a new start with that id.
DEDUPE_STATUSES = {
    "nonrunningstates": frozenset({"Running", "Pending", "ContinuedAsNew", "Suspended"}),
    "anystate": frozenset(),
}

Message = dict[str, Any]


@dataclass
class Instance:
    row: dict[str, Any]  # the store's instances row (JSON texts for values)
    history: list[h.Event] = field(default_factory=list)
    played: list[str] = field(default_factory=list)  # history encoded with IsPlayed=true
    inbox: list[tuple[int, Message]] = field(default_factory=list)
    live_waits: dict[str, int] = field(default_factory=dict)
    last_ts: datetime | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    driver: asyncio.Task[None] | None = None

    @property
    def instance_id(self) -> str:
        return str(self.row["instance_id"])

    @property
    def status(self) -> str:
        return str(self.row["status"])

    @property
    def execution_id(self) -> str:
        return str(self.row["execution_id"])

    @property
    def version(self) -> str | None:
        """The version given at creation (or the host's defaultVersion then); kept across continue-as-new."""
        value = self.row.get("version")
        return str(value) if value is not None else None

    @property
    def parent(self) -> dict[str, Any] | None:
        text = self.row.get("parent")
        return json.loads(text) if text else None

    def extend_history(self, events: list[h.Event], texts: list[str] | None = None) -> None:
        """`texts`: the events' stored form (history.text), when the caller made it already."""
        self.history.extend(events)
        bodies = texts or [h.text(e) for e in events]
        self.played.extend(h.encode(e, True, body) for e, body in zip(events, bodies, strict=True))
        if events:
            last = h.parse_ts(events[-1]["Timestamp"])
            self.last_ts = max(self.last_ts or last, last)

    def reset_history(self) -> None:
        self.history = []
        self.played = []
        self.live_waits = {}

    def context_json(
        self, new_events: list[h.Event], played: list[str] | None = None, row: dict[str, Any] | None = None
    ) -> str:
        """The orchestrationTrigger payload: played history plus this episode's new events (by default this
        instance's history and input; a continued execution's own, empty history and new input when given)."""
        parts = (self.played if played is None else played) + [h.encode(e, False) for e in new_events]
        row = self.row if row is None else row
        parent = self.parent
        return (
            '{"history":['
            + ",".join(parts)
            + '],"input":'
            + (row["input"] or "null")
            + ',"instanceId":'
            + json.dumps(self.instance_id)
            + ',"isReplaying":false,"parentInstanceId":'
            + json.dumps(parent["instance_id"] if parent else None)
            + ',"upperSchemaVersion":1,"upperSchemaVersionNew":2}'
        )

    def status_payload(
        self, *, show_input: bool = True, show_history: bool = False, show_history_output: bool = False
    ) -> dict[str, Any]:
        row = self.row
        payload: dict[str, Any] = {
            "name": row["name"],
            "instanceId": row["instance_id"],
            "runtimeStatus": row["status"],
            "input": _loads(row["input"]) if show_input else None,
            "customStatus": _loads(row["custom_status"]),
            "output": _loads(row["output"]),
            "createdTime": h.format_ts_seconds(h.parse_ts(row["created"])),
            "lastUpdatedTime": h.format_ts_seconds(h.parse_ts(row["updated"])),
        }
        if show_history:
            events = [h.readable(e) for e in self.history]
            if not show_history_output:
                for event in events:
                    event.pop("Result", None)
            payload["historyEvents"] = events
        return payload


def _loads(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def new_row(
    instance_id: str,
    name: str,
    execution_id: str,
    input_value: Any,
    now: datetime,
    parent: dict[str, Any] | None,
    version: str | None = None,
) -> dict[str, Any]:
    stamp = h.format_ts(now)
    return {
        "instance_id": instance_id,
        "name": name,
        "execution_id": execution_id,
        "status": "Pending",
        "input": json.dumps(input_value),
        "output": None,
        "custom_status": None,
        "created": stamp,
        "updated": stamp,
        "parent": json.dumps(parent) if parent else None,
        "waits": None,
        "version": version,
    }
