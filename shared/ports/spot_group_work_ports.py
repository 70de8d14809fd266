"""The small sets of ports the Spot Group work services share: a group's record, and its hosts in its site's pool."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from shared.ports.desktop_virtualization import DesktopVirtualization
from shared.ports.spot_pc_stores import SpotGroupStore
from shared.ports.stores import SiteStore

# read-only members (properties): the bundle that satisfies these is a frozen dataclass


@dataclass(frozen=True)
class EvictionWatch:
    """Where a Spot host's watcher posts its Scheduled Events, and the audience of the VM's token it sends along."""

    events_url: str
    audience: str


class SpotGroupRecordPorts(Protocol):
    """A Spot Group's record and its hosts' rows, changed at the clock's time."""

    @property
    def spot_groups(self) -> SpotGroupStore: ...
    @property
    def clock(self) -> Callable[[], datetime]: ...


class SpotHostPorts(Protocol):
    """A group's hosts as recorded, and as its site's host pool has them."""

    @property
    def spot_groups(self) -> SpotGroupStore: ...
    @property
    def sites(self) -> SiteStore: ...
    @property
    def avd(self) -> DesktopVirtualization: ...


class LiveHostPorts(SpotHostPorts, SpotGroupRecordPorts, Protocol):
    """A group's hosts read live, with the hours each has run by now."""
