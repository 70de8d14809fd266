"""Contract tests of AzureImageBuilding: the app's credentials and the real SDK against the emulator, a build VM made
from a marketplace image by the provisioning adapter, deallocated, generalized and captured into a Compute Gallery.
Long-running operations and throttling come back as Progress, never as a wait; a repeated call sends nothing new."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from azure_emulator.launcher import EmulatorProcess
from shared.cloud.azure.arm_clients import ArmClients
from shared.cloud.azure.arm_compute import AzureProvisioningCompute
from shared.cloud.azure.arm_ids import vm_id
from shared.cloud.azure.arm_image_building import AzureImageBuilding
from shared.cloud.azure.arm_lro import RUNNING
from shared.cloud.azure.arm_vm_operations import AzureCloudPcOperations
from shared.cloud.azure.credentials import AzureCredentials
from shared.cloud.azure.graph_client import GraphClients
from shared.cloud.azure.graph_devices import GraphDevices
from shared.ports.cloud_errors import CloudError
from shared.ports.compute import Placement
from shared.ports.image_building import GalleryImage
from shared.ports.progress import Progress
from shared.settings import Settings
from tests.utils.arm_admin import ArmAdmin, Controls
from tests.utils.onboarding import grant_app
from tests.utils.progress import marketplace_vm, until_done

THROTTLED = "Azure Resource Manager said not now (TooManyRequests)"  # a 429's reason, for the timeline

APP_TENANT = "image-sets"
REGION, REPLICA, RG = "westeurope", "northeurope", "rg-images"
MARKETPLACE = "microsoftwindowsdesktop_windows-ent-cpc_win11-24h2-ent-cpc-m365"
API_VERSION = re.compile(r"^\d{4}-\d{2}-\d{2}(-preview)?$")


@dataclass
class Cloud:
    images: AzureImageBuilding
    compute: AzureProvisioningCompute
    ops: AzureCloudPcOperations
    admin: ArmAdmin
    controls: Controls
    placement: Placement

    @property
    def image(self) -> GalleryImage:
        return GalleryImage(placement=self.placement, gallery="gal_imagesets", definition="win11-sales")

    def sent(self, operation: str) -> list[dict[str, Any]]:
        """What this test's subscription sent under `operation` (the emulator is shared by the session)."""
        return [e for e in self.controls.log(operation) if self.admin.subscription_id in e["path"]]

    def build_vm(self, deallocated: bool = True) -> str:
        """A build VM from the marketplace image, made as provisioning makes a Cloud PC's; its name."""
        name = marketplace_vm(self.compute, APP_TENANT, self.placement, MARKETPLACE, "build")
        if deallocated:
            assert until_done(lambda op: self.ops.power_vm(APP_TENANT, self.placement, name, "deallocate", op)).done
        return name

    def definition(self) -> Progress:
        return until_done(lambda op: self.images.ensure_image_definition(APP_TENANT, self.image, MARKETPLACE, op))

    def version(self, version: str, vm: str, regions: list[str]) -> Progress:
        source = vm_id(self.placement, vm)
        return until_done(
            lambda op: self.images.create_image_version(APP_TENANT, self.image, version, source, regions, op)
        )

    def versions(self) -> list[dict[str, Any]]:
        image = self.image
        definition = self.admin.resource_id(
            RG, "Microsoft.Compute", "galleries", image.gallery, "images", image.definition
        )
        reply = self.admin.call("GET", f"{definition}/versions")
        return list(reply.json()["value"]) if reply.status_code == 200 else []


@pytest.fixture
def cloud(azure_environment: dict[str, str], azure_emulator: EmulatorProcess) -> Iterator[Cloud]:
    entra = str(uuid.uuid4())
    admin = ArmAdmin(azure_emulator, entra)
    admin.resource_group(RG)
    grant_app(azure_emulator, entra, admin.subscription_id)  # onboarded: consent, the custom role
    settings = Settings()  # the app's settings: the environment points them at the emulator
    credentials = AzureCredentials(settings, {APP_TENANT: entra}.get)
    arm, graph = ArmClients(credentials, settings.arm_endpoint), GraphClients(credentials, settings.graph_endpoint)
    controls = Controls(azure_emulator, entra)
    # Azure's instant mode for this tenant: these tests read each call's first answer (a generalize done at once, a
    # delete's 200); the polling path is tested here where a test sets latency, and everywhere else by default
    controls.latency("default", 0)
    yield Cloud(
        images=AzureImageBuilding(arm),
        compute=AzureProvisioningCompute(arm),
        ops=AzureCloudPcOperations(arm, GraphDevices(graph)),
        admin=admin,
        controls=controls,
        placement=Placement(admin.subscription_id, RG, REGION),
    )
    arm.close()
    graph.close()
    credentials.close()


