"""Windows 365 Enterprise service plans (licenses), the Graph license SKU that grants each, and its Azure VM size."""

from __future__ import annotations

from pydantic import Field

from shared.models.base import ApiModel


class ServicePlan(ApiModel):
    id: str
    display_name: str
    v_cpu_count: int
    ram_in_gb: int = Field(alias="ramInGB")
    storage_in_gb: int = Field(alias="storageInGB")
    vm_size: str
    sku_id: str  # Graph's subscribedSkus/assignedLicenses skuId of the license that grants this plan
    sku_part_number: str


def _plan(cpu: int, ram: int, disk: int, vm_size: str, sku_id: str) -> ServicePlan:
    disk_label = f"{disk // 1024}TB" if disk >= 1024 else f"{disk}GB"
    return ServicePlan(
        id=f"w365-enterprise-{cpu}vcpu-{ram}gb-{disk_label.lower()}",
        display_name=f"Windows 365 Enterprise {cpu} vCPU, {ram} GB, {disk_label}",
        v_cpu_count=cpu,
        ram_in_gb=ram,
        storage_in_gb=disk,
        vm_size=vm_size,
        sku_id=sku_id,
        sku_part_number=f"CPC_E_{cpu}C_{ram}GB_{disk}GB",
    )


# The skuIds are the Azure emulator's (stable GUIDs it shares with this catalog); a production deployment puts
# Microsoft's published skuIds of the Windows 365 Enterprise SKUs here (Entra's "Product names and service plan
# identifiers for licensing" list), since skuIds are the same in every tenant.
SERVICE_PLANS: tuple[ServicePlan, ...] = (
    _plan(2, 4, 64, "Standard_B2s", "b027334d-2bb3-5447-890d-d8e101a47595"),
    _plan(2, 4, 128, "Standard_B2s", "aab101a2-6d7a-5f41-b4e9-b0b1d57fe423"),
    _plan(2, 4, 256, "Standard_B2s", "147f5285-4508-5b41-a129-4a5821bf4c92"),
    _plan(2, 8, 128, "Standard_D2s_v5", "a8efd46e-6ebd-5af6-81b0-8193876bd14f"),
    _plan(2, 8, 256, "Standard_D2s_v5", "ff0c0ca3-8af7-5883-be97-a5ffa7d4a5a7"),
    _plan(4, 16, 128, "Standard_D4s_v5", "aa8a288d-82b0-5c40-8823-cab73a51902b"),
    _plan(4, 16, 256, "Standard_D4s_v5", "44f6ff1b-e817-5c07-ab8f-14036c62e4bf"),
    _plan(4, 16, 512, "Standard_D4s_v5", "06423764-c36e-5978-b556-e558fe55493f"),
    _plan(8, 32, 128, "Standard_D8s_v5", "2a0f8817-ad9d-549c-a608-5adbbb53f67b"),
    _plan(8, 32, 256, "Standard_D8s_v5", "0dbeb3ef-a61f-58c0-960a-4b82f06a18f3"),
    _plan(8, 32, 512, "Standard_D8s_v5", "2968e9dd-bfb0-5509-b40e-273360d75f74"),
    _plan(16, 64, 512, "Standard_D16s_v5", "26c96d14-d099-5f76-be32-9df4e4eb9b68"),
    _plan(16, 64, 1024, "Standard_D16s_v5", "a2e8ade2-d104-5520-9f42-04f216c7f6ce"),
)
SERVICE_PLANS_BY_ID = {plan.id: plan for plan in SERVICE_PLANS}
SERVICE_PLANS_BY_SKU = {plan.sku_id: plan for plan in SERVICE_PLANS}
