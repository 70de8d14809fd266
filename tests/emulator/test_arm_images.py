"""Managed images, gallery image versions and a captured VM in the emulator; and ARM state across a restart."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from azure.core.exceptions import HttpResponseError

from azure_emulator.launcher import EmulatorProcess
from tests.utils.arm_admin import ArmAdmin, Sdk

REGION = "westeurope"


def test_a_managed_image_reads_back_as_the_admin_made_it(admin: ArmAdmin, sdk: Sdk) -> None:
    image_id = admin.managed_image("rg-images", "golden", generation="V1", data_disks=1, disk_gb=128)
    image = sdk.compute.images.get("rg-images", "golden")
    assert image["id"] == image_id
    assert image["properties"]["hyperVGeneration"] == "V1"
    disk = image["properties"]["storageProfile"]["osDisk"]
    assert (disk["osType"], disk["osState"], disk["diskSizeGB"]) == ("Windows", "Generalized", 128)
    assert len(image["properties"]["storageProfile"]["dataDisks"]) == 1
    with pytest.raises(HttpResponseError) as missing:
        sdk.compute.images.get("rg-images", "nope")
    assert missing.value.status_code == 404


def test_a_vm_from_a_gallery_version_needs_it_replicated_to_its_region(admin: ArmAdmin, sdk: Sdk) -> None:
    source = admin.managed_image("rg", "golden")
    admin.ok("PUT", admin.resource_id("rg", "Microsoft.Compute", "galleries", "gal"), {"location": REGION})
    definition = admin.resource_id("rg", "Microsoft.Compute", "galleries", "gal", "images", "win11")
    admin.ok(
        "PUT",
        definition,
        {
            "location": REGION,
            "properties": {
                "osType": "Windows",
                "osState": "Generalized",
                "hyperVGeneration": "V2",
                "identifier": {"publisher": "contoso", "offer": "win11", "sku": "golden"},
            },
        },
    )
    version = sdk.compute.gallery_image_versions.begin_create_or_update(
        "rg",
        "gal",
        "win11",
        "1.0.0",
        {
            "location": REGION,
            "properties": {
                "publishingProfile": {"targetRegions": [{"name": "West Europe"}]},
                "storageProfile": {"source": {"id": source}},
            },
        },
    ).result()
    assert version["properties"]["storageProfile"]["osDiskImage"]["sizeInGB"] == 64
    read = sdk.compute.gallery_image_versions.get("rg", "gal", "win11", "1.0.0", expand="ReplicationStatus")
    assert read["properties"]["replicationStatus"]["aggregatedState"] == "Completed"
    subnet = admin.virtual_network("rg", "vnet-us", location="eastus")
    nic = sdk.network.network_interfaces.begin_create_or_update(
        "rg",
        "nic",
        {
            "location": "eastus",
            "properties": {"ipConfigurations": [{"name": "ip", "properties": {"subnet": {"id": subnet}}}]},
        },
    ).result()
    body = {
        "location": "eastus",
        "properties": {
            "hardwareProfile": {"vmSize": "Standard_D2s_v5"},
            "storageProfile": {"imageReference": {"id": version["id"]}},
            "osProfile": {
                "computerName": "CPC-GAL-1",
                "adminUsername": "cpcadmin",
                "adminPassword": "Pa55w0rd!Pa55w0rd!",
            },
            "networkProfile": {"networkInterfaces": [{"id": nic["id"]}]},
        },
    }
    with pytest.raises(HttpResponseError) as elsewhere:
        sdk.compute.virtual_machines.begin_create_or_update("rg", "vm", body).result()
    assert elsewhere.value.status_code == 400


def test_a_generalized_vm_is_captured_into_a_managed_image(admin: ArmAdmin, sdk: Sdk) -> None:
    subnet = admin.virtual_network("rg", "vnet")
    nic = sdk.network.network_interfaces.begin_create_or_update(
        "rg",
        "nic",
        {
            "location": REGION,
            "properties": {"ipConfigurations": [{"name": "ip", "properties": {"subnet": {"id": subnet}}}]},
        },
    ).result()
    image = {"publisher": "microsoftwindowsdesktop", "offer": "windows-ent-cpc", "sku": "win11-24h2-ent-cpc"}
    sdk.compute.virtual_machines.begin_create_or_update(
        "rg",
        "build",
        {
            "location": REGION,
            "properties": {
                "hardwareProfile": {"vmSize": "Standard_D2s_v5"},
                "storageProfile": {"imageReference": image},
                "osProfile": {
                    "computerName": "BUILD",
                    "adminUsername": "builder",
                    "adminPassword": "Pa55w0rd!Pa55w0rd!",
                },
                "networkProfile": {"networkInterfaces": [{"id": nic["id"]}]},
            },
        },
    ).result()
    vm_id = admin.resource_id("rg", "Microsoft.Compute", "virtualMachines", "build")
    capture = {"location": REGION, "properties": {"sourceVirtualMachine": {"id": vm_id}}}
    with pytest.raises(HttpResponseError) as not_generalized:
        sdk.compute.images.begin_create_or_update("rg", "captured", capture).result()
    assert not_generalized.value.status_code == 409
    sdk.compute.virtual_machines.begin_deallocate("rg", "build").result()
    sdk.compute.virtual_machines.generalize("rg", "build")
    captured = sdk.compute.images.begin_create_or_update("rg", "captured", capture).result()
    assert captured["properties"]["sourceVirtualMachine"]["id"] == vm_id
    assert captured["properties"]["storageProfile"]["osDisk"]["osState"] == "Generalized"


def test_arm_state_survives_a_restart(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    emulator = EmulatorProcess(state_dir=tmp_path, in_memory=False).start()
    try:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", emulator.ca_bundle)
        admin = ArmAdmin(emulator, str(uuid.uuid4()))
        subnet = admin.virtual_network("rg", "vnet")
        image = admin.managed_image("rg", "golden")
    finally:
        emulator.stop()
    emulator = EmulatorProcess(state_dir=tmp_path, in_memory=False).start()
    try:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", emulator.ca_bundle)
        again = ArmAdmin(emulator, admin.tenant_id, admin.subscription_id)
        assert again.call("GET", subnet).status_code == 200
        assert again.call("GET", image).status_code == 200
    finally:
        emulator.stop()
