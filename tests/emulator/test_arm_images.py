"""Managed images, gallery image versions and a captured VM in the emulator; and ARM state across a restart."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

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


# --- Marketplace images: which exist, their generation and OS disk (azure_emulator/arm/marketplace.py) ---------------


def test_every_catalogue_image_is_a_marketplace_image_the_emulator_knows_with_the_same_disk() -> None:
    from azure_emulator.arm import marketplace
    from shared.catalog.gallery_images import GALLERY_IMAGES
    from shared.catalog.marketplace_images import IMAGE_OS_DISK_GB, RECOMMENDED

    ids = [*RECOMMENDED, *(image.id for image in GALLERY_IMAGES)]
    for image_id in ids:
        known = marketplace.find(*image_id.split("_", 2))
        assert known is not None, f"{image_id} is not a marketplace image"
        assert IMAGE_OS_DISK_GB[image_id] == known.disk_gb, image_id
    for image_id in RECOMMENDED:  # the app's VMs are Trusted Launch: Generation 2 images only
        assert marketplace.find(*image_id.split("_", 2)).hyper_v_generation == "V2", image_id  # type: ignore[union-attr]


def _vm(
    nic_id: str, image: dict[str, str], size: str = "Standard_D2s_v5", disk_gb: int | None = None
) -> dict[str, Any]:
    os_disk: dict[str, Any] = {"createOption": "FromImage"}
    if disk_gb:
        os_disk["diskSizeGB"] = disk_gb
    return {
        "location": "westeurope",
        "properties": {
            "hardwareProfile": {"vmSize": size},
            "storageProfile": {"imageReference": image, "osDisk": os_disk},
            "osProfile": {"computerName": "img-vm", "adminUsername": "opsadmin", "adminPassword": "Pa55w0rd!Pa55w0rd!"},
            "networkProfile": {"networkInterfaces": [{"id": nic_id}]},
        },
    }


def _nic(admin: ArmAdmin, name: str) -> str:
    subnet = admin.virtual_network("rg", "vnet")
    body = {
        "location": "westeurope",
        "properties": {"ipConfigurations": [{"name": "ipconfig1", "properties": {"subnet": {"id": subnet}}}]},
    }
    return str(admin.ok("PUT", admin.resource_id("rg", "Microsoft.Network", "networkInterfaces", name), body)["id"])


def test_an_unknown_marketplace_image_is_not_found(admin: ArmAdmin) -> None:
    typo = {
        "publisher": "microsoftwindowsdesktop",
        "offer": "windows-11",
        "sku": "win11-24h2-entt",
        "version": "latest",
    }
    reply = admin.call(
        "PUT", admin.resource_id("rg", "Microsoft.Compute", "virtualMachines", "vm1"), _vm(_nic(admin, "nic1"), typo)
    )
    assert reply.status_code == 404, reply.text
    assert reply.json()["error"]["code"] == "PlatformImageNotFound"
    assert reply.json()["error"]["target"] == "imageReference"


def test_an_os_disk_smaller_than_its_image_is_refused(admin: ArmAdmin) -> None:
    avd = {"publisher": "microsoftwindowsdesktop", "offer": "windows-11", "sku": "win11-24h2-avd", "version": "latest"}
    vm_id = admin.resource_id("rg", "Microsoft.Compute", "virtualMachines", "vm1")
    small = admin.call("PUT", vm_id, _vm(_nic(admin, "nic1"), avd, disk_gb=64))
    assert small.status_code == 409, small.text
    assert small.json()["error"]["code"] == "OperationNotAllowed"
    assert small.json()["error"]["target"] == "osDisk.diskSizeGB" and "127 GB" in small.json()["error"]["message"]
    cpc = {"publisher": "microsoftwindowsdesktop", "offer": "windows-ent-cpc", "sku": "win11-24h2-ent-cpc"}
    made = admin.ok("PUT", vm_id, _vm(_nic(admin, "nic2"), cpc, disk_gb=64))  # Windows 365's 64 GB image
    assert made["properties"]["storageProfile"]["osDisk"]["diskSizeGB"] == 64
    unsized = admin.ok(
        "PUT", admin.resource_id("rg", "Microsoft.Compute", "virtualMachines", "vm2"), _vm(_nic(admin, "nic3"), avd)
    )
    assert unsized["properties"]["storageProfile"]["osDisk"]["diskSizeGB"] == 127, "no size: the image's"


def test_a_size_boots_only_the_hyper_v_generations_it_lists(admin: ArmAdmin, sdk: Sdk) -> None:
    skus = {s["name"]: s for s in sdk.compute.resource_skus.list(filter="location eq 'westeurope'")}
    generations = {c["name"]: c["value"] for c in skus["Standard_D2_v2"]["capabilities"]}["HyperVGenerations"]
    assert generations == "V1"
    gen2 = {"publisher": "microsoftwindowsserver", "offer": "windowsserver", "sku": "2022-datacenter-g2"}
    gen1 = {"publisher": "microsoftwindowsserver", "offer": "windowsserver", "sku": "2022-datacenter"}
    vm_id = admin.resource_id("rg", "Microsoft.Compute", "virtualMachines", "vm1")
    refused = admin.call("PUT", vm_id, _vm(_nic(admin, "nic1"), gen2, "Standard_D2_v2"))
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "BadRequest"
    assert "cannot boot Hypervisor Generation '2'" in refused.json()["error"]["message"]
    refused = admin.call("PUT", vm_id, _vm(_nic(admin, "nic2"), gen1, "Standard_D2s_v6"))
    assert refused.status_code == 400 and "Generation '1'" in refused.json()["error"]["message"]
    made = admin.ok("PUT", vm_id, _vm(_nic(admin, "nic3"), gen1, "Standard_D2_v2"))
    assert made["properties"]["provisioningState"] == "Succeeded"


def test_the_vm_image_lists_answer_as_the_rest_specification_has_them(admin: ArmAdmin) -> None:
    """VirtualMachineImages_ListPublishers, _ListOffers, _ListSkus, _List and _Get: bare arrays of {name, location,
    id}; a version's properties with `$expand=properties` or on its own; 404 NotFound for a name that is not there."""
    base = f"/subscriptions/{admin.subscription_id}/providers/Microsoft.Compute/locations/{REGION}/publishers"
    publishers = admin.call("GET", base).json()
    assert {"microsoftwindowsdesktop", "microsoftwindowsserver"} <= {p["name"] for p in publishers}
    offers = admin.call("GET", f"{base}/MicrosoftWindowsDesktop/artifacttypes/vmimage/offers").json()
    assert {o["name"] for o in offers} == {"windows-ent-cpc", "office-365", "windows-11", "windows-10"}
    assert offers[0]["location"] == REGION and offers[0]["id"].startswith(f"/Subscriptions/{admin.subscription_id}/")
    skus_path = f"{base}/microsoftwindowsdesktop/artifacttypes/vmimage/offers/windows-11/skus"
    assert "win11-24h2-ent" in {s["name"] for s in admin.call("GET", skus_path).json()}
    versions_path = f"{skus_path}/win11-24h2-ent/versions"
    [version] = admin.call("GET", versions_path).json()
    assert "properties" not in version and version["id"].endswith(f"/Skus/win11-24h2-ent/Versions/{version['name']}")
    [expanded] = admin.call("GET", f"{versions_path}?$expand=properties&$top=1&$orderby=name desc").json()
    assert expanded["properties"]["hyperVGeneration"] == "V2"
    assert expanded["properties"]["osDiskImage"] == {"operatingSystem": "Windows", "sizeInGb": 127}
    one = admin.call("GET", f"{versions_path}/{version['name']}").json()
    assert one["properties"] == expanded["properties"]
    for missing in (f"{skus_path}/win11-24h2-entt/versions", f"{versions_path}/1.2.3"):
        reply = admin.call("GET", missing)
        assert reply.status_code == 404 and reply.json()["error"]["code"] == "NotFound", reply.text


def test_a_test_publishes_and_withdraws_marketplace_images(azure_emulator: EmulatorProcess, admin: ArmAdmin) -> None:
    control = f"{azure_emulator.base_url}/emulator/marketplace/microsoftwindowsdesktop/windows-11"
    session, sku = azure_emulator.session(), f"win11-24h2-ent-{uuid.uuid4().hex[:6]}"
    skus = (
        f"/subscriptions/{admin.subscription_id}/providers/Microsoft.Compute/locations/{REGION}/publishers/"
        "microsoftwindowsdesktop/artifacttypes/vmimage/offers/windows-11/skus"
    )
    assert session.put(f"{control}/{sku}", json={"hyperVGeneration": "V3", "osDiskSizeGb": 1}).status_code == 400
    reply = session.put(f"{control}/{sku}", json={"hyperVGeneration": "V2", "osDiskSizeGb": 64})
    assert reply.status_code == 200 and reply.json()["version"].startswith("26100."), reply.text
    assert sku in {s["name"] for s in admin.call("GET", skus).json()}
    assert session.delete(f"{control}/{sku}").status_code == 204
    assert sku not in {s["name"] for s in admin.call("GET", skus).json()}
    assert session.delete(f"{control}/{sku}").status_code == 404
