"""A Spot Group in Azure, one orchestration's phases: deploying its host pool and session hosts, and removing them.

Deploying: the host pool with its application group, its users' access and a workspace; then each session host
in turn: a VM from the image set's gallery version in the site, Entra join, FSLogix profile containers at the
group's profile path, and registration with the host pool (and a Spot host's eviction watcher: host_evictions.py).
A host that fails is marked so and the next one goes on; the group ends `ready` while at least one host runs.
Removing: each host drained, taken out of the pool and deleted with its Entra device, then the host pool; then the
records. An image update with a maintenance window drains a host only in its turn there
(shared/services/spot_pc/maintenance_windows.py). Every phase is an idempotent call answering Progress, so a
repeated activity call does no harm.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from shared.models.costs import PowerChange
from shared.models.failures import StepDetail
from shared.models.orchestrations import PhasedStep, SpotGroupRun
from shared.models.sites import Site
from shared.models.spot_group_records import SpotGroupEvent
from shared.models.spot_groups import (
    HOST_DISK_GB,
    UPDATE_RUNNING,
    ImageUpdate,
    SessionHost,
    SessionHostCounts,
    SpotGroup,
)
from shared.models.words import counted
from shared.ports.access_stores import UniqueValueStore
from shared.ports.cloud_errors import SESSION_GONE, SPOT_CAPACITY_REFUSED, CloudError
from shared.ports.compute import Placement, VmSpec
from shared.ports.desktop_virtualization import HostPoolSpec
from shared.ports.devices import DeviceDirectory, JoinSpec
from shared.ports.progress import Progress
from shared.ports.spot_group_work_ports import LiveHostPorts, SpotGroupRecordPorts
from shared.services.engine import phased
from shared.services.engine.updates import update_with_etag
from shared.services.spot_pc import host_evictions, host_hours
from shared.services.spot_pc.host_evictions import HostEvictionPorts
from shared.services.spot_pc.maintenance_windows import Turn, host_turn, opening_words
from shared.services.spot_pc.rollout import RolloutPlan, plan_rollout
from shared.services.spot_pc.session_limits import hibernates, session_limit_script, starts_on_connect
from shared.services.spot_pc.spot_group_access import SpotGroupAccessPorts, reconcile_access
from shared.services.spot_pc.spot_groups import names_scope
from shared.services.spot_pc.spot_pc_transitions import (
    IMAGE_UPDATES,
    OUTCOMES,
    SESSION_HOSTS,
    SPOT_GROUPS,
    SpotGroupAction,
)

log = logging.getLogger(__name__)
PHASE_TIMEOUT = timedelta(hours=1)
DEPLOY_HOST = ("createVm", "joinDevice", "configureProfile", "registerHost")
# drained, and its users given the run's drain timeout to sign out, before a host goes
REMOVE_HOST = ("drainHost", "awaitSignOut", "removeHost", "deleteVm", "deleteNic", "deleteDevice")
# what a host's row says once a phase is done (at the time given): a VM made runs, and its hours count from then
HOST_RECORDS: dict[str, Callable[[SessionHost, SpotGroup, SpotGroupRun, datetime], SessionHost]] = {
    "createVm": lambda host, group, run, now: host_hours.started(host, now),
    "configureProfile": lambda host, group, run, now: host.model_copy(
        update={"profile_path": group.profile_path, "session_limits": group.session_limits}),
    "registerHost": lambda host, group, run, now: SESSION_HOSTS.move(
        host, "register", power_state="running", allow_new_session=True, status_detail=None,
        image_version=run.image_version or group.image_version, drained_at=None, notified_at=None,
        unhealthy_since=None, unneeded_since=None, repairs=0,
    ),
    "drainHost": lambda host, group, run, now: SESSION_HOSTS.move(host, "drain", allow_new_session=False),
    "deleteVm": lambda host, group, run, now: host_hours.stopped(host, now),
}  # fmt: skip
METERED: dict[str, PowerChange] = {"createVm": "created", "deleteVm": "deleted"}  # the VM's power records
SIGN_OUT_POLL_S = 30.0  # how often a draining host's sessions are counted
# a host waiting for its window looks again at least this often: a durable timer of days is not on every backend
WINDOW_POLL_S = 6 * 3600.0
UPDATE_NOTICE_TITLE = "Your desktop is being updated"  # the maintenance window's notice; its text says when
# the next window is a week away at most; a host whose call came too late for its turn waits a week more
WINDOW_WAIT = timedelta(days=15)
OFF = ("deallocated", "stopped")  # power states of a host that takes no session until started


# the group's statuses a run's work goes on in: a host its scaling makes or deletes while the group is ready, or
# while an admin's change that Azure follows is under way (which leaves scaled hosts to the optimization)
WORKING = {"deploy": ("deploying", "updating"), "remove": ("deleting",), "scale": ("ready", "updating")}
REPLACE_HOST = (*REMOVE_HOST, *DEPLOY_HOST)
# a new host's VM is made only where its quota has room (a Spot host's is the region's Spot pool): one refused fails
# with the quota named, and a Spot host so refused is made on demand by the next run (note_spot_capacity). A host
# replaced in place is not checked: the usages read may still count its own VM, deleted a moment before.
ADD_HOST = ("allocateCapacity", *DEPLOY_HOST)
HOST_STEPS = {
    "add": ADD_HOST, "reconfigure": ("configureProfile",), "remove": (*REMOVE_HOST, "forgetHost"),
    "replace": REPLACE_HOST,
}  # fmt: skip


class SpotGroupDeploymentPorts(HostEvictionPorts, SpotGroupAccessPorts, Protocol):
    """A group's hosts deployed, replaced and removed: their VMs, devices, watchers and the desktop's access."""

    @property
    def devices(self) -> DeviceDirectory: ...
    @property
    def unique(self) -> UniqueValueStore: ...  # a removed group's name, freed


def host_runs(run: SpotGroupRun) -> list[SpotGroupRun]:
    """The work's `host` stage: one run per host it adds, configures again or removes (the orchestrator runs them
    as sub-orchestrations, side by side)."""
    kinds = (("add", run.add), ("reconfigure", run.reconfigure), ("remove", run.remove), ("replace", run.replace))
    fresh = {"stage": "host", "phase": 0, "operation": None, "started_at": None, "calls": 0}
    runs = []
    for kind, indexes in kinds:
        runs += [run.model_copy(update={**fresh, "host": index, "host_work": kind}) for index in indexes]
    return runs


def awaits_turn(run: SpotGroupRun) -> bool:
    """Whether a host's run, as it waits, may be waiting for its turn in an image update's maintenance window: then
    the update's cancel ends the wait (the orchestrator listens for it), and the host's next call ends its run."""
    return (
        run.stage == "host" and run.host_work == "replace" and run.maintenance_window is not None
        and HOST_STEPS["replace"][run.phase] == "drainHost"
    )  # fmt: skip


def replacement_plan(run: SpotGroupRun) -> RolloutPlan[SpotGroupRun]:
    """An image update's host runs as its rollout (shared/services/spot_pc/rollout.py): the canary, then the batches."""
    return plan_rollout([host for host in host_runs(run) if host.host_work == "replace"], run.canary, run.batch)


