"""The emulated Microsoft.Resources and Microsoft.Network: resource groups, vnets, subnets, NICs and their addresses."""

from __future__ import annotations

import pytest
from azure.core.exceptions import HttpResponseError

from azure_emulator.launcher import EmulatorProcess
from tests.utils.arm_admin import ArmAdmin, Controls, Sdk

REGION = "westeurope"


def nic_body(subnet_id: str, location: str = REGION) -> dict[str, object]:
    return {
        "location": location,
        "properties": {"ipConfigurations": [{"name": "ipconfig1", "properties": {"subnet": {"id": subnet_id}}}]},
    }


def test_resource_groups_are_made_read_and_deleted_with_what_they_hold(admin: ArmAdmin) -> None:
    group = admin.group_id("rg-a")
    created = admin.call("PUT", group, {"location": REGION})
    assert created.status_code == 201 and created.json()["properties"]["provisioningState"] == "Succeeded"
    assert admin.call("PUT", group, {"location": REGION}).status_code == 200
    assert admin.call("GET", group.upper().replace("/SUBSCRIPTIONS/", "/subscriptions/")).status_code == 200
    admin.virtual_network("rg-a", "vnet")
    deleted = admin.call("DELETE", group)
    assert deleted.status_code in (200, 202)
    admin.finished(deleted)
    assert admin.call("GET", group).status_code == 404
    assert admin.virtual_networks("rg-a") == []
    missing = admin.call(
        "PUT",
        admin.resource_id("rg-a", "Microsoft.Network", "virtualNetworks", "v"),
        {"location": REGION, "properties": {"addressSpace": {"addressPrefixes": ["10.0.0.0/16"]}}},
    )
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "ResourceGroupNotFound"


def test_nics_take_addresses_from_the_subnet_and_show_in_its_ip_configurations(admin: ArmAdmin, sdk: Sdk) -> None:
    subnet_id = admin.virtual_network("rg", "vnet", subnets={"small": "10.0.9.0/29", "big": "10.0.1.0/24"})
    first = sdk.network.network_interfaces.begin_create_or_update("rg", "nic1", nic_body(subnet_id)).result()
    second = sdk.network.network_interfaces.begin_create_or_update("rg", "nic2", nic_body(subnet_id)).result()
    addresses = [n["properties"]["ipConfigurations"][0]["properties"]["privateIPAddress"] for n in (first, second)]
    assert addresses == ["10.0.9.4", "10.0.9.5"]  # Azure keeps the first four and the last address
    subnet = sdk.network.subnets.get("rg", "vnet", "small")
    assert sorted(c["id"] for c in subnet["properties"]["ipConfigurations"]) == sorted(
        n["properties"]["ipConfigurations"][0]["id"] for n in (first, second)
    )
    usage = {u["id"]: u for u in sdk.network.virtual_networks.list_usage("rg", "vnet")}
    assert usage[subnet_id]["currentValue"] == 2 and usage[subnet_id]["limit"] == 3
    check = sdk.network.virtual_networks.check_ip_address_availability("rg", "vnet", ip_address="10.0.9.4")
    assert check["available"] is False and check["availableIPAddresses"] == ["10.0.9.6"]
    sdk.network.network_interfaces.begin_create_or_update("rg", "nic3", nic_body(subnet_id)).result()
    with pytest.raises(HttpResponseError) as full:
        sdk.network.network_interfaces.begin_create_or_update("rg", "nic4", nic_body(subnet_id)).result()
    assert full.value.error is not None and full.value.error.code == "SubnetIsFull"


def probe_vm(nic_id: str, computer_name: str = "probe1") -> dict[str, object]:
    image = {
        "publisher": "MicrosoftWindowsServer",
        "offer": "WindowsServer",
        "sku": "2022-datacenter-azure-edition",
        "version": "latest",
    }
    return {
        "location": REGION,
        "properties": {
            "hardwareProfile": {"vmSize": "Standard_B2s"},
            "storageProfile": {"imageReference": image},
            "osProfile": {
                "computerName": computer_name,
                "adminUsername": "probe",
                "adminPassword": "Pa55w0rd!Pa55w0rd!",
            },
            "networkProfile": {"networkInterfaces": [{"id": nic_id}]},
        },
    }


def test_a_nic_in_use_cannot_be_deleted_and_a_free_one_gives_its_address_back(
    azure_emulator: EmulatorProcess, admin: ArmAdmin, sdk: Sdk
) -> None:
    Controls(azure_emulator, admin.tenant_id).timer("nicReservation", 0)  # the reservation has its own test
    subnet_id = admin.virtual_network("rg", "vnet")
    nic = sdk.network.network_interfaces.begin_create_or_update("rg", "nic1", nic_body(subnet_id)).result()
    sdk.compute.virtual_machines.begin_create_or_update("rg", "vm1", probe_vm(nic["id"])).result()
    with pytest.raises(HttpResponseError) as in_use:
        sdk.network.network_interfaces.begin_delete("rg", "nic1").result()
    assert in_use.value.status_code == 400
    assert in_use.value.error is not None and in_use.value.error.code == "NicInUse"
    sdk.compute.virtual_machines.begin_delete("rg", "vm1").result()  # deleteOption Detach: the NIC stays
    assert "virtualMachine" not in sdk.network.network_interfaces.get("rg", "nic1")["properties"]
    sdk.network.network_interfaces.begin_delete("rg", "nic1").result()
    assert admin.nics("rg") == []
    again = sdk.network.network_interfaces.begin_create_or_update("rg", "nic2", nic_body(subnet_id)).result()
    assert again["properties"]["ipConfigurations"][0]["properties"]["privateIPAddress"] == "10.0.1.4"


