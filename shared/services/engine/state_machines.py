"""The one mechanism behind every aggregate's status: a table of actions, the states each is allowed from and the
status it leaves; `move` is the only way a status changes (tests/unit/test_status_writes.py proves it).

The tables are in the transition modules. A destination is a status, or a relative one the machine resolves from the
record and the status the caller names (FOLLOW here; a Cloud PC's SAME, BEFORE, SETTLED and REPORTED). A transition
may carry what its machine's module keeps of the action besides (a Cloud PC's timeline line), which this ignores.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from shared.errors import Conflict

A = TypeVar("A", bound=str)
M = TypeVar("M", bound="HasStatus")
D = TypeVar("D")


class HasStatus(Protocol):
    @property
    def status(self) -> str: ...

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Any: ...


# a relative destination: the status it leads to, from the record and the status the caller names (if any)
Resolve = Callable[[Any, str | None], str | None]

FOLLOW = "follow"  # the status the caller names: an image set shows its latest version's
FOLLOWING: Mapping[str, Resolve] = {FOLLOW: lambda _item, named: named}


@dataclass(frozen=True)
class Transition(Generic[D]):
    allowed_from: frozenset[str]
    to: str  # a status, or one of the machine's relative destinations
    verb: str | None = None  # "Cannot {verb} ...": the action's name without one
    about: D | None = None  # what the machine's module keeps of the action besides (a Cloud PC's timeline line)


@dataclass(frozen=True)
class StateMachine(Generic[M, A]):
    noun: str  # "Spot Group": how a refusal names the record
    statuses: tuple[str, ...]
    transitions: Mapping[A, Transition[Any]]
    relative: Mapping[str, Resolve] = field(default_factory=lambda: FOLLOWING)
    name_of: Callable[[M], str] | None = None  # how a refusal names one record: "the {noun}" without it

    def __post_init__(self) -> None:
        ends = {*self.statuses, *self.relative}
        assert all(t.allowed_from <= set(self.statuses) and t.to in ends for t in self.transitions.values()), (
            f"a status of a {self.noun}?"
        )

    def allows(self, action: A, status: str) -> bool:
        return status in self.transitions[action].allowed_from

    def check(self, item: M, action: A) -> None:
        """Raise `409 wrongStatus` unless the action is allowed from the item's status."""
        if self.allows(action, item.status):
            return
        rule = self.transitions[action]
        record = self.name_of(item) if self.name_of else f"the {self.noun}"
        needs = " or ".join(sorted(rule.allowed_from))
        message = f"Cannot {rule.verb or action} {record}: it is {item.status}; {action} needs {needs}."
        raise Conflict(message, code="wrongStatus", target="status")

    def destination(self, item: M, action: A, named: str | None = None) -> str | None:
        """The status `action` leads `item` to; `named` is the one the caller names, for a relative destination."""
        to = self.transitions[action].to
        return self.relative[to](item, named) if to in self.relative else to

    def move(self, item: M, action: A, named: str | None = None, /, **changes: Any) -> M:
        """`item` after `action`, with `changes` (never `status`) applied; `409 wrongStatus` from a wrong state.

        `named`: the status the caller names, for an action whose destination is relative (FOLLOW: another record's).
        """
        if "status" in changes:
            raise ValueError("the state machine decides the status")
        to = self.destination(item, action, named)
        if to not in self.statuses:
            raise ValueError(f"{action} leads to a status of a {self.noun}, not {to!r}")
        self.check(item, action)
        moved: M = item.model_copy(update={**changes, "status": to})
        return moved


def table(rows: Mapping[A, tuple[Collection[str], str]]) -> dict[A, Transition[None]]:
    """A table whose actions need nothing but where they are allowed from and where they lead."""
    return {action: Transition(frozenset(allowed), to) for action, (allowed, to) in rows.items()}
