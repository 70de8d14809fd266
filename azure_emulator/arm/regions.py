"""The regions the emulated subscriptions offer: where VM sizes, quotas and resource types are answered."""

from __future__ import annotations

REGIONS = (
    "australiaeast", "brazilsouth", "canadacentral", "canadaeast", "centralindia", "centralus", "eastasia", "eastus",
    "eastus2", "francecentral", "germanywestcentral", "italynorth", "japaneast", "japanwest", "koreacentral",
    "mexicocentral", "northcentralus", "northeurope", "norwayeast", "polandcentral", "southafricanorth",
    "southcentralus", "southeastasia", "spaincentral", "swedencentral", "switzerlandnorth", "uaenorth", "uksouth",
    "ukwest", "westcentralus", "westeurope", "westus", "westus2", "westus3",
)  # fmt: skip
