"""DesktopVirtualization over ARM, one Azure API as one port needs it: a Spot Group's (or a policy's Cloud PCs')
Azure Virtual Desktop host pool, its desktop application group and workspace, the groups' access, and the session
hosts its VMs become (azure-mgmt-desktopvirtualization, api-version 2024-04-03).

Microsoft.DesktopVirtualization answers every write at once (200/201, deletes 200 or 204): there is no operation to
poll, only the registration's Run Command is long-running (its status URL goes back in `Progress.operation`, as
RunCommands does it). A 429 (or a busy resource) is `Progress(done=False, retry_after_s=Retry-After)`. Each write
reads first, so a repeated call with the same spec costs reads only.

The host pool is made in the placement's region, which must be one of AVD's metadata locations. The parts:
`avd_access.py`, `avd_session_hosts.py`, `avd_registration.py` and `avd_user_sessions.py`.
"""

from __future__ import annotations

from typing import Any

from azure.core.exceptions import HttpResponseError
from azure.mgmt.desktopvirtualization import models as avd_models

from shared.cloud.azure import arm_lro
from shared.cloud.azure.avd_access import DesktopAccessGrants
from shared.cloud.azure.avd_common import KEPT_S, absent_is_fine, app_group_id, pool_id, pool_key, same
from shared.cloud.azure.avd_registration import HostRegistration
from shared.cloud.azure.avd_user_sessions import UserSessions
from shared.models.spot_schedules import LoadBalancing
from shared.ports.cloud_errors import CloudError
from shared.ports.compute import Placement
from shared.ports.desktop_virtualization import HostPoolSpec
from shared.ports.progress import Progress

__all__ = ["KEPT_S", "AzureDesktopVirtualization"]


