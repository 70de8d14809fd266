"""Compute Gallery writes in the emulator as Azure answers them: deleting image versions and definitions (long-running,
204 when absent, a definition with versions refused), and what a version captured from a VM requires of the VM."""

from __future__ import annotations

from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError

from azure_emulator.launcher import EmulatorProcess
from tests.utils.arm_admin import ArmAdmin, Controls, Sdk

REGION = "westeurope"
TRUSTED_LAUNCH = [{"name": "SecurityType", "value": "TrustedLaunch"}]


def gallery(admin: ArmAdmin, name: str = "gal") -> str:
    admin.resource_group("rg")
    made = admin.ok("PUT", admin.resource_id("rg", "Microsoft.Compute", "galleries", name), {"location": REGION})
    return str(made["id"])


def definition(admin: ArmAdmin, name: str, features: list[dict[str, str]] | None = None) -> str:
    body: dict[str, Any] = {
        "location": REGION,
        "properties": {
            "osType": "Windows",
            "osState": "Generalized",
            "hyperVGeneration": "V2",
            "identifier": {"publisher": "contoso", "offer": "win11", "sku": name},
        },
    }
    if features is not None:
        body["properties"]["features"] = features
    return str(admin.ok("PUT", f"{gallery(admin)}/images/{name}", body)["id"])


def version(admin: ArmAdmin, definition_id: str, name: str, source: str | None, key: str = "id") -> Any:
    """PUT a version made from `source`, named under `source.<key>` (GalleryRP: `virtualMachineId` for a VM)."""
    storage = {"source": {key: source}} if source is not None else {}
    body = {
        "location": REGION,
        "properties": {"publishingProfile": {"targetRegions": [{"name": REGION}]}, "storageProfile": storage},
    }
    return admin.call("PUT", f"{definition_id}/versions/{name}", body)


def test_a_version_delete_is_long_running_and_a_delete_of_what_is_gone_is_204(
    admin: ArmAdmin, azure_emulator: EmulatorProcess
) -> None:
    source = admin.managed_image("rg", "golden")
    image = definition(admin, "win11")
    assert version(admin, image, "1.0.0", source).status_code == 201
    assert version(admin, image, "1.0.1", source).status_code == 201

    controls = Controls(azure_emulator, admin.tenant_id)
    controls.latency("deleteGalleryImageVersion", 0)  # the instant mode, kept for what it answers
    done = admin.call("DELETE", f"{image}/versions/1.0.0")
    assert done.status_code == 200, "an operation without latency is answered as finished"
    assert admin.call("GET", f"{image}/versions/1.0.0").status_code == 404
    assert admin.call("DELETE", f"{image}/versions/1.0.0").status_code == 204
    assert admin.call("DELETE", f"{image}/versions/9.9.9").status_code == 204

    controls.latency("deleteGalleryImageVersion", 300)
    started = admin.call("DELETE", f"{image}/versions/1.0.1")
    assert started.status_code == 202 and started.content == b""
    assert "/operations/" in started.headers["Azure-AsyncOperation"]
    assert "/operationResults/" in started.headers["Location"] and int(started.headers["Retry-After"]) >= 1
    deleting = admin.ok("GET", f"{image}/versions/1.0.1")
    assert deleting["properties"]["provisioningState"] == "Deleting"
    refused = admin.call("DELETE", image)  # a version being deleted is still nested until its delete finishes
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "CannotDeleteResource"


def test_a_definition_is_deleted_only_without_versions_and_its_gallery_stays(admin: ArmAdmin, sdk: Sdk) -> None:
    image = definition(admin, "win11")
    assert version(admin, image, "2.0.0", admin.managed_image("rg", "golden")).status_code == 201
    with pytest.raises(HttpResponseError) as nested:
        sdk.compute.gallery_images.begin_delete("rg", "gal", "win11").result()
    error = nested.value.error
    assert nested.value.status_code == 409 and error is not None and error.code == "CannotDeleteResource"
    assert "galleries/gal/images/win11/versions/2.0.0" in str(error.message)
    sdk.compute.gallery_image_versions.begin_delete("rg", "gal", "win11", "2.0.0").result()
    sdk.compute.gallery_images.begin_delete("rg", "gal", "win11").result()
    assert admin.call("GET", image).status_code == 404
    assert admin.call("DELETE", image).status_code == 204
    assert admin.call("GET", gallery(admin)).status_code == 200
    absent = admin.resource_id("rg", "Microsoft.Compute", "galleries", "nosuch", "images", "win11")
    assert admin.call("DELETE", absent).status_code == 204


