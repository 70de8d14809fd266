"""Group-based licensing in the emulator's Graph: a group's licenses reach its direct user members, show in their
assignedLicenses and licenseAssignmentStates, cannot be removed from the user, and take one unit per user; one that
found no unit is applied when the user is reprocessed, never by itself."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from azure_emulator.launcher import EmulatorProcess
from shared.catalog.service_plans import SERVICE_PLANS, SERVICE_PLANS_BY_ID
from tests.emulator.test_graph_notifications import Receiver, subscribe, wait_for
from tests.emulator.test_graph_permissions import App, assert_denied
from tests.utils.graph_admin import GraphAdmin, GraphAdminError

PLAN, OTHER_PLAN = SERVICE_PLANS[0].id, SERVICE_PLANS[5].id
SKU = SERVICE_PLANS_BY_ID[PLAN].sku_id
INHERITED = "User license is inherited from a group membership and it cannot be removed directly from the user."


@pytest.fixture
def admin(azure_emulator: EmulatorProcess) -> GraphAdmin:
    return GraphAdmin(azure_emulator, str(uuid.uuid4()))


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    yield found
    found.server.shutdown()
    found.server.server_close()


def consumed(admin: GraphAdmin, plan_id: str) -> int:
    skus = admin.call("GET", f"{admin.graph}/subscribedSkus")["value"]
    return int(next(s["consumedUnits"] for s in skus if s["skuId"] == SERVICE_PLANS_BY_ID[plan_id].sku_id))


def sources(admin: GraphAdmin, user_id: str) -> list[tuple[str, str | None, str, str | None]]:
    """(skuId, assignedByGroup, state, error) of each of the user's license assignments."""
    return sorted(
        ((s["skuId"], s["assignedByGroup"], s["state"], s["error"]) for s in admin.license_states(user_id)),
        key=str,
    )


def test_a_groups_license_reaches_its_direct_user_members_only(admin: GraphAdmin) -> None:
    licensed, nested = admin.create_group(), admin.create_group()
    ann, bob = admin.create_user(), admin.create_user()
    admin.add_member(licensed, ann)
    admin.add_member(licensed, nested)
    admin.add_member(nested, bob)  # a member of a nested group: group-based licensing does not reach him
    body = {"addLicenses": [{"skuId": SKU, "disabledPlans": []}], "removeLicenses": []}
    reply = admin.session.post(f"{admin.graph}/groups/{licensed}/assignLicense", json=body)
    assert reply.status_code == 202, reply.text
    assert reply.json()["id"] == licensed

    assert admin.licensed_plans(ann) == [PLAN]
    assert sources(admin, ann) == [(SKU, licensed, "Active", "None")]
    assert admin.licensed_plans(bob) == [] and admin.license_states(bob) == []
    assert consumed(admin, PLAN) == 1
    group = admin.call("GET", f"{admin.graph}/groups/{licensed}", params={"$select": "id,assignedLicenses"})
    assert group["assignedLicenses"] == [{"skuId": SKU, "disabledPlans": []}]
    # neither a user's states nor a group's licenses are default properties: a client $selects them
    assert "licenseAssignmentStates" not in admin.call("GET", f"{admin.graph}/users/{ann}")
    assert "assignedLicenses" not in admin.call("GET", f"{admin.graph}/groups/{licensed}")


def test_an_inherited_license_cannot_be_removed_from_the_user_and_a_direct_one_beside_it_can(admin: GraphAdmin) -> None:
    group, ann = admin.create_group(), admin.create_user()
    admin.add_member(group, ann)
    admin.assign_group_licenses(group, PLAN)
    with pytest.raises(GraphAdminError) as refused:
        admin.remove_licenses(ann, PLAN)
    assert str(refused.value).endswith(f"400 Request_BadRequest: {INHERITED}")
    assert admin.licensed_plans(ann) == [PLAN]

    admin.assign_licenses(ann, PLAN)  # the same SKU directly too: still one license, one unit
    assert sources(admin, ann) == sorted([(SKU, None, "Active", "None"), (SKU, group, "Active", "None")], key=str)
    assert admin.user(ann)["assignedLicenses"] == [{"skuId": SKU, "disabledPlans": []}]
    assert consumed(admin, PLAN) == 1
    admin.remove_licenses(ann, PLAN)  # the direct one goes; the inherited one stays
    assert sources(admin, ann) == [(SKU, group, "Active", "None")]
    assert admin.licensed_plans(ann) == [PLAN] and consumed(admin, PLAN) == 1
    switch = {"addLicenses": [{"skuId": SERVICE_PLANS_BY_ID[OTHER_PLAN].sku_id}], "removeLicenses": [SKU]}
    with pytest.raises(GraphAdminError, match="inherited from a group membership"):
        admin.call("POST", f"{admin.graph}/users/{ann}/assignLicense", switch)
    assert admin.licensed_plans(ann) == [PLAN]  # the refused request added nothing either


def test_membership_changes_add_and_remove_inherited_licenses_and_notify_the_user(
    admin: GraphAdmin, receiver: Receiver
) -> None:
    first, second = admin.create_group(), admin.create_group()
    admin.assign_group_licenses(first, PLAN)
    admin.assign_group_licenses(second, PLAN, OTHER_PLAN)
    ann = admin.create_user()
    users = subscribe(admin, receiver, "users", changeType="updated")
    admin.add_member(first, ann)
    admin.add_member(second, ann)
    assert admin.licensed_plans(ann) == sorted([PLAN, OTHER_PLAN])
    assert consumed(admin, PLAN) == 1 and consumed(admin, OTHER_PLAN) == 1  # two groups, one unit
    admin.remove_member(second, ann)
    assert admin.licensed_plans(ann) == [PLAN] and consumed(admin, OTHER_PLAN) == 0
    admin.remove_member(first, ann)
    assert admin.licensed_plans(ann) == [] and consumed(admin, PLAN) == 0

    def user_updates() -> list[dict[str, Any]]:
        found = [i for i in receiver.items("/hook") if i["subscriptionId"] == users["id"]]
        return found if len(found) >= 3 else []

    updates = wait_for(user_updates)
    assert {(i["changeType"], i["resourceData"]["id"]) for i in updates} == {("updated", ann)}


