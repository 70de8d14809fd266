"""How an `azure`-backend Cloud PC reaches its user through Azure Virtual Desktop: the personal host pool it is a
session host of, and the addresses a user's client connects through."""

from __future__ import annotations

from shared.models.cloud_pcs import BuildSettings

# Where the Windows App and the Remote Desktop clients subscribe to a user's Azure Virtual Desktop feed, and the web
# client (https://learn.microsoft.com/azure/virtual-desktop/users/connect-windows, .../users/connect-web): the feed
# lists every desktop the user is assigned, whatever workspace holds it
FEED_URL = "https://rdweb.wvd.microsoft.com/api/arm/feeddiscovery"
WEB_CLIENT_URL = "https://client.wvd.microsoft.com/arm/webclient/index.html"


def host_pool_name(policy_id: str, build: BuildSettings) -> str:
    """One personal host pool per policy and site: a site is a region's resource group, where the pool, its desktop
    application group (`-dag`) and workspace (`-ws`) are made beside the VMs (AVD names: at most 64 characters,
    https://learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules#microsoftdesktopvirtualization)."""
    return f"cpc-{policy_id}-{build.region_name}".lower()  # at most 59: a GUID and the longest region name