def test_gallery_and_definition_creates_are_long_running(admin: ArmAdmin, azure_emulator: EmulatorProcess) -> None:
    gallery(admin)
    controls = Controls(azure_emulator, admin.tenant_id)
    controls.latency("createGallery", 300)
    made = admin.call("PUT", admin.resource_id("rg", "Microsoft.Compute", "galleries", "slow"), {"location": REGION})
    assert made.status_code == 201 and "Azure-AsyncOperation" in made.headers
    assert made.json()["properties"]["provisioningState"] == "Creating"
    controls.latency("createGalleryImage", 300)
    body = {
        "location": REGION,
        "properties": {
            "osType": "Windows",
            "osState": "Generalized",
            "identifier": {"publisher": "p", "offer": "o", "sku": "s"},
        },
    }
    defined = admin.call("PUT", f"{gallery(admin)}/images/slow", body)
    assert defined.status_code == 201 and defined.json()["properties"]["provisioningState"] == "Creating"


def test_a_version_from_a_vm_needs_it_generalized_and_a_trusted_launch_definition(admin: ArmAdmin, sdk: Sdk) -> None:
    vm_id = trusted_launch_vm(admin, sdk)
    plain, trusted = definition(admin, "plain"), definition(admin, "trusted", TRUSTED_LAUNCH)
    specialized = version(admin, trusted, "1.0.0", vm_id)
    assert specialized.status_code == 400 and specialized.json()["error"]["code"] == "BadRequest"
    assert "different OS state ['Specialized']" in specialized.json()["error"]["message"]
    sdk.compute.virtual_machines.begin_deallocate("rg", "build").result()
    sdk.compute.virtual_machines.generalize("rg", "build")
    wrong_type = version(admin, plain, "1.0.0", vm_id)  # a Gen2 definition naming none is TrustedLaunchSupported
    assert wrong_type.status_code == 400 and wrong_type.json()["error"]["code"] == "InvalidParameter"
    captured = version(admin, trusted, "1.0.0", vm_id, key="virtualMachineId")
    assert captured.status_code == 201, captured.text
    assert captured.json()["properties"]["storageProfile"]["source"] == {"virtualMachineId": vm_id}
    assert captured.json()["properties"]["storageProfile"]["osDiskImage"]["sizeInGB"] == 64


def trusted_launch_vm(admin: ArmAdmin, sdk: Sdk) -> str:
    """A running Trusted Launch VM from a marketplace image, as the app's build VMs are; its id."""
    subnet = admin.virtual_network("rg", "vnet")
    ip = {"name": "ip", "properties": {"subnet": {"id": subnet}}}
    nic = sdk.network.network_interfaces.begin_create_or_update(
        "rg", "nic", {"location": REGION, "properties": {"ipConfigurations": [ip]}}
    ).result()
    image = {"publisher": "microsoftwindowsdesktop", "offer": "windows-ent-cpc", "sku": "win11-24h2-ent-cpc"}
    vm = sdk.compute.virtual_machines.begin_create_or_update(
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
                "securityProfile": {
                    "securityType": "TrustedLaunch",
                    "uefiSettings": {"secureBootEnabled": True, "vTpmEnabled": True},
                },
            },
        },
    ).result()
    return str(vm["id"])


def test_a_version_needs_a_source_and_takes_a_vm_under_virtual_machine_id(admin: ArmAdmin, sdk: Sdk) -> None:
    """GalleryRP 2024-03-03 names a captured VM in `source.virtualMachineId`; a version with no source is refused."""
    image = definition(admin, "win11")
    missing = version(admin, image, "1.0.0", None)
    assert missing.status_code == 400 and missing.json()["error"]["code"] == "InvalidParameter"
    assert missing.json()["error"]["target"] == "galleryImageVersion.properties.storageProfile.source"
    not_a_vm = version(admin, image, "1.0.0", admin.managed_image("rg", "golden"), key="virtualMachineId")
    assert not_a_vm.status_code == 400 and not_a_vm.json()["error"]["code"] == "InvalidParameter"
    assert version(admin, image, "1.0.0", admin.managed_image("rg", "golden")).status_code == 201
