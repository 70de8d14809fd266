"""Azure Virtual Desktop as Spot Groups and Cloud PCs use it: host pools, their session hosts, the users' sessions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, Protocol

from shared.models.spot_schedules import LoadBalancing
from shared.models.spot_sessions import SessionState
from shared.ports.compute import Placement
from shared.ports.progress import Progress

HostPoolType = Literal["pooled", "personal"]
# how a personal pool's hosts meet their users (https://learn.microsoft.com/azure/virtual-desktop/configure-host-pool-personal-desktop-assignment-type):
# Automatic, a free host on a user's first sign-in; Direct, only the host assigned to them
AssignmentType = Literal["Automatic", "Direct"]
# a Spot Group's hosts register through a whole deployment with the token its pool was ensured with
DEPLOYMENT_WINDOW = timedelta(hours=12)


@dataclass(frozen=True)
class HostPoolSpec:
    """An Azure Virtual Desktop environment (a Spot Group's, or a policy's Cloud PCs'): a host pool, its desktop
    application group (named `<host_pool>-dag`) and a workspace (`<host_pool>-ws`) holding that application group."""

    placement: Placement
    host_pool: str
    pool_type: HostPoolType  # pooled: BreadthFirst load balancing; personal: `assignment`
    max_sessions: int  # per session host (pooled); 1 for personal
    friendly_name: str
    user_group_ids: tuple[str, ...]  # Entra groups given Desktop Virtualization User on the application group
    start_vm_on_connect: bool = False  # AVD starts a user's deallocated host when they connect
    assignment: AssignmentType = "Automatic"  # personal pools only
    # how long hosts may register after the pool is ensured: a registration token that would expire sooner is
    # renewed, and a renewal replaces the token that hosts registering side by side are using
    registration_window: timedelta = DEPLOYMENT_WINDOW


@dataclass(frozen=True)
class AgentScript:
    """The PowerShell that installs the AVD agent as one step of a VM's larger script: `parameters`, the names its
    param block declares (given as protected Run Command parameters), and `lines`, which throw `ERRORTYPE=<reason>
    <message>` when the agent does not register rather than end the script."""

    parameters: tuple[str, ...]
    lines: tuple[str, ...]


@dataclass(frozen=True)
class DesktopAccess:
    """Who holds Desktop Virtualization User on a pool's desktop application group by an assignment the app made
    (object ids, lowercase): users directly, and Entra groups."""

    users: frozenset[str]
    groups: frozenset[str]


@dataclass(frozen=True)
class SessionHostRecord:
    """A session host as the host pool reports it."""

    vm_name: str
    status: str  # AVD's: Available, Unavailable, Shutdown, NeedsAssistance, Upgrading, ...
    allow_new_session: bool
    sessions: int
    assigned_user_id: str | None = None  # personal pools: the user it is assigned to (their UPN, as AVD says it)


@dataclass(frozen=True)
class UserSessionRecord:
    """A user's session on one of a host pool's session hosts, as the pool reports it."""

    vm_name: str  # the session host's VM
    session_id: str  # AVD's id of the session on its host (a number, unique on that host only)
    user_principal_name: str
    state: SessionState  # disconnected: the user left without signing out, and the session keeps its place
    started: datetime | None


class DesktopVirtualization(Protocol):
    """Azure Virtual Desktop (Microsoft.DesktopVirtualization) as Spot Groups and Cloud PCs use it."""

    def ensure_host_pool(self, tenant_id: str, spec: HostPoolSpec, operation: str | None = None) -> Progress:
        """The host pool, the application group with the groups' role on it, and the workspace; changes to the
        spec (max sessions, friendly name, groups) are applied to ones that exist; resource_id: the host pool's."""
        ...

    def desktop_access(self, tenant_id: str, placement: Placement, host_pool: str) -> DesktopAccess | None:
        """Who holds the pool's desktop by the app's assignments; None when its application group does not exist."""
        ...

    def grant_desktop_access(self, tenant_id: str, placement: Placement, host_pool: str, user_id: str) -> bool:
        """Desktop Virtualization User for the user on the pool's desktop application group (done also when they
        hold it); False when Azure does not know the user yet (a new one takes a while to reach it)."""
        ...

    def revoke_desktop_access(self, tenant_id: str, placement: Placement, host_pool: str, principal_id: str) -> None:
        """The app's assignment of the user or group on the pool's desktop application group removed (done also
        when there is none); an admin's own assignment stays."""
        ...

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
        """Install the AVD agent on the running, joined VM with a registration token of the host pool (a protected
        Run Command parameter: never stored, shown or logged); done once the host pool lists the session host.
        `reinstall`: installed again even where the pool lists the host already (a broken agent's repair).
        `host_name`: the name AVD will give the host, where the caller knows it (read by it, not looked for)."""
        ...

    def agent_script(self) -> AgentScript:
        """What a VM runs to register as a session host, for a Run Command that takes other steps too."""
        ...

    def registration_parameters(self, tenant_id: str, placement: Placement, host_pool: str) -> dict[str, str]:
        """The protected parameters agent_script reads: the pool's live registration token (never stored, shown or
        logged)."""
        ...

    def assign_session_host(
        self,
        tenant_id: str,
        placement: Placement,
        host_pool: str,
        vm_name: str,
        user_principal_name: str,
        host_name: str | None = None,
    ) -> Progress:
        """A personal pool's host assigned to the user (`assignedUser`: Direct assignment); done when it is so
        already. A host not in the pool raises CloudError. `host_name` as register_session_host's."""
        ...

    def drain_session_host(self, tenant_id: str, placement: Placement, host_pool: str, vm_name: str) -> Progress:
        """No new sessions on the host (allowNewSession false); the ones there stay. Done also for a host that is
        not in the pool (none can start there)."""
        ...

    def undrain_session_host(self, tenant_id: str, placement: Placement, host_pool: str, vm_name: str) -> Progress:
        """New sessions on the host again (allowNewSession true), as after a drain the schedule no longer wants.
        Done also for a host that is not in the pool."""
        ...

    def balance_load(self, tenant_id: str, placement: Placement, host_pool: str, order: LoadBalancing) -> bool:
        """A pooled host pool places new users `order` (breadth-first: the emptiest host; depth-first: the fullest
        with room); patched only when it does not already. True when it was changed."""
        ...

    def remove_session_host(self, tenant_id: str, placement: Placement, host_pool: str, vm_name: str) -> Progress:
        """The host out of the host pool (its VM is not touched); done also when it was not in it."""
        ...

    def list_session_hosts(self, tenant_id: str, placement: Placement, host_pool: str) -> list[SessionHostRecord]:
        """Every session host of the pool; a throttled read raises CloudThrottled."""
        ...

    def delete_host_pool(
        self, tenant_id: str, placement: Placement, host_pool: str, operation: str | None = None
    ) -> Progress:
        """The workspace, the application group, then the host pool (its session hosts first); done when gone."""
        ...

    def list_user_sessions(self, tenant_id: str, placement: Placement, host_pool: str) -> list[UserSessionRecord]:
        """Every user session on the pool's session hosts (none when the pool is not there); a throttled read
        raises CloudThrottled."""
        ...

    def send_session_message(
        self,
        tenant_id: str,
        placement: Placement,
        host_pool: str,
        vm_name: str,
        session_id: str,
        title: str,
        message: str,
    ) -> None:
        """Show the user a message in their session. The actions on a session raise CloudError with code
        SESSION_GONE when it (or its host) is not there, and CloudThrottled when Azure says not now."""
        ...

    def disconnect_session(
        self, tenant_id: str, placement: Placement, host_pool: str, vm_name: str, session_id: str
    ) -> None:
        """Disconnect the user: the session stays on its host, for them to reconnect to."""
        ...

    def log_off_session(
        self, tenant_id: str, placement: Placement, host_pool: str, vm_name: str, session_id: str
    ) -> None:
        """Log the user off at once (what they have not saved is lost): the session ends."""
        ...
