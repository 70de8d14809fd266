"""The license count caps who holds a Spot Group's desktop: the rule, and its reconcile on the fakes."""

from __future__ import annotations

from dataclasses import replace

import pytest

from shared.events import DirectoryEvent
from shared.services.spot_pc import spot_group_access
from shared.services.spot_pc.spot_group_access import holders
from tests.fakes import Fakes
from tests.unit.test_spot_groups import TENANT, deployed, fakes

__all__ = ["fakes"]  # the fixture, from the Spot Group tests

MEMBERS = ["ann", "bob", "cat", "dan", "eve"]


@pytest.mark.parametrize(
    ("members", "current", "count", "expected"),
    [
        (MEMBERS, [], 3, ["ann", "bob", "cat"]),  # nobody yet: the first in order
        (MEMBERS, ["ann", "bob", "cat"], 3, ["ann", "bob", "cat"]),  # as it should be: nothing moves
        (["ann", "cat", "dan", "eve"], ["ann", "bob", "cat"], 3, ["ann", "cat", "dan"]),  # bob left: dan is next
        (MEMBERS, ["cat", "eve"], 3, ["ann", "cat", "eve"]),  # holders keep it, though others come before them
        (MEMBERS, ["ann", "bob", "cat"], 5, MEMBERS),  # more licenses: the waiting fill them in order
        (MEMBERS, ["bob", "dan", "eve"], 2, ["bob", "dan"]),  # fewer licenses: the last holders in order lose it
        (MEMBERS, ["zed"], 2, ["ann", "bob"]),  # a holder no longer a member never keeps it
        (["ann"], [], 3, ["ann"]),
        ([], ["ann"], 3, []),
    ],
)
def test_holders_keep_their_access_and_the_waiting_fill_the_rest_in_order(
    members: list[str], current: list[str], count: int, expected: list[str]
) -> None:
    assert holders(members, current, count) == expected
    assert holders(members, expected, count) == expected, "the rule's answer is its own fixed point"


def pool_users(fakes: Fakes) -> set[str]:
    return fakes.avd.pools[(TENANT, "spotpc-sales-desktops")].users


def test_a_member_who_leaves_frees_a_license_for_the_next_who_waits_and_a_repeat_changes_nothing(
    fakes: Fakes,
) -> None:
    fakes.directory.add_user(TENANT, "eve", display_name="Eve")
    fakes.directory.add_group(TENANT, "support", "cat", "dan", "eve")
    group_id = deployed(fakes, licenseCount=3)
    assert pool_users(fakes) == {"ann", "bob", "cat"}
    ports = fakes.spot_group_ports()
    group = fakes.spot_groups.get_spot_group(TENANT, group_id)
    assert group.assigned_user_count == 3
    shown = [(m.id, m.access) for m in spot_group_access.members_with_access(ports, group)]
    assert shown == [("ann", "granted"), ("bob", "granted"), ("cat", "granted"), ("dan", "waiting"), ("eve", "waiting")]

    fakes.directory.remove_members(TENANT, "sales", "bob")
    event = DirectoryEvent(tenant_id=TENANT, group_ids=["sales"])
    assert spot_group_access.directory_changed(ports, event) == 1
    assert pool_users(fakes) == {"ann", "cat", "dan"}
    calls = dict(fakes.avd.script.calls)
    assert spot_group_access.directory_changed(ports, event) == 1, "a duplicate message"
    assert pool_users(fakes) == {"ann", "cat", "dan"}
    grants = fakes.avd.script.calls["grant_desktop_access"] - calls.get("grant_desktop_access", 0)
    revokes = fakes.avd.script.calls["revoke_desktop_access"] - calls.get("revoke_desktop_access", 0)
    assert (grants, revokes) == (0, 0), "nothing to do the second time"
    assert fakes.spot_groups.get_spot_group(TENANT, group_id).assigned_user_count == 3


def test_only_the_groups_a_spot_group_uses_concern_it_and_the_drift_reconcile_looks_at_every_one(
    fakes: Fakes,
) -> None:
    deployed(fakes, licenseCount=3)
    ports = fakes.spot_group_ports()
    fakes.directory.add_group(TENANT, "other", "ann")
    assert spot_group_access.directory_changed(ports, DirectoryEvent(tenant_id=TENANT, group_ids=["other"])) == 0
    assert spot_group_access.directory_changed(ports, DirectoryEvent(tenant_id=TENANT, user_ids=["ann"])) == 0
    fakes.directory.remove_members(TENANT, "sales", "ann")  # a notification lost: the drift reconcile makes it good
    assert spot_group_access.directory_changed(ports, DirectoryEvent(tenant_id=TENANT, full=True)) == 1
    assert pool_users(fakes) == {"bob", "cat", "dan"}


def test_the_group_wide_access_of_a_group_made_before_the_cap_goes(fakes: Fakes) -> None:
    group_id = deployed(fakes, licenseCount=2)
    pool = fakes.avd.pools[(TENANT, "spotpc-sales-desktops")]
    pool.spec = replace(pool.spec, user_group_ids=("sales", "support"))
    pool.users.clear()
    group = fakes.spot_groups.get_spot_group(TENANT, group_id)
    assert spot_group_access.reconcile_access(fakes.spot_group_ports(), group) == ["ann", "bob"]
    assert pool.spec.user_group_ids == () and pool.users == {"ann", "bob"}


def test_a_group_without_its_desktop_yet_is_left_for_its_deployment(fakes: Fakes) -> None:
    group_id = deployed(fakes, licenseCount=2)
    fakes.avd.pools.clear()
    group = fakes.spot_groups.get_spot_group(TENANT, group_id)
    assert spot_group_access.reconcile_access(fakes.spot_group_ports(), group) is None
    members = spot_group_access.members_with_access(fakes.spot_group_ports(), group)
    assert {m.access for m in members} == {"waiting"}
