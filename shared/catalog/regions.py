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

# The regions where Azure Virtual Desktop keeps a host pool's, application group's and workspace's metadata: ARM
# refuses these objects anywhere else (400 LocationNotAvailableForResourceType). Source: "Data locations for Azure
# Virtual Desktop", https://learn.microsoft.com/azure/virtual-desktop/data-locations (geographies Australia, Canada,
# Europe, India, Japan, United Kingdom, United States). Session hosts (VMs) may run in any region.
AVD_METADATA_REGIONS: frozenset[str] = frozenset(
    {
        "australiaeast", "canadacentral", "centralindia", "centralus", "eastus", "eastus2", "japaneast",
        "northcentralus", "northeurope", "southcentralus", "uksouth", "westcentralus", "westeurope", "westus",
        "westus2", "westus3",
    }
)  # fmt: skip
