"""ARM lists in the emulator: every resource type the app makes, per resource group and across a subscription,
paged by nextLink; through plain requests and the SDKs' `list_all`."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest

from azure_emulator.launcher import EmulatorProcess
from tests.utils.arm_admin import ArmAdmin, Controls, Sdk
from tests.utils.graph_admin import GraphAdmin

REGION = "westeurope"
GROUPS = ("rg-a", "rg-b")
AVD = "Microsoft.DesktopVirtualization"
READER = "/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7"
# namespace/type -> the operation its list is counted and paged under
LISTED = {
    "Microsoft.Compute/virtualMachines": "listVms",
    "Microsoft.Compute/disks": "listDisks",
    "Microsoft.Compute/images": "listImages",
    "Microsoft.Compute/galleries": "listGalleries",
    "Microsoft.Network/networkInterfaces": "listNics",
    "Microsoft.Network/virtualNetworks": "listVirtualNetworks",
    f"{AVD}/hostPools": "listHostPools",
    f"{AVD}/applicationGroups": "listApplicationGroups",
    f"{AVD}/workspaces": "listWorkspaces",
}


@dataclass
class Estate:
    """One subscription with one of each listed type in each of two resource groups, and role assignments."""

    admin: ArmAdmin
    controls: Controls
    made: dict[str, dict[str, str]]  # namespace/type -> resource group -> the id made there
    assignments: list[str]


def build(admin: ArmAdmin, rg: str) -> dict[str, str]:
    subnet = admin.virtual_network(rg, "vnet")
    vm = admin.virtual_machine(rg, "vm", subnet)
    gallery = admin.ok("PUT", admin.resource_id(rg, "Microsoft.Compute", "galleries", "gal"), {"location": REGION})
    pool = admin.ok(
        "PUT",
        admin.resource_id(rg, AVD, "hostPools", "hp1"),
        {
            "location": REGION,
            "properties": {
                "hostPoolType": "Pooled",
                "loadBalancerType": "BreadthFirst",
                "preferredAppGroupType": "Desktop",
            },
        },
    )
    group = admin.ok(
        "PUT",
        admin.resource_id(rg, AVD, "applicationGroups", "dag"),
        {"location": REGION, "properties": {"applicationGroupType": "Desktop", "hostPoolArmPath": pool["id"]}},
    )
    workspace = admin.ok(
        "PUT",
        admin.resource_id(rg, AVD, "workspaces", "ws1"),
        {"location": REGION, "properties": {"applicationGroupReferences": [group["id"]]}},
    )
    return {
        "Microsoft.Compute/virtualMachines": vm["id"],
        "Microsoft.Compute/disks": vm["properties"]["storageProfile"]["osDisk"]["managedDisk"]["id"],
        "Microsoft.Compute/images": admin.managed_image(rg, "golden"),
        "Microsoft.Compute/galleries": gallery["id"],
        "Microsoft.Network/networkInterfaces": vm["properties"]["networkProfile"]["networkInterfaces"][0]["id"],
        "Microsoft.Network/virtualNetworks": subnet.rsplit("/subnets/", 1)[0],
        f"{AVD}/hostPools": pool["id"],
        f"{AVD}/applicationGroups": group["id"],
        f"{AVD}/workspaces": workspace["id"],
    }


def assign(admin: ArmAdmin, directory: GraphAdmin, scope: str) -> str:
    user = directory.create_user()  # ARM assigns roles only to principals of the tenant's directory
    body = {
        "properties": {
            "roleDefinitionId": f"/subscriptions/{admin.subscription_id}{READER}",
            "principalId": user,
            "principalType": "User",
        }
    }
    return str(admin.ok("PUT", f"{scope}/providers/Microsoft.Authorization/roleAssignments/{uuid.uuid4()}", body)["id"])


@pytest.fixture(scope="module")
def estate(azure_emulator: EmulatorProcess) -> Estate:
    admin = ArmAdmin(azure_emulator, str(uuid.uuid4()))
    made = {rg: build(admin, rg) for rg in GROUPS}
    subscription = f"/subscriptions/{admin.subscription_id}"
    directory = GraphAdmin(azure_emulator, admin.tenant_id)
    scopes = [subscription, *(admin.group_id(rg) for rg in GROUPS)]
    assignments = [assign(admin, directory, scope) for scope in scopes]
    by_type = {kind: {rg: made[rg][kind] for rg in GROUPS} for kind in LISTED}
    return Estate(admin, Controls(azure_emulator, admin.tenant_id), by_type, assignments)


def ids(pages: list[list[dict[str, object]]]) -> list[str]:
    return [str(item["id"]) for page in pages for item in page]


@pytest.mark.parametrize("kind", LISTED)
def test_each_type_is_listed_across_the_subscription_and_per_group_in_pages(estate: Estate, kind: str) -> None:
    admin, made = estate.admin, estate.made[kind]
    namespace, resource_type = kind.split("/")
    everywhere = f"/subscriptions/{admin.subscription_id}/providers/{kind}"
    estate.controls.page_size(LISTED[kind], None)
    whole = admin.pages(everywhere)
    assert len(whole) == 1 and sorted(ids(whole)) == sorted(made.values())  # ARM's page holds up to 1000
    estate.controls.page_size(LISTED[kind], 1)
    paged = admin.pages(everywhere)
    assert [len(page) for page in paged] == [1, 1], paged
    assert sorted(ids(paged)) == sorted(made.values())
    for rg in GROUPS:
        assert ids(admin.pages(admin.resource_id(rg, namespace, resource_type))) == [made[rg]]
    assert paged[0][0]["type"] == kind  # as its GET shows it


def test_subscription_role_assignments_page_too(estate: Estate) -> None:
    estate.controls.page_size("listRoleAssignments", 2)
    pages = estate.admin.pages(
        f"/subscriptions/{estate.admin.subscription_id}/providers/Microsoft.Authorization/roleAssignments"
    )
    assert [len(page) for page in pages] == [2, 1]
    assert sorted(ids(pages)) == sorted(estate.assignments)


def test_the_sdks_list_all_follows_next_link(
    estate: Estate, azure_emulator: EmulatorProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", azure_emulator.ca_bundle)
    sdk = Sdk(azure_emulator, estate.admin.tenant_id, estate.admin.subscription_id)
    for operation in ("listVms", "listNics", "listRoleAssignments"):
        estate.controls.page_size(operation, 1)
    before = estate.controls.count("listVms")
    vms = list(sdk.compute.virtual_machines.list_all())
    assert sorted(v["id"] for v in vms) == sorted(estate.made["Microsoft.Compute/virtualMachines"].values())
    assert estate.controls.count("listVms") - before == 2  # one request a page
    nics = [n.id for n in sdk.network.network_interfaces.list_all()]
    assert sorted(nics) == sorted(estate.made["Microsoft.Network/networkInterfaces"].values())
    assignments = [a.id for a in sdk.authorization.role_assignments.list_for_subscription()]
    assert sorted(assignments) == sorted(estate.assignments)


def test_a_resource_gone_between_pages_hides_no_other(admin: ArmAdmin, azure_emulator: EmulatorProcess) -> None:
    images = [admin.managed_image(rg, f"img{n}") for n in range(2) for rg in ("rg-a", "rg-b")]
    Controls(azure_emulator, admin.tenant_id).page_size("listImages", 2)
    first = admin.session.get(admin.url(f"/subscriptions/{admin.subscription_id}/providers/Microsoft.Compute/images"))
    shown = [item["id"] for item in first.json()["value"]]
    admin.ok("DELETE", shown[0])  # an offset would now skip the third image
    rest = admin.session.get(first.json()["nextLink"]).json()
    assert [item["id"] for item in rest["value"]] == sorted(set(images) - set(shown), key=str.lower)
    assert "nextLink" not in rest


def test_lists_answer_as_arm_does_for_a_missing_group_another_subscription_and_an_unknown_type(
    estate: Estate, azure_emulator: EmulatorProcess
) -> None:
    admin = estate.admin
    missing = admin.call("GET", admin.resource_id("rg-none", "Microsoft.Compute", "virtualMachines"))
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "ResourceGroupNotFound"
    other = ArmAdmin(azure_emulator, admin.tenant_id)  # the same tenant, a subscription of its own
    assert other.pages(f"/subscriptions/{other.subscription_id}/providers/Microsoft.Compute/virtualMachines") == [[]]
    unknown = admin.call("GET", f"/subscriptions/{admin.subscription_id}/providers/Microsoft.Compute/nothings")
    assert unknown.status_code == 404
    no_version = admin.session.get(
        f"{azure_emulator.base_url}/arm/subscriptions/{admin.subscription_id}/providers/Microsoft.Compute/virtualMachines"
    )
    assert no_version.status_code == 400 and no_version.json()["error"]["code"] == "MissingApiVersionParameter"