def test_a_group_license_without_a_free_unit_is_an_error_on_the_user_not_on_the_group(admin: GraphAdmin) -> None:
    admin.set_enabled_units(PLAN, 1)
    group, ann, bob = admin.create_group(), admin.create_user(), admin.create_user()
    admin.add_member(group, ann)
    admin.add_member(group, bob)
    admin.assign_group_licenses(group, PLAN)  # accepted: the members are licensed one by one
    licensed = {u: admin.licensed_plans(u) for u in (ann, bob)}
    assert sorted(licensed.values()) == [[], [PLAN]]
    [unlicensed] = [u for u, plans in licensed.items() if not plans]
    assert sources(admin, unlicensed) == [(SKU, group, "Error", "CountViolation")]
    assert consumed(admin, PLAN) == 1
    # removing the group's license frees the unit and clears the error
    admin.remove_group_licenses(group, PLAN)
    assert admin.license_states(unlicensed) == [] and consumed(admin, PLAN) == 0


def test_only_a_security_group_takes_licenses_and_a_licensed_group_cannot_be_deleted(admin: GraphAdmin) -> None:
    body = {
        "displayName": "Team",
        "mailEnabled": True,
        "mailNickname": "team",
        "securityEnabled": False,
        "groupTypes": ["Unified"],
    }
    team = admin.call("POST", f"{admin.graph}/groups", body)["id"]
    with pytest.raises(GraphAdminError, match="400 Request_BadRequest"):
        admin.assign_group_licenses(team, PLAN)
    group = admin.create_group()
    admin.assign_group_licenses(group, PLAN)
    with pytest.raises(GraphAdminError, match="400 Request_BadRequest"):
        admin.delete_group(group)
    with pytest.raises(GraphAdminError, match="400 Request_BadRequest"):
        admin.remove_group_licenses(group, OTHER_PLAN)  # not the group's
    admin.remove_group_licenses(group, PLAN)
    admin.delete_group(group)


def test_assigning_a_groups_licenses_needs_license_assignment_permission(azure_emulator: EmulatorProcess) -> None:
    app = App(azure_emulator)
    group = app.admin.create_group()
    body = {"addLicenses": [{"skuId": SKU, "disabledPlans": []}], "removeLicenses": []}
    app.grant("Group.Read.All", "User.ReadWrite.All")
    assert_denied(app.call("POST", f"/groups/{group}/assignLicense", body))
    app.grant("LicenseAssignment.ReadWrite.All")
    assert app.call("POST", f"/groups/{group}/assignLicense", body).status_code == 202


def test_reprocessing_a_user_applies_a_group_license_that_found_no_unit_once_one_is_free(
    admin: GraphAdmin, receiver: Receiver
) -> None:
    admin.set_enabled_units(PLAN, 1)
    group, ann, cat = admin.create_group(), admin.create_user(), admin.create_user()
    admin.assign_licenses(ann, PLAN)  # the one unit
    admin.add_member(group, cat)
    admin.assign_group_licenses(group, PLAN)
    [waited] = admin.license_states(cat)
    assert (waited["state"], waited["error"]) == ("Error", "CountViolation")
    admin.remove_licenses(ann, PLAN)
    assert sources(admin, cat) == [(SKU, group, "Error", "CountViolation")]  # Entra retries none by itself
    users = subscribe(admin, receiver, "users", changeType="updated")

    reply = admin.session.post(f"{admin.graph}/users/{cat}/reprocessLicenseAssignment")
    assert reply.status_code == 200, reply.text
    assert reply.json()["id"] == cat and "licenseAssignmentStates" not in reply.json()  # the user, default properties
    assert sources(admin, cat) == [(SKU, group, "Active", "None")]
    assert admin.licensed_plans(cat) == [PLAN] and consumed(admin, PLAN) == 1
    [active] = admin.license_states(cat)
    assert active["lastUpdatedDateTime"] >= waited["lastUpdatedDateTime"]

    def cat_updated() -> list[dict[str, Any]]:
        return [i for i in receiver.items("/hook") if i["subscriptionId"] == users["id"]]

    assert {(i["changeType"], i["resourceData"]["id"]) for i in wait_for(cat_updated)} == {("updated", cat)}
    # with no unit free, it stays an error; an unknown user is 404
    dan = admin.create_user()
    admin.add_member(group, dan)
    assert admin.session.post(f"{admin.graph}/users/{dan}/reprocessLicenseAssignment").status_code == 200
    assert sources(admin, dan) == [(SKU, group, "Error", "CountViolation")]
    assert admin.session.post(f"{admin.graph}/users/{uuid.uuid4()}/reprocessLicenseAssignment").status_code == 404


def test_reprocessing_needs_user_read_write_all(azure_emulator: EmulatorProcess) -> None:
    app = App(azure_emulator)
    user = app.admin.create_user()
    app.grant("User.Read.All", "LicenseAssignment.ReadWrite.All")
    assert_denied(app.call("POST", f"/users/{user}/reprocessLicenseAssignment"))
    app.grant("User.ReadWrite.All")
    assert app.call("POST", f"/users/{user}/reprocessLicenseAssignment").status_code == 200
