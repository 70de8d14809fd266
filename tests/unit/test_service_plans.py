"""The license catalogue: Microsoft's published SKUs, one plan each, and records made before it keep resolving."""

from __future__ import annotations

import re

from azure_emulator.arm.capacity import SKUS as VM_SKUS
from shared.catalog.service_plans import (
    LEGACY_SKU_IDS,
    RETIRED_PLANS,
    SERVICE_PLANS,
    SERVICE_PLANS_BY_ID,
    SERVICE_PLANS_BY_SKU,
)
from shared.cloud.azure.graph_directory import plans_of
from shared.ports.directory import DirectoryUser
from shared.services.configuration.targeting import license_slots

GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def test_every_plan_has_its_own_published_sku_and_a_vm_size_of_its_shape() -> None:
    assert (
        len({plan.id for plan in SERVICE_PLANS}) == len({plan.sku_id for plan in SERVICE_PLANS}) == len(SERVICE_PLANS)
    )
    for plan in SERVICE_PLANS:
        assert GUID.match(plan.sku_id), plan.id
        size = VM_SKUS[plan.vm_size.lower()]
        assert (size.vcpus, size.memory_gb) == (plan.v_cpu_count, plan.ram_in_gb), plan.id
    parts = {plan.sku_part_number: plan for plan in SERVICE_PLANS}
    assert parts["CPC_E_2C_8GB_128GB"].sku_id == "e2aebe6c-897d-480f-9d62-fff1381581f7"
    assert parts["CPC_B_2C_8RAM_128GB"].sku_id == "71f21848-f89b-4aaa-a2dc-780c8e8aac5b"
    assert parts["Windows_365_S_2vCPU_4GB_64GB"].sku_id == "1f9990ca-45d9-4c8d-8d04-a79241924ce1"


def test_only_enterprise_plans_of_one_user_are_provisioned_by_policies() -> None:
    by_edition = {(p.type, p.provisioning_type): p.provisioned_by_policy for p in SERVICE_PLANS}
    assert by_edition == {
        ("enterprise", "dedicated"): True,
        ("business", "dedicated"): False,
        ("enterprise", "shared"): False,
    }
    user = DirectoryUser(
        id="u",
        user_principal_name="u@x",
        display_name="u",
        licenses=("w365-enterprise-2vcpu-8gb-128gb", "w365-business-2vcpu-8gb-128gb", "w365-shared-2vcpu-8gb-128gb"),
    )
    assert [slot.service_plan_id for slot in license_slots(user)] == ["w365-enterprise-2vcpu-8gb-128gb"]


def test_records_and_directories_from_before_keep_resolving() -> None:
    # a Cloud PC on a plan no longer offered still has its size; it is not offered
    for plan in RETIRED_PLANS:
        assert SERVICE_PLANS_BY_ID[plan.id].vm_size == "Standard_D16s_v5"
        assert plan not in SERVICE_PLANS
    # a saved emulated directory's users hold the former skuIds: they grant the same plans
    for sku_id, plan_id in LEGACY_SKU_IDS.items():
        assert SERVICE_PLANS_BY_SKU[sku_id].id == plan_id
    old = {"assignedLicenses": [{"skuId": "a8efd46e-6ebd-5af6-81b0-8193876bd14f"}]}
    new = {"assignedLicenses": [{"skuId": "e2aebe6c-897d-480f-9d62-fff1381581f7"}]}
    assert plans_of(old) == plans_of(new) == ("w365-enterprise-2vcpu-8gb-128gb",)


def test_a_plan_smaller_than_its_image_gets_the_images_disk_never_less() -> None:
    from shared.catalog.marketplace_images import os_disk_size_gb

    cpc = "microsoftwindowsdesktop_windows-ent-cpc_win11-24h2-ent-cpc-m365"  # Windows 365's own 64 GB image
    avd = "microsoftwindowsdesktop_office-365_win11-24h2-avd-m365"  # a 127 GB image: Azure refuses 64 GB on it
    assert os_disk_size_gb(cpc, 64) == 64 and os_disk_size_gb(cpc, 256) == 256
    assert os_disk_size_gb(avd, 64) == 127 and os_disk_size_gb(avd, 128) == 128
    assert os_disk_size_gb("/subscriptions/s/resourceGroups/r/providers/Microsoft.Compute/images/golden", 64) == 64
