"""What ARM refuses of a request for its resource type, in the emulator as in Azure: an api-version the type does not
offer, a new resource's name against the type's naming rule, and an AVD object outside Desktop Virtualization's
metadata regions (azure_emulator/arm/resource_types.py holds the rules and their sources); and smaller refusals of
the same kind: a subnet outside its network's address space, a VM delete in a resource group that is gone."""

from __future__ import annotations

from typing import Any

import pytest

from azure_emulator.arm import resource_types
from azure_emulator.server import Context
from tests.emulator.test_arm_rbac import local, sample_path  # noqa: F401  (`local` is a fixture)
from tests.utils.arm_admin import ArmAdmin

AVD = "Microsoft.DesktopVirtualization"
POOL = {"hostPoolType": "Pooled", "loadBalancerType": "BreadthFirst", "preferredAppGroupType": "Desktop"}


def error(reply: Any) -> dict[str, Any]:
    body: dict[str, Any] = reply.json()["error"]
    return body


def test_an_api_version_the_type_does_not_offer_is_refused_as_arm_refuses_it(admin: ArmAdmin) -> None:
    admin.resource_group("rg")
    vnet = admin.resource_id("rg", "Microsoft.Network", "virtualNetworks", "vnet1")
    body = {"location": "westeurope", "properties": {"addressSpace": {"addressPrefixes": ["10.0.0.0/16"]}}}
    refused = admin.call("PUT", vnet, body, api_version="2099-01-01")
    assert refused.status_code == 400
    assert error(refused)["code"] == "NoRegisteredProviderFound"
    assert "API version '2099-01-01' for type 'virtualNetworks'" in error(refused)["message"]
    assert "location 'westeurope'" in error(refused)["message"]
    assert "2024-05-01" in error(refused)["message"]  # the versions the type offers are listed
    assert admin.call("PUT", vnet, body).status_code in (200, 201)

    # a gallery is Compute's, but under GalleryRP's versions: a ComputeRP date is not one of them
    gallery = admin.resource_id("rg", "Microsoft.Compute", "galleries", "gal1")
    refused = admin.call("PUT", gallery, {"location": "westeurope"}, api_version="2024-07-01")
    assert refused.status_code == 400 and error(refused)["code"] == "NoRegisteredProviderFound"
    # an action is checked against its resource's type
    vm = admin.resource_id("rg", "Microsoft.Compute", "virtualMachines", "vm1")
    refused = admin.call("POST", f"{vm}/start", api_version="2024-03-03")
    assert refused.status_code == 400 and "for type 'virtualMachines'" in error(refused)["message"]


def test_resource_groups_are_arms_own_and_answer_invalid_api_version(admin: ArmAdmin) -> None:
    refused = admin.call("PUT", admin.group_id("rg"), {"location": "westeurope"}, api_version="2024-04-03")
    assert refused.status_code == 400 and error(refused)["code"] == "InvalidApiVersionParameter"
    assert error(refused)["message"].startswith("The api-version '2024-04-03' is invalid. The supported versions are")


def test_every_type_the_emulator_serves_has_its_api_versions(local: Context) -> None:  # noqa: F811
    """No ARM route escapes the check: each one's path resolves to a type of the table."""
    # the generic list route (lists.py) takes any namespace and type: its known ones are the table's own
    routes = [r for r in local.router.routes if r.api == "arm" and "(?P<ns>" not in r.pattern.pattern]
    targets = [resource_types.target_of(sample_path(route, "sub").removeprefix("/arm")) for route in routes]
    assert None not in targets
    assert {t.type for t in targets if t and t.type.lower() not in resource_types.TYPES} == set()


@pytest.mark.parametrize(
    ("namespace", "type_", "name", "body"),
    [
        ("Microsoft.Compute", "galleries", "my-gallery", {"location": "westeurope"}),  # no hyphens in a gallery
        ("Microsoft.Compute", "galleries", "_gallery", {"location": "westeurope"}),
        (AVD, "hostPools", "hp", {"location": "westeurope", "properties": POOL}),  # 3 characters at least
        (AVD, "workspaces", "w" * 65, {"location": "westeurope", "properties": {}}),
        ("Microsoft.Network", "networkInterfaces", "n" * 81, {"location": "westeurope", "properties": {}}),
        ("Microsoft.Network", "virtualNetworks", "v", {"location": "westeurope", "properties": {}}),
        ("Microsoft.Network", "virtualNetworks", "vnet-", {"location": "westeurope", "properties": {}}),
        ("Microsoft.Compute", "virtualMachines", "v" * 65, {"location": "westeurope", "properties": {}}),
        ("Microsoft.Compute", "images", "image.", {"location": "westeurope", "properties": {}}),
    ],
)
def test_a_name_that_breaks_its_types_rule_is_refused(
    admin: ArmAdmin, namespace: str, type_: str, name: str, body: dict[str, Any]
) -> None:
    admin.resource_group("rg")
    refused = admin.call("PUT", admin.resource_id("rg", namespace, type_, name), body)
    assert refused.status_code == 400, refused.text
    assert error(refused)["code"] == "InvalidResourceName" and name in error(refused)["message"]


