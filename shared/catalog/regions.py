"""Azure regions where Windows 365 Cloud PCs can be provisioned (names as ARM spells them)."""

from __future__ import annotations

REGION_NAMES: frozenset[str] = frozenset(
    {
        "australiaeast", "brazilsouth", "canadacentral", "canadaeast", "centralindia", "centralus",
        "eastasia", "eastus", "eastus2", "francecentral", "germanywestcentral", "italynorth",
        "japaneast", "japanwest", "koreacentral", "mexicocentral", "northcentralus", "northeurope",
        "norwayeast", "polandcentral", "southafricanorth", "southcentralus", "southeastasia",
        "spaincentral", "swedencentral", "switzerlandnorth", "uaenorth", "uksouth", "ukwest",
        "westcentralus", "westeurope", "westus", "westus2", "westus3",
    }
)  # fmt: skip
