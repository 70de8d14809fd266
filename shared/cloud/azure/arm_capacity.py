"""A region's room for a new VM: its size offered and not restricted there, with vCPU quota to spare.

Each is checked before a create that Azure would refuse anyway."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from azure.core.exceptions import HttpResponseError

from shared.cloud.azure import arm_lro
from shared.cloud.azure.arm_clients import ArmClients
from shared.ports.cloud_errors import CloudError
from shared.ports.compute import Placement, VmPriority
from shared.ports.progress import Progress

SKU_CACHE_S = 600.0  # resource SKUs change rarely
USAGES_CACHE_S = 10.0  # a region's usages, read again after this


class RegionCapacity:
    """The capacity check of the ProvisioningCompute port, on the region's resource SKUs and vCPU usages."""

    def __init__(self, clients: ArmClients, clock: Any = time.monotonic) -> None:
        self.clients = clients
        self._clock = clock
        self._region_reads: dict[tuple[str, ...], tuple[float, dict[str, dict[str, Any]]]] = {}  # SKUs, usages

    @arm_lro.hand_back("allocateCapacity")
    def allocate_capacity(
        self, tenant_id: str, placement: Placement, vm_size: str, priority: VmPriority = "Regular"
    ) -> Progress:
        step = "allocateCapacity"
        region = placement.region_name.lower()
        try:
            offered = self.region_skus(tenant_id, placement.subscription_id, region)
            usages = self._usages(tenant_id, placement.subscription_id, region)
        except HttpResponseError as exc:
            arm_lro.raise_for(exc, step)
        sku = offered.get(vm_size.lower())
        if sku is None or sku_restricted(sku, region):
            raise CloudError(step, "SkuNotAvailable", f"The VM size {vm_size} is not available in {region}.")
        vcpus = int(next((c["value"] for c in sku.get("capabilities", []) if c["name"] == "vCPUs"), "0"))
        for quota in vcpu_quotas(str(sku.get("family") or ""), priority):
            usage = usages.get(quota.lower())
            if usage is not None and int(usage["currentValue"]) + vcpus > int(usage["limit"]):
                raise CloudError(step, "QuotaExceeded", quota_refusal(usage, region, vm_size, vcpus))
        return Progress(done=True)

    def _usages(self, tenant_id: str, subscription_id: str, region: str) -> dict[str, dict[str, Any]]:
        """The region's vCPU usages, read at most once every USAGES_CACHE_S: this check only spares a create Azure
        would refuse anyway (QuotaExceeded, refused for good), and a read per Cloud PC would spend ARM's read budget."""
        compute = self.clients.compute(tenant_id, subscription_id)
        return self._region_read(
            ("usages", tenant_id, subscription_id.lower(), region),
            USAGES_CACHE_S,
            lambda: {str(u["name"]["value"]).lower(): dict(u) for u in compute.usage.list(region)},
        )

    def region_skus(self, tenant_id: str, subscription_id: str, region: str) -> dict[str, dict[str, Any]]:
        compute = self.clients.compute(tenant_id, subscription_id)
        return self._region_read(
            ("skus", tenant_id, subscription_id.lower(), region),
            SKU_CACHE_S,
            lambda: {
                str(s["name"]).lower(): dict(s)
                for s in compute.resource_skus.list(filter=f"location eq '{region}'")
                if s.get("resourceType") == "virtualMachines"
            },
        )

    def _region_read(
        self, key: tuple[str, ...], max_age_s: float, read: Callable[[], dict[str, dict[str, Any]]]
    ) -> dict[str, dict[str, Any]]:
        """What `read` answered for `key` at most `max_age_s` ago, else read now and kept."""
        kept = self._region_reads.get(key)
        if kept is not None and self._clock() - kept[0] < max_age_s:
            return kept[1]
        value = read()
        self._region_reads[key] = (self._clock(), value)
        return value


def capability(sku: dict[str, Any], name: str) -> bool:
    return any(c.get("name") == name and str(c.get("value")).lower() == "true" for c in sku.get("capabilities") or [])


def sku_restricted(sku: dict[str, Any], region: str) -> bool:
    """The SKU may not be deployed in the region by this subscription (NotAvailableForSubscription, and the like)."""
    for restriction in sku.get("restrictions") or []:
        if restriction.get("type") == "Location" and region in [v.lower() for v in restriction.get("values") or []]:
            return True
    return False


# A Spot VM's vCPUs come from the region's Spot vCPU quota, across all families, not its family's nor the regional
# total (https://learn.microsoft.com/azure/quotas/spot-quota); the usage's name is Azure's as a refusal quotes it
# (azure_emulator/arm/capacity.py).
SPOT_QUOTA = "lowPriorityCores"
REGIONAL_QUOTA = "cores"


def vcpu_quotas(family: str, priority: VmPriority) -> tuple[str, ...]:
    """The usages (by name) a new VM of the size's `family` and `priority` takes vCPUs from."""
    return (SPOT_QUOTA,) if priority == "Spot" else tuple(q for q in (family, REGIONAL_QUOTA) if q)


def quota_refusal(usage: Mapping[str, Any], region: str, vm_size: str, vcpus: int) -> str:
    """A quota that has no room for `vcpus` more, in the admin's words with its numbers: its name as the portal
    shows it (e.g. "Total Regional Low-priority vCPUs in westeurope: 10 of 10 in use, 2 more needed for ...")."""
    name = usage.get("name") or {}
    shown = name.get("localizedValue") or name.get("value")
    return (
        f"{shown} in {region}: {usage['currentValue']} of {usage['limit']} in use, {vcpus} more needed for {vm_size}."
    )
