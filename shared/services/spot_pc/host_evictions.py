"""Spot hosts Azure evicts: each host's watcher of Scheduled Events, and a Preempt notice acted on at once.

Azure gives a Spot VM at least 30 seconds' notice of its eviction, as a `Preempt` event in the VM's Scheduled Events
(IMDS, inside the VM only): the watcher, a scheduled task the app installs on each Spot host with a managed Run
Command, posts every new document to the app with the VM's own managed identity. On a Preempt the host is drained at
once, each user on it is shown the group's eviction message, and the host is removed while a replacement is made (of
the same priority: one Azure refuses as Spot is made on demand by the next optimization, host_scaling.py). One record
per eviction (its EventId, created once) holds what was done, and the replacement's time to take sessions once it has.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Protocol

from shared.errors import Conflict, Forbidden
from shared.models.access import ManagedIdentity
from shared.models.costs import PowerChange
from shared.models.host_scaling import EVICTION_MESSAGE
from shared.models.orchestrations import SpotGroupRun
from shared.models.session_hosts import SessionHost
from shared.models.sites import Site
from shared.models.spot_group_records import HostEviction, ScheduledEvent, ScheduledEvents, SpotGroupEvent
from shared.models.spot_groups import SpotGroup
from shared.models.words import counted
from shared.ports.cloud_errors import CloudError
from shared.ports.compute import Placement, ProvisioningCompute
from shared.ports.costs import PowerRecordStore
from shared.ports.progress import Progress
from shared.ports.spot_group_work_ports import EvictionWatch, LiveHostPorts
from shared.ports.spot_pc_stores import SpotGroupScheduleStore
from shared.services.spot_pc import host_hours
from shared.services.spot_pc.host_scaling import free_indexes
from shared.services.spot_pc.spot_groups import host_name
from shared.services.spot_pc.spot_pc_transitions import SESSION_HOSTS

log = logging.getLogger(__name__)
WATCHER = "watchScheduledEvents"  # the Run Command's name: the emulator plays the agent of a command of this name
TASK = "SpotPC Scheduled Events"
EVICTION_TITLE = "This desktop is closing"
NOTICE = timedelta(seconds=30)  # a Preempt's least notice, when its NotBefore cannot be read
# the removal waits for the host's users until Azure has taken the VM (their sessions end then), and a little more
EVICTION_SLACK_S = 120.0
REPLACEMENT_DRAIN_S = 3600.0  # a replacement is added, never drained: its run's drain time is never used
IMDS = "http://169.254.169.254/metadata"

# The watcher, run at start-up by a scheduled task as SYSTEM: IMDS's Scheduled Events read every second (the first
# read turns the service on), each new document with events posted to EventsUrl with a token of the VM's
# system-assigned identity for Audience. A post that fails is tried again at the next read.
_WATCH_LOOP = rf"""param([string]$EventsUrl, [string]$Audience)
$headers = @{{ Metadata = 'true' }}
$resource = [uri]::EscapeDataString($Audience)
$posted = -1
while ($true) {{
  try {{
    $document = Invoke-RestMethod -Headers $headers -TimeoutSec 5 `
      -Uri '{IMDS}/scheduledevents?api-version=2020-07-01'
    if ($document.DocumentIncarnation -ne $posted) {{
      if (@($document.Events).Count -gt 0) {{
        $token = (Invoke-RestMethod -Headers $headers -TimeoutSec 5 `
          -Uri "{IMDS}/identity/oauth2/token?api-version=2018-02-01&resource=$resource").access_token
        Invoke-RestMethod -Method Post -Uri $EventsUrl -TimeoutSec 10 -ContentType 'application/json' `
          -Headers @{{ Authorization = "Bearer $token" }} -Body ($document | ConvertTo-Json -Depth 6 -Compress) `
          | Out-Null
      }}
      $posted = $document.DocumentIncarnation
    }}
  }} catch {{
    Write-Warning "Scheduled Events: $($_.Exception.Message)"
  }}
  Start-Sleep -Seconds 1
}}"""


class HostEvictionPorts(LiveHostPorts, Protocol):
    """A Spot host's watcher installed on its VM, and the evictions it hears, recorded and replaced."""

    @property
    def compute(self) -> ProvisioningCompute: ...
    @property
    def schedules(self) -> SpotGroupScheduleStore: ...
    @property
    def power_records(self) -> PowerRecordStore: ...
    @property
    def eviction_watch(self) -> EvictionWatch | None: ...


