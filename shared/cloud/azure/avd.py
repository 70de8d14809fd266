"""DesktopVirtualization over ARM, one Azure API as one port needs it: a Spot Group's (or a policy's Cloud PCs')
Azure Virtual Desktop host pool,
its desktop application group and workspace, the groups' access, and the session hosts its VMs become
(azure-mgmt-desktopvirtualization, api-version 2024-04-03).

Microsoft.DesktopVirtualization answers every write at once (200/201, deletes 200 or 204): there is no operation to
poll, only the registration's Run Command is long-running (its status URL goes back in `Progress.operation`, as
RunCommands does it). A 429 (or a busy resource) is `Progress(done=False, retry_after_s=Retry-After)`. Each write
reads first, so a repeated call with the same spec costs reads only.

- Access: the built-in role Desktop Virtualization User on the application group, for each Entra group of the spec
  or (a Spot Group's, whose license count caps who holds it) for each user directly, under a role-assignment GUID
  derived from (application group, principal, role); only assignments of that derived name are listed as the app's
  and removed, so one an admin made by hand stays.
- Registration: the host pool's registration token (retrieveRegistrationToken, at most once a minute per process and
  pool: KEPT_S; a new one when there is none or it expires within TOKEN_MARGIN) goes to the VM only as the protected
  Run Command parameter `RegistrationToken`: never in the script, a Progress, an error or a log line. The script
  installs the AVD agent and boot loader, or hands an installed agent the new token (AVD's documented
  re-registration), and waits for the agent to report itself registered; an agent that refused the token fails it with
  the agent's reason, which its event 3277 in the Application log names (INVALID_REGISTRATION_TOKEN or
  EXPIRED_MACHINE_TOKEN, https://learn.microsoft.com/azure/virtual-desktop/troubleshoot-agent), as the step's code.
  A new token ends the one before, and another instance (its own cache), or an admin, may make one while an install
  runs: an agent that refused its token as invalid is given the pool's live one once more (INSTALL_AGAIN) before
  the step fails, rather than an attempt's VM being made again. Within one process a pool's token is renewed by one
  caller at a time, the others reading what it made.
  AVD names a session host `<host pool>/<the VM's host name or FQDN>`, which is neither the VM's ARM name nor known
  before registration, so session hosts are found by `properties.resourceId`, the VM's ARM id (read by the name a
  caller gives where it knows it, and checked); `SessionHostRecord.vm_name` is that id's last segment.
- `assignedUser` of a personal pool's session host is the user's UPN as AVD reports it (not an object id); a
  PATCH of it assigns the host directly
  (https://learn.microsoft.com/azure/virtual-desktop/configure-host-pool-personal-desktop-assignment-type). An
  assignment that follows a registration in the same call (and thread) takes the host that registration read.
- User sessions are read for the whole pool at once (userSessions of the host pool) and named by their session
  host's VM; an action on one finds its session host by the VM first. Azure answers a log-off of a session that is
  not there 204, and the other actions 404: both are SESSION_GONE. A log-off is forced: the admin asked for it.
- The host pool is made in the placement's region, which must be one of AVD's metadata locations.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from azure.core.exceptions import HttpResponseError
from azure.mgmt.authorization.v2022_04_01.models import RoleAssignmentCreateParameters
from azure.mgmt.desktopvirtualization import DesktopVirtualizationMgmtClient
from azure.mgmt.desktopvirtualization import models as avd_models

from shared.catalog.app_access import DESKTOP_VIRTUALIZATION_USER
from shared.cloud.azure import arm_lro
from shared.cloud.azure.arm_clients import ArmClients, group_id, vm_id
from shared.cloud.azure.arm_commands import PHASE as COMMAND_PHASE
from shared.cloud.azure.arm_commands import RunCommands
from shared.cloud.azure.arm_devices import assignment_name
from shared.models.spot_schedules import LoadBalancing
from shared.ports.cloud_errors import SESSION_GONE, CloudError, CloudThrottled
from shared.ports.compute import Placement
from shared.ports.desktop_virtualization import DesktopAccess, HostPoolSpec, SessionHostRecord, UserSessionRecord
from shared.ports.progress import Progress

DESKTOP_USER = DESKTOP_VIRTUALIZATION_USER
COMMAND = "registerSessionHost"
TOKEN_PARAMETER = "RegistrationToken"
# The pool's one registration token is made or renewed when the pool is ensured, before any host registers, to
# last the spec's registration window: a new token replaces the old, so hosts registering side by side must not
# renew it.
TOKEN_LIFETIME = dt.timedelta(hours=24)
TOKEN_MARGIN = dt.timedelta(minutes=15)  # a registration renews only a token this close to expiry (an install's time)
# what this process made sure of in a pool (its settings and access, its token) is trusted this long: a burst of
# registrations into one policy's pool ensures it and reads its token about once a minute rather than once each (five
# reads and a write a Cloud PC), and a pool changed by hand is repaired, or a token renewed by another instance
# read, within a minute. A registration that fails forgets both, so its retry reads them again.
KEPT_S = 60.0
LISTED = "listed"  # the operation phase of waiting for the registered host to show in the pool
INSTALL_AGAIN = "installAgain"  # the operation phase of the install run once more, with the pool's live token
REFUSED_TOKEN = "INVALID_REGISTRATION_TOKEN"  # the agent's reason for a token that is not the pool's live one
REGISTER_WAIT_S = 10.0
PRINCIPAL_WAIT_S = 10.0  # a new group takes a while to reach ARM
AGENT_URI = "https://query.prod.cms.rt.microsoft.com/cms/api/am/binary/RWrmXv"
BOOT_LOADER_URI = "https://query.prod.cms.rt.microsoft.com/cms/api/am/binary/RWrxrH"

T = TypeVar("T")


class AzureDesktopVirtualization:
    """The DesktopVirtualization port (shared.ports.desktop_virtualization) on Microsoft.DesktopVirtualization and
    Authorization."""

    def __init__(self, clients: ArmClients, clock: Callable[[], float] = time.monotonic) -> None:
        self.clients = clients
        self._commands = RunCommands(clients)
        self._clock = clock
        self._ensured: dict[str, tuple[HostPoolSpec, float]] = {}  # pool -> the spec ensured, and when
        self._tokens: dict[str, tuple[str, dt.datetime, float]] = {}  # pool -> its token, its expiry, when read
        self._renewing: dict[str, threading.Lock] = {}  # pool -> held while its token is read and renewed
        self._renewing_guard = threading.Lock()
        # the session host this thread's registration last found: the assignment that follows it in the same call
        # takes it as read, rather than read it again (an ARM read a Cloud PC, from the subscription's read budget)
        self._found = threading.local()

    def _kept(self, kept: tuple[Any, ...] | None) -> bool:
        return kept is not None and self._clock() - kept[-1] < KEPT_S

    def _forget(self, tenant_id: str, placement: Placement, host_pool: str) -> None:
        key = _pool_key(tenant_id, placement, host_pool)
        self._ensured.pop(key, None)
        self._tokens.pop(key, None)

    def _avd(self, tenant_id: str, placement: Placement) -> DesktopVirtualizationMgmtClient:
        return self.clients.desktop_virtualization(tenant_id, placement.subscription_id)

    # --- host pool, application group, workspace, access -----------------------------------------------
    @arm_lro.hand_back("ensureHostPool")
    def ensure_host_pool(self, tenant_id: str, spec: HostPoolSpec, operation: str | None = None) -> Progress:
        step, placement = "ensureHostPool", spec.placement
        avd, rg = self._avd(tenant_id, placement), placement.resource_group
        pool_id, app_group_id = _pool_id(placement, spec.host_pool), _app_group_id(placement, spec.host_pool)
        key = _pool_key(tenant_id, placement, spec.host_pool)
        ensured = self._ensured.get(key)
        if operation is None and ensured is not None and ensured[0] == spec and self._kept(ensured):
            return Progress(done=True, resource_id=pool_id)
        wanted = _pool_settings(spec)
        pool = arm_lro.found(lambda: avd.host_pools.get(rg, spec.host_pool), step)
        if pool is None:  # Start VM on Connect is set on a pool that exists: by a PATCH once it is made
            made = {name: value for name, value in wanted.items() if name != "start_vm_on_connect"}
            avd.host_pools.create_or_update(rg, spec.host_pool, avd_models.HostPool(
                location=placement.region_name, host_pool_type=_pooled_or_personal(spec), **made,
            ))  # fmt: skip
            changed: dict[str, Any] = {"start_vm_on_connect": True} if wanted.get("start_vm_on_connect") else {}
        elif not _same(pool.host_pool_type, _pooled_or_personal(spec)):
            raise CloudError(step, "hostPoolTypeChanged", f"The host pool {spec.host_pool} is {pool.host_pool_type}: "
                             "Azure cannot change a host pool's type.")  # fmt: skip
        else:
            changed = {name: value for name, value in wanted.items() if not _same(getattr(pool, name), value)}
        if changed:  # a PATCH sends only what differs, and keeps the registration token
            avd.host_pools.update(rg, spec.host_pool, avd_models.HostPoolPatch(**changed))

        app_group = f"{spec.host_pool}-dag"
        if arm_lro.found(lambda: avd.application_groups.get(rg, app_group), step) is None:
            avd.application_groups.create_or_update(rg, app_group, avd_models.ApplicationGroup(
                location=placement.region_name, host_pool_arm_path=pool_id, application_group_type="Desktop",
            ))  # fmt: skip
        workspace_name = f"{spec.host_pool}-ws"
        workspace = arm_lro.found(lambda: avd.workspaces.get(rg, workspace_name), step)
        if workspace is None:
            avd.workspaces.create_or_update(rg, workspace_name, avd_models.Workspace(
                location=placement.region_name, application_group_references=[app_group_id],
            ))  # fmt: skip
        else:
            references = list(workspace.application_group_references or [])
            if app_group_id.lower() not in [r.lower() for r in references]:
                avd.workspaces.update(rg, workspace_name, avd_models.WorkspacePatch(
                    application_group_references=[*references, app_group_id],
                ))  # fmt: skip
        waiting = self._grant_access(tenant_id, placement, app_group_id, spec.user_group_ids)
        if waiting is not None:
            return waiting
        self._registration_token(tenant_id, placement, spec.host_pool, step, renew_within=spec.registration_window)
        self._ensured[key] = (spec, self._clock())
        return Progress(done=True, resource_id=pool_id)

    def _grant_access(
        self, tenant_id: str, placement: Placement, scope: str, group_ids: tuple[str, ...]
    ) -> Progress | None:
        """Desktop Virtualization User for exactly these groups (among the assignments made here); None when so."""
        authorization = self.clients.authorization(tenant_id, placement.subscription_id)
        found = self._desktop_users(authorization, scope)
        present = {str(a.principal_id).lower() for a in found}
        wanted = {g.lower() for g in group_ids}
        for assignment in found:
            principal = str(assignment.principal_id).lower()
            if principal not in wanted and assignment.name == assignment_name(scope, principal, DESKTOP_USER):
                authorization.role_assignments.delete(scope, str(assignment.name))
        for principal in sorted(wanted - present):
            if not _assign(authorization, placement, scope, principal, "Group"):
                return Progress(done=False, retry_after_s=PRINCIPAL_WAIT_S, held=arm_lro.PRINCIPAL_NOT_FOUND,
                                reason=arm_lro.NOT_REPLICATED)  # fmt: skip
        return None

    @staticmethod
    def _desktop_users(authorization: Any, scope: str) -> list[Any]:
        """The Desktop Virtualization User assignments at the scope itself (not those inherited from above it)."""
        return [
            a
            for a in authorization.role_assignments.list_for_scope(scope, filter="atScope()")
            if str(a.scope or "").lower() == scope.lower() and _role_of(a.role_definition_id) == DESKTOP_USER
        ]

    def desktop_access(self, tenant_id: str, placement: Placement, host_pool: str) -> DesktopAccess | None:
        step = "desktopAccess"
        avd, rg, scope = self._avd(tenant_id, placement), placement.resource_group, _app_group_id(placement, host_pool)
        if arm_lro.found(lambda: avd.application_groups.get(rg, f"{host_pool}-dag"), step) is None:
            return None
        authorization = self.clients.authorization(tenant_id, placement.subscription_id)
        made = [a for a in self._desktop_users(authorization, scope)
                if a.name == assignment_name(scope, str(a.principal_id), DESKTOP_USER)]  # fmt: skip
        users = {str(a.principal_id).lower() for a in made if _same(a.principal_type, "User")}
        groups = {str(a.principal_id).lower() for a in made if _same(a.principal_type, "Group")}
        return DesktopAccess(users=frozenset(users), groups=frozenset(groups))

    def grant_desktop_access(self, tenant_id: str, placement: Placement, host_pool: str, user_id: str) -> bool:
        authorization = self.clients.authorization(tenant_id, placement.subscription_id)
        return _assign(authorization, placement, _app_group_id(placement, host_pool), user_id.lower(), "User")

    def revoke_desktop_access(self, tenant_id: str, placement: Placement, host_pool: str, principal_id: str) -> None:
        scope = _app_group_id(placement, host_pool)
        authorization = self.clients.authorization(tenant_id, placement.subscription_id)
        name = assignment_name(scope, principal_id.lower(), DESKTOP_USER)
        # read first: the role's condition lets the app delete only assignments of the roles it gives, which ARM
        # checks against the assignment, so a delete of one that is gone is refused (AuthorizationFailed), not done
        if arm_lro.found(lambda: authorization.role_assignments.get(scope, name), "revokeDesktopAccess") is not None:
            _absent_is_fine(lambda: authorization.role_assignments.delete(scope, name))

    # --- session hosts ------------------------------------------------------------------------------
    @arm_lro.hand_back("registerSessionHost")
    def register_session_host(
        self, tenant_id: str, placement: Placement, host_pool: str, vm_name: str, operation: str | None = None,
        *, reinstall: bool = False, host_name: str | None = None,
    ) -> Progress:  # fmt: skip
        """Phases: the Run Command (`command <url>`), then waiting for the host to be listed (`listed`)."""
        step = "registerSessionHost"
        try:
            return self._register(tenant_id, placement, host_pool, vm_name, operation, reinstall, step, host_name)
        except CloudError as exc:  # its token refused, the pool gone: what this process kept of it is read again
            if not exc.transient:  # (a throttle is no reason to ask for the token again: that is a write)
                self._forget(tenant_id, placement, host_pool)
            raise

    def _register(
        self, tenant_id: str, placement: Placement, host_pool: str, vm_name: str, operation: str | None,
        reinstall: bool, step: str, host_name: str | None,
    ) -> Progress:  # fmt: skip
        phase, _ = arm_lro.decode(operation)
        if phase in (COMMAND_PHASE, INSTALL_AGAIN):
            ran = self._install(tenant_id, placement, host_pool, vm_name, step, operation, again=phase == INSTALL_AGAIN)
            if not ran.done:
                return ran
        elif phase != LISTED:  # a first call, or Azure forgot the operation: a host already there is done
            # a first call: the host is looked for only by its name, where known (one missed was named otherwise,
            # and the install, which is idempotent, runs again)
            host = None if reinstall else self._session_host(tenant_id, placement, host_pool, vm_name, step,
                                                             host_name, named_only=True)  # fmt: skip
            if host is not None:
                return self._registered(tenant_id, placement, host_pool, vm_name, host)
            ran = self._install(tenant_id, placement, host_pool, vm_name, step, None, again=False)
            if not ran.done:
                return ran
        host = self._session_host(tenant_id, placement, host_pool, vm_name, step, host_name)
        if host is None:
            return Progress(done=False, retry_after_s=REGISTER_WAIT_S, operation=LISTED,
                            reason="the session host has not registered with its host pool yet")  # fmt: skip
        return self._registered(tenant_id, placement, host_pool, vm_name, host)

    def _registered(
        self, tenant_id: str, placement: Placement, host_pool: str, vm_name: str, host: FoundHost
    ) -> Progress:
        self._found.host = (_pool_key(tenant_id, placement, host_pool), vm_name.lower(), host)
        return Progress(done=True, resource_id=host.id)

    def _just_registered(self, tenant_id: str, placement: Placement, host_pool: str, vm_name: str) -> FoundHost | None:
        """The host this thread's registration of `vm_name` just found, once; None for any other."""
        found, self._found.host = getattr(self._found, "host", None), None
        if found is None or found[:2] != (_pool_key(tenant_id, placement, host_pool), vm_name.lower()):
            return None
        return found[2]

    def _install(
        self, tenant_id: str, placement: Placement, host_pool: str, vm_name: str, step: str, operation: str | None,
        *, again: bool,
    ) -> Progress:  # fmt: skip
        """The agent's install started with the pool's token (`operation` None) or polled; `again` for the one run
        more after the agent refused a token that was no longer the pool's live one."""
        try:
            # polled by its operation, else started with the token; the agent install is idempotent (an installed
            # agent is given the new token), so it may run again
            protected = None if operation else {
                TOKEN_PARAMETER: self._registration_token(tenant_id, placement, host_pool, step)}
            ran = self._commands.run(tenant_id, placement, vm_name, COMMAND, AGENT_SCRIPT, step=step,
                                     protected=protected, operation=operation, create_only=False)  # fmt: skip
        except CloudError as exc:
            if again or exc.code != REFUSED_TOKEN:
                raise
            self._tokens.pop(_pool_key(tenant_id, placement, host_pool), None)  # replaced meanwhile: read it again
            return self._install(tenant_id, placement, host_pool, vm_name, step, None, again=True)
        _, url = arm_lro.decode(ran.operation)
        if again and url:  # the phase says the one run more is spent
            return replace(ran, operation=arm_lro.encode(INSTALL_AGAIN, url))
        return ran

    def _registration_token(
        self, tenant_id: str, placement: Placement, host_pool: str, step: str,
        renew_within: dt.timedelta = TOKEN_MARGIN,
    ) -> str:  # fmt: skip
        key = _pool_key(tenant_id, placement, host_pool)
        with self._renewing_guard:
            renewing = self._renewing.setdefault(key, threading.Lock())
        with renewing:  # side by side, the first renews and the others read its token: a second would end the first
            return self._live_token(tenant_id, placement, host_pool, step, renew_within, key)

    def _live_token(
        self, tenant_id: str, placement: Placement, host_pool: str, step: str, renew_within: dt.timedelta, key: str,
    ) -> str:  # fmt: skip
        avd, rg = self._avd(tenant_id, placement), placement.resource_group
        now = dt.datetime.now(dt.UTC)
        kept = self._tokens.get(key)
        if kept is not None and self._kept(kept) and kept[1] > now + renew_within:
            return kept[0]
        try:
            info = avd.host_pools.retrieve_registration_token(rg, host_pool)
            token, expires = info.token, _aware(info.expiration_time)
            if not (token and expires > now + renew_within):
                renewal = avd_models.RegistrationInfoPatch(
                    expiration_time=now + TOKEN_LIFETIME, registration_token_operation="Update"
                )
                updated = avd.host_pools.update(rg, host_pool, avd_models.HostPoolPatch(registration_info=renewal))
                token = updated.registration_info.token if updated.registration_info else None
                # the PATCH answers the new token; should it not, the action does
                token = token or avd.host_pools.retrieve_registration_token(rg, host_pool).token
                expires = now + TOKEN_LIFETIME
        except HttpResponseError as exc:
            if arm_lro.is_not_found(exc):
                self._forget(tenant_id, placement, host_pool)
                raise CloudError(step, "hostPoolNotFound", f"The host pool {host_pool} does not exist.") from exc
            raise
        if not token:
            raise CloudError(step, "registrationTokenUnavailable", f"The host pool {host_pool} gave no token.")
        self._tokens[key] = (str(token), expires, self._clock())
        return str(token)

    @arm_lro.hand_back("assignSessionHost")
    def assign_session_host(
        self, tenant_id: str, placement: Placement, host_pool: str, vm_name: str, user_principal_name: str,
        host_name: str | None = None,
    ) -> Progress:  # fmt: skip
        step = "assignSessionHost"
        host = (self._just_registered(tenant_id, placement, host_pool, vm_name)
                or self._session_host(tenant_id, placement, host_pool, vm_name, step, host_name))  # fmt: skip
        if host is None:
            raise CloudError(step, "sessionHostNotFound", f"{vm_name} is not a session host of {host_pool}.")
        if not _same(host.assigned_user, user_principal_name):
            # a host that changes hands (reprovisioned for another user, say) is reassigned only with `force`
            self._avd(tenant_id, placement).session_hosts.update(
                placement.resource_group, host_pool, _host_name(host),
                session_host=avd_models.SessionHostPatch(assigned_user=user_principal_name),
                force=True if host.assigned_user else None,
            )  # fmt: skip
        return Progress(done=True, resource_id=host.id)

    @arm_lro.hand_back("drainSessionHost")
    def drain_session_host(self, tenant_id: str, placement: Placement, host_pool: str, vm_name: str) -> Progress:
        return self._new_sessions(tenant_id, placement, host_pool, vm_name, False, "drainSessionHost")

    @arm_lro.hand_back("undrainSessionHost")
    def undrain_session_host(self, tenant_id: str, placement: Placement, host_pool: str, vm_name: str) -> Progress:
        return self._new_sessions(tenant_id, placement, host_pool, vm_name, True, "undrainSessionHost")

    def balance_load(self, tenant_id: str, placement: Placement, host_pool: str, order: LoadBalancing) -> bool:
        step, wanted = "balanceLoad", AVD_ORDER[order]
        avd, rg = self._avd(tenant_id, placement), placement.resource_group
        pool = arm_lro.found(lambda: avd.host_pools.get(rg, host_pool), step)
        if pool is None or _same(pool.load_balancer_type, wanted):
            return False
        try:
            avd.host_pools.update(rg, host_pool, host_pool=avd_models.HostPoolPatch(load_balancer_type=wanted))
        except HttpResponseError as exc:
            arm_lro.raise_for(exc, step)
        return True

    def _new_sessions(
        self, tenant_id: str, placement: Placement, host_pool: str, vm_name: str, allow: bool, step: str
    ) -> Progress:
        """allowNewSession set, patched only when it is not so already."""
        host = self._session_host(tenant_id, placement, host_pool, vm_name, step)
        if host is None:  # not in the pool (never registered, or removed already): no session can start there
            return Progress(done=True)
        if (host.allow_new_session is not False) != allow:
            self._avd(tenant_id, placement).session_hosts.update(
                placement.resource_group, host_pool, _host_name(host),
                session_host=avd_models.SessionHostPatch(allow_new_session=allow),
            )  # fmt: skip
        return Progress(done=True, resource_id=host.id)

    @arm_lro.hand_back("removeSessionHost")
    def remove_session_host(self, tenant_id: str, placement: Placement, host_pool: str, vm_name: str) -> Progress:
        """`force`: a session still on the host (a disconnected one, say) does not keep it in the pool."""
        step = "removeSessionHost"
        host = self._session_host(tenant_id, placement, host_pool, vm_name, step)
        if host is not None:
            sessions = self._avd(tenant_id, placement).session_hosts
            _absent_is_fine(lambda: sessions.delete(placement.resource_group, host_pool, _host_name(host), force=True))
        return Progress(done=True)

    def list_session_hosts(self, tenant_id: str, placement: Placement, host_pool: str) -> list[SessionHostRecord]:
        step = "listSessionHosts"
        try:
            hosts = self._session_hosts(tenant_id, placement, host_pool, step)
        except arm_lro.Throttled as exc:
            raise CloudThrottled(step, exc.retry_after_s, exc.code) from exc
        return [
            SessionHostRecord(
                vm_name=_vm_of(h),
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
        self, tenant_id: str, placement: Placement, host_pool: str, vm_name: str, step: str,
        host_name: str | None = None, *, named_only: bool = False,
    ) -> FoundHost | None:  # fmt: skip
        """The VM's session host in the pool, found by the VM's ARM id (AVD names it after the VM's host name); None
        when there is none, or no pool. With `host_name` it is read by that name first, and the pool's list read
        only where that host is not the VM's (a name guessed wrong costs a list, never a registration), unless
        `named_only`. The list grows with the pool, so looking in it at each of its hosts' registrations costs each
        Cloud PC in proportion to the pool: both are read as JSON, and no host is made the SDK's model (a model of
        each was a quarter of the host process's CPU for a policy of 200 Cloud PCs; docs/benchmarks.md)."""
        wanted = vm_id(placement, vm_name).lower()

        def the_vms(body: dict[str, Any] | None) -> FoundHost | None:
            host = FoundHost.of(body) if body is not None else None
            return host if host is not None and host.resource_id.lower() == wanted else None

        listed = f"{self.clients.endpoint}{_pool_id(placement, host_pool)}/sessionHosts"
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

    # --- user sessions ------------------------------------------------------------------------------
    def list_user_sessions(self, tenant_id: str, placement: Placement, host_pool: str) -> list[UserSessionRecord]:
        step = "listUserSessions"
        rg = placement.resource_group
        try:
            vms = {_host_name(h).lower(): _vm_of(h) for h in self._session_hosts(tenant_id, placement, host_pool, step)}
            found = arm_lro.found(
                lambda: list(self._avd(tenant_id, placement).user_sessions.list_by_host_pool(rg, host_pool)), step
            )
        except arm_lro.Throttled as exc:
            raise CloudThrottled(step, exc.retry_after_s, exc.code) from exc
        records = []
        for session in found or []:
            host, number = _session_address(str(session.id))
            if host.lower() in vms:  # a host that left the pool between the two reads has no sessions to show
                records.append(UserSessionRecord(
                    vm_name=vms[host.lower()], session_id=number,
                    user_principal_name=str(session.user_principal_name or ""),
                    # Pending and LogOff are moments of a session that holds its place, as an active one does
                    state="disconnected" if _same(session.session_state, "Disconnected") else "active",
                    started=session.create_time,
                ))  # fmt: skip
        return records

    def send_session_message(
        self, tenant_id: str, placement: Placement, host_pool: str, vm_name: str, session_id: str, title: str,
        message: str,
    ) -> None:  # fmt: skip
        def send(host: str) -> None:
            self._avd(tenant_id, placement).user_sessions.send_message(
                placement.resource_group, host_pool, host, session_id,
                avd_models.SendMessage(message_title=title, message_body=message),
            )  # fmt: skip

        self._on_session(tenant_id, placement, host_pool, vm_name, session_id, "sendSessionMessage", send)

    def disconnect_session(
        self, tenant_id: str, placement: Placement, host_pool: str, vm_name: str, session_id: str
    ) -> None:
        def disconnect(host: str) -> None:
            self._avd(tenant_id, placement).user_sessions.disconnect(placement.resource_group, host_pool, host,
                                                                     session_id)  # fmt: skip

        self._on_session(tenant_id, placement, host_pool, vm_name, session_id, "disconnectSession", disconnect)

    def log_off_session(
        self, tenant_id: str, placement: Placement, host_pool: str, vm_name: str, session_id: str
    ) -> None:
        def log_off(host: str) -> int:
            status: Any = self._avd(tenant_id, placement).user_sessions.delete(
                placement.resource_group, host_pool, host, session_id, force=True, cls=_status,
            )  # fmt: skip
            return int(status)  # `cls` answers the status, which the SDK's None-typed delete does not say

        if self._on_session(tenant_id, placement, host_pool, vm_name, session_id, "logOffSession", log_off) == 204:
            raise _gone("logOffSession", vm_name, session_id)  # Azure's "User session does not exist"

    def _on_session(
        self, tenant_id: str, placement: Placement, host_pool: str, vm_name: str, session_id: str, step: str,
        act: Callable[[str], T],
    ) -> T:  # fmt: skip
        """`act(<the session host's name>)`, the VM's session host found first; SESSION_GONE for a host or a session
        that is not there, CloudThrottled for a throttled or failing call."""
        try:
            try:
                host = self._session_host(tenant_id, placement, host_pool, vm_name, step)
                if host is None:
                    raise _gone(step, vm_name, "")
                return act(_host_name(host))
            except HttpResponseError as exc:
                if arm_lro.is_not_found(exc):
                    raise _gone(step, vm_name, session_id) from exc
                arm_lro.raise_for(exc, step)
        except arm_lro.Throttled as exc:
            raise CloudThrottled(step, exc.retry_after_s, exc.code) from exc

    # --- delete -------------------------------------------------------------------------------------
    @arm_lro.hand_back("deleteHostPool")
    def delete_host_pool(
        self, tenant_id: str, placement: Placement, host_pool: str, operation: str | None = None
    ) -> Progress:
        """The workspace and application group first: Azure deletes no host pool that still has application groups.
        `force` deletes its session hosts with it; the role assignments on the application group go with it."""
        avd, rg = self._avd(tenant_id, placement), placement.resource_group
        self._forget(tenant_id, placement, host_pool)
        _absent_is_fine(lambda: avd.workspaces.delete(rg, f"{host_pool}-ws"))
        _absent_is_fine(lambda: avd.application_groups.delete(rg, f"{host_pool}-dag"))
        _absent_is_fine(lambda: avd.host_pools.delete(rg, host_pool, force=True))
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
        settings.update(load_balancer_type="Persistent", personal_desktop_assignment_type=spec.assignment,
                        start_vm_on_connect=spec.start_vm_on_connect)  # fmt: skip
    return settings


@dataclass(frozen=True)
class FoundHost:
    """What the app reads of one session host, from ARM's JSON: its ARM id and name (`<pool>/<host>`), its VM's ARM
    id, its assigned user and whether it takes new sessions."""

    id: str
    name: str
    resource_id: str
    assigned_user: str | None
    allow_new_session: bool | None

    @classmethod
    def of(cls, body: dict[str, Any]) -> FoundHost:
        properties = body.get("properties") or {}
        return cls(id=str(body.get("id") or ""), name=str(body.get("name") or ""),
                   resource_id=str(properties.get("resourceId") or ""), assigned_user=properties.get("assignedUser"),
                   allow_new_session=properties.get("allowNewSession"))  # fmt: skip


def _same(found: Any, wanted: Any) -> bool:
    if isinstance(wanted, str):
        return str(found or "").lower() == wanted.lower()
    if isinstance(wanted, bool):  # a property a pool was made without reads as null: off
        return bool(found) == wanted
    return bool(found == wanted)


def _pool_id(placement: Placement, host_pool: str) -> str:
    return f"{group_id(placement)}/providers/Microsoft.DesktopVirtualization/hostPools/{host_pool}"


def _pool_key(tenant_id: str, placement: Placement, host_pool: str) -> str:
    return f"{tenant_id}{_pool_id(placement, host_pool)}".lower()


def _app_group_id(placement: Placement, host_pool: str) -> str:
    return f"{group_id(placement)}/providers/Microsoft.DesktopVirtualization/applicationGroups/{host_pool}-dag"


def _host_name(host: Any) -> str:
    """`<host pool>/<host>` as AVD names it -> `<host>`, the name its own URL takes."""
    return str(host.name).rsplit("/", 1)[-1]


def _vm_of(host: Any) -> str:
    """The session host's VM name: the last segment of its `resourceId` (AVD names the host after the computer)."""
    return str(host.resource_id or _host_name(host)).rstrip("/").rsplit("/", 1)[-1]


def _session_address(session_id: str) -> tuple[str, str]:
    """`.../sessionHosts/<host>/userSessions/<id>` -> (host, id)."""
    parts = session_id.rstrip("/").split("/")
    return parts[-3], parts[-1]


def _status(pipeline_response: Any, *_: Any) -> int:
    return int(pipeline_response.http_response.status_code)


def _gone(step: str, vm_name: str, session_id: str) -> CloudError:
    what = f"The user session {session_id} on {vm_name}" if session_id else f"The session host {vm_name}"
    gone = CloudError(step, SESSION_GONE, f"{what} is not there.")
    gone.status = 404
    return gone


def _assign(authorization: Any, placement: Placement, scope: str, principal: str, principal_type: str) -> bool:
    """Desktop Virtualization User for the principal at the scope, under the name derived from both; False when ARM
    does not know the principal yet (a new one takes a while to reach it)."""
    role = f"/subscriptions/{placement.subscription_id}/providers/Microsoft.Authorization/roleDefinitions/"
    parameters = RoleAssignmentCreateParameters(
        role_definition_id=role + DESKTOP_USER, principal_id=principal, principal_type=principal_type
    )
    try:
        authorization.role_assignments.create(scope, assignment_name(scope, principal, DESKTOP_USER), parameters)
    except HttpResponseError as exc:
        if exc.status_code == 409 and arm_lro.error_code(exc) == "RoleAssignmentExists":
            return True
        if arm_lro.error_code(exc) == "PrincipalNotFound":
            return False
        raise
    return True


def _role_of(role_definition_id: Any) -> str:
    return str(role_definition_id or "").rstrip("/").rsplit("/", 1)[-1].lower()


def _aware(moment: dt.datetime | None) -> dt.datetime:
    if moment is None:
        return dt.datetime.min.replace(tzinfo=dt.UTC)
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _absent_is_fine(delete: Callable[[], Any]) -> None:
    """A delete of what is gone (or whose resource group is) is done; AVD answers 204 or 404 then."""
    try:
        delete()
    except HttpResponseError as exc:
        if not arm_lro.is_not_found(exc):
            raise


# The protected parameter arrives as the script's parameter. An installed agent is given the new token as AVD's
# troubleshooting guide does it (the RDInfraAgent registry values, then a restart of the boot loader); either way
# the script waits for the agent to say it is registered, and names its failure with ERRORTYPE (RunCommands).
AGENT_SCRIPT = "\n".join(
    [
        f"param([string]${TOKEN_PARAMETER})",
        "$ErrorActionPreference = 'Stop'",
        "$started = Get-Date",
        "$agentKey = 'HKLM:\\SOFTWARE\\Microsoft\\RDInfraAgent'",
        "if (Get-Service -Name RDAgentBootLoader -ErrorAction SilentlyContinue) {",
        f"    Set-ItemProperty -Path $agentKey -Name RegistrationToken -Value ${TOKEN_PARAMETER}",
        "    Set-ItemProperty -Path $agentKey -Name IsRegistered -Value 0",
        "    Restart-Service -Name RDAgentBootLoader",
        "} else {",
        "    $dir = Join-Path $env:SystemRoot 'Temp\\avd-agent'",
        "    New-Item -ItemType Directory -Force -Path $dir | Out-Null",
        "    $agent, $loader = (Join-Path $dir 'agent.msi'), (Join-Path $dir 'bootloader.msi')",
        f"    Invoke-WebRequest -Uri '{AGENT_URI}' -OutFile $agent -UseBasicParsing",
        f"    Invoke-WebRequest -Uri '{BOOT_LOADER_URI}' -OutFile $loader -UseBasicParsing",
        f"    $installs = @(@('/i', $agent, '/quiet', '/norestart', \"REGISTRATIONTOKEN=${TOKEN_PARAMETER}\"),",
        "                  @('/i', $loader, '/quiet', '/norestart'))",
        "    foreach ($arguments in $installs) {",
        "        $install = Start-Process msiexec.exe -ArgumentList $arguments -Wait -PassThru",
        "        if ($install.ExitCode -ne 0) { 'ERRORTYPE=AgentInstallFailed'; exit 1 }",
        "    }",
        "}",
        "for ($i = 0; $i -lt 60; $i++) {",
        "    $state = Get-ItemProperty -Path $agentKey -Name IsRegistered -ErrorAction SilentlyContinue",
        "    if ($state -and $state.IsRegistered -eq 1) { 'registered'; exit 0 }",
        "    Start-Sleep -Seconds 5",
        "}",
        "$refusal = Get-WinEvent -FilterHashtable @{LogName = 'Application'; Id = 3277; StartTime = $started} "
        "-MaxEvents 1 -ErrorAction SilentlyContinue",
        "if ($refusal -and $refusal.Message -match '(INVALID_REGISTRATION_TOKEN|EXPIRED_MACHINE_TOKEN)') {",
        '    "ERRORTYPE=$($Matches[1])"; exit 1',
        "}",
        "'ERRORTYPE=SessionHostNotRegistered'",
        "exit 1",
    ]
)