HostPhase = tuple[str, SessionHost | None]  # a phase, with the host it works on (None: the group's own)


def phases(run: SpotGroupRun, hosts: list[SessionHost]) -> list[HostPhase]:
    """The stage's phases, each with the host it works on (None: the group's own)."""
    if run.stage == "host":
        host = next((h for h in hosts if h.index == run.host), None)
        steps = HOST_STEPS[run.host_work or "add"] if host is not None else ()
        if host is not None and host.priority == "Spot":  # once it takes sessions, its evictions are heard
            steps = tuple(watched for step in steps
                          for watched in ((step, "watchEvictions") if step == "registerHost" else (step,)))  # fmt: skip
        return [(step, host) for step in steps]
    if run.stage == "prepare":
        return [("ensureHostPool", None)] if run.work == "deploy" else []
    return [("settle", None)] if run.work == "deploy" else [("deleteHostPool", None), ("forget", None)]


def placement_of(site: Site) -> Placement:
    return Placement(site.subscription_id, site.resource_group_name, site.region_name)


def advance(ports: SpotGroupDeploymentPorts, run: SpotGroupRun) -> PhasedStep[SpotGroupRun]:
    """Take the work's phases as far as they go; a phase still in progress answers when to ask again."""
    found = ports.spot_groups.find_spot_group(run.tenant_id, run.spot_group_id)
    working = WORKING[run.work]
    if found is None or found.status not in working:
        return PhasedStep(outcome="superseded", run=run)  # removed, or a repeated call after the end
    group = found
    site = ports.sites.find_site(run.tenant_id, group.site_id)
    hosts = ports.spot_groups.list_hosts(run.tenant_id, group.id)
    latest = {host.index: host for host in hosts}  # each host's row as this call last wrote it

    def current(step: HostPhase) -> tuple[str, SessionHost | None]:
        return step[0], latest.get(step[1].index) if step[1] is not None else None

    def take(now: SpotGroupRun, step: HostPhase) -> phased.Taken[SpotGroupRun]:
        phase, host = current(step)
        if phase == "settle":
            _settle(ports, group, now)
            return phased.DONE
        failed = [h.name for h in hosts if h.status == "failed"]
        if phase == "deleteHostPool" and failed:  # a host still in Azure: pool and records stay for another delete
            detail = StepDetail(
                code="sessionHostsNotRemoved",
                step="removeHosts",
                message=f"Not removed: {', '.join(failed[:10])}; delete the group again.",
            )
            _record(ports, group, "fail", status_detail=detail)
            return PhasedStep(outcome="failed", run=now)
        if phase == "forget":
            _forget(ports, group)
            return phased.DONE
        if site is None:  # sites that hold Spot Groups are not deleted (shared/services/access/sites.py)
            raise CloudError(phase, "siteNotFound", f"Site '{group.site_id}' was deleted.")
        if phase == "awaitSignOut" and host is not None:
            waited = ports.clock() - (now.started_at or ports.clock())
            return _signed_out(ports, group, site, host, now, waited)
        if phase == "drainHost" and now.host_work == "replace" and _cancelled(ports, group, now):
            return PhasedStep(outcome="cancelled", run=now)  # not drained: the host stays on the old version
        if phase == "drainHost" and host is not None and now.maintenance_window is not None:
            waiting = _await_turn(ports, group, site, host, now)
            if waiting is not None:
                return waiting
        return _phase(ports, group, site, host, phase, now.operation, now.image_version_id)

    def failed(now: SpotGroupRun, step: HostPhase, exc: CloudError) -> PhasedStep[SpotGroupRun]:
        phase, host = current(step)
        detail = StepDetail(code=exc.code, step=phase, message=str(exc)[:500])
        if host is not None:  # this host stops here; the others go on in their own runs
            ports.spot_groups.put_host(run.tenant_id, group.id, SESSION_HOSTS.move(host, "fail", status_detail=detail))
            note_spot_capacity(ports, group, host, exc.code)
        else:
            _record(ports, group, "fail", status_detail=detail)
        return PhasedStep(outcome="failed", run=now)

    def made(now: SpotGroupRun, step: HostPhase, progress: Progress) -> SpotGroupRun:
        phase, host = current(step)
        at = ports.clock()
        if host is not None and site is not None and phase in METERED:  # before its row: a retry writes it again
            host_hours.record_power(ports.power_records, group, placement_of(site), host, METERED[phase], at)
        if host is not None and phase == "createVm":
            note_spot_capacity(ports, group, host, None)  # a Spot host made: Azure has Spot capacity again
        if host is not None and phase in HOST_RECORDS:
            recorded = HOST_RECORDS[phase](host, group, now, at)
            if progress.principal_id is not None:  # the VM made: its identity is how its watcher is known
                recorded = recorded.model_copy(update={"principal_id": progress.principal_id})
            latest[host.index] = ports.spot_groups.put_host(run.tenant_id, group.id, recorded)
        if host is not None and phase == "forgetHost":
            ports.spot_groups.delete_host(run.tenant_id, group.id, host.index)
        if run.work == "scale" and phase in ("registerHost", "forgetHost"):  # no settle follows a host of its own
            recount(ports, group)
        if host is not None and phase == "registerHost" and host.replaces_eviction is not None:
            host_evictions.replacement_took_sessions(ports, group, host, ports.clock())
        return now

    def limit(step: HostPhase) -> timedelta:  # a drained host waits for its users as long as the update gives them
        if step[0] == "drainHost" and run.maintenance_window is not None:  # and first for its turn in the window
            return PHASE_TIMEOUT + WINDOW_WAIT
        return PHASE_TIMEOUT + timedelta(seconds=run.drain_timeout_s) if step[0] == "awaitSignOut" else PHASE_TIMEOUT

    return phased.drive(run, phases(run, hosts), take, clock=ports.clock, limit=limit, on_fail=failed,
                        on_done=made, name=lambda step: step[0])  # fmt: skip


