"""Microsoft.Compute capacity: resource SKUs per region, regional vCPU usages, and quotas (Microsoft.Quota).

Usage is kept per subscription and region as VMs come and go (deallocated ones count too, as Azure's vCPU
quota does), so a create never scans the subscription. Quotas
start at DEFAULT_LIMIT per family and for the region's total; an admin changes one with Microsoft.Quota's
`PUT .../providers/Microsoft.Compute/locations/{region}/providers/Microsoft.Quota/quotas/{name}`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from azure_emulator.arm import common, routing
from azure_emulator.arm.regions import REGIONS
from azure_emulator.server import ApiError, Context, Request, Response

QUOTA, USAGE = "arm.quota", "arm.usage"
DEFAULT_LIMIT = 5000
TOTAL = "cores"
# Spot and low-priority VMs use a quota pool of their own per region, across all families, not their family's nor the
# regional total (https://learn.microsoft.com/azure/quotas/spot-quota; the FAQ of
# https://learn.microsoft.com/azure/virtual-machines/spot-vms). Its usage name and the refusal beyond it (409
# OperationNotAllowed, "exceeding approved LowPriorityCores quota") are Azure's as quoted in
# scylladb/scylla-cluster-tests#4994, not on a Microsoft page; the display name is not confirmed anywhere found.
LOW_PRIORITY = "lowPriorityCores"


BOTH, GEN1, GEN2 = ("V1", "V2"), ("V1",), ("V2",)


@dataclass(frozen=True)
class VmSku:
    name: str
    family: str
    vcpus: int
    memory_gb: float
    # the Hyper-V generations the size boots (the SKU API's HyperVGenerations capability); a VM of an image of
    # another generation is refused
    generations: tuple[str, ...] = BOTH
    # the SKU API's HibernationSupported capability: "VM sizes with up to 64-GB RAM" of the Dsv5, Ddsv5, Dasv5,
    # Dadsv5, Esv5, Edsv5, Easv5 and Eadsv5 series, and some GPU sizes
    # (https://learn.microsoft.com/azure/virtual-machines/hibernate-resume, supported VM sizes); no other size here
    hibernation: bool = False

    @property
    def spot(self) -> bool:
        """Whether Azure runs Spot VMs of the size: not the B-series nor a Promo size
        (https://learn.microsoft.com/azure/virtual-machines/spot-vms, Limitations)."""
        return self.family != "standardBSFamily" and not self.name.lower().endswith("_promo")


SKUS: dict[str, VmSku] = {
    s.name.lower(): s
    for s in (
        VmSku("Standard_B1ms", "standardBSFamily", 1, 2),
        VmSku("Standard_B2s", "standardBSFamily", 2, 4),
        VmSku("Standard_B2ms", "standardBSFamily", 2, 8),
        VmSku("Standard_B4ms", "standardBSFamily", 4, 16),
        VmSku("Standard_D2s_v3", "standardDSv3Family", 2, 8),
        VmSku("Standard_D4s_v3", "standardDSv3Family", 4, 16),
        VmSku("Standard_D8s_v3", "standardDSv3Family", 8, 32),
        VmSku("Standard_D2s_v5", "standardDSv5Family", 2, 8, hibernation=True),
        VmSku("Standard_D4s_v5", "standardDSv5Family", 4, 16, hibernation=True),
        VmSku("Standard_D8s_v5", "standardDSv5Family", 8, 32, hibernation=True),
        VmSku("Standard_D16s_v5", "standardDSv5Family", 16, 64, hibernation=True),
        VmSku("Standard_D2as_v5", "standardDASv5Family", 2, 8, hibernation=True),
        VmSku("Standard_D4as_v5", "standardDASv5Family", 4, 16, hibernation=True),
        # Dv2 boots Generation 1 only: Azure's refusal of a Gen2 image on it is quoted for Standard_D1_v2
        # (microsoft/ga4gh-tes#43) and Standard_D2_v2 (AutomatedLab/AutomatedLab#1638)
        VmSku("Standard_D2_v2", "standardDv2Family", 2, 7, GEN1),
        # Dsv6 boots Generation 2 only: the refusal of a Gen1 image is quoted for Standard_D8s_v6
        # (F5Networks/f5-azure-arm-templates-v2#47) and Standard_D16ads_v6 (redhat-developer/mapt#489)
        VmSku("Standard_D2s_v6", "standardDSv6Family", 2, 8, GEN2),
    )
}
# The other sizes keep V1,V2, which Microsoft's size pages give for the B, Dsv3, Dsv5 and Dasv5 series; that was
# not re-checked against the SKU API for this list.
FAMILY_NAMES = {
    "standardBSFamily": "Standard BS Family vCPUs",
    "standardDSv3Family": "Standard DSv3 Family vCPUs",
    "standardDSv5Family": "Standard DSv5 Family vCPUs",
    "standardDASv5Family": "Standard DASv5 Family vCPUs",
    "standardDv2Family": "Standard Dv2 Family vCPUs",
    "standardDSv6Family": "Standard DSv6 Family vCPUs",
}
# Sizes this emulated subscription may not deploy in a region (Azure: NotAvailableForSubscription).
RESTRICTED = {("standard_d16s_v5", "westcentralus")}


def sku(size: str) -> VmSku | None:
    return SKUS.get(size.lower())


def restricted(size: str, region: str) -> bool:
    return (size.lower(), region.lower()) in RESTRICTED or region.lower() not in REGIONS


def check_generation(size: VmSku, generation: str) -> None:
    """Azure's refusal of an image the size cannot boot (400 BadRequest, as quoted in the issues above)."""
    if generation not in size.generations:
        raise ApiError(
            400,
            "BadRequest",
            f"The selected VM size '{size.name}' cannot boot Hypervisor Generation "
            f"'{generation[1:]}'; the image's generation must be one the size boots.",
        )


def limit(ctx: Context, sub: str, region: str, name: str) -> int:
    quota = ctx.store.get(QUOTA, f"{sub}/{region}/{name}".lower())
    return int(quota["limit"]) if quota else DEFAULT_LIMIT


def used(ctx: Context, sub: str, region: str) -> dict[str, int]:
    """vCPUs in use per family and in total (`cores`), and the VM count, in the region."""
    counts = ctx.store.get(USAGE, f"{sub}/{region}".lower()) or {}
    return {TOTAL: 0, "virtualMachines": 0, **counts}


def pools(size: VmSku, spot: bool) -> tuple[str, ...]:
    """The vCPU quotas a VM of `size` counts against: a Spot VM's low-priority pool, else its family and the total."""
    return (LOW_PRIORITY,) if spot else (size.family, TOTAL)


def record(ctx: Context, sub: str, region: str, size: VmSku, sign: int, spot: bool = False) -> None:
    """A VM of `size` came (+1) or went (-1); the caller holds the store's lock."""
    counts = used(ctx, sub, region)
    for name in pools(size, spot):
        counts[name] = counts.get(name, 0) + sign * size.vcpus
    counts["virtualMachines"] += sign
    ctx.store.put(USAGE, f"{sub}/{region}".lower(), counts)


def check_quota(
    ctx: Context, sub: str, region: str, size: VmSku, replacing: VmSku | None = None, spot: bool = False
) -> None:
    """409 OperationNotAllowed when one more VM of `size` (instead of `replacing`) would exceed a vCPU quota."""
    counts = used(ctx, sub, region)
    if replacing is not None:  # a resize gives the old size's vCPUs back first
        for name in pools(replacing, spot):
            counts[name] = counts.get(name, 0) - replacing.vcpus
    for name in pools(size, spot):
        current, allowed = counts.get(name, 0), limit(ctx, sub, region, name)
        if current + size.vcpus > allowed:
            raise ApiError(
                409,
                "OperationNotAllowed",
                f"Operation could not be completed as it results in exceeding approved {name} Cores quota. "
                f"Location: {region}, Current Limit: {allowed}, Current Usage: {current}, "
                f"Additional Required: {size.vcpus}.",
            )


def _sku_entry(size: VmSku, region: str) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "resourceType": "virtualMachines",
        "name": size.name,
        "tier": "Standard",
        "size": size.name.removeprefix("Standard_"),
        "family": size.family,
        "locations": [region],
        "locationInfo": [{"location": region, "zones": ["1", "2", "3"], "zoneDetails": []}],
        "capabilities": [
            {"name": "vCPUs", "value": str(size.vcpus)},
            {"name": "MemoryGB", "value": f"{size.memory_gb:g}"},
            {"name": "HyperVGenerations", "value": ",".join(size.generations)},
            {"name": "PremiumIO", "value": "True"},
            {"name": "TrustedLaunchDisabled", "value": "False"},
            {"name": "HibernationSupported", "value": str(size.hibernation)},
        ],
        "restrictions": [],
    }
    if (size.name.lower(), region) in RESTRICTED:
        entry["restrictions"] = [
            {
                "type": "Location",
                "values": [region],
                "restrictionInfo": {"locations": [region]},
                "reasonCode": "NotAvailableForSubscription",
            }
        ]
    return entry


