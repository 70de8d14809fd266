"""Azure regions where Windows 365 Cloud PCs can be provisioned: names as ARM spells them, and as people read them."""

from __future__ import annotations

# name -> (display name, geography), as ARM's `GET /subscriptions/{id}/locations` gives `displayName` and
# `metadata.geographyGroup` (https://learn.microsoft.com/rest/api/resources/subscriptions/list-locations); the
# region list is Windows 365's supported regions (https://learn.microsoft.com/windows-365/enterprise/requirements)
REGIONS: dict[str, tuple[str, str]] = {
    "australiaeast": ("Australia East", "Asia Pacific"),
    "brazilsouth": ("Brazil South", "South America"),
    "canadacentral": ("Canada Central", "Canada"),
    "canadaeast": ("Canada East", "Canada"),
    "centralindia": ("Central India", "Asia Pacific"),
    "centralus": ("Central US", "US"),
    "eastasia": ("East Asia", "Asia Pacific"),
    "eastus": ("East US", "US"),
    "eastus2": ("East US 2", "US"),
    "francecentral": ("France Central", "Europe"),
    "germanywestcentral": ("Germany West Central", "Europe"),
    "italynorth": ("Italy North", "Europe"),
    "japaneast": ("Japan East", "Asia Pacific"),
    "japanwest": ("Japan West", "Asia Pacific"),
    "koreacentral": ("Korea Central", "Asia Pacific"),
    "mexicocentral": ("Mexico Central", "Mexico"),
    "northcentralus": ("North Central US", "US"),
    "northeurope": ("North Europe", "Europe"),
    "norwayeast": ("Norway East", "Europe"),
    "polandcentral": ("Poland Central", "Europe"),
    "southafricanorth": ("South Africa North", "Africa"),
    "southcentralus": ("South Central US", "US"),
    "southeastasia": ("Southeast Asia", "Asia Pacific"),
    "spaincentral": ("Spain Central", "Europe"),
    "swedencentral": ("Sweden Central", "Europe"),
    "switzerlandnorth": ("Switzerland North", "Europe"),
    "uaenorth": ("UAE North", "Middle East"),
    "uksouth": ("UK South", "UK"),
    "ukwest": ("UK West", "UK"),
    "westcentralus": ("West Central US", "US"),
    "westeurope": ("West Europe", "Europe"),
    "westus": ("West US", "US"),
    "westus2": ("West US 2", "US"),
    "westus3": ("West US 3", "US"),
}
REGION_NAMES: frozenset[str] = frozenset(REGIONS)

# The regions where Azure Virtual Desktop keeps a host pool's, application group's and workspace's metadata: ARM
# refuses these objects anywhere else (400 LocationNotAvailableForResourceType). Source: "Data locations for Azure
# Virtual Desktop", https://learn.microsoft.com/azure/virtual-desktop/data-locations (geographies Australia, Canada,
# Europe, India, Japan, United Kingdom, United States). Session hosts (VMs) may run in any region.
AVD_METADATA_REGIONS: frozenset[str] = frozenset(
    {
        "australiaeast",
        "canadacentral",
        "centralindia",
        "centralus",
        "eastus",
        "eastus2",
        "japaneast",
        "northcentralus",
        "northeurope",
        "southcentralus",
        "uksouth",
        "westcentralus",
        "westeurope",
        "westus",
        "westus2",
        "westus3",
    }
)