def _sessions(ports: SpotGroupDeploymentPorts, group: SpotGroup, site: Site, host: SessionHost) -> int:
    records = ports.avd.list_session_hosts(group.tenant_id, placement_of(site), group.host_pool_name)
    return next((r.sessions for r in records if r.vm_name == host.name), 0)


def _signed_out(
    ports: SpotGroupDeploymentPorts,
    group: SpotGroup,
    site: Site,
    host: SessionHost,
    run: SpotGroupRun,
    waited: timedelta,
) -> Progress:
    """Done once the drained host has no session, or its users' time to sign out is over."""
    if waited.total_seconds() >= run.drain_timeout_s:
        return Progress(done=True)
    sessions = _sessions(ports, group, site, host)
    return Progress(done=True) if sessions == 0 else Progress(done=False, retry_after_s=SIGN_OUT_POLL_S)


def _cancelled(ports: SpotGroupDeploymentPorts, group: SpotGroup, run: SpotGroupRun) -> bool:
    """Whether the image update a host is replaced for was cancelled: read before the host is drained, the one step
    a cancel stops (a host past it is rebuilt to the end, so nothing is left half done). A failed canary rebuilt on
    the old version is not stopped: that is a repair, not the update going on."""
    rolling_back = run.previous is not None and run.image_version_id == run.previous[1]  # a failed canary's repair
    if run.image_update_id is None or rolling_back:
        return False
    update = ports.spot_groups.get_image_update(group.tenant_id, group.id, run.image_update_id)
    return update.status not in UPDATE_RUNNING