def register(ctx: Context) -> None:
    compute = common.SUB + r"/providers/Microsoft\.Compute"

    @routing.route(ctx, "GET", compute + r"/skus", operation="listSkus", action="Microsoft.Compute/skus/read")
    def list_skus(request: Request) -> Response:
        wanted = _location_filter(request.q("$filter"))
        regions = [wanted] if wanted else list(REGIONS)
        rows = [_sku_entry(size, region) for region in regions if region in REGIONS for size in SKUS.values()]
        return Response(200, {"value": rows})

    @routing.route(
        ctx,
        "GET",
        compute + r"/locations/(?P<loc>[^/]+)/usages",
        operation="listUsages",
        action="Microsoft.Compute/locations/usages/read",
    )
    def list_usages(request: Request) -> Response:
        sub, region = request.params["sub"], request.params["loc"].lower()
        counts = used(ctx, sub, region)
        names = {
            TOTAL: "Total Regional vCPUs",
            "virtualMachines": "Virtual Machines",
            LOW_PRIORITY: "Total Regional Low-priority vCPUs",
            **FAMILY_NAMES,
        }
        rows = [
            {
                "unit": "Count",
                "currentValue": counts.get(name, 0),
                "limit": limit(ctx, sub, region, name) if name != "virtualMachines" else 25000,
                "name": {"value": name, "localizedValue": display},
            }
            for name, display in names.items()
        ]
        return Response(200, {"value": rows})

    quota = compute + r"/locations/(?P<loc>[^/]+)/providers/Microsoft\.Quota/quotas/(?P<name>[^/]+)"

    @routing.route(ctx, "PUT", quota, operation="setQuota", action="Microsoft.Quota/quotas/write")
    def put_quota(request: Request) -> Response:
        value = (common.properties(common.body_object(request)).get("limit") or {}).get("value")
        if not isinstance(value, int) or value < 0:
            raise ApiError(400, "InvalidRequestContent", "properties.limit.value must be a whole number >= 0.")
        sub, region, name = request.params["sub"], request.params["loc"].lower(), request.params["name"]
        ctx.store.put(QUOTA, f"{sub}/{region}/{name}".lower(), {"limit": value})
        return Response(200, _quota_view(request, value))

    @routing.route(ctx, "GET", quota, operation="getQuota", action="Microsoft.Quota/quotas/read")
    def get_quota(request: Request) -> Response:
        sub, region, name = request.params["sub"], request.params["loc"].lower(), request.params["name"]
        return Response(200, _quota_view(request, limit(ctx, sub, region, name)))


def _quota_view(request: Request, value: int) -> dict[str, Any]:
    name = request.params["name"]
    return {
        "id": request.path.removeprefix("/arm"),
        "name": name,
        "type": "Microsoft.Quota/Quotas",
        "properties": {
            "limit": {"limitObjectType": "LimitValue", "value": value},
            "name": {"value": name},
            "unit": "Count",
            "provisioningState": "Succeeded",
        },
    }


def _location_filter(expression: str | None) -> str | None:
    """`location eq 'westeurope'` -> westeurope (the only $filter the skus API takes)."""
    if not expression:
        return None
    parts = expression.split("'")
    if len(parts) >= 2 and parts[0].strip().lower().startswith("location") and " eq" in parts[0].lower():
        return parts[1].replace(" ", "").lower()
    raise ApiError(400, "InvalidFilter", f"Unsupported $filter: {expression}")
