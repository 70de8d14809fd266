"""The assignment review: who gets, keeps out of, or loses a Cloud PC when a policy's groups change."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shared.errors import ValidationFailed
from shared.models.policies import Assignment, AssignRequest
from shared.ports.admin_ports import AdminPorts
from shared.services.configuration.group_members import GroupsRead
from shared.services.configuration.policies import AssignmentPlan, assign_policy, plan_assignment
from tests.fakes import T0, Fakes
from tests.fakes.seed import BIG_PLAN, PLAN, TENANT, policy, tenant


def request(*group_ids: str) -> AssignRequest:
    return AssignRequest.model_validate({"assignments": [{"groupId": g} for g in group_ids]})


def arranged() -> tuple[AdminPorts, Fakes]:
    """Ann is in the earlier-assigned policy's group and the new one; Bob, Cat and a ghost only in the new one."""
    fakes = Fakes()
    tenant(fakes)
    policy(fakes, "early", "g-all")
    policy(fakes, "late")
    directory = fakes.directory
    directory.add_user(TENANT, "ann", PLAN)
    directory.add_user(TENANT, "bob", PLAN, BIG_PLAN, "office-e3")
    directory.add_user(TENANT, "cat", "office-e3")
    directory.add_group(TENANT, "g-all", "ann")
    directory.add_group(TENANT, "g-new", "ann", "bob", "cat", "ghost")
    fakes.clock.advance(hours=1)
    return fakes.admin_ports(), fakes


def by_user(plan: AssignmentPlan) -> dict[str, tuple[str, int, str | None]]:
    return {e.user_id: (e.action, e.cloud_pc_count, e.winning_policy_id) for e in plan.users}


def test_the_first_assigned_policy_keeps_its_users_and_the_rest_are_planned_per_license() -> None:
    ports, _ = arranged()
    _, plan = assign_policy(ports, TENANT, "late", request("g-new"), dry_run=True)
    assert by_user(plan) == {
        "ann": ("servedByEarlierPolicy", 0, "early"),
        "bob": ("provision", 2, "late"),
        "cat": ("noLicense", 0, "late"),
    }
    assert plan.summary.model_dump() == {
        "provision": 1,
        "cloudPcs": 2,
        "servedByEarlierPolicy": 1,
        "noLicense": 1,
        "lose": 0,
        "membersNotFound": 0,  # members are read with their licenses: 'ghost', no user, is none of them
    }
    ann = next(e for e in plan.users if e.user_id == "ann")
    assert "Early" in ann.reason and "g-all" in ann.reason
    assert plan.group_ids == ["g-new"]


def test_a_dry_run_saves_nothing_and_publishes_nothing() -> None:
    ports, fakes = arranged()
    before = fakes.policies.get_policy(TENANT, "late")
    policy_after, _ = assign_policy(ports, TENANT, "late", request("g-new"), dry_run=True)
    assert [a.group_id for a in policy_after.assignments] == ["g-new"]
    assert fakes.policies.get_policy(TENANT, "late") == before
    assert fakes.events.published == []


def test_an_assignment_is_saved_and_reconciles_the_groups_it_touched() -> None:
    ports, fakes = arranged()
    assign_policy(ports, TENANT, "late", request("g-new"))
    fakes.clock.advance(hours=1)
    saved, _ = assign_policy(ports, TENANT, "late", request("g-new", "g-all"))
    assert [(a.group_id, a.assigned_date_time) for a in saved.assignments] == [
        ("g-new", T0 + timedelta(hours=1)),  # kept its first assignment time
        ("g-all", T0 + timedelta(hours=2)),
    ]
    assert fakes.policies.get_policy(TENANT, "late").assignments == saved.assignments
    assert [e.group_ids for e in fakes.events.published] == [["g-new"], ["g-new", "g-all"]]


def test_users_only_in_a_removed_group_lose_their_cloud_pcs_to_grace_or_to_the_next_policy() -> None:
    fakes = Fakes()
    tenant(fakes)
    policy(fakes, "finance", "g1", "g2")
    policy(fakes, "backup", "g3", after=timedelta(minutes=30))
    for user in ("ann", "dan", "eve"):
        fakes.directory.add_user(TENANT, user, PLAN)
    fakes.directory.add_group(TENANT, "g1", "ann")
    fakes.directory.add_group(TENANT, "g2", "ann", "dan", "eve")
    fakes.directory.add_group(TENANT, "g3", "eve")
    _, plan = assign_policy(fakes.admin_ports(), TENANT, "finance", request("g1"), dry_run=True)
    assert by_user(plan) == {
        "ann": ("provision", 1, "finance"),
        "dan": ("lose", 1, None),
        "eve": ("lose", 1, "backup"),
    }
    assert plan.summary.lose == 2
    eve = next(e for e in plan.users if e.user_id == "eve")
    assert "grace period" in eve.reason and "Backup" in eve.reason


def test_plan_assignment_reads_the_groups_it_was_not_given() -> None:
    ports, fakes = arranged()
    before = fakes.policies.get_policy(TENANT, "late")
    assignment = Assignment(id="a", group_id="g-all", assigned_date_time=fakes.clock())
    plan = plan_assignment(ports, TENANT, before, before.model_copy(update={"assignments": [assignment]}), GroupsRead())
    assert by_user(plan) == {"ann": ("servedByEarlierPolicy", 0, "early")}
    assert fakes.script.calls["group_members_with_licenses"] == 1  # g-all, read once for both policies


def test_an_unknown_group_is_refused_before_anything_is_planned() -> None:
    ports, fakes = arranged()
    with pytest.raises(ValidationFailed) as refused:
        assign_policy(ports, TENANT, "late", request("g-new", "g-missing"), dry_run=True)
    assert [(d.code, d.target) for d in refused.value.details] == [("groupNotFound", "assignments[1].groupId")]
    assert fakes.script.calls["get_users"] == 0
