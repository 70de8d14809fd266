"""What the Azure Virtual Desktop adapter's parts share: the SDK client, what a process keeps of a pool, and the
names of a pool's resources and hosts."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from azure.core.exceptions import HttpResponseError
from azure.mgmt.desktopvirtualization import DesktopVirtualizationMgmtClient

from shared.cloud.azure import arm_lro
from shared.cloud.azure.arm_clients import ArmClients
from shared.cloud.azure.arm_commands import RunCommands
from shared.cloud.azure.arm_ids import group_id
from shared.ports.compute import Placement
from shared.ports.desktop_virtualization import HostPoolSpec

# what this process made sure of in a pool (its settings and access, its token) is trusted this long: a burst of
# registrations into one policy's pool ensures it and reads its token about once a minute rather than once each (five
# reads and a write a Cloud PC), and a pool changed by hand is repaired, or a token renewed by another instance
# read, within a minute. A registration that fails forgets both, so its retry reads them again.
KEPT_S = 60.0


class AvdAdapter:
    """The clients and what this process keeps of each pool, for the parts of AzureDesktopVirtualization."""

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
        key = pool_key(tenant_id, placement, host_pool)
        self._ensured.pop(key, None)
        self._tokens.pop(key, None)

    def _avd(self, tenant_id: str, placement: Placement) -> DesktopVirtualizationMgmtClient:
        return self.clients.desktop_virtualization(tenant_id, placement.subscription_id)


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
        return cls(
            id=str(body.get("id") or ""),
            name=str(body.get("name") or ""),
            resource_id=str(properties.get("resourceId") or ""),
            assigned_user=properties.get("assignedUser"),
            allow_new_session=properties.get("allowNewSession"),
        )


def same(found: Any, wanted: Any) -> bool:
    if isinstance(wanted, str):
        return str(found or "").lower() == wanted.lower()
    if isinstance(wanted, bool):  # a property a pool was made without reads as null: off
        return bool(found) == wanted
    return bool(found == wanted)


def pool_id(placement: Placement, host_pool: str) -> str:
    return f"{group_id(placement)}/providers/Microsoft.DesktopVirtualization/hostPools/{host_pool}"


def pool_key(tenant_id: str, placement: Placement, host_pool: str) -> str:
    return f"{tenant_id}{pool_id(placement, host_pool)}".lower()


def app_group_id(placement: Placement, host_pool: str) -> str:
    return f"{group_id(placement)}/providers/Microsoft.DesktopVirtualization/applicationGroups/{host_pool}-dag"


def short_host_name(host: Any) -> str:
    """`<host pool>/<host>` as AVD names it -> `<host>`, the name its own URL takes."""
    return str(host.name).rsplit("/", 1)[-1]


def vm_of(host: Any) -> str:
    """The session host's VM name: the last segment of its `resourceId` (AVD names the host after the computer)."""
    return str(host.resource_id or short_host_name(host)).rstrip("/").rsplit("/", 1)[-1]


def absent_is_fine(delete: Callable[[], Any]) -> None:
    """A delete of what is gone (or whose resource group is) is done; AVD answers 204 or 404 then."""
    try:
        delete()
    except HttpResponseError as exc:
        if not arm_lro.is_not_found(exc):
            raise
