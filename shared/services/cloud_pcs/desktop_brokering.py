"""Where a Cloud PC's user connects: for an `azure`-backend Cloud PC, the Azure Virtual Desktop personal host pool it
is a session host of and the addresses a user's client connects through; for either backend, when it can be reached."""

from __future__ import annotations

from typing import Protocol

from shared.errors import Conflict
from shared.models.cloud_pcs import PROVISIONED, BuildSettings, CloudPc, CloudPcLaunchInfo
from shared.ports.backend_choice import BackendChoice
from shared.ports.backend_facets import CloudPcWork
from shared.ports.stores import CloudPcStore

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


class LaunchInfoPorts(Protocol):
    @property
    def cloud_pcs(self) -> CloudPcStore: ...
    @property
    def backends(self) -> BackendChoice[CloudPcWork]: ...


def launch_info(ports: LaunchInfoPorts, tenant_id: str, cloud_pc_id: str) -> CloudPcLaunchInfo:
    """`409 wrongStatus` until the Cloud PC is provisioned, and in its grace period (its user has lost it)."""
    cloud_pc = ports.cloud_pcs.get_cloud_pc(tenant_id, cloud_pc_id)
    if cloud_pc.status not in PROVISIONED:
        why = "its user has lost it" if cloud_pc.status == "inGracePeriod" else "it is not provisioned yet"
        raise Conflict(f"Cloud PC '{cloud_pc.display_name}' is {cloud_pc.status}: {why}, so nobody connects to it.",
                       code="wrongStatus", target="status")  # fmt: skip
    return ports.backends.of(tenant_id).launch_info(cloud_pc)


def avd_launch_info(cloud_pc: CloudPc) -> CloudPcLaunchInfo:
    """The personal host pool of the Cloud PC's policy in the site it was built in."""
    if cloud_pc.build is None:
        raise Conflict(f"Cloud PC '{cloud_pc.display_name}' has no VM yet.", code="wrongStatus", target="status")
    build = cloud_pc.build
    pool = host_pool_name(cloud_pc.provisioning_policy_id, build)
    provider = (f"/subscriptions/{build.subscription_id}/resourceGroups/{build.resource_group}"
                "/providers/Microsoft.DesktopVirtualization")  # fmt: skip
    return CloudPcLaunchInfo(
        cloud_pc_id=cloud_pc.id, feed_url=FEED_URL, web_client_url=WEB_CLIENT_URL,
        host_pool_id=f"{provider}/hostPools/{pool}", workspace_id=f"{provider}/workspaces/{pool}-ws",
        application_group_id=f"{provider}/applicationGroups/{pool}-dag",
        starts_on_connect=False,  # Start VM on Connect comes with the policies' power rules
    )  # fmt: skip
