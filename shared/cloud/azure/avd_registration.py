"""A VM registered as a session host of its pool, and assigned its user.

Registration: the host pool's registration token (retrieveRegistrationToken, at most once a minute per process and
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
`assignedUser` of a personal pool's session host is the user's UPN as AVD reports it (not an object id); a
PATCH of it assigns the host directly
(https://learn.microsoft.com/azure/virtual-desktop/configure-host-pool-personal-desktop-assignment-type). An
assignment that follows a registration in the same call (and thread) takes the host that registration read."""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import replace

from azure.core.exceptions import HttpResponseError
from azure.mgmt.desktopvirtualization import models as avd_models

from shared.cloud.azure import arm_lro
from shared.cloud.azure.arm_commands import PHASE as COMMAND_PHASE
from shared.cloud.azure.avd_common import FoundHost, pool_key, same, short_host_name
from shared.cloud.azure.avd_session_hosts import SessionHosts
from shared.ports.cloud_errors import CloudError
from shared.ports.compute import Placement
from shared.ports.desktop_virtualization import AgentScript
from shared.ports.progress import Progress

COMMAND = "registerSessionHost"
TOKEN_PARAMETER = "RegistrationToken"
# The pool's one registration token is made or renewed when the pool is ensured, before any host registers, to
# last the spec's registration window: a new token replaces the old, so hosts registering side by side must not
# renew it.
TOKEN_LIFETIME = dt.timedelta(hours=24)
TOKEN_MARGIN = dt.timedelta(minutes=15)  # a registration renews only a token this close to expiry (an install's time)
LISTED = "listed"  # the operation phase of waiting for the registered host to show in the pool
INSTALL_AGAIN = "installAgain"  # the operation phase of the install run once more, with the pool's live token
REFUSED_TOKEN = "INVALID_REGISTRATION_TOKEN"  # the agent's reason for a token that is not the pool's live one
REGISTER_WAIT_S = 10.0
PRINCIPAL_WAIT_S = 10.0  # a new group takes a while to reach ARM
AGENT_URI = "https://query.prod.cms.rt.microsoft.com/cms/api/am/binary/RWrmXv"
BOOT_LOADER_URI = "https://query.prod.cms.rt.microsoft.com/cms/api/am/binary/RWrxrH"


