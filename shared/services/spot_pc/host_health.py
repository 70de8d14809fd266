"""Which hosts are broken, how many pooled ones may be replaced at once, and how a personal one is repaired: one
pure rule, the clock passed in.

A host is unhealthy while it should take sessions (deployed and running, as the app last left it) and the pool says
otherwise: its agent reports a status other than Available (NeedsAssistance, Unavailable, NoHeartbeat, Shutdown
of a VM the app did not stop, ...), or the pool no longer lists it. An agent updating itself (Upgrading) is not
broken. A host unhealthy for HEAL_AFTER is replaced: never more than a third of the pool at once (one at least), and
none while every host of a pool of three or more is unhealthy, which is an outage of the pool or of Azure Virtual
Desktop rather than broken hosts, and replacing them all would drop every user for nothing.

A personal host holds one user's desktop, its disk their files: it is repaired in place, a step each HEAL_AFTER while
it stays broken: restarted, then its agent installed again; after both it waits for its user's consent to be
replaced (the API's replace). Its VM is off while its user is away: Shutdown is its rest, not a fault.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from shared.models.session_hosts import SessionHost
from shared.ports.desktop_virtualization import SessionHostRecord
from shared.services.spot_pc.host_records import OFF

HEAL_AFTER = timedelta(minutes=15)  # three optimization runs: a host starting or rebooting is not broken
NOT_BROKEN = frozenset({"Available", "Upgrading"})
HOST_UNHEALTHY = "hostUnhealthy"  # a host's status detail while it is replaced for being unhealthy
RepairStep = Literal["restart", "reinstallAgent"]
OUTAGE_POOL = 3  # from this many hosts, all of them unhealthy at once is an outage, not broken hosts


REPAIRS: tuple[RepairStep, ...] = ("restart", "reinstallAgent")
NEEDS_REPLACEMENT = "needsReplacement"  # a personal host's status detail once its repairs did not help


@dataclass(frozen=True)
class HealDecision:
    host: str
    reason: str  # for the admin: what the pool said and since when


@dataclass(frozen=True)
class RepairDecision:
    host: str
    step: RepairStep | Literal["askConsent"]  # askConsent: the repairs did not help; its user's consent is needed
    reason: str


def unhealthy_reason(host: SessionHost, record: SessionHostRecord | None, *, personal: bool = False) -> str | None:
    """Why a host that should take sessions does not (None: it is healthy, or not meant to run now)."""
    if host.status != "running" or (not personal and host.power_state in OFF):
        return None
    if record is None:
        return "the host pool no longer lists it"
    if record.status in NOT_BROKEN or (personal and record.status == "Shutdown"):
        return None
    return f"its agent reports {record.status}"


def mark_unhealthy(
    hosts: list[SessionHost], live: Mapping[str, SessionHostRecord], now: datetime, *, personal: bool = False
) -> list[SessionHost]:
    """The hosts whose `unhealthy_since` changes: set where first found unhealthy, cleared (with the repairs made)
    where healthy again."""
    changed = []
    for host in hosts:
        broken = unhealthy_reason(host, live.get(host.name), personal=personal) is not None
        if broken and host.unhealthy_since is None:
            changed.append(host.model_copy(update={"unhealthy_since": now}))
        elif not broken and host.unhealthy_since is not None:
            detail = None if _needs_consent(host) else host.status_detail
            changed.append(host.model_copy(update={"unhealthy_since": None, "repairs": 0, "status_detail": detail}))
    return changed


def _needs_consent(host: SessionHost) -> bool:
    return host.status_detail is not None and host.status_detail.code == NEEDS_REPLACEMENT


def plan_repairs(
    hosts: list[SessionHost], live: Mapping[str, SessionHostRecord], now: datetime
) -> list[RepairDecision]:
    """A personal host's next repair, for each one broken for HEAL_AFTER since it was found so or last repaired (the
    caller sets `unhealthy_since` to `now` with each repair); once both were made, its user's consent is asked, once."""
    decisions = []
    for host in sorted(hosts, key=lambda h: h.index):
        reason = unhealthy_reason(host, live.get(host.name), personal=True)
        if reason is None or host.unhealthy_since is None or now - host.unhealthy_since < HEAL_AFTER:
            continue
        minutes = int((now - host.unhealthy_since).total_seconds() // 60)
        if host.repairs < len(REPAIRS):
            step = REPAIRS[host.repairs]
            words = "restarted" if step == "restart" else "installed its agent again on"
            decisions.append(RepairDecision(host.name, step, f"{words} {host.name}: {reason} for {minutes} min"))
        elif not _needs_consent(host):
            decisions.append(
                RepairDecision(
                    host.name,
                    "askConsent",
                    (
                        f"{host.name} is still broken after a restart and its agent installed again ({reason}): it can "
                        "be replaced with its user's consent, their desktop rebuilt from the group's image"
                    ),
                )
            )
    return decisions


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
        return [], (
            f"all {len(deployed)} hosts are unhealthy at once: an outage of the pool, not broken hosts; "
            "none is replaced until some recover"
        )
    being_replaced = sum(
        h.status == "removing" and h.status_detail is not None and h.status_detail.code == HOST_UNHEALTHY for h in hosts
    )
    at_once = max(1, (len(deployed) + being_replaced) // 3)  # a third of the pool, the ones being replaced in it
    room = max(0, at_once - being_replaced)
    held = None if room >= len(due) else f"{len(due) - room} more wait: {at_once} hosts are replaced at once at most"
    return due[:room], held
