"""A pooled Spot Group that scales: which hosts to create and which to delete, as one pure rule (the clock passed in).

The schedule (spot_schedules.plan) starts, drains and deallocates the hosts that exist; this rule changes how many
exist. A host exists while it is `creating` or `running`, deallocated and drained ones included: a deallocated host is
the schedule's to start, so none is created while one could be started. Each host's VM is named after its index
(spot_groups.host_name), so a failed or `removing` host keeps its index until its record is gone, and a new host takes
the lowest index no record holds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from shared.models.host_scaling import HostScaling
from shared.models.session_hosts import HostPriority, SessionHost
from shared.models.words import counted
from shared.ports.cloud_errors import SPOT_CAPACITY_REFUSED, SPOT_QUOTA_REFUSED, SPOT_SIZE_REFUSED
from shared.services.spot_pc.spot_schedules import DEALLOCATED

EXISTING = frozenset({"creating", "running"})
SPOT_RETRY = timedelta(hours=1)  # how long Azure's refusal of Spot capacity holds the group's Spot places on demand


@dataclass(frozen=True)
class ScaleDecision:
    action: Literal["create", "delete"]
    host: int | None  # create: the index the new host takes (lowest free index); delete: the host's index
    priority: HostPriority  # create: Regular or Spot; delete: the host's
    reason: str  # for the admin, with the numbers that decided it
    spot_refused: bool = False  # create: made on demand because Azure had no Spot capacity for the host it replaces


def spot_refusal(host: SessionHost) -> str | None:
    """The code of this Spot host's refusal for want of Spot capacity or quota: its create (or its quota check)
    failed, or its start did (deallocated)."""
    detail = host.status_detail
    if host.priority != "Spot" or detail is None or detail.code not in SPOT_CAPACITY_REFUSED:
        return None
    return detail.code if host.status == "failed" or host.power_state == DEALLOCATED else None


def _unneeded(host: SessionHost, sessions: Mapping[str, int]) -> bool:
    """Deployed and of no use now: deallocated, or drained by the schedule with its users gone (one an admin drained
    is theirs to keep)."""
    drained_and_empty = host.drained_at is not None and not host.allow_new_session and not sessions.get(host.name, 0)
    return host.status == "running" and (host.power_state == DEALLOCATED or drained_and_empty)


def mark_unneeded(hosts: list[SessionHost], sessions: Mapping[str, int], now: datetime) -> list[SessionHost]:
    """The hosts whose `unneeded_since` changes: set to `now` where first found unneeded, cleared where needed again."""
    changed = []
    for host in hosts:
        unneeded = _unneeded(host, sessions)
        if unneeded and host.unneeded_since is None:
            changed.append(host.model_copy(update={"unneeded_since": now}))
        elif not unneeded and host.unneeded_since is not None:
            changed.append(host.model_copy(update={"unneeded_since": None}))
    return changed


def _ceil(numerator: int, denominator: int) -> int:
    return -(-numerator // denominator)


def _need(scaling: HostScaling, ceiling: int, in_use: int, max_sessions: int, wanted_running: int) -> tuple[int, str]:
    """How many hosts should exist, and why: the largest of the base, the schedule's and the load's (the first of
    equals says), never above the ceiling."""
    by_load = _ceil(in_use + scaling.buffer_sessions, max_sessions)
    bounds = [
        (by_load, f"{counted(in_use, 'session')} + buffer {scaling.buffer_sessions} need {counted(by_load, 'host')}"),
        (wanted_running, f"the schedule wants {wanted_running} running"),
        (scaling.base_hosts, f"the base is {counted(scaling.base_hosts, 'host')}"),
    ]
    need, why = max(bounds, key=lambda bound: bound[0])
    return (ceiling, f"{why}, capped at the ceiling") if need > ceiling else (need, why)


def _priorities(scaling: HostScaling, existing: list[SessionHost], new: list[int]) -> list[HostPriority]:
    """Each new host's priority, lowest index first: Regular in the base (the lowest baseHosts indexes of the hosts
    that will exist), then Spot while fewer hosts above the base hold a Spot place than spotSharePercent of them
    (rounded half up). A host made on demand because Azure had no Spot capacity holds a Spot place: it is tried as
    Spot when it is replaced, rather than a new host asking Azure again."""
    every = sorted([*(h.index for h in existing), *new])
    base = set(every[: scaling.base_hosts])
    share = (scaling.spot_share_percent * (len(every) - len(base)) + 50) // 100
    spot = sum(h.index not in base and (h.priority == "Spot" or h.spot_refused) for h in existing)
    priorities: list[HostPriority] = []
    for index in new:
        priority: HostPriority = "Spot" if index not in base and spot < share else "Regular"
        spot += priority == "Spot"
        priorities.append(priority)
    return priorities


def free_indexes(hosts: list[SessionHost], count: int) -> list[int]:
    """The `count` lowest indexes no host's record holds (a new host's, so its VM's name)."""
    taken = {h.index for h in hosts}
    free: list[int] = []
    index = 0
    while len(free) < count:
        if index not in taken:
            free.append(index)
        index += 1
    return free


