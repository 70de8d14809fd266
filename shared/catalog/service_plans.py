"""Windows 365 service plans (licenses): the Graph license SKU that grants each, its size, and its Azure VM size."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from shared.models.base import ApiModel

PlanType = Literal["enterprise", "business"]  # Graph's cloudPcServicePlanType
ProvisioningType = Literal["dedicated", "shared"]  # Graph's cloudPcProvisioningType: one user's, or shared use


class ServicePlan(ApiModel):
    id: str
    display_name: str
    type: PlanType
    provisioning_type: ProvisioningType
    v_cpu_count: int
    ram_in_gb: int = Field(alias="ramInGB")
    storage_in_gb: int = Field(alias="storageInGB")
    vm_size: str
    sku_id: str  # Graph's subscribedSkus/assignedLicenses skuId of the license that grants this plan
    sku_part_number: str

    @property
    def provisioned_by_policy(self) -> bool:
        """Whether this service's provisioning policies make a Cloud PC per license of it: Enterprise, one user's.

        Business Cloud PCs are made by Windows 365 itself when a license is assigned, and Shared Use licenses
        count concurrent users of a shared pool, not a Cloud PC per license holder.
        """
        return self.type == "enterprise" and self.provisioning_type == "dedicated"


def disk_shrink_refusal(current: ServicePlan, target: ServicePlan, named: str = "") -> str | None:
    """Why a Cloud PC of `current` cannot be resized to `target`, in an admin's words, where the target's disk is
    smaller (`named` leads the target's name, e.g. "The recommended "); None where the disk does not shrink.

    Windows 365's resize grows the OS disk but never shrinks it ("Resizing doesn't let you downsize disk space":
    https://learn.microsoft.com/windows-365/enterprise/resize-cloud-pc), as Azure never shrinks a managed disk.
    """
    if target.storage_in_gb >= current.storage_in_gb:
        return None
    lead = f"{named}{target.display_name}"
    return (
        f"{lead[:1].upper()}{lead[1:]} has a smaller disk ({target.storage_in_gb} GB) than this Cloud PC's "
        f"{current.storage_in_gb} GB; resize cannot shrink a disk: reprovision to change it."
    )


# Azure VM size per (vCPU, GB of RAM): the Cloud PC sizes' closest general-purpose sizes
VM_SIZES = {
    (1, 2): "Standard_B1ms",
    (2, 4): "Standard_B2s",
    (2, 8): "Standard_D2s_v5",
    (4, 16): "Standard_D4s_v5",
    (8, 32): "Standard_D8s_v5",
    (16, 64): "Standard_D16s_v5",
}
EDITIONS: dict[str, tuple[PlanType, ProvisioningType, str]] = {
    "enterprise": ("enterprise", "dedicated", "Windows 365 Enterprise"),
    "business": ("business", "dedicated", "Windows 365 Business"),
    "shared": ("enterprise", "shared", "Windows 365 Shared Use"),
}


def _plan(edition: str, cpu: int, ram: int, disk: int, sku_id: str, part_number: str) -> ServicePlan:
    plan_type, provisioning, product = EDITIONS[edition]
    disk_label = f"{disk // 1024} TB" if disk >= 1024 else f"{disk} GB"
    return ServicePlan(
        id=f"w365-{edition}-{cpu}vcpu-{ram}gb-{disk_label.replace(' ', '').lower()}",
        display_name=f"{product} {cpu} vCPU, {ram} GB, {disk_label}",
        type=plan_type,
        provisioning_type=provisioning,
        v_cpu_count=cpu,
        ram_in_gb=ram,
        storage_in_gb=disk,
        vm_size=VM_SIZES[(cpu, ram)],
        sku_id=sku_id,
        sku_part_number=part_number,
    )


# skuId and skuPartNumber as Microsoft publishes them ("Product names and service plan identifiers for licensing",
# Entra ID documentation, October 2025): the same in every tenant.
SERVICE_PLANS: tuple[ServicePlan, ...] = (
    _plan("enterprise", 1, 2, 64, "0c278af4-c9c1-45de-9f4b-cd929e747a2c", "CPC_E_1C_2GB_64GB"),
    _plan("enterprise", 2, 4, 64, "7bb14422-3b90-4389-a7be-f1b745fc037f", "CPC_E_2C_4GB_64GB"),
    _plan("enterprise", 2, 4, 128, "226ca751-f0a4-4232-9be5-73c02a92555e", "CPC_E_2C_4GB_128GB"),
    _plan("enterprise", 2, 4, 256, "5265a84e-8def-4fa2-ab4b-5dc278df5025", "CPC_E_2C_4GB_256GB"),
    _plan("enterprise", 2, 8, 128, "e2aebe6c-897d-480f-9d62-fff1381581f7", "CPC_E_2C_8GB_128GB"),
    _plan("enterprise", 2, 8, 256, "1c79494f-e170-431f-a409-428f6053fa35", "CPC_E_2C_8GB_256GB"),
    _plan("enterprise", 4, 16, 128, "d201f153-d3b2-4057-be2f-fe25c8983e6f", "CPC_E_4C_16GB_128GB"),
    _plan("enterprise", 4, 16, 256, "96d2951e-cb42-4481-9d6d-cad3baac177e", "CPC_E_4C_16GB_256GB"),
    _plan("enterprise", 4, 16, 512, "0da63026-e422-4390-89e8-b14520d7e699", "CPC_E_4C_16GB_512GB"),
    _plan("enterprise", 8, 32, 128, "c97d00e4-0c4c-4ec2-a016-9448c65de986", "CPC_E_8C_32GB_128GB"),
    _plan("enterprise", 8, 32, 256, "7818ca3e-73c8-4e49-bc34-1276a2d27918", "CPC_E_8C_32GB_256GB"),
    _plan("enterprise", 8, 32, 512, "9fb0ba5f-4825-4e84-b239-5167a3a5d4dc", "CPC_E_8C_32GB_512GB"),
    _plan("business", 1, 2, 64, "816eacd3-e1e3-46b3-83c8-1ffd37e053d9", "CPC_B_1C_2RAM_64GB"),
    _plan("business", 2, 4, 64, "42e6818f-8966-444b-b7ac-0027c83fa8b5", "CPC_B_2C_4RAM_64GB"),
    _plan("business", 2, 4, 128, "135bee78-485b-4181-ad6e-40286e311850", "CPC_B_2C_4RAM_128GB"),
    _plan("business", 2, 4, 256, "805d57c3-a97d-4c12-a1d0-858ffe5015d0", "CPC_B_2C_4RAM_256GB"),
    _plan("business", 2, 8, 128, "71f21848-f89b-4aaa-a2dc-780c8e8aac5b", "CPC_B_2C_8RAM_128GB"),
    _plan("business", 2, 8, 256, "750d9542-a2f8-41c7-8c81-311352173432", "CPC_B_2C_8RAM_256GB"),
    _plan("business", 4, 16, 128, "ad83ac17-4a5a-4ebb-adb2-079fb277e8b9", "CPC_B_4C_16RAM_128GB"),
    _plan("business", 4, 16, 256, "b3891a9f-c7d9-463c-a2ec-0b2321bda6f9", "CPC_B_4C_16RAM_256GB"),
    _plan("business", 4, 16, 512, "1b3043ad-dfc6-427e-a2c0-5ca7a6c94a2b", "CPC_B_4C_16RAM_512GB"),
    _plan("business", 8, 32, 128, "3cb45fab-ae53-4ff6-af40-24c1915ca07b", "CPC_B_8C_32RAM_128GB"),
    _plan("business", 8, 32, 256, "fbc79df2-da01-4c17-8d88-17f8c9493d8f", "CPC_B_8C_32RAM_256GB"),
    _plan("business", 8, 32, 512, "8ee402cd-e6a8-4b67-a411-54d1f37a2049", "CPC_B_8C_32RAM_512GB"),
    _plan(
        "business", 16, 64, 512, "93d9955a-ec70-44d5-8faa-a194492390f7", "Windows_365_Business_16_vCPU,_64_GB,_512_GB"
    ),
    _plan(
        "business", 16, 64, 1024, "24be3cd7-82ca-41a5-94a7-4903373cdcae", "Windows_365_Business_16_vCPU,_64_GB,_1_TB"
    ),
    _plan("shared", 2, 4, 64, "1f9990ca-45d9-4c8d-8d04-a79241924ce1", "Windows_365_S_2vCPU_4GB_64GB"),
    _plan("shared", 2, 4, 128, "90369797-7141-4e75-8f5e-d13f4b6092c1", "Windows_365_S_2vCPU_4GB_128GB"),
    _plan("shared", 2, 4, 256, "8fe96593-34d3-49bb-aeee-fb794fed0800", "Windows_365_S_2vCPU_4GB_256GB"),
    _plan("shared", 2, 8, 128, "2d21fc84-b918-491e-ad84-e24d61ccec94", "Windows_365_S_2vCPU_8GB_128GB"),
    _plan("shared", 2, 8, 256, "2eaa4058-403e-4434-9da9-ea693f5d96dc", "Windows_365_S_2vCPU_8GB_256GB"),
    _plan("shared", 4, 16, 128, "1bf40e76-4065-4530-ac37-f1513f362f50", "Windows_365_S_4vCPU_16GB_128GB"),
    _plan("shared", 4, 16, 256, "a9d1e0df-df6f-48df-9386-76a832119cca", "Windows_365_S_4vCPU_16GB_256GB"),
    _plan("shared", 4, 16, 512, "469af4da-121c-4529-8c85-9467bbebaa4b", "Windows_365_S_4vCPU_16GB_512GB"),
    _plan("shared", 8, 32, 128, "f319c63a-61a9-42b7-b786-5695bc7edbaf", "Windows_365_S_8vCPU_32GB_128GB"),
    _plan("shared", 8, 32, 256, "fb019e88-26a0-4218-bd61-7767d109ac26", "Windows_365_S_8vCPU_32GB_256GB"),
    _plan("shared", 8, 32, 512, "f4dc1de8-8c94-4d37-af8a-1fca6675590a", "Windows_365_S_8vCPU_32GB_512GB"),
)

# Plans this service once offered whose SKU Microsoft's list does not publish: Cloud PCs made on them keep their
# size (resize, reprovision), but no license maps to them and they are not offered.
RETIRED_PLANS: tuple[ServicePlan, ...] = (
    _plan("enterprise", 16, 64, 512, "26c96d14-d099-5f76-be32-9df4e4eb9b68", "CPC_E_16C_64GB_512GB"),
    _plan("enterprise", 16, 64, 1024, "a2e8ade2-d104-5520-9f42-04f216c7f6ce", "CPC_E_16C_64GB_1024GB"),
)
# The skuIds an earlier emulated directory handed out before the catalogue carried Microsoft's: a directory saved
# then (`make run` keeps the emulator's state) still maps its users' licenses to the same plans.
LEGACY_SKU_IDS = {
    "b027334d-2bb3-5447-890d-d8e101a47595": "w365-enterprise-2vcpu-4gb-64gb",
    "aab101a2-6d7a-5f41-b4e9-b0b1d57fe423": "w365-enterprise-2vcpu-4gb-128gb",
    "147f5285-4508-5b41-a129-4a5821bf4c92": "w365-enterprise-2vcpu-4gb-256gb",
    "a8efd46e-6ebd-5af6-81b0-8193876bd14f": "w365-enterprise-2vcpu-8gb-128gb",
    "ff0c0ca3-8af7-5883-be97-a5ffa7d4a5a7": "w365-enterprise-2vcpu-8gb-256gb",
    "aa8a288d-82b0-5c40-8823-cab73a51902b": "w365-enterprise-4vcpu-16gb-128gb",
    "44f6ff1b-e817-5c07-ab8f-14036c62e4bf": "w365-enterprise-4vcpu-16gb-256gb",
    "06423764-c36e-5978-b556-e558fe55493f": "w365-enterprise-4vcpu-16gb-512gb",
    "2a0f8817-ad9d-549c-a608-5adbbb53f67b": "w365-enterprise-8vcpu-32gb-128gb",
    "0dbeb3ef-a61f-58c0-960a-4b82f06a18f3": "w365-enterprise-8vcpu-32gb-256gb",
    "2968e9dd-bfb0-5509-b40e-273360d75f74": "w365-enterprise-8vcpu-32gb-512gb",
    "26c96d14-d099-5f76-be32-9df4e4eb9b68": "w365-enterprise-16vcpu-64gb-512gb",
    "a2e8ade2-d104-5520-9f42-04f216c7f6ce": "w365-enterprise-16vcpu-64gb-1tb",
}
SERVICE_PLANS_BY_ID = {plan.id: plan for plan in SERVICE_PLANS + RETIRED_PLANS}
SERVICE_PLANS_BY_SKU = {plan.sku_id: plan for plan in SERVICE_PLANS} | {
    sku_id: SERVICE_PLANS_BY_ID[plan_id] for sku_id, plan_id in LEGACY_SKU_IDS.items()
}

# The Windows 365 service plan of each Enterprise SKU (the same table: its "Service plans included" column): what a
# Cloud PC that Windows 365 provisions names as its servicePlanId
WINDOWS365_SERVICE_PLAN_IDS = {
    "86d70dbb-d4c6-4662-ba17-3014204cbb28": "CPC_E_1C_2GB_64GB",
    "23a25099-1b2f-4e07-84bd-b84606109438": "CPC_E_2C_4GB_64GB",
    "545e3611-3af8-49a5-9a0a-b7867968f4b0": "CPC_E_2C_4GB_128GB",
    "0d143570-9b92-4f57-adb5-e4efcd23b3bb": "CPC_E_2C_4GB_256GB",
    "3efff3fe-528a-4fc5-b1ba-845802cc764f": "CPC_E_2C_8GB_128GB",
    "d3468c8c-3545-4f44-a32f-b465934d2498": "CPC_E_2C_8GB_256GB",
    "2de9c682-ca3f-4f2b-b360-dfc4775db133": "CPC_E_4C_16GB_128GB",
    "9ecf691d-8b82-46cb-b254-cd061b2c02fb": "CPC_E_4C_16GB_256GB",
    "3bba9856-7cf2-4396-904a-00de74fba3a4": "CPC_E_4C_16GB_512GB",
    "2f3cdb12-bcde-4e37-8529-e9e09ec09e23": "CPC_E_8C_32GB_128GB",
    "69dc175c-dcff-4757-8389-d19e76acb45d": "CPC_E_8C_32GB_256GB",
    "0e837228-8250-4047-8a80-d4a34ba11658": "CPC_E_8C_32GB_512GB",
}
SERVICE_PLANS_BY_WINDOWS365_ID = {
    service_plan_id: next(plan for plan in SERVICE_PLANS if plan.sku_part_number == part)
    for service_plan_id, part in WINDOWS365_SERVICE_PLAN_IDS.items()
}
WINDOWS365_ID_BY_PLAN_ID = {plan.id: w365_id for w365_id, plan in SERVICE_PLANS_BY_WINDOWS365_ID.items()}
