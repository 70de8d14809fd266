"""A host pool's session hosts, found by their VMs.

AVD names a session host `<host pool>/<the VM's host name or FQDN>`, which is neither the VM's ARM name nor known
before registration, so session hosts are found by `properties.resourceId`, the VM's ARM id (read by the name a
caller gives where it knows it, and checked); `SessionHostRecord.vm_name` is that id's last segment."""

from __future__ import annotations

import urllib.parse
from typing import Any

from azure.mgmt.desktopvirtualization import models as avd_models

from shared.cloud.azure import arm_lro
from shared.cloud.azure.arm_ids import vm_id
from shared.cloud.azure.avd_common import AvdAdapter, FoundHost, absent_is_fine, pool_id, short_host_name, vm_of
from shared.ports.cloud_errors import CloudThrottled
from shared.ports.compute import Placement
from shared.ports.desktop_virtualization import SessionHostRecord
from shared.ports.progress import Progress


class SessionHosts(AvdAdapter):
    """Finds, lists, drains and removes a pool's session hosts."""

    @arm_lro.hand_back("drainSessionHost")
    def drain_session_host(self, tenant_id: str, placement: Placement, host_pool: str, vm_name: str) -> Progress:
        return self._new_sessions(tenant_id, placement, host_pool, vm_name, False, "drainSessionHost")

    @arm_lro.hand_back("undrainSessionHost")
    def undrain_session_host(self, tenant_id: str, placement: Placement, host_pool: str, vm_name: str) -> Progress:
        return self._new_sessions(tenant_id, placement, host_pool, vm_name, True, "undrainSessionHost")

    def _new_sessions(
        self, tenant_id: str, placement: Placement, host_pool: str, vm_name: str, allow: bool, step: str
    ) -> Progress:
        """allowNewSession set, patched only when it is not so already."""
        host = self._session_host(tenant_id, placement, host_pool, vm_name, step)
        if host is None:  # not in the pool (never registered, or removed already): no session can start there
            return Progress(done=True)
        if (host.allow_new_session is not False) != allow:
            self._avd(tenant_id, placement).session_hosts.update(
                placement.resource_group,
                host_pool,
                short_host_name(host),
                session_host=avd_models.SessionHostPatch(allow_new_session=allow),
            )
        return Progress(done=True, resource_id=host.id)

    @arm_lro.hand_back("removeSessionHost")
    def remove_session_host(self, tenant_id: str, placement: Placement, host_pool: str, vm_name: str) -> Progress:
        """`force`: a session still on the host (a disconnected one, say) does not keep it in the pool."""
        step = "removeSessionHost"
        host = self._session_host(tenant_id, placement, host_pool, vm_name, step)
        if host is not None:
            sessions = self._avd(tenant_id, placement).session_hosts
            absent_is_fine(
                lambda: sessions.delete(placement.resource_group, host_pool, short_host_name(host), force=True)
            )
        return Progress(done=True)

    def list_session_hosts(self, tenant_id: str, placement: Placement, host_pool: str) -> list[SessionHostRecord]:
        step = "listSessionHosts"
        try:
            hosts = self._session_hosts(tenant_id, placement, host_pool, step)
        except arm_lro.Throttled as exc:
            raise CloudThrottled(step, exc.retry_after_s, exc.code) from exc
        return [
            SessionHostRecord(
                vm_name=vm_of(h),
                status=str(h.status or "Unavailable"),
                allow_new_session=h.allow_new_session is not False,
                sessions=int(h.sessions or 0),
                assigned_user_id=h.assigned_user or None,
            )
            for h in hosts
        ]

    def _session_hosts(self, tenant_id: str, placement: Placement, host_pool: str, step: str) -> list[Any]:
        """The pool's session hosts; none when the pool does not exist."""
        sessions = self._avd(tenant_id, placement).session_hosts
        return arm_lro.found(lambda: list(sessions.list(placement.resource_group, host_pool)), step) or []

    def _session_host(
        self,
        tenant_id: str,
        placement: Placement,
        host_pool: str,
        vm_name: str,
        step: str,
        host_name: str | None = None,
        *,
        named_only: bool = False,
    ) -> FoundHost | None:
        """The VM's session host in the pool, found by the VM's ARM id (AVD names it after the VM's host name); None
        when there is none, or no pool. With `host_name` it is read by that name first, and the pool's list read
        only where that host is not the VM's (a name guessed wrong costs a list, never a registration), unless
        `named_only`. The list grows with the pool, so looking in it at each of its hosts' registrations costs each
        Cloud PC in proportion to the pool: both are read as JSON, and no host is made the SDK's model (a model of
        each was a quarter of the host process's CPU for a policy of 200 Cloud PCs, measured 2026-11-26)."""
        wanted = vm_id(placement, vm_name).lower()

        def the_vms(body: dict[str, Any] | None) -> FoundHost | None:
            host = FoundHost.of(body) if body is not None else None
            return host if host is not None and host.resource_id.lower() == wanted else None

        listed = f"{self.clients.endpoint}{pool_id(placement, host_pool)}/sessionHosts"
        version = f"?api-version={self._avd(tenant_id, placement)._config.api_version}"
        if host_name:
            named_url = f"{listed}/{urllib.parse.quote(host_name, safe='')}{version}"
            named = the_vms(arm_lro.read_json(self.clients, tenant_id, placement.subscription_id, named_url, step))
            if named is not None or named_only:
                return named
        url: str | None = listed + version
        while url:
            page = arm_lro.read_json(self.clients, tenant_id, placement.subscription_id, url, step)
            if page is None:  # no such pool
                return None
            for body in page.get("value") or []:
                if (found := the_vms(body)) is not None:
                    return found
            url = page.get("nextLink")
        return None