def plan_scaling(
    scaling: HostScaling,
    ceiling: int,
    hosts: list[SessionHost],
    sessions: Mapping[str, int],
    max_sessions: int,
    wanted_running: int,
    now: datetime,
    spot_refused_at: datetime | None = None,
) -> list[ScaleDecision]:
    """The hosts to create and delete: a failed host is deleted (and replaced when needed), and so is a deallocated
    Spot host Azure could not start for want of Spot capacity; hosts are created until as many exist as are needed,
    never above the ceiling; a host unneeded for deleteAfterMinutes with no session is deleted while more exist than
    the base and the need, the highest index first, a deallocated one before a drained one. Spot places go on demand
    for each Spot host refused, and all of them for SPOT_RETRY after the group's last refusal (`spot_refused_at`).

    `sessions`: each host's sessions in use, by name; `wanted_running`: how many hosts the schedule wants running
    (spot_schedules.wanted_hosts); `ceiling`: spot_groups.ceiling.
    """
    refused = {h.index: h for h in hosts if h.status in {*EXISTING, "failed"} and spot_refusal(h)}
    existing = sorted((h for h in hosts if h.status in EXISTING and h.index not in refused), key=lambda h: h.index)
    in_use = sum(sessions.get(h.name, 0) for h in existing)
    need, why = _need(scaling, ceiling, in_use, max_sessions, wanted_running)
    state = f"{len(existing)} exist (ceiling {ceiling})"
    decisions = [
        ScaleDecision("delete", h.index, h.priority, _deleted_for(h, spot_refusal(h)))
        for h in hosts
        if h.status == "failed" or (h.status in EXISTING and h.index in refused)
    ]
    new = free_indexes(hosts, max(0, need - len(existing)))
    # Azure had no Spot capacity for these: as many Spot places go on demand now, and are tried as Spot when replaced
    replaced = list(refused)
    retry_at = spot_refused_at + SPOT_RETRY if spot_refused_at is not None else None
    holding = retry_at is not None and now < retry_at
    for index, priority in zip(new, _priorities(scaling, existing, new), strict=True):
        if priority == "Spot" and (replaced or holding):
            instead = (
                _refused_for(refused[replaced.pop(0)])
                if replaced
                else f"a Spot host was refused at {spot_refused_at:%H:%M} UTC; Spot is tried again from "
                f"{retry_at:%H:%M}"
            )
            reason = f"created host {index} (Regular, on demand: {instead}): {why}, {state}"
            decisions.append(ScaleDecision("create", index, "Regular", reason, spot_refused=True))
        else:
            decisions.append(
                ScaleDecision("create", index, priority, f"created host {index} ({priority}): {why}, {state}")
            )
    floor = max(scaling.base_hosts, need)
    delay = scaling.delete_after_minutes
    idle = [
        h
        for h in existing
        if h.unneeded_since is not None
        and _unneeded(h, sessions)
        and not sessions.get(h.name, 0)
        and now - h.unneeded_since >= timedelta(minutes=delay)
    ]
    idle.sort(key=lambda h: (h.power_state != DEALLOCATED, -h.index))
    for host in idle[: max(0, len(existing) - floor)]:
        assert host.unneeded_since is not None
        state_word = "deallocated" if host.power_state == DEALLOCATED else "drained"
        minutes = int((now - host.unneeded_since).total_seconds() // 60)
        reason = (
            f"deleted host {host.index}: {state_word} and unneeded for {minutes} min (after {delay} min); "
            f"{floor} needed ({why}, base {scaling.base_hosts}), {state}"
        )
        decisions.append(ScaleDecision("delete", host.index, host.priority, reason))
    return decisions


def _refused_for(host: SessionHost) -> str:
    """Why a Spot place goes on demand: the refusal of the Spot host it replaces, a quota's with its numbers."""
    code, detail = spot_refusal(host), host.status_detail
    if code == SPOT_QUOTA_REFUSED and detail is not None:
        return f"the Spot quota had no room for host {host.index} ({detail.message.rstrip('.')})"
    why = "Azure runs no Spot VM of its size" if code == SPOT_SIZE_REFUSED else "Azure had no Spot capacity"
    return f"{why} for host {host.index}"


def _deleted_for(host: SessionHost, refused: str | None) -> str:
    if host.status == "failed":
        return f"deleted host {host.index}: it failed" + (f" ({host.status_detail.code})" if host.status_detail else "")
    return f"deleted host {host.index}: Azure could not start it for want of Spot capacity ({refused})"