def _await_turn(
    ports: SpotGroupDeploymentPorts, group: SpotGroup, site: Site, host: SessionHost, run: SpotGroupRun
) -> tuple[SpotGroupRun, Progress] | None:
    """An image update's host waits for its turn in the maintenance window (None: drain it now); its users are told
    first. The update shows waitingForWindow while its hosts wait for a window not yet open."""
    assert run.maintenance_window is not None
    now = ports.clock()
    turn = host_turn(
        run.maintenance_window, now, notice=timedelta(seconds=run.notify_before_s),
        sign_out=timedelta(seconds=run.drain_timeout_s), has_sessions=_sessions(ports, group, site, host) > 0,
        told_of=run.told_of,
    )  # fmt: skip
    _follow_window(ports, group, run, turn, now)
    if turn.action == "drain":
        return None
    if turn.action == "notify":
        _notify_users(ports, group, site, host, run, turn.drain_at, now)
        run = run.model_copy(update={"told_of": turn.drain_at})
    until = turn.until or turn.drain_at
    return run, Progress(done=False, retry_after_s=min((until - now).total_seconds(), WINDOW_POLL_S))


def _notify_users(
    ports: SpotGroupDeploymentPorts, group: SpotGroup, site: Site, host: SessionHost, run: SpotGroupRun,
    drain_at: datetime, now: datetime,
) -> None:  # fmt: skip
    """Tell each user on the host that it is drained at `drain_at` for the image update, and when they are logged
    off; recorded on the host. A session gone meanwhile needs no message."""
    zone = ZoneInfo(run.maintenance_window.time_zone) if run.maintenance_window is not None else UTC
    local = drain_at.astimezone(zone)
    minutes = round(run.drain_timeout_s / 60)
    text = (f"This desktop is updated to version {run.image_version} from {local:%H:%M} ({zone}). Save your work and "
            f"sign out before then: you are signed out {counted(minutes, 'minute')} later.")  # fmt: skip
    tenant, placement, pool, vm = group.tenant_id, placement_of(site), group.host_pool_name, host.name
    told = 0
    for session in ports.avd.list_user_sessions(tenant, placement, pool):
        if session.vm_name != vm:
            continue
        try:
            ports.avd.send_session_message(tenant, placement, pool, vm, session.session_id, UPDATE_NOTICE_TITLE, text)
            told += 1
        except CloudError as exc:
            if exc.code != SESSION_GONE:
                raise
    detail = StepDetail(code="usersNotified", step="drainHost", message=(
        f"{counted(told, 'user')} told at {now:%Y-%m-%d %H:%M} UTC that the host is drained at "
        f"{drain_at:%Y-%m-%d %H:%M} UTC "
        f"for the update to {run.image_version}, and signed out {counted(minutes, 'minute')} later."))  # fmt: skip
    ports.spot_groups.put_host(group.tenant_id, group.id, host.model_copy(update={"status_detail": detail}))


