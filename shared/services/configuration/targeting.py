"""Who should have which Cloud PCs: the earliest-assigned policy wins, one Cloud PC per license.

Pure functions: the wizard's assignment plan and the provisioning engine's reconcile both use them.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from shared.catalog.service_plans import SERVICE_PLANS_BY_ID
from shared.models.policies import ProvisioningPolicy
from shared.ports.directory import DirectoryUser


@dataclass(frozen=True, order=True)
class Winner:
    """The policy that serves a user, and the assignment that made it win."""

    assigned_date_time: datetime
    policy_id: str
    group_id: str
    policy_name: str


@dataclass(frozen=True, order=True)
class Slot:
    """One Cloud PC a user is entitled to: the n-th license of a service plan."""

    user_id: str
    service_plan_id: str
    index: int


def winning_policies(
    policies: Iterable[ProvisioningPolicy], members_by_group: Mapping[str, Collection[str]]
) -> dict[str, Winner]:
    """For each targeted user, the policy assigned first (ties broken by policy id, so always the same)."""
    winners: dict[str, Winner] = {}
    for policy in policies:
        for assignment in policy.assignments:
            candidate = Winner(assignment.assigned_date_time, policy.id, assignment.group_id, policy.display_name)
            for user_id in members_by_group.get(assignment.group_id, ()):
                current = winners.get(user_id)
                if current is None or candidate < current:
                    winners[user_id] = candidate
    return winners


def license_slots(user: DirectoryUser) -> list[Slot]:
    """One slot per Windows 365 license a policy provisions; other licenses (Business, Shared Use, other products)
    are ignored."""
    counts: dict[str, int] = {}
    slots = []
    for plan_id in user.licenses:
        plan = SERVICE_PLANS_BY_ID.get(plan_id)
        if plan is not None and plan.provisioned_by_policy:
            slots.append(Slot(user.id, plan_id, counts.get(plan_id, 0)))
            counts[plan_id] = counts.get(plan_id, 0) + 1
    return slots


def desired_slots(winners: Mapping[str, Winner], users: Mapping[str, DirectoryUser]) -> dict[Slot, Winner]:
    """Every (user, license) that should have a Cloud PC, with the policy that provisions it."""
    desired: dict[Slot, Winner] = {}
    for user_id, winner in winners.items():
        user = users.get(user_id)
        if user is None:
            continue
        for slot in license_slots(user):
            desired[slot] = winner
    return desired
