"""Windows 365 Enterprise service plans (licenses) and the Azure VM size each one maps to."""

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


def _plan(cpu: int, ram: int, disk: int, vm_size: str) -> ServicePlan:
    disk_label = f"{disk // 1024}TB" if disk >= 1024 else f"{disk}GB"
    return ServicePlan(
        id=f"w365-enterprise-{cpu}vcpu-{ram}gb-{disk_label.lower()}",
        display_name=f"Windows 365 Enterprise {cpu} vCPU, {ram} GB, {disk_label}",
        v_cpu_count=cpu,
        ram_in_gb=ram,
        storage_in_gb=disk,
        vm_size=vm_size,
    )


SERVICE_PLANS: tuple[ServicePlan, ...] = (
    _plan(2, 4, 64, "Standard_B2s"),
    _plan(2, 4, 128, "Standard_B2s"),
    _plan(2, 4, 256, "Standard_B2s"),
    _plan(2, 8, 128, "Standard_D2s_v5"),
    _plan(2, 8, 256, "Standard_D2s_v5"),
    _plan(4, 16, 128, "Standard_D4s_v5"),
    _plan(4, 16, 256, "Standard_D4s_v5"),
    _plan(4, 16, 512, "Standard_D4s_v5"),
    _plan(8, 32, 128, "Standard_D8s_v5"),
    _plan(8, 32, 256, "Standard_D8s_v5"),
    _plan(8, 32, 512, "Standard_D8s_v5"),
    _plan(16, 64, 512, "Standard_D16s_v5"),
    _plan(16, 64, 1024, "Standard_D16s_v5"),
)
SERVICE_PLANS_BY_ID = {plan.id: plan for plan in SERVICE_PLANS}