def test_a_nic_stays_reserved_for_its_deleted_or_refused_vm_until_the_reservation_ends(
    azure_emulator: EmulatorProcess, admin: ArmAdmin, sdk: Sdk
) -> None:
    controls = Controls(azure_emulator, admin.tenant_id)
    controls.timer("nicReservation", 3600)  # longer than any test: the refusal cannot end by itself meanwhile
    subnet_id = admin.virtual_network("rg", "vnet")
    nic = sdk.network.network_interfaces.begin_create_or_update("rg", "nic1", nic_body(subnet_id)).result()
    sdk.compute.virtual_machines.begin_create_or_update("rg", "vm1", probe_vm(nic["id"])).result()
    sdk.compute.virtual_machines.begin_delete("rg", "vm1").result()  # deleteOption Detach: the NIC stays
    deleting = admin.call("DELETE", nic["id"])
    assert deleting.status_code == 400 and deleting.json()["error"]["code"] == "NicReservedForAnotherVm"
    other = admin.call(
        "PUT", admin.resource_id("rg", "Microsoft.Compute", "virtualMachines", "vm2"), probe_vm(nic["id"], "probe2")
    )
    assert other.status_code == 400 and other.json()["error"]["code"] == "NicReservedForAnotherVm"
    # a create refused once its NIC was taken in (here by the vCPU quota) reserves the NIC too
    spare = sdk.network.network_interfaces.begin_create_or_update("rg", "nic2", nic_body(subnet_id)).result()
    admin.quota(REGION, "standardBSFamily", 0)
    refused = admin.call(
        "PUT", admin.resource_id("rg", "Microsoft.Compute", "virtualMachines", "vm3"), probe_vm(spare["id"], "probe3")
    )
    assert refused.status_code == 409, refused.text
    assert admin.call("DELETE", spare["id"]).json()["error"]["code"] == "NicReservedForAnotherVm"
    controls.timer("nicReservation", 0)  # the reservation over
    sdk.network.network_interfaces.begin_delete("rg", "nic1").result()
    sdk.network.network_interfaces.begin_delete("rg", "nic2").result()
    assert admin.nics("rg") == []


def test_a_nic_needs_an_existing_subnet_in_its_region(admin: ArmAdmin, sdk: Sdk) -> None:
    subnet_id = admin.virtual_network("rg", "vnet")
    with pytest.raises(HttpResponseError) as elsewhere:
        sdk.network.network_interfaces.begin_create_or_update("rg", "nic1", nic_body(subnet_id, "eastus")).result()
    assert elsewhere.value.error is not None and elsewhere.value.error.code == "InvalidResourceReference"
    with pytest.raises(HttpResponseError) as missing:
        sdk.network.network_interfaces.begin_create_or_update("rg", "nic1", nic_body(subnet_id + "x")).result()
    assert missing.value.error is not None and missing.value.error.code == "InvalidResourceReference"


def test_a_nic_joins_no_subnet_of_another_subscription(azure_emulator: EmulatorProcess, admin: ArmAdmin) -> None:
    other = ArmAdmin(azure_emulator, admin.tenant_id)  # the same admin, in a second subscription of the tenant
    foreign_subnet = other.virtual_network("rg", "vnet")
    admin.resource_group("rg")
    nic_id = admin.resource_id("rg", "Microsoft.Network", "networkInterfaces", "nic1")
    refused = admin.call("PUT", nic_id, nic_body(foreign_subnet))
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "InvalidResourceReference"
    assert admin.call("GET", nic_id).status_code == 404
    own_nic = other.resource_id("rg", "Microsoft.Network", "networkInterfaces", "nic1")
    assert other.call("PUT", own_nic, nic_body(foreign_subnet)).status_code == 201, "its own subscription's NIC joins"


def test_nic_create_and_delete_can_be_slow_and_polled(
    azure_emulator: EmulatorProcess, admin: ArmAdmin, sdk: Sdk
) -> None:
    subnet_id = admin.virtual_network("rg", "vnet")
    controls = Controls(azure_emulator, admin.tenant_id)
    controls.latency("createNic", 1)
    controls.latency("deleteNic", 1)
    reply = admin.call(
        "PUT", admin.resource_id("rg", "Microsoft.Network", "networkInterfaces", "nic1"), nic_body(subnet_id)
    )
    assert reply.status_code == 201 and reply.json()["properties"]["provisioningState"] == "Creating"
    assert "Azure-AsyncOperation" in reply.headers
    created = sdk.network.network_interfaces.begin_create_or_update("rg", "nic2", nic_body(subnet_id)).result()
    assert created["properties"]["provisioningState"] == "Succeeded"
    deleting = admin.call("DELETE", created["id"])
    assert deleting.status_code == 202 and deleting.headers["Location"]
    sdk.network.network_interfaces.begin_delete("rg", "nic1").result()
    assert [n["name"] for n in admin.nics("rg")] in (["nic2"], [])
