"""Azure Resource Manager: the resource providers the app calls, under `/arm` (the app's ARM_ENDPOINT)."""

from __future__ import annotations

from azure_emulator import controls
from azure_emulator.arm import (
    authorization,
    capacity,
    common,
    compute,
    desktop_virtualization,
    extensions,
    images,
    lists,
    managed_services,
    marketplace,
    metrics,
    network,
    nics,
    operation_status,
    resources,
    role_definitions,
    session_controls,
    spot,
    user_sessions,
    vm_actions,
)
from azure_emulator.server import Context

# Counted, faulted or delayed under these names besides the routes' own: a re-PUT or resize of a VM, the
# join extensions' two halves, a captured image, and the connection health checks (their ARM reads and
# their run commands on the check VM).
OPERATION_NAMES = {
    "updateVm",
    "resizeVm",
    "joinEntra",
    "enrollIntune",
    "captureImage",
    "dnsResolution",
    "adDomainJoin",
    "endpointConnectivity",
    "entraDeviceSync",
    "subnetIpUsage",
    "virtualNetworkReadiness",
    "subscriptionPermissions",
}


def register(ctx: Context) -> None:
    controls.EXTRA_OPERATIONS.update(OPERATION_NAMES)
    ctx.store.add_index(common.RESOURCE, common.BY_TYPE, common.type_of)
    for module in (
        operation_status,
        resources,
        network,
        nics,
        capacity,
        images,
        marketplace,
        compute,
        vm_actions,
        extensions,
        authorization,
        role_definitions,
        managed_services,
        desktop_virtualization,
        user_sessions,
        session_controls,
        spot,
        metrics,
        lists,  # last: its pattern takes any namespace and type, so the routes above come first
    ):
        module.register(ctx)
