"""A Spot Group's license count caps who holds its desktop, end to end: of five members, the first three hold Desktop
Virtualization User directly on the pool's desktop application group (read back from the emulator) and the other two
wait; a holder who leaves the group (the Graph change the emulator notifies) frees a license for the next in order,
and a smaller count takes the desktop from the last holders."""

from __future__ import annotations

from tests.e2e.test_spot_groups import DV, group_body, ready_version, settled
from tests.utils.api_client import ApiClient, eventually
from tests.utils.wizard import CLOUD_PC_RG, Tenant

DESKTOP_USER = "1d18fff3-a72a-46b5-b4a9-0b38a3cd7e63"


def holders(tenant: Tenant) -> dict[str, str]:
    """Who holds the pool's desktop in the emulator: the test's name of each principal -> its type."""
    scope = tenant.arm.resource_id(CLOUD_PC_RG, DV, "applicationGroups", "spotpc-sales-desktops-dag").lower()
    return {
        tenant.name_of(a["properties"]["principalId"]): a["properties"]["principalType"]
        for a in tenant.resources()["roleAssignments"]
        if a["properties"]["scope"].lower() == scope and a["properties"]["roleDefinitionId"].endswith(DESKTOP_USER)
    }


def test_three_licenses_for_five_members_give_three_the_desktop_and_one_who_leaves_makes_room(api: ApiClient) -> None:
    tenant = Tenant(api)
    tenant.group("sales", ["ann", "bob", "cat", "dan", "eve"])
    body = group_body(tenant, ready_version(api, tenant), licenseCount=3, maxSessionsPerHost=3)  # one host
    group = api.created(f"{tenant.path}/spotGroups", body)
    path = f"{tenant.path}/spotGroups/{group['id']}"
    assert settled(api, path)["assignedUserCount"] == 3

    def listed() -> list[tuple[str, str]]:
        reply = api.get(f"{path}/users")
        assert reply.status_code == 200, reply.text
        return [(tenant.name_of(u["id"]), u["access"]) for u in reply.json()["value"]]

    order = [name for name, _ in listed()]  # the groups' order, as Graph lists their members and the review shows
    assert sorted(order) == ["ann", "bob", "cat", "dan", "eve"]
    assert listed() == [(name, "granted" if i < 3 else "waiting") for i, name in enumerate(order)]
    assert holders(tenant) == dict.fromkeys(order[:3], "User"), "the first three, directly; the group not at all"

    leaver, next_in_line = order[1], order[3]
    tenant.group("sales", [name for name in order if name != leaver])  # Graph notifies the app of the change
    kept = [order[0], order[2], next_in_line]

    def next_in_line_holds_it() -> None:
        assert holders(tenant) == dict.fromkeys(kept, "User")

    eventually(next_in_line_holds_it, timeout_s=60)
    assert [(n, a) for n, a in listed() if a == "granted"] == [(n, "granted") for n in kept]
    assert api.get(path).json()["assignedUserCount"] == 3

    fewer = api.patch(path, {"licenseCount": 2})  # the one host stays: no run, the holders follow at once
    assert fewer.status_code == 200 and fewer.json()["assignedUserCount"] == 2, fewer.text
    assert holders(tenant) == dict.fromkeys(kept[:2], "User"), "the last holder in order gives theirs up"