def test_a_generalized_build_vm_is_captured_into_a_version_replicated_to_each_region(cloud: Cloud) -> None:
    images, image, placement = cloud.images, cloud.image, cloud.placement
    vm = cloud.build_vm()
    assert images.generalize_vm(APP_TENANT, placement, vm) == Progress(done=True, resource_id=vm_id(placement, vm))
    [generalize] = cloud.sent("generalizeVm")
    assert generalize["method"] == "POST" and generalize["path"] == f"/arm{vm_id(placement, vm)}/generalize"

    cloud.controls.latency("createGalleryImage", 1)
    first = images.ensure_image_definition(APP_TENANT, image, MARKETPLACE)
    assert not first.done and first.operation and first.operation.startswith("definition https://")
    definition_id = cloud.admin.resource_id(
        RG, "Microsoft.Compute", "galleries", image.gallery, "images", image.definition
    )
    defined = until_done(lambda op: images.ensure_image_definition(APP_TENANT, image, MARKETPLACE, op), first)
    assert defined == Progress(done=True, resource_id=definition_id)
    [gallery] = cloud.sent("createGallery")
    assert gallery["method"] == "PUT" and gallery["body"]["location"] == REGION
    [put] = cloud.sent("createGalleryImage")
    assert put["path"] == f"/arm{definition_id}" and API_VERSION.match(put["query"]["api-version"])
    assert put["body"]["location"] == REGION
    assert put["body"]["properties"] == {
        "osType": "Windows",
        "osState": "Generalized",
        "hyperVGeneration": "V2",
        "identifier": {
            "publisher": "microsoftwindowsdesktop",
            "offer": "windows-ent-cpc",
            "sku": "win11-24h2-ent-cpc-m365",
        },
        # Trusted Launch VMs are captured; a personal Spot Group's hosts may be made with hibernation enabled
        "features": [
            {"name": "SecurityType", "value": "TrustedLaunch"},
            {"name": "IsHibernateSupported", "value": "True"},
        ],
    }
    reads = len(cloud.sent("getGalleryImage"))
    assert images.ensure_image_definition(APP_TENANT, image, MARKETPLACE) == defined, "a repeat is done at once"
    assert len(cloud.sent("getGalleryImage")) == reads + 1, "one read"
    assert len(cloud.sent("createGallery")) == 1 and len(cloud.sent("createGalleryImage")) == 1

    cloud.controls.latency("replicateImage", 1)
    source = vm_id(placement, vm)
    started = images.create_image_version(APP_TENANT, image, "1.0.0", source, [REGION, REPLICA])
    assert not started.done and started.operation and started.operation.startswith("version https://")
    polls = cloud.controls.count("pollOperation")
    done = until_done(
        lambda op: images.create_image_version(APP_TENANT, image, "1.0.0", source, [REGION, REPLICA], op), started
    )
    assert done == Progress(done=True, resource_id=f"{definition_id}/versions/1.0.0")
    assert cloud.controls.count("pollOperation") > polls
    [replicate] = cloud.sent("replicateImage")
    assert replicate["method"] == "PUT" and replicate["path"] == f"/arm{definition_id}/versions/1.0.0"
    [version] = cloud.versions()
    props = version["properties"]
    assert props["provisioningState"] == "Succeeded" and version["location"] == REGION
    assert props["storageProfile"]["source"] == {"virtualMachineId": source}  # GalleryRP's form for a VM source
    regions = props["publishingProfile"]["targetRegions"]
    assert [(r["name"], r["regionalReplicaCount"]) for r in regions] == [(REGION, 1), (REPLICA, 1)]
    assert images.create_image_version(APP_TENANT, image, "1.0.0", source, [REGION, REPLICA]) == done
    assert len(cloud.sent("replicateImage")) == 1, "a repeat reads the version and sends nothing"


def test_the_gallerys_own_region_is_replicated_first_once_however_the_regions_are_given(cloud: Cloud) -> None:
    vm = cloud.build_vm()
    assert cloud.images.generalize_vm(APP_TENANT, cloud.placement, vm).done
    assert cloud.definition().done
    assert cloud.version("1.0.0", vm, [REPLICA, "West Europe"]).done
    [version] = cloud.versions()
    assert [r["name"] for r in version["properties"]["publishingProfile"]["targetRegions"]] == [REGION, REPLICA]


def test_a_vm_that_is_not_generalized_is_refused_and_so_is_generalizing_a_running_one(cloud: Cloud) -> None:
    images, placement = cloud.images, cloud.placement
    running = cloud.build_vm(deallocated=False)
    with pytest.raises(CloudError) as refused:
        images.generalize_vm(APP_TENANT, placement, running)
    assert (refused.value.step, refused.value.code) == ("generalizeVm", "OperationNotAllowed")
    with pytest.raises(CloudError) as missing:
        images.generalize_vm(APP_TENANT, placement, "build-nosuch")
    assert (missing.value.step, missing.value.code) == ("generalizeVm", "vmNotFound")
    assert cloud.definition().done
    specialized = cloud.build_vm()  # deallocated, never generalized
    with pytest.raises(CloudError) as capture:
        cloud.version("1.0.0", specialized, [REGION])
    assert (capture.value.step, capture.value.code) == ("createImageVersion", "BadRequest")
    assert cloud.versions() == []
    with pytest.raises(CloudError) as bad_id:
        images.ensure_image_definition(APP_TENANT, cloud.image, "windows-11-no-sku")
    assert (bad_id.value.step, bad_id.value.code) == ("ensureImageDefinition", "imageNotFound")