def watcher_script() -> list[str]:
    """The Run Command's script (parameters EventsUrl and Audience): the watcher written to disk and a scheduled task
    that runs it at every start-up, restarted if it stops, and started now."""
    return [
        "param([Parameter(Mandatory)][string]$EventsUrl, [Parameter(Mandatory)][string]$Audience)",
        "$ErrorActionPreference = 'Stop'",
        "$folder = Join-Path $env:ProgramData 'SpotPC'",
        "New-Item -ItemType Directory -Path $folder -Force | Out-Null",
        "$watcher = Join-Path $folder 'watch-scheduled-events.ps1'",
        "Set-Content -Path $watcher -Encoding UTF8 -Value @'",
        *_WATCH_LOOP.splitlines(),
        "'@",
        '$arguments = "-NoProfile -ExecutionPolicy Bypass -File `"$watcher`" -EventsUrl `"$EventsUrl`" '
        '-Audience `"$Audience`""',
        "$action = New-ScheduledTaskAction -Execute 'powershell.exe' -Argument $arguments",
        "$trigger = New-ScheduledTaskTrigger -AtStartup",
        "$principal = New-ScheduledTaskPrincipal -UserId 'SYSTEM' -LogonType ServiceAccount -RunLevel Highest",
        "$settings = New-ScheduledTaskSettingsSet -ExecutionTimeLimit ([TimeSpan]::Zero) -RestartCount 999 "
        "-RestartInterval (New-TimeSpan -Minutes 1) -StartWhenAvailable",
        f"Register-ScheduledTask -TaskName '{TASK}' -Action $action -Trigger $trigger -Principal $principal "
        "-Settings $settings -Force | Out-Null",
        f"Start-ScheduledTask -TaskName '{TASK}'",
    ]


def install_watcher(
    ports: HostEvictionPorts, tenant_id: str, placement: Placement, vm: str, operation: str | None
) -> Progress:
    """The `watchEvictions` phase of a Spot host: its watcher, posting to the app's address."""
    watch = ports.eviction_watch
    if watch is None:  # no address to post to: the optimization's view of the VM's power is all there is
        log.warning("No public address (WEBSITE_HOSTNAME): Spot host %s gets no eviction watcher", vm)
        return Progress(done=True)
    parameters = {"EventsUrl": watch.events_url, "Audience": watch.audience}
    return ports.compute.run_command(tenant_id, placement, vm, WATCHER, watcher_script(), operation, parameters)


@dataclass(frozen=True)
class Heard:
    evictions: list[HostEviction] = field(default_factory=list)  # recorded now (none for a repeated notice)
    runs: list[SpotGroupRun] = field(default_factory=list)  # to start at once: the removals and the replacements


@dataclass(frozen=True)
class _SpotHost:
    group: SpotGroup
    site: Site
    host: SessionHost


def spot_host(ports: HostEvictionPorts, tenant_id: str, identity: ManagedIdentity) -> _SpotHost:
    """The Spot host whose VM's identity is calling (the token's `oid`, kept on the host's record when its VM was
    made): a Spot host of one of the tenant's groups. Forbidden for any other principal, and for a host made before
    the app kept its identity (its replacement, made at the next eviction or image update, is known)."""
    principal = identity.principal_id.lower()
    groups, skip = ports.spot_groups.list_spot_groups(tenant_id)
    while True:
        for group in groups:
            host = next(
                (h for h in ports.spot_groups.list_hosts(tenant_id, group.id) if h.principal_id == principal), None
            )
            site = ports.sites.find_site(tenant_id, group.site_id) if host is not None else None
            if host is not None and site is not None and host.priority == "Spot":
                return _SpotHost(group, site, host)
        if skip is None:
            break
        groups, skip = ports.spot_groups.list_spot_groups(tenant_id, skip_token=skip)
    raise Forbidden(
        f"The managed identity {principal} is no Spot host's of this tenant's Spot Groups (a host is "
        "known by its VM's system-assigned identity, kept when the app made it).",
        code="notSpotHost",
    )


def hear(ports: HostEvictionPorts, tenant_id: str, identity: ManagedIdentity, document: ScheduledEvents) -> Heard:
    """Act on each Preempt of the calling Spot host in the document, once per event; other events, and events of
    other VMs (a VM speaks for itself only), need nothing."""
    found = spot_host(ports, tenant_id, identity)
    heard = Heard()
    for event in document.events:
        if event.event_type != "Preempt" or found.host.name not in {r.lower() for r in event.resources}:
            continue
        acted = _evict(ports, found, event)
        if acted is not None:
            heard.evictions.append(acted[0])
            heard.runs.extend(acted[1])
    return heard


def _evict(
    ports: HostEvictionPorts, found: _SpotHost, event: ScheduledEvent
) -> tuple[HostEviction, list[SpotGroupRun]] | None:
    """The eviction recorded first (create-only: a repeated delivery stops here), then acted on; if acting fails,
    the record goes again, so the watcher's retry acts anew."""
    group, host, now = found.group, found.host, ports.clock()
    tenant = group.tenant_id
    if host.status != "running" or ports.schedules.find_eviction(tenant, group.id, event.event_id) is not None:
        return None  # being made or removed already, or heard of before
    policy = group.scaling.spot_eviction_policy if group.scaling is not None else "Deallocate"
    eviction = HostEviction(
        id=event.event_id,
        host=host.name,
        policy=policy,
        notice_date_time=now,
        evicts_at_date_time=_not_before(event, now),
    )
    try:
        eviction = ports.schedules.create_eviction(tenant, group.id, eviction)
    except Conflict:
        return None  # another delivery of the same notice has it
    try:
        return _act(ports, found, eviction, now)
    except Exception:
        ports.schedules.delete_eviction(tenant, group.id, eviction)
        raise