def _follow_window(
    ports: SpotGroupDeploymentPorts, group: SpotGroup, run: SpotGroupRun, turn: Turn, now: datetime
) -> None:
    """The update waitingForWindow, saying when the window opens, while a host's turn is in one not yet open;
    running again once one is. Hosts of a batch write it side by side: the one that writes second is refused
    (if_match), and the activity's retry finds the update as it should be."""
    if run.image_update_id is None or run.maintenance_window is None:
        return
    update = ports.spot_groups.get_image_update(group.tenant_id, group.id, run.image_update_id)
    if update.status not in UPDATE_RUNNING:  # cancelled meanwhile: its status is the cancel's
        return
    if turn.window_start > now:
        detail = StepDetail(
            code="waitingForWindow",
            step="maintenanceWindow",
            message=(
                f"The next maintenance window opens at {opening_words(run.maintenance_window, turn.window_start)}; "
                "the hosts not yet drained wait for it."
            ),
        )
        if (update.status, update.status_detail) != ("waitingForWindow", detail):
            waiting = IMAGE_UPDATES.move(
                update, "awaitWindow", status_detail=detail, next_window_date_time=turn.window_start,
                last_modified_date_time=now,
            )  # fmt: skip
            ports.spot_groups.put_image_update(waiting, if_match=update.etag)
    elif update.status == "waitingForWindow":
        opened = IMAGE_UPDATES.move(update, "resume", status_detail=None, next_window_date_time=None,
                                    last_modified_date_time=now)  # fmt: skip
        ports.spot_groups.put_image_update(opened, if_match=update.etag)


def _phase(
    ports: SpotGroupDeploymentPorts,
    group: SpotGroup,
    site: Site,
    host: SessionHost | None,
    phase: str,
    operation: str | None,
    image_version_id: str | None = None,
) -> Progress:
    tenant, placement, pool = group.tenant_id, placement_of(site), group.host_pool_name
    if phase == "ensureHostPool":
        pool_spec = HostPoolSpec(
            placement=placement, host_pool=pool, pool_type=group.user_type, max_sessions=group.max_sessions_per_host,
            friendly_name=group.friendly_name, user_group_ids=(), start_vm_on_connect=starts_on_connect(group),
        )  # fmt: skip
        ensured = ports.avd.ensure_host_pool(tenant, pool_spec, operation)
        if ensured.done:  # the license count's users, not the groups, hold the desktop
            reconcile_access(ports, group)
        return ensured
    if phase == "deleteHostPool":
        return ports.avd.delete_host_pool(tenant, placement, pool, operation)
    assert host is not None
    vm = host.name
    if phase == "allocateCapacity":
        return ports.compute.allocate_capacity(tenant, placement, group.vm_size, host.priority)
    if phase == "createVm":
        spec = VmSpec(
            name=vm, nic_name=f"{vm}-nic", computer_name=vm.upper(), placement=placement, vm_size=group.vm_size,
            image_type="custom", image_id=image_version_id or group.image_version_id,
            os_disk_size_gb=HOST_DISK_GB, subnet_id=site.subnet_id, hibernation=hibernates(group),
            **spot_terms(group, host),
        )  # fmt: skip
        return ports.compute.create_vm(tenant, spec, operation)
    if phase == "joinDevice":
        join = JoinSpec(device_name=vm.upper(), join_type="azureADJoin")
        return ports.devices.join_device(tenant, placement, vm, join, operation)
    if phase == "configureProfile":
        script = [*fslogix_script(group), *session_limit_script(group.session_limits)]  # one Run Command for both
        return ports.compute.run_command(tenant, placement, vm, "configureFslogix", script, operation)
    if phase == "registerHost":
        return ports.avd.register_session_host(tenant, placement, pool, vm, operation)
    if phase == "watchEvictions":
        return host_evictions.install_watcher(ports, tenant, placement, vm, operation)
    if phase == "drainHost":
        return ports.avd.drain_session_host(tenant, placement, pool, vm)
    if phase == "removeHost":
        return ports.avd.remove_session_host(tenant, placement, pool, vm)
    if phase == "deleteVm":
        return ports.compute.delete_vm(tenant, placement, vm, operation)
    if phase == "deleteNic":
        return ports.compute.delete_nic(tenant, placement, f"{vm}-nic", operation)
    if phase == "deleteDevice":
        return ports.devices.delete_device(tenant, vm.upper())
    if phase == "forgetHost":
        return Progress(done=True)  # its row goes once the phase is done (advance)
    raise ValueError(f"unknown phase {phase}")


