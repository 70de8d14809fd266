"""The Spot PC state machines: for image sets and their versions, Spot Groups, their session hosts and their image
updates, every action, the states it is allowed from and the status it leaves.

This is the only module that assigns their `status` (a record starts in its model's default status); services
ask it to `move` one. An action in the wrong state is refused with `409 wrongStatus`. Actions that work and
activities repeat (a replayed phase, a settle called again) are allowed from the status they leave, so doing one
twice changes nothing the second time.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any, Generic, Literal, Protocol, TypeVar, get_args

from shared.errors import Conflict
from shared.models.image_sets import ImageSet, ImageSetVersion, VersionStatus
from shared.models.spot_groups import (
    HostStatus,
    ImageUpdate,
    ImageUpdateStatus,
    SessionHost,
    SpotGroup,
    SpotGroupStatus,
)

SpotGroupAction = Literal[
    "update",  # the admin changed the pool, the profile path or the number of hosts; Azure follows
    "updateImage",  # a rolling image update
    "delete",  # hosts drained and removed, then the pool
    "finish",  # the work is done and a host runs
    "fail",  # the work stopped, or no host could be deployed
]
ImageUpdateAction = Literal["succeed", "fail", "rollBack"]  # how a rolling image update ended
VersionAction = Literal[
    "await",  # the build VM waits for the admin's customization
    "capture",  # the build VM is captured (the admin asked, or there is nothing to wait for)
    "replicate",  # the image version is replicated to the set's other regions
    "finish",  # the image version exists: Spot Groups may use it
    "fail",  # the build, or the version's removal, failed
    "delete",  # its image version is being removed
]
ImageSetAction = Literal["follow", "delete", "fail"]  # its latest version's status; removed; its removal failed
SessionHostAction = Literal[
    "register",  # the host joined the pool: it takes sessions
    "drain",  # it takes no new session; it goes (removed, or replaced)
    "fail",  # a phase of its own failed
]
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


def _table(statuses: tuple[str, ...], rows: Mapping[A, tuple[Collection[str], str]]) -> dict[A, Transition]:
    table = {action: Transition(frozenset(allowed), to) for action, (allowed, to) in rows.items()}
    assert all(t.allowed_from <= set(statuses) and t.to in (*statuses, FOLLOW) for t in table.values()), "a status?"
    return table


GROUP_STATUSES: tuple[SpotGroupStatus, ...] = get_args(SpotGroupStatus)
HOST_STATUSES: tuple[HostStatus, ...] = get_args(HostStatus)
UPDATE_STATUSES: tuple[ImageUpdateStatus, ...] = get_args(ImageUpdateStatus)
VERSION_STATUSES: tuple[VersionStatus, ...] = get_args(VersionStatus)
BUILDING = {"building", "awaitingCustomization", "capturing", "replicating"}  # the build's steps, in order
SETTLED_GROUP = {"ready", "failed"}  # no work under way: the admin may change or delete it
WORKING_GROUP = {"deploying", "updating", "deleting"}  # an orchestration is at work on it

SPOT_GROUPS: StateMachine[SpotGroup, SpotGroupAction] = StateMachine(
    "Spot Group",
    GROUP_STATUSES,
    _table(GROUP_STATUSES, {
        "update": (SETTLED_GROUP, "updating"),
        "updateImage": (SETTLED_GROUP, "updating"),
        "delete": (SETTLED_GROUP | {"updating", "deleting"}, "deleting"),  # a deployment under way is awaited
        "finish": ({"deploying", "updating", "ready"}, "ready"),
        "fail": (WORKING_GROUP | {"failed"}, "failed"),
    }),
)  # fmt: skip
SESSION_HOSTS: StateMachine[SessionHost, SessionHostAction] = StateMachine(
    "session host",
    HOST_STATUSES,
    _table(HOST_STATUSES, {
        "register": ({"creating", "removing", "running"}, "running"),  # removing: a replaced host comes back
        "drain": (set(HOST_STATUSES), "removing"),  # a group's removal takes every host, failed ones too
        "fail": (set(HOST_STATUSES), "failed"),
    }),
)  # fmt: skip
IMAGE_UPDATES: StateMachine[ImageUpdate, ImageUpdateAction] = StateMachine(
    "image update",
    UPDATE_STATUSES,
    _table(UPDATE_STATUSES, {  # each also from where it leads: the settle that records it may run again
        "succeed": ({"running", "succeeded"}, "succeeded"),
        "fail": ({"running", "failed"}, "failed"),
        "rollBack": ({"running", "rolledBack"}, "rolledBack"),
    }),
)  # fmt: skip
OUTCOMES: dict[str, ImageUpdateAction] = {"succeeded": "succeed", "failed": "fail", "rolledBack": "rollBack"}
# a build records its progress forward only (a restarted build replays its phases): each step also from itself
IMAGE_SET_VERSIONS: StateMachine[ImageSetVersion, VersionAction] = StateMachine(
    "image set version",
    VERSION_STATUSES,
    _table(VERSION_STATUSES, {
        "await": ({"building", "awaitingCustomization"}, "awaitingCustomization"),
        "capture": ({"building", "awaitingCustomization", "capturing"}, "capturing"),
        "replicate": (BUILDING, "replicating"),
        "finish": (BUILDING | {"ready"}, "ready"),
        "fail": (set(VERSION_STATUSES), "failed"),
        "delete": ({"ready", "failed"}, "deleting"),  # never while it is built
    }),
)  # fmt: skip
IMAGE_SETS: StateMachine[ImageSet, ImageSetAction] = StateMachine(
    "image set",
    VERSION_STATUSES,
    _table(VERSION_STATUSES, {
        "follow": (set(VERSION_STATUSES) - {"deleting"}, FOLLOW),
        "delete": (set(VERSION_STATUSES), "deleting"),
        "fail": ({"deleting", "failed"}, "failed"),
    }),
)  # fmt: skip
PROGRESS_ACTIONS: dict[str, VersionAction] = {"awaitingCustomization": "await", "capturing": "capture",
                                             "replicating": "replicate"}  # fmt: skip