def _act(
    ports: HostEvictionPorts, found: _SpotHost, eviction: HostEviction, now: datetime
) -> tuple[HostEviction, list[SpotGroupRun]]:
    """Drained, its users told, removed and replaced: the rows, the record and the timeline line; the runs to start."""
    group, site, host = found.group, found.site, found.host
    tenant, pool, vm = group.tenant_id, group.host_pool_name, host.name
    placement = Placement(site.subscription_id, site.resource_group_name, site.region_name)
    drained = ports.avd.drain_session_host(tenant, placement, pool, vm)
    if drained.held:
        raise CloudError("drainSessionHost", drained.held, f"Azure held the drain of {vm} back ({drained.held})")
    sessions = [s for s in ports.avd.list_user_sessions(tenant, placement, pool) if s.vm_name == vm]
    message = group.scaling.eviction_message if group.scaling is not None else EVICTION_MESSAGE
    told = 0
    for session in sessions:  # one not told (gone, or refused) does not keep the others from being told
        try:
            ports.avd.send_session_message(tenant, placement, pool, vm, session.session_id, EVICTION_TITLE, message)
            told += 1
        except CloudError as exc:
            log.warning("%s on %s was not told of its eviction (%s)", session.user_principal_name, vm, exc.code)
    taken_as: PowerChange = "deleted" if eviction.policy == "Delete" else "stopped"  # by Azure, when it said
    host_hours.record_power(ports.power_records, group, placement, host, taken_as, eviction.evicts_at_date_time)
    ports.spot_groups.put_host(tenant, group.id, SESSION_HOSTS.move(host, "drain", allow_new_session=False))
    (index,) = free_indexes(ports.spot_groups.list_hosts(tenant, group.id), 1)
    replacement = SessionHost(
        name=host_name(group, index),
        index=index,
        image_version=group.image_version,
        priority=host.priority,
        replaces_eviction=eviction.id,
    )
    ports.spot_groups.put_host(tenant, group.id, replacement)
    users = [s.user_principal_name for s in sessions]
    eviction = ports.schedules.put_eviction(
        tenant,
        group.id,
        eviction.model_copy(update={"users": users, "users_told": told, "replacement_host": replacement.name}),
    )
    on_it = f"{told} of {counted(len(users), 'user')} told ({', '.join(users)})" if users else "no user on it"
    line = SpotGroupEvent(
        id=eviction.id,
        date_time=now,
        host=vm,
        action="evict",
        reason=(
            f"Azure evicts {vm} (Spot, {eviction.policy}) at {eviction.evicts_at_date_time:%H:%M:%S} UTC: drained, "
            f"{on_it}; replaced by {replacement.name} ({replacement.priority})"
        ),
        outcome="done",
    )
    ports.schedules.put_events(tenant, group.id, now, [line])
    until_evicted = max(0.0, (eviction.evicts_at_date_time - now).total_seconds())
    runs = [
        SpotGroupRun(
            tenant_id=tenant,
            spot_group_id=group.id,
            work="scale",
            stage="host",
            host=host.index,
            host_work="remove",
            drain_timeout_s=until_evicted + EVICTION_SLACK_S,
        ),
        SpotGroupRun(
            tenant_id=tenant,
            spot_group_id=group.id,
            work="scale",
            stage="host",
            host=index,
            host_work="add",
            drain_timeout_s=REPLACEMENT_DRAIN_S,
        ),
    ]
    return eviction, runs


def _not_before(event: ScheduledEvent, now: datetime) -> datetime:
    """The event's NotBefore (an RFC 1123 date), or the least notice from now when it has none or it is unreadable."""
    try:
        at = parsedate_to_datetime(event.not_before)
    except (TypeError, ValueError):
        return now + NOTICE
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def replacement_took_sessions(ports: HostEvictionPorts, group: SpotGroup, host: SessionHost, now: datetime) -> None:
    """A replacement registered with the host pool: its eviction's record gets the time and the seconds since the
    notice, and the timeline a second line (once)."""
    tenant = group.tenant_id
    eviction = ports.schedules.find_eviction(tenant, group.id, host.replaces_eviction or "")
    if eviction is None or eviction.replacement_took_sessions_date_time is not None:
        return
    seconds = round((now - eviction.notice_date_time).total_seconds(), 1)
    ports.schedules.put_eviction(
        tenant,
        group.id,
        eviction.model_copy(update={"replacement_took_sessions_date_time": now, "seconds_to_replacement": seconds}),
    )
    line = SpotGroupEvent(
        id=f"{eviction.id}.replaced",
        date_time=now,
        host=host.name,
        action="evict",
        outcome="done",
        reason=f"{host.name} took sessions in place of {eviction.host}, evicted by Azure, {seconds:.0f} s after the "
        "notice",
    )
    ports.schedules.put_events(tenant, group.id, now, [line])