def spot_terms(group: SpotGroup, host: SessionHost) -> dict[str, Any]:
    """A Spot host's VM terms from its group's scaling (a Regular host has none)."""
    if host.priority != "Spot" or group.scaling is None:
        return {}
    scaling = group.scaling
    return {"priority": "Spot", "eviction_policy": scaling.spot_eviction_policy, "max_price": scaling.spot_max_price}


def fslogix_script(group: SpotGroup) -> list[str]:
    """FSLogix profile containers at the group's profile path (HKLM\\SOFTWARE\\FSLogix\\Profiles)."""
    path = group.profile_path.replace("'", "''")  # a PowerShell single-quoted string
    key = r"HKLM:\SOFTWARE\FSLogix\Profiles"
    return [
        f"New-Item -Path '{key}' -Force | Out-Null",
        f"New-ItemProperty -Path '{key}' -Name Enabled -Value 1 -PropertyType DWord -Force | Out-Null",
        f"New-ItemProperty -Path '{key}' -Name VHDLocations -Value '{path}' -PropertyType MultiString -Force"
        " | Out-Null",
    ]


def note_spot_capacity(ports: SpotGroupRecordPorts, group: SpotGroup, host: SessionHost, code: str | None) -> None:
    """Keep on the group's record when Azure refused a Spot host capacity (`code` one of SPOT_CAPACITY_REFUSED), and
    clear it once a Spot host is made (`code` None): scaling makes Spot places on demand meanwhile."""
    if host.priority != "Spot" or (code is not None and code not in SPOT_CAPACITY_REFUSED):
        return
    current = ports.spot_groups.get_spot_group(group.tenant_id, group.id)
    at = ports.clock() if code is not None else None
    if current.spot_refused_date_time != at:
        ports.spot_groups.put_spot_group(current.model_copy(update={"spot_refused_date_time": at}),
                                         if_match=current.etag)  # fmt: skip


def _record(ports: SpotGroupDeploymentPorts, group: SpotGroup, action: SpotGroupAction, **fields: object) -> SpotGroup:
    current = ports.spot_groups.get_spot_group(group.tenant_id, group.id)
    changed = SPOT_GROUPS.move(current, action, **fields, last_modified_date_time=ports.clock())
    return ports.spot_groups.put_spot_group(changed, if_match=current.etag)


def _settle(ports: SpotGroupDeploymentPorts, group: SpotGroup, run: SpotGroupRun) -> None:
    """`ready` while a host runs, with the failed ones named; `failed` when none could be deployed. An image
    update ends as the orchestrator saw it (a rolled-back one leaves the group on its old version)."""
    hosts = ports.spot_groups.list_hosts(group.tenant_id, group.id)
    counts = count_hosts(hosts)
    failed = [h.name for h in hosts if h.status == "failed"]
    # a scaling group may have no host while nobody needs one (a base of 0)
    action: SpotGroupAction = "finish" if counts.running or (group.scaling is not None and not failed) else "fail"
    fields: dict[str, object] = {"status_detail": None, "session_host_counts": counts}
    if failed:
        fields["status_detail"] = StepDetail(code="sessionHostsFailed", step="deploy",
                                             message=f"{len(failed)} of {len(hosts)} session hosts failed: "
                                             f"{', '.join(failed[:10])}.")  # fmt: skip
    if run.image_update_id is not None:
        update = ports.spot_groups.get_image_update(group.tenant_id, group.id, run.image_update_id)
        outcome = run.update_outcome or "succeeded"
        if outcome in ("rolledBack", "cancelled") and run.previous is not None:  # new hosts come on the old version
            fields["image_version"], fields["image_version_id"] = run.previous
        on_new = sum(h.status == "running" and h.image_version == update.to_version for h in hosts)
        remaining = sum(h.status == "running" for h in hosts) - on_new
        if outcome == "cancelled":
            fields["status_detail"] = _cancelled_line(ports, group, update, on_new, remaining)
        elif outcome != "succeeded":
            fields["status_detail"] = StepDetail(
                code="imageUpdateRolledBack" if outcome == "rolledBack" else "imageUpdateFailed", step="imageUpdate",
                message=f"The update to {update.to_version} did not complete ({outcome}); see imageUpdates.",
            )  # fmt: skip
        ended = IMAGE_UPDATES.move(
            update, OUTCOMES[outcome], replaced=on_new, remaining=remaining, next_window_date_time=None,
            **({"status_detail": fields["status_detail"]} if outcome == "cancelled" else {}),
        )  # fmt: skip
        ports.spot_groups.put_image_update(ended, if_match=update.etag)
    _record(ports, group, action, **fields)


