"""Which pooled hosts are broken and how many may be replaced at once: one pure rule, the clock passed in.

A host is unhealthy while it should take sessions (deployed and running, as the app last left it) and the pool says
otherwise: its agent reports a status other than Available (NeedsAssistance, Unavailable, NoHeartbeat, Shutdown
of a VM the app did not stop, ...), or the pool no longer lists it. An agent updating itself (Upgrading) is not
broken. A host unhealthy for HEAL_AFTER is replaced: never more than a third of the pool at once (one at least), and
none while every host of a pool of three or more is unhealthy, which is an outage of the pool or of Azure Virtual
Desktop rather than broken hosts, and replacing them all would drop every user for nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.models.spot_groups import SessionHost
from shared.ports.desktop_virtualization import SessionHostRecord
from shared.services.spot_pc.spot_group_deployments import OFF

HEAL_AFTER = timedelta(minutes=15)  # three optimization runs: a host starting or rebooting is not broken
NOT_BROKEN = frozenset({"Available", "Upgrading"})
HOST_UNHEALTHY = "hostUnhealthy"  # a host's status detail while it is replaced for being unhealthy
OUTAGE_POOL = 3  # from this many hosts, all of them unhealthy at once is an outage, not broken hosts


@dataclass(frozen=True)
class HealDecision:
    host: str
    reason: str  # for the admin: what the pool said and since when


def unhealthy_reason(host: SessionHost, record: SessionHostRecord | None) -> str | None:
    """Why a host that should take sessions does not (None: it is healthy, or not meant to run now)."""
    if host.status != "running" or host.power_state in OFF:
        return None
    if record is None:
        return "the host pool no longer lists it"
    if record.status in NOT_BROKEN:
        return None
    return f"its agent reports {record.status}"


def mark_unhealthy(
    hosts: list[SessionHost], live: Mapping[str, SessionHostRecord], now: datetime
) -> list[SessionHost]:
    """The hosts whose `unhealthy_since` changes: set where first found unhealthy, cleared where healthy again."""
    changed = []
    for host in hosts:
        broken = unhealthy_reason(host, live.get(host.name)) is not None
        if broken and host.unhealthy_since is None:
            changed.append(host.model_copy(update={"unhealthy_since": now}))
        elif not broken and host.unhealthy_since is not None:
            changed.append(host.model_copy(update={"unhealthy_since": None}))
    return changed


def plan_healing(
    hosts: list[SessionHost], live: Mapping[str, SessionHostRecord], now: datetime
) -> tuple[list[HealDecision], str | None]:
    """The hosts to replace now, lowest index first, and why the others waiting are held back (None: none is)."""
    deployed = [h for h in hosts if h.status == "running"]
    due = []
    for host in sorted(deployed, key=lambda h: h.index):
        reason = unhealthy_reason(host, live.get(host.name))
        if reason is not None and host.unhealthy_since is not None and now - host.unhealthy_since >= HEAL_AFTER:
            minutes = int((now - host.unhealthy_since).total_seconds() // 60)
            due.append(HealDecision(host.name, f"replaced {host.name}: {reason} for {minutes} min"))
    if not due:
        return [], None
    broken = [h for h in deployed if unhealthy_reason(h, live.get(h.name)) is not None]
    if len(deployed) >= OUTAGE_POOL and len(broken) == len(deployed):
        return [], (f"all {len(deployed)} hosts are unhealthy at once: an outage of the pool, not broken hosts; "
                    "none is replaced until some recover")  # fmt: skip
    being_replaced = sum(h.status == "removing" and h.status_detail is not None
                         and h.status_detail.code == HOST_UNHEALTHY for h in hosts)  # fmt: skip
    at_once = max(1, (len(deployed) + being_replaced) // 3)  # a third of the pool, the ones being replaced in it
    room = max(0, at_once - being_replaced)
    held = None if room >= len(due) else f"{len(due) - room} more wait: {at_once} hosts are replaced at once at most"
    return due[:room], held

