"""The rule of a rolling image update: which hosts are replaced, which of them are the canary, the batches, and
what each batch's outcomes make of the update (the canary rolled back if one of it fails)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Generic, Literal, TypeVar

from shared.models.orchestrations import SpotGroupRun
from shared.models.session_hosts import SessionHost

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


@dataclass(frozen=True)
class BatchVerdict:
    """What a batch's outcomes make of an image update: go on (`ends` None), or end as `ends` once the host runs in
    `back` (the canary on the image it had) have run."""

    ends: Literal["cancelled", "failed", "rolledBack"] | None = None
    back: list[SpotGroupRun] = field(default_factory=list)


def after_batch(
    run: SpotGroupRun, batch: list[SpotGroupRun], outcomes: Sequence[object], *, canary: bool
) -> BatchVerdict:
    """A cancel ends the update where it is (the hosts replaced keep the new version; the rest, the old); a host
    that failed rolls the canary back, or, after the canary, ends the update failed with the hosts replaced so far on
    the new version."""
    if "cancelled" in outcomes:
        return BatchVerdict("cancelled")
    if all(outcome == "succeeded" for outcome in outcomes):
        return BatchVerdict()
    if not canary:
        return BatchVerdict("failed")
    if run.previous is None:
        raise ValueError("an image update without the version it replaces has nothing to roll back to")
    version, image_id = run.previous
    # at once, window or not: a canary host that failed on the new image is of no use to its users
    old_image = {"image_version": version, "image_version_id": image_id, "maintenance_window": None}
    return BatchVerdict("rolledBack", [host.model_copy(update=old_image) for host in batch])