def test_a_failed_replication_is_a_cloud_error_with_azures_code(cloud: Cloud) -> None:
    vm = cloud.build_vm()
    assert cloud.images.generalize_vm(APP_TENANT, cloud.placement, vm).done
    assert cloud.definition().done
    cloud.controls.fault("replicateImage", 1, "ReplicationFailed")
    with pytest.raises(CloudError) as failed:
        cloud.version("1.0.0", vm, [REGION, REPLICA])
    assert (failed.value.step, failed.value.code) == ("createImageVersion", "ReplicationFailed")
    with pytest.raises(CloudError) as again:  # called afresh, the failed version is read, not put again
        cloud.version("1.0.0", vm, [REGION, REPLICA])
    assert again.value.code == "ProvisioningFailed"
    assert len(cloud.sent("replicateImage")) == 1


def test_a_429_is_progress_not_done_with_azures_retry_after_and_the_operation_is_kept(cloud: Cloud) -> None:
    images, image, placement = cloud.images, cloud.image, cloud.placement
    cloud.controls.throttle_next("getGalleryImage", 17)
    held = "TooManyRequests"  # what held it, for the timeline
    assert images.ensure_image_definition(APP_TENANT, image, MARKETPLACE) == Progress(
        done=False, retry_after_s=17.0, held=held, reason=THROTTLED
    )
    assert cloud.sent("createGallery") == []
    cloud.controls.throttle_next("generalizeVm", 19)
    assert images.generalize_vm(APP_TENANT, placement, "build-any") == Progress(
        done=False, retry_after_s=19.0, held=held, reason=THROTTLED
    )
    cloud.controls.latency("createGallery", 30)
    started = images.ensure_image_definition(APP_TENANT, image, MARKETPLACE)
    assert not started.done and started.operation and started.operation.startswith("gallery https://")
    cloud.controls.throttle_next("pollOperation", 23)
    polled = images.ensure_image_definition(APP_TENANT, image, MARKETPLACE, started.operation)
    kept = Progress(done=False, retry_after_s=23.0, operation=started.operation, held=held, reason=THROTTLED)
    assert polled == kept, "the operation is kept"
    waiting = images.ensure_image_definition(APP_TENANT, image, MARKETPLACE, started.operation)
    assert not waiting.done and waiting.operation == started.operation
    assert len(cloud.sent("createGallery")) == 1 and cloud.sent("createGalleryImage") == []


def test_a_version_then_its_definition_are_deleted_each_twice_and_the_gallery_stays(cloud: Cloud) -> None:
    images, image = cloud.images, cloud.image
    vm = cloud.build_vm()
    assert images.generalize_vm(APP_TENANT, cloud.placement, vm).done
    assert cloud.definition().done
    assert cloud.version("1.0.0", vm, [REGION]).done
    with pytest.raises(CloudError) as nested:
        images.delete_image_definition(APP_TENANT, image)
    assert (nested.value.step, nested.value.code) == ("deleteImageDefinition", "CannotDeleteResource")

    cloud.controls.latency("deleteGalleryImageVersion", 1)
    first = images.delete_image_version(APP_TENANT, image, "1.0.0")
    assert not first.done and first.operation and first.operation.startswith("delete https://")
    assert until_done(lambda op: images.delete_image_version(APP_TENANT, image, "1.0.0", op), first).done
    assert cloud.versions() == []
    assert images.delete_image_version(APP_TENANT, image, "1.0.0") == Progress(done=True), "gone: done at once"
    assert [e["status"] for e in cloud.sent("deleteGalleryImageVersion")] == [202, 204]

    assert until_done(lambda op: images.delete_image_definition(APP_TENANT, image, op)) == Progress(done=True)
    assert images.delete_image_definition(APP_TENANT, image) == Progress(done=True)
    deletes = cloud.sent("deleteGalleryImage")
    assert [e["status"] for e in deletes] == [409, 200, 204] and deletes[-1]["method"] == "DELETE"
    definition_id = cloud.admin.resource_id(
        RG, "Microsoft.Compute", "galleries", image.gallery, "images", image.definition
    )
    assert cloud.admin.call("GET", definition_id).status_code == 404
    assert cloud.admin.call("GET", cloud.admin.resource_id(RG, "Microsoft.Compute", "galleries", image.gallery)).ok


def test_azure_still_counting_a_just_deleted_version_is_not_done_yet_rather_than_failed(cloud: Cloud) -> None:
    images, image = cloud.images, cloud.image
    assert cloud.definition().done
    # Azure answers CannotDeleteResource for some seconds after a version's delete has finished
    cloud.controls.fault("deleteGalleryImage", 1, "CannotDeleteResource")
    first = images.delete_image_definition(APP_TENANT, image)
    assert not first.done and first.operation
    lagging = images.delete_image_definition(APP_TENANT, image, first.operation)
    not_yet = Progress(done=False, retry_after_s=5.0, reason=RUNNING)
    assert lagging == not_yet, "no version is left: asked again, not failed"
    assert images.delete_image_definition(APP_TENANT, image, lagging.operation) == Progress(done=True)