class AzureDesktopVirtualization(DesktopAccessGrants, HostRegistration, UserSessions):
    """The DesktopVirtualization port (shared.ports.desktop_virtualization) on Microsoft.DesktopVirtualization and
    Authorization: the host pool, its application group and workspace here, the rest in its parts."""

    @arm_lro.hand_back("ensureHostPool")
    def ensure_host_pool(self, tenant_id: str, spec: HostPoolSpec, operation: str | None = None) -> Progress:
        step, placement = "ensureHostPool", spec.placement
        avd, rg = self._avd(tenant_id, placement), placement.resource_group
        pool_arm_id, group_arm_id = pool_id(placement, spec.host_pool), app_group_id(placement, spec.host_pool)
        key = pool_key(tenant_id, placement, spec.host_pool)
        ensured = self._ensured.get(key)
        if operation is None and ensured is not None and ensured[0] == spec and self._kept(ensured):
            return Progress(done=True, resource_id=pool_arm_id)
        wanted = _pool_settings(spec)
        pool = arm_lro.found(lambda: avd.host_pools.get(rg, spec.host_pool), step)
        if pool is None:  # Start VM on Connect is set on a pool that exists: by a PATCH once it is made
            made = {name: value for name, value in wanted.items() if name != "start_vm_on_connect"}
            avd.host_pools.create_or_update(
                rg,
                spec.host_pool,
                avd_models.HostPool(
                    location=placement.region_name,
                    host_pool_type=_pooled_or_personal(spec),
                    **made,
                ),
            )
            changed: dict[str, Any] = {"start_vm_on_connect": True} if wanted.get("start_vm_on_connect") else {}
        elif not same(pool.host_pool_type, _pooled_or_personal(spec)):
            raise CloudError(
                step,
                "hostPoolTypeChanged",
                f"The host pool {spec.host_pool} is {pool.host_pool_type}: Azure cannot change a host pool's type.",
            )
        else:
            changed = {name: value for name, value in wanted.items() if not same(getattr(pool, name), value)}
        if changed:  # a PATCH sends only what differs, and keeps the registration token
            avd.host_pools.update(rg, spec.host_pool, avd_models.HostPoolPatch(**changed))

        app_group = f"{spec.host_pool}-dag"
        if arm_lro.found(lambda: avd.application_groups.get(rg, app_group), step) is None:
            avd.application_groups.create_or_update(
                rg,
                app_group,
                avd_models.ApplicationGroup(
                    location=placement.region_name,
                    host_pool_arm_path=pool_arm_id,
                    application_group_type="Desktop",
                ),
            )
        workspace_name = f"{spec.host_pool}-ws"
        workspace = arm_lro.found(lambda: avd.workspaces.get(rg, workspace_name), step)
        if workspace is None:
            avd.workspaces.create_or_update(
                rg,
                workspace_name,
                avd_models.Workspace(
                    location=placement.region_name,
                    application_group_references=[group_arm_id],
                ),
            )
        else:
            references = list(workspace.application_group_references or [])
            if group_arm_id.lower() not in [r.lower() for r in references]:
                avd.workspaces.update(
                    rg,
                    workspace_name,
                    avd_models.WorkspacePatch(
                        application_group_references=[*references, group_arm_id],
                    ),
                )
        waiting = self._grant_access(tenant_id, placement, group_arm_id, spec.user_group_ids)
        if waiting is not None:
            return waiting
        self._registration_token(tenant_id, placement, spec.host_pool, step, renew_within=spec.registration_window)
        self._ensured[key] = (spec, self._clock())
        return Progress(done=True, resource_id=pool_arm_id)

    def balance_load(self, tenant_id: str, placement: Placement, host_pool: str, order: LoadBalancing) -> bool:
        step, wanted = "balanceLoad", AVD_ORDER[order]
        avd, rg = self._avd(tenant_id, placement), placement.resource_group
        pool = arm_lro.found(lambda: avd.host_pools.get(rg, host_pool), step)
        if pool is None or same(pool.load_balancer_type, wanted):
            return False
        try:
            avd.host_pools.update(rg, host_pool, host_pool=avd_models.HostPoolPatch(load_balancer_type=wanted))
        except HttpResponseError as exc:
            arm_lro.raise_for(exc, step)
        return True

    @arm_lro.hand_back("deleteHostPool")
    def delete_host_pool(
        self, tenant_id: str, placement: Placement, host_pool: str, operation: str | None = None
    ) -> Progress:
        """The workspace and application group first: Azure deletes no host pool that still has application groups.
        `force` deletes its session hosts with it; the role assignments on the application group go with it."""
        avd, rg = self._avd(tenant_id, placement), placement.resource_group
        self._forget(tenant_id, placement, host_pool)
        absent_is_fine(lambda: avd.workspaces.delete(rg, f"{host_pool}-ws"))
        absent_is_fine(lambda: avd.application_groups.delete(rg, f"{host_pool}-dag"))
        absent_is_fine(lambda: avd.host_pools.delete(rg, host_pool, force=True))
        return Progress(done=True)


# a pooled host pool's loadBalancerType for each order a schedule's phase asks
# (learn.microsoft.com/azure/virtual-desktop/host-pool-load-balancing)
AVD_ORDER: dict[LoadBalancing, str] = {"breadthFirst": "BreadthFirst", "depthFirst": "DepthFirst"}


def _pooled_or_personal(spec: HostPoolSpec) -> str:
    return "Pooled" if spec.pool_type == "pooled" else "Personal"


def _pool_settings(spec: HostPoolSpec) -> dict[str, Any]:
    """What the spec sets on the host pool besides its type, by the SDK's names (all of them patchable)."""
    settings: dict[str, Any] = {"friendly_name": spec.friendly_name, "preferred_app_group_type": "Desktop"}
    if spec.pool_type == "pooled":
        settings.update(load_balancer_type="BreadthFirst", max_session_limit=spec.max_sessions)
    else:  # a user gets a desktop of their own (a free one on first sign-in, Automatic; the one assigned them,
        # Direct), and keeps it; AVD starts it when they connect, if the group's personal power stops it (Start VM
        # on Connect: the pool's property, and the role its service principal needs, which the onboarding report
        # lists)
        settings.update(
            load_balancer_type="Persistent",
            personal_desktop_assignment_type=spec.assignment,
            start_vm_on_connect=spec.start_vm_on_connect,
        )
    return settings