class HostRegistration(SessionHosts):
    """Registers a VM with its pool by the agent's Run Command, with the pool's live token, and assigns it."""

    @arm_lro.hand_back("registerSessionHost")
    def register_session_host(
        self,
        tenant_id: str,
        placement: Placement,
        host_pool: str,
        vm_name: str,
        operation: str | None = None,
        *,
        reinstall: bool = False,
        host_name: str | None = None,
    ) -> Progress:
        """Phases: the Run Command (`command <url>`), then waiting for the host to be listed (`listed`)."""
        step = "registerSessionHost"
        try:
            return self._register(tenant_id, placement, host_pool, vm_name, operation, reinstall, step, host_name)
        except CloudError as exc:  # its token refused, the pool gone: what this process kept of it is read again
            if not exc.transient:  # (a throttle is no reason to ask for the token again: that is a write)
                self._forget(tenant_id, placement, host_pool)
            raise

    def agent_script(self) -> AgentScript:
        return AgentScript(parameters=(TOKEN_PARAMETER,), lines=AGENT_LINES)

    def registration_parameters(self, tenant_id: str, placement: Placement, host_pool: str) -> dict[str, str]:
        return {TOKEN_PARAMETER: self._registration_token(tenant_id, placement, host_pool, COMMAND)}

    def _register(
        self,
        tenant_id: str,
        placement: Placement,
        host_pool: str,
        vm_name: str,
        operation: str | None,
        reinstall: bool,
        step: str,
        host_name: str | None,
    ) -> Progress:
        phase, _ = arm_lro.decode(operation)
        if phase in (COMMAND_PHASE, INSTALL_AGAIN):
            ran = self._install(tenant_id, placement, host_pool, vm_name, step, operation, again=phase == INSTALL_AGAIN)
            if not ran.done:
                return ran
        elif phase != LISTED:  # a first call, or Azure forgot the operation: a host already there is done
            # a first call: the host is looked for only by its name, where known (one missed was named otherwise,
            # and the install, which is idempotent, runs again)
            host = (
                None
                if reinstall
                else self._session_host(tenant_id, placement, host_pool, vm_name, step, host_name, named_only=True)
            )
            if host is not None:
                return self._registered(tenant_id, placement, host_pool, vm_name, host)
            ran = self._install(tenant_id, placement, host_pool, vm_name, step, None, again=False)
            if not ran.done:
                return ran
        host = self._session_host(tenant_id, placement, host_pool, vm_name, step, host_name)
        if host is None:
            return Progress(
                done=False,
                retry_after_s=REGISTER_WAIT_S,
                operation=LISTED,
                reason="the session host has not registered with its host pool yet",
            )
        return self._registered(tenant_id, placement, host_pool, vm_name, host)

    def _registered(
        self, tenant_id: str, placement: Placement, host_pool: str, vm_name: str, host: FoundHost
    ) -> Progress:
        self._found.host = (pool_key(tenant_id, placement, host_pool), vm_name.lower(), host)
        return Progress(done=True, resource_id=host.id)

    def _just_registered(self, tenant_id: str, placement: Placement, host_pool: str, vm_name: str) -> FoundHost | None:
        """The host this thread's registration of `vm_name` just found, once; None for any other."""
        found, self._found.host = getattr(self._found, "host", None), None
        if found is None or found[:2] != (pool_key(tenant_id, placement, host_pool), vm_name.lower()):
            return None
        return found[2]

    def _install(
        self,
        tenant_id: str,
        placement: Placement,
        host_pool: str,
        vm_name: str,
        step: str,
        operation: str | None,
        *,
        again: bool,
    ) -> Progress:
        """The agent's install started with the pool's token (`operation` None) or polled; `again` for the one run
        more after the agent refused a token that was no longer the pool's live one."""
        try:
            # polled by its operation, else started with the token; the agent install is idempotent (an installed
            # agent is given the new token), so it may run again
            protected = (
                None
                if operation
                else {TOKEN_PARAMETER: self._registration_token(tenant_id, placement, host_pool, step)}
            )
            ran = self._commands.run(
                tenant_id,
                placement,
                vm_name,
                COMMAND,
                AGENT_SCRIPT,
                step=step,
                protected=protected,
                operation=operation,
                create_only=False,
            )
        except CloudError as exc:
            if again or exc.code != REFUSED_TOKEN:
                raise
            self._tokens.pop(pool_key(tenant_id, placement, host_pool), None)  # replaced meanwhile: read it again
            return self._install(tenant_id, placement, host_pool, vm_name, step, None, again=True)
        _, url = arm_lro.decode(ran.operation)
        if again and url:  # the phase says the one run more is spent
            return replace(ran, operation=arm_lro.encode(INSTALL_AGAIN, url))
        return ran

    def _registration_token(
        self,
        tenant_id: str,
        placement: Placement,
        host_pool: str,
        step: str,
        renew_within: dt.timedelta = TOKEN_MARGIN,
    ) -> str:
        key = pool_key(tenant_id, placement, host_pool)
        with self._renewing_guard:
            renewing = self._renewing.setdefault(key, threading.Lock())
        with renewing:  # side by side, the first renews and the others read its token: a second would end the first
            return self._live_token(tenant_id, placement, host_pool, step, renew_within, key)

    def _live_token(
        self,
        tenant_id: str,
        placement: Placement,
        host_pool: str,
        step: str,
        renew_within: dt.timedelta,
        key: str,
    ) -> str:
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
        self,
        tenant_id: str,
        placement: Placement,
        host_pool: str,
        vm_name: str,
        user_principal_name: str,
        host_name: str | None = None,
    ) -> Progress:
        step = "assignSessionHost"
        host = self._just_registered(tenant_id, placement, host_pool, vm_name) or self._session_host(
            tenant_id, placement, host_pool, vm_name, step, host_name
        )
        if host is None:
            raise CloudError(step, "sessionHostNotFound", f"{vm_name} is not a session host of {host_pool}.")
        if not same(host.assigned_user, user_principal_name):
            # a host that changes hands (reprovisioned for another user, say) is reassigned only with `force`
            self._avd(tenant_id, placement).session_hosts.update(
                placement.resource_group,
                host_pool,
                short_host_name(host),
                session_host=avd_models.SessionHostPatch(assigned_user=user_principal_name),
                force=True if host.assigned_user else None,
            )
        return Progress(done=True, resource_id=host.id)


def _aware(moment: dt.datetime | None) -> dt.datetime:
    if moment is None:
        return dt.datetime.min.replace(tzinfo=dt.UTC)
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


# The protected parameter arrives as the script's parameter. An installed agent is given the new token as AVD's
# troubleshooting guide does it (the RDInfraAgent registry values, then a restart of the boot loader); either way
# the lines wait for the agent to say it is registered, and throw its failure named with ERRORTYPE (RunCommands),
# so that they run as one step of a larger script (AgentScript) as well as alone (AGENT_SCRIPT).
AGENT_LINES = (
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
    '        if ($install.ExitCode -ne 0) { throw "ERRORTYPE=AgentInstallFailed msiexec exited $($install.ExitCode)" }',
    "    }",
    "}",
    "for ($i = 0; $i -lt 60; $i++) {",
    "    $state = Get-ItemProperty -Path $agentKey -Name IsRegistered -ErrorAction SilentlyContinue",
    "    if ($state -and $state.IsRegistered -eq 1) { return }",
    "    Start-Sleep -Seconds 5",
    "}",
    "$refusal = Get-WinEvent -FilterHashtable @{LogName = 'Application'; Id = 3277; StartTime = $started} "
    "-MaxEvents 1 -ErrorAction SilentlyContinue",
    "if ($refusal -and $refusal.Message -match '(INVALID_REGISTRATION_TOKEN|EXPIRED_MACHINE_TOKEN)') {",
    '    throw "ERRORTYPE=$($Matches[1]) the agent refused the registration token"',
    "}",
    "throw 'ERRORTYPE=SessionHostNotRegistered the agent did not say it registered within 5 minutes'",
)
AGENT_SCRIPT = "\n".join(
    [
        f"param([string]${TOKEN_PARAMETER})",
        "$ErrorActionPreference = 'Stop'",
        "try {",
        "    & {",
        *(f"        {line}" for line in AGENT_LINES),
        "    }",
        "    'registered'",
        "} catch {",
        "    $_.Exception.Message",
        "    exit 1",
        "}",
    ]
)
