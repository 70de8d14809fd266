"""How an `azure`-backend Cloud PC reaches its user through Azure Virtual Desktop: the personal host pool it is a
session host of, its registration there and assignment to its user, and the addresses a user's client connects
through."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Protocol

from shared.errors import NotFound
from shared.models.cloud_pcs import BuildSettings
from shared.ports.cloud_errors import CloudError
from shared.ports.compute import Placement
from shared.ports.desktop_virtualization import DesktopVirtualization, HostPoolSpec
from shared.ports.progress import Progress
from shared.ports.stores import PolicyStore

# Where the Windows App and the Remote Desktop clients subscribe to a user's Azure Virtual Desktop feed, and the web
# client (https://learn.microsoft.com/azure/virtual-desktop/users/connect-windows, .../users/connect-web): the feed
# lists every desktop the user is assigned, whatever workspace holds it
FEED_URL = "https://rdweb.wvd.microsoft.com/api/arm/feeddiscovery"
WEB_CLIENT_URL = "https://client.wvd.microsoft.com/arm/webclient/index.html"

STEP = "registerSessionHost"
# the step's phases, carried in its operation as `<phase> <the phase's own operation>`: a call after a wait goes on
# from where it stood, and a first call (or a lost operation) starts again from the pool, which costs reads only
ENSURE_POOL, REGISTER, ASSIGN = "hostPool", "register", "assign"
# a Cloud PC's registration follows the pool's ensuring at once, while the policy's other Cloud PCs register side by
# side: ensuring renews only a token that would expire within the minutes one registration takes, never one that
# theirs are using (a renewal replaces it, and fails them)
REGISTRATION_WINDOW = timedelta(minutes=15)


class BrokeringPorts(Protocol):
    """What brokering a Cloud PC reads and writes: AVD, and the policy its pool is named and opened for."""

    @property
    def avd(self) -> DesktopVirtualization: ...

    @property
    def policies(self) -> PolicyStore: ...


def host_pool_name(policy_id: str, build: BuildSettings) -> str:
    """One personal host pool per policy and site: a site is a region's resource group, where the pool, its desktop
    application group (`-dag`) and workspace (`-ws`) are made beside the VMs (AVD names: at most 64 characters,
    https://learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules#microsoftdesktopvirtualization)."""
    return f"cpc-{policy_id}-{build.region_name}".lower()  # at most 59: a GUID and the longest region name


def broker_session_host(
    ports: BrokeringPorts, tenant_id: str, placement: Placement, policy_id: str, build: BuildSettings, vm_name: str,
    user_principal_name: str, operation: str | None,
) -> Progress:  # fmt: skip
    """The policy's personal host pool ensured (Direct assignment, the policy's name, its assigned groups given
    Desktop Virtualization User), the VM registered as its session host, and the host assigned to its user: the one
    desktop that user's feed shows them. Done once the assignment holds; a refusal raises AVD's CloudError."""
    phase, _, inner = (operation or "").partition(" ")
    pool = host_pool_name(policy_id, build)
    if phase not in (REGISTER, ASSIGN):
        spec = _pool_spec(ports, tenant_id, placement, policy_id, pool)
        ensured = ports.avd.ensure_host_pool(tenant_id, spec, inner or None)
        if not ensured.done:
            return _in(ENSURE_POOL, ensured)
    if phase != ASSIGN:
        registered = ports.avd.register_session_host(tenant_id, placement, pool, vm_name,
                                                     inner if phase == REGISTER and inner else None)  # fmt: skip
        if not registered.done:
            return _in(REGISTER, registered)
    assigned = ports.avd.assign_session_host(tenant_id, placement, pool, vm_name, user_principal_name)
    return assigned if assigned.done else _in(ASSIGN, assigned)


def _pool_spec(ports: BrokeringPorts, tenant_id: str, placement: Placement, policy_id: str, pool: str) -> HostPoolSpec:
    try:
        policy = ports.policies.get_policy(tenant_id, policy_id)
    except NotFound:
        raise CloudError(STEP, "policyNotFound", "The provisioning policy no longer exists.") from None
    groups = tuple(sorted({assignment.group_id for assignment in policy.assignments}))
    return HostPoolSpec(placement=placement, host_pool=pool, pool_type="personal", max_sessions=1,
                        friendly_name=policy.display_name, user_group_ids=groups, assignment="Direct",
                        registration_window=REGISTRATION_WINDOW)  # fmt: skip


def _in(phase: str, progress: Progress) -> Progress:
    return dataclasses.replace(progress, operation=f"{phase} {progress.operation or ''}".rstrip())
