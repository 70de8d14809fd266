"""Where a Cloud PC's user connects: for an `azure`-backend Cloud PC, the Azure Virtual Desktop personal host pool it
is a session host of, its registration there and assignment to its user, and the addresses a user's client connects
through; for either backend, when it can be reached."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Protocol

from shared.errors import Conflict, NotFound
from shared.models.cloud_pcs import PROVISIONED, BuildSettings, CloudPc, CloudPcLaunchInfo
from shared.models.policies import ProvisioningPolicy
from shared.ports.backend_choice import BackendChoice
from shared.ports.backend_facets import CloudPcWork
from shared.ports.cloud_errors import CloudError
from shared.ports.compute import Placement
from shared.ports.desktop_virtualization import DesktopVirtualization, HostPoolSpec
from shared.ports.progress import Progress
from shared.ports.stores import CloudPcStore, PolicyStore

# Where the Windows App and the Remote Desktop clients subscribe to a user's Azure Virtual Desktop feed, and the web
# client (https://learn.microsoft.com/azure/virtual-desktop/users/connect-windows, .../users/connect-web): the feed
# lists every desktop the user is assigned, whatever workspace holds it
FEED_URL = "https://rdweb.wvd.microsoft.com/api/arm/feeddiscovery"
WEB_CLIENT_URL = "https://client.wvd.microsoft.com/arm/webclient/index.html"

# the step's phases, carried in its operation as `<phase> <the phase's own operation>`: a call after a wait goes on
# from where it stood, and a first call (or a lost operation) starts again from the pool, which costs reads only
ENSURE_POOL, REGISTER, ASSIGN = "hostPool", "register", "assign"
# a Cloud PC's registration follows the pool's ensuring at once, while the policy's other Cloud PCs register side by
# side: ensuring renews only a token that would expire within the minutes one registration takes, never one that
# theirs are using (a renewal replaces it, and fails them)
REGISTRATION_WINDOW = timedelta(minutes=15)
# the mark of a user's n-th pool of a policy in its name (index n; the first has none): one character, so that the
# pool's names stay within AVD's 64
SLOT_MARKS = "-123456789abcdefghijklmnopqrstuvwxyz"


class BrokeringPorts(Protocol):
    """What brokering a Cloud PC reads and writes: AVD, and the policy its pool is named and opened for."""

    @property
    def avd(self) -> DesktopVirtualization: ...

    @property
    def policies(self) -> PolicyStore: ...


def host_pool_name(policy_id: str, build: BuildSettings) -> str:
    """One personal host pool per policy and site: a site is a region's resource group, where the pool, its desktop
    application group (`-dag`) and workspace (`-ws`) are made beside the VMs (AVD names: at most 64 characters,
    https://learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules#microsoftdesktopvirtualization).
    AVD assigns a user at most one personal desktop in a pool
    (https://learn.microsoft.com/azure/virtual-desktop/configure-host-pool-personal-desktop-assignment-type), so a
    user's n-th Cloud PC of the policy goes in the policy's n-th pool there, `cpc<n>-...`, one character more."""
    slot = "" if build.desktop_slot == 1 else SLOT_MARKS[build.desktop_slot]
    return f"cpc{slot}-{policy_id}-{build.region_name}".lower()  # at most 60: a GUID and the longest region name


def desktop_slot(cloud_pc: CloudPc, users_cloud_pcs: list[CloudPc]) -> int | None:
    """The slot of a Cloud PC about to be built: the one it had (a reprovision keeps its pool), else the k-th slot
    that none of its user's built Cloud PCs of the policy holds, k its rank (by id) among those not built yet, so
    that two built side by side take two slots without a lock. None past the last slot there is a name for."""
    if cloud_pc.build is not None:
        return cloud_pc.build.desktop_slot
    same = [c for c in users_cloud_pcs if c.provisioning_policy_id == cloud_pc.provisioning_policy_id]
    held = {c.build.desktop_slot for c in same if c.build is not None and c.id != cloud_pc.id}
    waiting = sorted({c.id for c in same if c.build is None} | {cloud_pc.id})
    free = (n for n in range(1, len(SLOT_MARKS)) if n not in held)
    for _ in range(waiting.index(cloud_pc.id)):
        next(free, None)
    return next(free, None)


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
        raise Conflict(
            f"Cloud PC '{cloud_pc.display_name}' is {cloud_pc.status}: {why}, so nobody connects to it.",
            code="wrongStatus",
            target="status",
        )
    return ports.backends.of(tenant_id).launch_info(cloud_pc)


def avd_launch_info(cloud_pc: CloudPc) -> CloudPcLaunchInfo:
    """The personal host pool of the Cloud PC's policy in the site it was built in."""
    if cloud_pc.build is None:
        raise Conflict(f"Cloud PC '{cloud_pc.display_name}' has no VM yet.", code="wrongStatus", target="status")
    build = cloud_pc.build
    pool = host_pool_name(cloud_pc.provisioning_policy_id, build)
    provider = (
        f"/subscriptions/{build.subscription_id}/resourceGroups/{build.resource_group}"
        "/providers/Microsoft.DesktopVirtualization"
    )
    return CloudPcLaunchInfo(
        cloud_pc_id=cloud_pc.id,
        feed_url=FEED_URL,
        web_client_url=WEB_CLIENT_URL,
        host_pool_id=f"{provider}/hostPools/{pool}",
        workspace_id=f"{provider}/workspaces/{pool}-ws",
        application_group_id=f"{provider}/applicationGroups/{pool}-dag",
        starts_on_connect=True,  # the pool's Start VM on Connect (_pool_spec)
    )


def broker_session_host(
    ports: BrokeringPorts,
    tenant_id: str,
    placement: Placement,
    policy_id: str,
    build: BuildSettings,
    vm_name: str,
    device_name: str,
    user_principal_name: str,
    operation: str | None,
) -> Progress:
    """The policy's personal host pool ensured (Direct assignment, the policy's name, its assigned groups given
    Desktop Virtualization User), the VM registered as its session host, and the host assigned to its user: the one
    desktop that user's feed shows them. Done once the assignment holds; a refusal raises AVD's CloudError."""
    phase, _, inner = (operation or "").partition(" ")
    pool = host_pool_name(policy_id, build)
    if phase not in (REGISTER, ASSIGN):
        ensured = ensure_policy_pool(ports, tenant_id, placement, policy_id, build, operation)
        if not ensured.done:
            return ensured
    host = session_host_name(device_name, build)
    if phase != ASSIGN:
        registered = ports.avd.register_session_host(
            tenant_id, placement, pool, vm_name, inner if phase == REGISTER and inner else None, host_name=host
        )
        if not registered.done:
            return _in(REGISTER, registered)
    assigned = ports.avd.assign_session_host(tenant_id, placement, pool, vm_name, user_principal_name, host)
    return assigned if assigned.done else _in(ASSIGN, assigned)


def ensure_policy_pool(
    ports: BrokeringPorts,
    tenant_id: str,
    placement: Placement,
    policy_id: str,
    build: BuildSettings,
    operation: str | None,
) -> Progress:
    """The policy's personal host pool in the build's site ensured, with its registration token; `operation` what
    the last unfinished call of the step said (another phase's is not this one's)."""
    phase, _, inner = (operation or "").partition(" ")
    pool = host_pool_name(policy_id, build)
    spec = _pool_spec(ports, tenant_id, placement, policy_id, pool)
    ensured = ports.avd.ensure_host_pool(tenant_id, spec, inner if phase == ENSURE_POOL and inner else None)
    return ensured if ensured.done else _in(ENSURE_POOL, ensured)


def session_host_name(device_name: str, build: BuildSettings) -> str:
    """The name AVD gives the Cloud PC's session host, after the VM's host name: its computer name (the device
    name), with the AD domain's for a hybrid-joined one. The adapter checks it against the VM's id."""
    if build.domain_join_type == "hybridAzureADJoin" and build.ad_domain_name:
        return f"{device_name}.{build.ad_domain_name}"
    return device_name


def _pool_spec(ports: BrokeringPorts, tenant_id: str, placement: Placement, policy_id: str, pool: str) -> HostPoolSpec:
    try:
        policy = ports.policies.get_policy(tenant_id, policy_id)
    except NotFound:
        raise CloudError("ensureHostPool", "policyNotFound", "The provisioning policy no longer exists.") from None
    return pool_spec(policy, placement, pool)


def pool_spec(policy: ProvisioningPolicy, placement: Placement, pool: str) -> HostPoolSpec:
    """Start VM on Connect is on in every policy's pool, power rules or not: a Cloud PC asleep, or one an admin
    powered off, starts when its user connects (and one put to sleep before its policy's rules were cleared too)."""
    groups = tuple(sorted({assignment.group_id for assignment in policy.assignments}))
    return HostPoolSpec(
        placement=placement,
        host_pool=pool,
        pool_type="personal",
        max_sessions=1,
        friendly_name=policy.display_name,
        user_group_ids=groups,
        assignment="Direct",
        registration_window=REGISTRATION_WINDOW,
        start_vm_on_connect=True,
    )


def _in(phase: str, progress: Progress) -> Progress:
    return dataclasses.replace(progress, operation=f"{phase} {progress.operation or ''}".rstrip())
