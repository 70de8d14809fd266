"""The rule of a rolling image update: which hosts are replaced, which of them are the canary, and the batches."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from shared.models.spot_groups import SessionHost

T = TypeVar("T")


@dataclass(frozen=True)
class RolloutPlan(Generic[T]):
    """The canary goes first and alone (all of it is rolled back if one of it fails); then the batches in order."""

    canary: list[T]
    batches: list[list[T]]


def replaceable(hosts: Sequence[SessionHost]) -> list[SessionHost]:
    """The hosts an image update rebuilds, in the order they are rebuilt: the running ones, by index. A host that
    failed or is still being made has no image in use to move off; the group's own repair handles it."""
    return sorted((h for h in hosts if h.status == "running"), key=lambda h: h.index)


def plan_rollout(items: Sequence[T], canary_count: int, batch_size: int) -> RolloutPlan[T]:
    """`items` (hosts, or their runs) as a rollout: the first `canary_count` of them as the canary (all of them
    when there are fewer), the rest `batch_size` at a time (at least one)."""
    canary, rest = list(items[:canary_count]), list(items[canary_count:])
    size = max(batch_size, 1)
    return RolloutPlan(canary=canary, batches=[rest[i : i + size] for i in range(0, len(rest), size)])