def _cancelled_line(
    ports: SpotGroupDeploymentPorts, group: SpotGroup, update: ImageUpdate, on_new: int, remaining: int
) -> StepDetail:
    """A cancelled update in words, on the group and its timeline: which hosts run which version now."""
    run = "runs" if on_new == 1 else "run"
    stay = "stays" if remaining == 1 else "stay"
    message = (f"The update to {update.to_version} was cancelled: {counted(on_new, 'host')} {run} {update.to_version}, "
               f"{remaining} {stay} on {update.from_version}; new hosts come on {update.from_version}.")  # fmt: skip
    now = ports.clock()
    line = SpotGroupEvent(
        id=f"{update.id}-cancelled", date_time=now, host=group.host_pool_name, action="cancelImageUpdate",
        reason=message, outcome="done",
    )  # fmt: skip
    ports.schedules.put_events(group.tenant_id, group.id, update.last_modified_date_time, [line])
    return StepDetail(code="imageUpdateCancelled", step="imageUpdate", message=message)


def recount(ports: SpotGroupRecordPorts, group: SpotGroup, hosts: list[SessionHost] | None = None) -> SpotGroup:
    """The group's host counts from its hosts' rows as they are now (read, unless the caller holds them); hosts made
    or deleted side by side write it too: one refused for a stale etag reads again."""
    hosts = ports.spot_groups.list_hosts(group.tenant_id, group.id) if hosts is None else hosts
    return update_with_etag(
        lambda: ports.spot_groups.get_spot_group(group.tenant_id, group.id),
        lambda current: current.model_copy(update={"session_host_counts": count_hosts(hosts)}),
        lambda changed, etag: ports.spot_groups.put_spot_group(changed, if_match=etag),
        if_match=None,
    )


def count_hosts(hosts: list[SessionHost]) -> SessionHostCounts:
    return SessionHostCounts(
        total=len(hosts),
        running=sum(h.status == "running" and h.allow_new_session and h.power_state not in OFF for h in hosts),
        stopped=sum(h.status == "running" and h.power_state in OFF for h in hosts),
        draining=sum(h.status == "running" and not h.allow_new_session for h in hosts),
        failed=sum(h.status == "failed" for h in hosts),
    )


def _forget(ports: SpotGroupDeploymentPorts, group: SpotGroup) -> None:
    """The records of a removed group, and its name for another group to take."""
    for host in ports.spot_groups.list_hosts(group.tenant_id, group.id):
        ports.spot_groups.delete_host(group.tenant_id, group.id, host.index)
    ports.schedules.forget_group(group.tenant_id, group.id)
    ports.spot_groups.delete_spot_group(group.tenant_id, group.id)
    ports.unique.release(names_scope(group.tenant_id), group.name, group.id)


def live_hosts(ports: LiveHostPorts, group: SpotGroup) -> list[SessionHost]:
    """The group's hosts as recorded, with the hours each has run, and their sessions and state read live from the
    host pool; as recorded while the pool cannot be read (better than no answer while AVD is unreachable)."""
    now = ports.clock()
    hosts = [host_hours.with_hours(host, now) for host in ports.spot_groups.list_hosts(group.tenant_id, group.id)]
    site = ports.sites.find_site(group.tenant_id, group.site_id)
    try:
        records = ports.avd.list_session_hosts(group.tenant_id, placement_of(site), group.host_pool_name) \
            if site is not None else []  # fmt: skip
    except CloudError as exc:
        log.warning("Session hosts of %s could not be read live (%s)", group.host_pool_name, exc.code)
        return hosts
    live = {record.vm_name: record for record in records}
    return [
        host.model_copy(update={
            "session_count": record.sessions, "allow_new_session": record.allow_new_session,
            "assigned_user_id": record.assigned_user_id,
            "power_state": "running" if record.status == "Available" else record.status.lower(),
        }) if (record := live.get(host.name)) is not None else host
        for host in hosts
    ]  # fmt: skip
