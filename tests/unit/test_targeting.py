"""Who gets which Cloud PCs: earliest assignment wins, one slot per Windows 365 license."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from shared.events import DirectoryEvent
from shared.models.cloud_pcs import CloudPc
from shared.models.policies import ProvisioningPolicy
from shared.ports.directory import DirectoryUser
from shared.services.cloud_pcs.reconcile import affected_users, cloud_pc_id
from shared.services.configuration.targeting import Slot, desired_slots, license_slots, winning_policies
from tests.fakes.seed import policy_row

T0 = datetime(2026, 11, 1, tzinfo=UTC)
PLAN = "w365-enterprise-2vcpu-8gb-128gb"
BIG = "w365-enterprise-4vcpu-16gb-256gb"


def policy(policy_id: str, *assignments: tuple[str, int]) -> ProvisioningPolicy:
    """A policy assigned to each (group, minutes after T0)."""
    assigned = [(group, T0 + timedelta(minutes=minutes)) for group, minutes in assignments]
    return policy_row(policy_id, assigned, now=T0, tenant_id="t", image_id="x", cloud_pc_naming_template="CPC-%RAND:5%")


def test_the_earliest_assignment_wins_whatever_the_order_of_policies() -> None:
    sales = policy("sales", ("g-sales", 5))
    everyone = policy("everyone", ("g-all", 1), ("g-late", 9))
    members = {"g-sales": ["ann", "bob"], "g-all": ["bob", "cat"], "g-late": ["ann"]}
    for policies in ([sales, everyone], [everyone, sales]):
        winners = winning_policies(policies, members)
        assert {u: w.policy_id for u, w in winners.items()} == {"ann": "sales", "bob": "everyone", "cat": "everyone"}
        assert winners["ann"].group_id == "g-sales"


def test_ties_are_broken_the_same_way_every_time() -> None:
    a, b = policy("a", ("g", 1)), policy("b", ("g", 1))
    assert winning_policies([b, a], {"g": ["u"]})["u"].policy_id == "a"


def test_one_slot_per_windows_365_license_and_none_for_other_products() -> None:
    user = DirectoryUser("u", "u@contoso.com", licenses=(PLAN, "office-e3", PLAN, BIG))
    assert license_slots(user) == [Slot("u", PLAN, 0), Slot("u", PLAN, 1), Slot("u", BIG, 0)]
    assert license_slots(DirectoryUser("v", "v@contoso.com")) == []


def test_desired_slots_skip_unknown_and_unlicensed_users() -> None:
    winners = winning_policies([policy("p", ("g", 1))], {"g": ["ann", "ghost", "dan"]})
    users = {"ann": DirectoryUser("ann", "ann@c.com", licenses=(PLAN,)), "dan": DirectoryUser("dan", "dan@c.com")}
    assert list(desired_slots(winners, users)) == [Slot("ann", PLAN, 0)]


def test_cloud_pc_ids_are_deterministic_per_slot_and_policy() -> None:
    assert cloud_pc_id("t", Slot("u", PLAN, 0), "p") == cloud_pc_id("t", Slot("u", PLAN, 0), "p")
    assert cloud_pc_id("t", Slot("u", PLAN, 0), "p") != cloud_pc_id("t", Slot("u", PLAN, 1), "p")
    assert cloud_pc_id("t", Slot("u", PLAN, 0), "p") != cloud_pc_id("t2", Slot("u", PLAN, 0), "p")
    assert cloud_pc_id("t", Slot("u", PLAN, 0), "p") != cloud_pc_id("t", Slot("u", PLAN, 0), "q")


def held(user_id: str, group_id: str) -> CloudPc:
    return CloudPc.model_validate(
        {
            "id": f"cpc-{user_id}",
            "tenantId": "t",
            "createdDateTime": T0,
            "lastModifiedDateTime": T0,
            "displayName": "x",
            "userId": user_id,
            "userPrincipalName": f"{user_id}@c.com",
            "servicePlanId": PLAN,
            "servicePlanName": "plan",
            "provisioningPolicyId": "p",
            "provisioningPolicyName": "P",
            "targetGroupId": group_id,
        }
    )


def test_a_group_hint_reaches_former_members_through_their_cloud_pcs() -> None:
    holder = held("gone", "g")
    other = held("elsewhere", "h")
    event = DirectoryEvent(tenant_id="t", group_ids=["g"])
    assert affected_users(event, {"g": ["ann"]}, [holder, other]) == {"ann", "gone"}
    assert affected_users(DirectoryEvent(tenant_id="t", user_ids=["x"]), {"g": ["ann"]}, [holder]) == {"x"}
    full = DirectoryEvent(tenant_id="t", full=True)
    assert affected_users(full, {"g": ["ann"], "h": ["bob"]}, [holder, other]) == {
        "ann",
        "bob",
        "gone",
        "elsewhere",
    }
