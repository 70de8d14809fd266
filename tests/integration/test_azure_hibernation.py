"""Contract tests of hibernation in the Compute adapters against the emulator: a VM asked for with hibernation gets
`additionalCapabilities.hibernationEnabled` only where its size's SKU and its gallery image's definition support it,
the inspection says whether it has it, and the `hibernate` power action is a deallocate with `hibernate=true`."""

from __future__ import annotations

import uuid

from shared.cloud.azure.arm_ids import vm_id
from shared.ports.compute import VmSpec
from shared.ports.progress import Progress
from tests.integration.test_azure_cloud_pc_operations import APP_TENANT, REGION, RG, Cloud, cloud
from tests.utils.progress import until_done

__all__ = ["cloud"]  # the fixture, from the Cloud PC operations' contract tests


def gallery_version(cloud: Cloud, hibernate: bool) -> str:
    admin, name = cloud.admin, f"def{uuid.uuid4().hex[:6]}"
    source = admin.managed_image(RG, f"{name}-src")
    admin.ok("PUT", admin.resource_id(RG, "Microsoft.Compute", "galleries", "gal"), {"location": REGION})
    definition = admin.resource_id(RG, "Microsoft.Compute", "galleries", "gal", "images", name)
    admin.ok(
        "PUT",
        definition,
        {
            "location": REGION,
            "properties": {
                "osType": "Windows",
                "osState": "Generalized",
                "hyperVGeneration": "V2",
                "features": [{"name": "IsHibernateSupported", "value": "True"}] if hibernate else [],
                "identifier": {"publisher": "contoso", "offer": "win11", "sku": name},
            },
        },
    )
    version = {
        "location": REGION,
        "properties": {
            "publishingProfile": {"targetRegions": [{"name": REGION}]},
            "storageProfile": {"source": {"id": source}},
        },
    }
    return str(admin.ok("PUT", f"{definition}/versions/1.0.0", version)["id"])


def made(cloud: Cloud, image_id: str, size: str = "Standard_D2s_v5") -> str:
    name = f"hib-{uuid.uuid4().hex[:8]}"
    spec = VmSpec(
        name=name,
        nic_name=f"{name}-nic",
        computer_name=name.upper(),
        placement=cloud.placement,
        vm_size=size,
        image_type="custom",
        image_id=image_id,
        os_disk_size_gb=128,
        subnet_id=None,
        hibernation=True,
    )
    assert until_done(lambda op: cloud.compute.create_vm(APP_TENANT, spec, op)).done
    return name


def capabilities(cloud: Cloud, name: str) -> object:
    [put] = [e for e in cloud.sent("createVm") if e["path"].endswith(f"/virtualMachines/{name}")]
    return put["body"]["properties"].get("additionalCapabilities")


def test_hibernation_is_asked_for_only_where_the_size_and_the_image_support_it_and_the_vm_hibernates(
    cloud: Cloud,
) -> None:
    able = gallery_version(cloud, hibernate=True)
    name = made(cloud, able)
    assert capabilities(cloud, name) == {"hibernationEnabled": True}
    for other in (made(cloud, able, "Standard_B2s"), made(cloud, gallery_version(cloud, hibernate=False))):
        assert capabilities(cloud, other) is None, "a size or a definition without it: a VM without it, not a refusal"
        inspected = cloud.ops.inspect_vm(APP_TENANT, cloud.placement, other)
        assert inspected is not None and inspected.hibernation_enabled is False
    inspected = cloud.ops.inspect_vm(APP_TENANT, cloud.placement, name)
    assert inspected is not None and inspected.hibernation_enabled is True

    slept = until_done(lambda op: cloud.ops.power_vm(APP_TENANT, cloud.placement, name, "hibernate", op))
    assert slept == Progress(done=True, resource_id=vm_id(cloud.placement, name))
    [sent] = [e for e in cloud.sent("deallocateVm") if name in e["path"]]
    assert sent["query"]["hibernate"] == "true"
    assert cloud.power_codes(name) == ["PowerState/deallocated"]
