"""The provisioning explanation on plain data: the winner and why, every candidate, licenses, Cloud PCs by license."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shared.errors import NotFound
from shared.models.cloud_pcs import CloudPc
from shared.models.policies import ProvisioningPolicy
from shared.ports.directory import DirectoryUser, GroupLicense
from shared.services.cloud_pcs.explanation import explain
from shared.services.configuration.targeting import winning_policies
from tests.fakes.seed import policy_row

T0 = datetime(2026, 11, 1, tzinfo=UTC)
PLAN = "w365-enterprise-2vcpu-8gb-128gb"
BIG = "w365-enterprise-4vcpu-16gb-256gb"
ANN = DirectoryUser("ann", "ann@contoso.com", "Ann Lee", licenses=(PLAN,))


def policy(policy_id: str, *assignments: tuple[str, int]) -> ProvisioningPolicy:
    """A policy assigned to each (group, minutes after T0)."""
    assigned = [(group, T0 + timedelta(minutes=minutes)) for group, minutes in assignments]
    return policy_row(policy_id, assigned, now=T0, tenant_id="t", image_id="x", cloud_pc_naming_template="CPC-%RAND:5%")


def cloud_pc(cloud_pc_id: str, policy_id: str, plan: str = PLAN, slot: int = 0, **fields: Any) -> CloudPc:
    return CloudPc.model_validate(
        {
            "id": cloud_pc_id,
            "tenantId": "t",
            "createdDateTime": T0,
            "lastModifiedDateTime": T0,
            "displayName": f"{policy_id.title()} - Ann",
            "userId": "ann",
            "userPrincipalName": "ann@contoso.com",
            "servicePlanId": plan,
            "servicePlanName": plan,
            "slotIndex": slot,
            "provisioningPolicyId": policy_id,
            "provisioningPolicyName": policy_id.title(),
            "status": "provisioned",
            **fields,
        }
    )


def test_the_earlier_assigned_policy_wins_and_every_candidate_is_listed_in_assignment_order() -> None:
    late = policy("late", ("g-late", 9))
    early = policy("early", ("g-early", 1), ("g-other", 5))
    has = cloud_pc("cpc-1", "early")

    result = explain("ann", ANN, [late, early], ["g-late", "g-early"], [has])

    assert result.winning_policy is not None
    assert (result.winning_policy.policy_id, result.winning_policy.group_id) == ("early", "g-early")
    assert "'Early' serves the user" in result.reason
    assert "assigned first" in result.reason
    assert [(c.policy_id, c.wins) for c in result.candidates] == [("early", True), ("late", False)]
    assert result.candidates[0].matching_group_ids == ["g-early"]  # g-other does not hold Ann
    assert "Assigned later" in result.candidates[1].reason
    assert "'Early'" in result.candidates[1].reason
    assert [(lic.service_plan_id, lic.count) for lic in result.licenses] == [(PLAN, 1)]
    [held] = result.cloud_pcs
    assert (held.id, held.expected, held.note) == ("cpc-1", True, "Provisioned.")
    [slot] = result.expected
    assert (slot.service_plan_id, slot.slot_index, slot.provisioning_policy_id) == (PLAN, 0, "early")
    assert (slot.existing_cloud_pc_id, slot.other_policy_cloud_pc_ids) == ("cpc-1", [])


def test_the_winner_is_the_one_targetings_rule_picks() -> None:
    policies = [policy("b", ("g2", 3), ("g1", 7)), policy("a", ("g1", 4)), policy("c", ("g3", 1))]
    result = explain("ann", ANN, policies, ["g1", "g2"], [])
    expected = winning_policies(policies, {"g1": ["ann"], "g2": ["ann"]})["ann"]
    assert result.winning_policy is not None
    assert (result.winning_policy.policy_id, result.winning_policy.group_id) == (expected.policy_id, "g2")
    assert [c.policy_id for c in result.candidates] == ["b", "a"]  # c's group does not hold Ann
    assert result.candidates[0].matching_group_ids == ["g2", "g1"]


def test_a_tie_goes_to_the_lowest_policy_id_and_says_so() -> None:
    result = explain("ann", ANN, [policy("zeta", ("g", 2)), policy("alpha", ("h", 2))], ["g", "h"], [])
    assert [(c.policy_id, c.wins) for c in result.candidates] == [("alpha", True), ("zeta", False)]
    assert "same moment" in result.reason
    assert "lowest policy id" in result.reason
    assert "same moment as 'Alpha'" in result.candidates[1].reason


def test_a_user_in_no_assigned_group_has_no_winner_and_nothing_expected() -> None:
    result = explain("ann", ANN, [policy("p", ("g", 1))], [], [])
    assert result.winning_policy is None
    assert result.candidates == []
    assert result.expected == []
    assert "No provisioning policy applies" in result.reason
    assert [lic.count for lic in result.licenses] == [1]  # licensed, but no policy uses the license


def test_a_user_without_a_windows_365_license_is_targeted_but_gets_nothing() -> None:
    unlicensed = DirectoryUser("ann", "ann@contoso.com", "Ann Lee", licenses=())
    result = explain("ann", unlicensed, [policy("p", ("g", 1))], ["g"], [])
    assert result.winning_policy is not None
    assert result.winning_policy.policy_id == "p"
    assert "only policy" in result.reason
    assert "no Windows 365 license" in result.reason
    assert result.licenses == []
    assert result.expected == []


def test_a_license_inherited_from_a_group_is_named_with_its_group() -> None:
    user = DirectoryUser(
        "ann", "ann@contoso.com", "Ann Lee", licenses=(PLAN, BIG), group_licenses=(GroupLicense(BIG, "g-licenses"),)
    )
    result = explain("ann", user, [policy("p", ("g", 1))], ["g"], [])
    by_plan = {lic.service_plan_id: lic.assigned_by_group_ids for lic in result.licenses}
    assert by_plan == {PLAN: [], BIG: ["g-licenses"]}  # PLAN is assigned to her directly
    assert "license comes from group g-licenses (group-based licensing)" in result.reason
    assert "only the group's license assignment can change or remove it" in result.reason


def test_a_group_license_entra_could_not_apply_explains_the_missing_license() -> None:
    failed = GroupLicense(PLAN, "g-licenses", state="Error", error="CountViolation")
    user = DirectoryUser("ann", "ann@contoso.com", "Ann Lee", licenses=(), group_licenses=(failed,))
    result = explain("ann", user, [policy("p", ("g", 1))], ["g"], [])
    assert result.licenses == [] and result.expected == []
    assert "no Windows 365 license" in result.reason
    assert "Group g-licenses assigns a" in result.reason and "could not apply (CountViolation)" in result.reason


def test_an_unknown_user_is_not_found() -> None:
    with pytest.raises(NotFound) as raised:
        explain("ghost", None, [policy("p", ("g", 1))], [], [])
    assert (raised.value.code, raised.value.target) == ("notFound", "userId")
    assert "ghost" in raised.value.message


def test_one_expected_cloud_pc_per_license() -> None:
    user = DirectoryUser("ann", "ann@contoso.com", "Ann Lee", licenses=(PLAN, BIG, PLAN))
    result = explain("ann", user, [policy("p", ("g", 1))], ["g"], [cloud_pc("cpc-1", "p", PLAN, 1)])
    assert [(lic.service_plan_id, lic.count) for lic in result.licenses] == [(PLAN, 2), (BIG, 1)]
    assert sorted((e.service_plan_id, e.slot_index, e.existing_cloud_pc_id) for e in result.expected) == [
        (PLAN, 0, None),
        (PLAN, 1, "cpc-1"),
        (BIG, 0, None),
    ]
    missing = next(e for e in result.expected if e.existing_cloud_pc_id is None)
    assert "No Cloud PC yet" in missing.note


def test_a_cloud_pc_from_a_policy_that_no_longer_wins_still_holds_the_license() -> None:
    grace_end = T0 + timedelta(days=7)
    former = cloud_pc("cpc-old", "former", status="inGracePeriod", gracePeriodEndDateTime=grace_end)
    waiting = cloud_pc(
        "cpc-new",
        "winner",
        status="pendingProvision",
        statusDetail={"code": "waitingForLicense", "message": "1 Cloud PC(s) in their grace period hold it."},
    )
    policies = [policy("winner", ("g-new", 1)), policy("former", ("g-old", 3))]

    result = explain("ann", ANN, policies, ["g-new", "g-old"], [former, waiting])

    [slot] = result.expected
    assert (slot.provisioning_policy_id, slot.existing_cloud_pc_id) == ("winner", "cpc-new")
    assert slot.other_policy_cloud_pc_ids == ["cpc-old"]
    assert "another policy still holds this license" in slot.note
    assert "Waiting for a license" in slot.note
    notes = {c.id: (c.expected, c.note) for c in result.cloud_pcs}
    assert notes["cpc-new"][0] is True
    assert notes["cpc-old"][0] is False
    assert "'Former' no longer serves the user; 'Winner' does" in notes["cpc-old"][1]
    assert "grace period until 2026-11-08T00:00:00.000Z" in notes["cpc-old"][1]

    before_the_new_one = explain("ann", ANN, policies, ["g-new", "g-old"], [former])
    [slot] = before_the_new_one.expected
    assert (slot.existing_cloud_pc_id, slot.other_policy_cloud_pc_ids) == (None, ["cpc-old"])
    assert "is made beside it" in slot.note


def test_a_cloud_pc_whose_license_was_removed_is_not_expected() -> None:
    unlicensed = DirectoryUser("ann", "ann@contoso.com", "Ann Lee", licenses=())
    gone = cloud_pc("cpc-1", "p", status="inGracePeriod", gracePeriodEndDateTime=T0 + timedelta(days=7))
    result = explain("ann", unlicensed, [policy("p", ("g", 1))], ["g"], [gone])
    [held] = result.cloud_pcs
    assert held.expected is False
    assert held.note.startswith("The user no longer holds a license of this plan: in its grace period")
    assert result.expected == []


def test_the_answer_is_camel_case_json() -> None:
    body = explain("ann", ANN, [policy("p", ("g", 1))], ["g"], [cloud_pc("cpc-1", "p")]).model_dump(mode="json")
    assert set(body) == {
        "userId",
        "userPrincipalName",
        "displayName",
        "winningPolicy",
        "reason",
        "candidates",
        "licenses",
        "cloudPcs",
        "expected",
    }
    assert body["winningPolicy"] == {
        "policyId": "p",
        "policyName": "P",
        "groupId": "g",
        "groupDisplayName": None,
        "assignedDateTime": "2026-11-01T00:01:00Z",
    }
    assert set(body["candidates"][0]) == {
        "policyId",
        "policyName",
        "groupId",
        "groupDisplayName",
        "assignedDateTime",
        "matchingGroupIds",
        "wins",
        "reason",
    }
    assert body["expected"][0]["existingCloudPcId"] == "cpc-1"
    assert body["cloudPcs"][0]["provisioningPolicyId"] == "p"


def test_groups_are_named_by_their_display_names_where_the_directory_has_them() -> None:
    said = explain("ann", ANN, [policy("p", ("g", 1))], ["g"], [cloud_pc("cpc-1", "p")], {"g": "Finance"})
    assert "(group 'Finance' at 2026-11-01T00:01:00.000Z)" in said.reason
    assert said.winning_policy is not None and said.winning_policy.group_display_name == "Finance"
    assert "group 'Finance'" in said.candidates[0].reason and " g " not in said.reason
    unnamed = explain("ann", ANN, [policy("p", ("g", 1))], ["g"], [cloud_pc("cpc-1", "p")])
    assert "(group g at" in unnamed.reason  # a group the directory does not name shows by id
