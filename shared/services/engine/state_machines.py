"""The one mechanism behind every aggregate's status: a table of actions, the states each is allowed from and the
status it leaves; `move` is the only way a status changes (tests/unit/test_status_writes.py proves it).

The tables are in the transition modules (cloud_pc_transitions.py keeps its own richer machine for Cloud PCs).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from shared.errors import Conflict

A = TypeVar("A", bound=str)
M = TypeVar("M", bound="HasStatus")


class HasStatus(Protocol):
    @property
    def status(self) -> str: ...

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Any: ...


FOLLOW = "follow"  # the status the caller names: an image set shows its latest version's


@dataclass(frozen=True)
class Transition:
    allowed_from: frozenset[str]
    to: str  # a status, or FOLLOW


@dataclass(frozen=True)
class StateMachine(Generic[M, A]):
    noun: str  # "Spot Group": how a refusal names the record
    statuses: tuple[str, ...]
    transitions: Mapping[A, Transition]

    def allows(self, action: A, status: str) -> bool:
        return status in self.transitions[action].allowed_from

    def move(self, item: M, action: A, **changes: Any) -> M:
        """`item` after `action`, with `changes` (never `status`) applied; `409 wrongStatus` from a wrong state."""
        return self._moved(item, action, None, changes)

    def follow(self, item: M, action: A, following: str, **changes: Any) -> M:
        """The same for an action that FOLLOWs another record's status: `following` is that status."""
        return self._moved(item, action, following, changes)

    def _moved(self, item: M, action: A, following: str | None, changes: dict[str, Any]) -> M:
        if "status" in changes:
            raise ValueError("the state machine decides the status")
        rule = self.transitions[action]
        to = following if rule.to == FOLLOW else rule.to
        if to not in self.statuses:
            raise ValueError(f"{action} leads to a status of a {self.noun}, not {to!r}")
        if item.status not in rule.allowed_from:
            needs = " or ".join(sorted(rule.allowed_from))
            message = f"Cannot {action} the {self.noun}: it is {item.status}; {action} needs {needs}."
            raise Conflict(message, code="wrongStatus", target="status")
        moved: M = item.model_copy(update={**changes, "status": to})
        return moved


def table(statuses: tuple[str, ...], rows: Mapping[A, tuple[Collection[str], str]]) -> dict[A, Transition]:
    table = {action: Transition(frozenset(allowed), to) for action, (allowed, to) in rows.items()}
    assert all(t.allowed_from <= set(statuses) and t.to in (*statuses, FOLLOW) for t in table.values()), "a status?"
    return table