def test_names_within_the_rules_are_taken(admin: ArmAdmin) -> None:
    admin.resource_group("rg")
    for gallery in ("spotpc_images", "gallery.v2"):
        made = admin.call(
            "PUT", admin.resource_id("rg", "Microsoft.Compute", "galleries", gallery), {"location": "westeurope"}
        )
        assert made.status_code in (200, 201), made.text
    pool = admin.resource_id("rg", AVD, "hostPools", "spotpc-" + "x" * 57)  # 64 characters
    assert admin.call("PUT", pool, {"location": "westeurope", "properties": POOL}).status_code in (200, 201)


def test_a_gallery_image_version_is_named_major_minor_patch(admin: ArmAdmin) -> None:
    admin.resource_group("rg")
    gallery = admin.resource_id("rg", "Microsoft.Compute", "galleries", "gal")
    admin.ok("PUT", gallery, {"location": "westeurope"})
    definition = f"{gallery}/images/win11"
    admin.ok(
        "PUT",
        definition,
        {
            "location": "westeurope",
            "properties": {
                "osType": "Windows",
                "osState": "Generalized",
                "hyperVGeneration": "V2",
                "identifier": {"publisher": "p", "offer": "o", "sku": "s"},
            },
        },
    )
    for name in ("1.0", "v1.0.0", "1.0.0.0", "1.99999999999.0"):
        refused = admin.call("PUT", f"{definition}/versions/{name}", {"location": "westeurope", "properties": {}})
        assert refused.status_code == 400 and error(refused)["code"] == "InvalidResourceName", name


@pytest.mark.parametrize("type_", ["hostPools", "applicationGroups", "workspaces"])
def test_avd_objects_are_made_only_in_desktop_virtualizations_metadata_regions(admin: ArmAdmin, type_: str) -> None:
    admin.resource_group("rg", "swedencentral")
    props = {"hostPools": POOL, "applicationGroups": {}, "workspaces": {}}[type_]
    refused = admin.call(
        "PUT", admin.resource_id("rg", AVD, type_, "avd1"), {"location": "Sweden Central", "properties": props}
    )
    assert refused.status_code == 400
    assert error(refused)["code"] == "LocationNotAvailableForResourceType"
    assert f"resource type '{AVD}/{type_}'" in error(refused)["message"]
    assert "westeurope" in error(refused)["message"] and "swedencentral" not in error(refused)["message"]


def test_session_hosts_may_be_anywhere_while_their_pool_is_in_a_metadata_region(admin: ArmAdmin) -> None:
    """Only the AVD objects' location is restricted: a VM in swedencentral is an ordinary VM."""
    admin.resource_group("rg", "swedencentral")
    pool = admin.call(
        "PUT", admin.resource_id("rg", AVD, "hostPools", "pool1"), {"location": "northeurope", "properties": POOL}
    )
    assert pool.status_code in (200, 201), pool.text
    subnet = admin.virtual_network("rg", "vnet", location="swedencentral")
    assert admin.virtual_machine("rg", "host1", subnet, location="swedencentral")["location"] == "swedencentral"


def test_a_subnet_outside_its_networks_address_space_is_refused(admin: ArmAdmin) -> None:
    admin.resource_group("rg")
    vnet = admin.resource_id("rg", "Microsoft.Network", "virtualNetworks", "vnet1")
    outside = {
        "location": "westeurope",
        "properties": {
            "addressSpace": {"addressPrefixes": ["10.0.0.0/16"]},
            "subnets": [{"name": "far", "properties": {"addressPrefix": "10.9.0.0/24"}}],
        },
    }
    refused = admin.call("PUT", vnet, outside)
    assert refused.status_code == 400 and error(refused)["code"] == "NetcfgSubnetRangeOutsideVnet"
    assert "Subnet 'far'" in error(refused)["message"] and "'vnet1'" in error(refused)["message"]
    subnet = admin.virtual_network("rg", "vnet1")  # 10.0.0.0/16 with a subnet inside it
    refused = admin.call(
        "PUT", f"{subnet.rsplit('/subnets/', 1)[0]}/subnets/far", {"properties": {"addressPrefix": "192.168.0.0/24"}}
    )
    assert refused.status_code == 400 and error(refused)["code"] == "NetcfgSubnetRangeOutsideVnet"


def test_a_vm_delete_in_a_missing_resource_group_is_404_and_a_missing_vm_204(admin: ArmAdmin) -> None:
    gone = admin.resource_id("nowhere", "Microsoft.Compute", "virtualMachines", "vm1")
    refused = admin.call("DELETE", gone)
    assert refused.status_code == 404 and error(refused)["code"] == "ResourceGroupNotFound"
    admin.resource_group("rg")
    missing_vm = admin.resource_id("rg", "Microsoft.Compute", "virtualMachines", "vm1")
    assert admin.call("DELETE", missing_vm).status_code == 204
