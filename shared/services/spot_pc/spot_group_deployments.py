"""A Spot Group in Azure, one orchestration's phases: deploying its host pool and session hosts, and removing them.

Deploying: the host pool with its application group, its users' access and a workspace; then each session host
in turn: a VM from the image set's gallery version in the site, Entra join, FSLogix profile containers at the
group's profile path, and registration with the host pool (and a Spot host's eviction watcher: host_evictions.py).
A host that fails is marked so and the next one goes on; the group ends `ready` while at least one host runs.
Removing: each host drained, taken out of the pool and deleted with its Entra device, then the host pool; then the
records (spot_group_settling.py). A host is drained in its turn of an image update's maintenance window
(host_drains.py). Every phase is an idempotent call answering Progress, so a repeated activity call does no harm.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Protocol

from shared.models.costs import PowerChange
from shared.models.failures import StepDetail
from shared.models.orchestrations import PhasedStep, SpotGroupRun
from shared.models.session_hosts import HOST_DISK_GB, SessionHost
from shared.models.sites import Site
from shared.models.spot_groups import SpotGroup
from shared.ports.cloud_errors import CloudError
from shared.ports.compute import VmSpec
from shared.ports.desktop_virtualization import HostPoolSpec
from shared.ports.devices import DeviceDirectory, JoinSpec
from shared.ports.progress import Progress
from shared.services.engine import phased
from shared.services.spot_pc import host_evictions, host_hours
from shared.services.spot_pc.host_drains import WINDOW_WAIT, HostDrainPorts, await_turn, cancelled, signed_out
from shared.services.spot_pc.host_evictions import HostEvictionPorts
from shared.services.spot_pc.host_records import note_spot_capacity, placement_of, recount
from shared.services.spot_pc.rollout import RolloutPlan, plan_rollout
from shared.services.spot_pc.session_limits import hibernates, session_limit_script, starts_on_connect
from shared.services.spot_pc.spot_group_access import SpotGroupAccessPorts, reconcile_access
from shared.services.spot_pc.spot_group_settling import SettlingPorts, forget, move_group, settle
from shared.services.spot_pc.spot_pc_transitions import SESSION_HOSTS

PHASE_TIMEOUT = timedelta(hours=1)
DEPLOY_HOST = ("createVm", "joinDevice", "configureProfile", "registerHost")
# drained, and its users given the run's drain timeout to sign out, before a host goes
REMOVE_HOST = ("drainHost", "awaitSignOut", "removeHost", "deleteVm", "deleteNic", "deleteDevice")
# what a host's row says once a phase is done (at the time given): a VM made runs, and its hours count from then
HOST_RECORDS: dict[str, Callable[[SessionHost, SpotGroup, SpotGroupRun, datetime], SessionHost]] = {
    "createVm": lambda host, group, run, now: host_hours.started(host, now),
    "configureProfile": lambda host, group, run, now: host.model_copy(
        update={"profile_path": group.profile_path, "session_limits": group.session_limits}
    ),
    "registerHost": lambda host, group, run, now: SESSION_HOSTS.move(
        host,
        "register",
        power_state="running",
        allow_new_session=True,
        status_detail=None,
        image_version=run.image_version or group.image_version,
        drained_at=None,
        notified_at=None,
        unhealthy_since=None,
        unneeded_since=None,
        repairs=0,
    ),
    "drainHost": lambda host, group, run, now: SESSION_HOSTS.move(host, "drain", allow_new_session=False),
    "deleteVm": lambda host, group, run, now: host_hours.stopped(host, now),
}
METERED: dict[str, PowerChange] = {"createVm": "created", "deleteVm": "deleted"}  # the VM's power records


# the group's statuses a run's work goes on in: a host its scaling makes or deletes while the group is ready, or
# while an admin's change that Azure follows is under way (which leaves scaled hosts to the optimization)
WORKING = {"deploy": ("deploying", "updating"), "remove": ("deleting",), "scale": ("ready", "updating")}
REPLACE_HOST = (*REMOVE_HOST, *DEPLOY_HOST)
# a new host's VM is made only where its quota has room (a Spot host's is the region's Spot pool): one refused fails
# with the quota named, and a Spot host so refused is made on demand by the next run (note_spot_capacity). A host
# replaced in place is not checked: the usages read may still count its own VM, deleted a moment before.
ADD_HOST = ("allocateCapacity", *DEPLOY_HOST)
HOST_STEPS = {
    "add": ADD_HOST,
    "reconfigure": ("configureProfile",),
    "remove": (*REMOVE_HOST, "forgetHost"),
    "replace": REPLACE_HOST,
}


class SpotGroupDeploymentPorts(HostEvictionPorts, SpotGroupAccessPorts, HostDrainPorts, SettlingPorts, Protocol):
    """A group's hosts deployed, replaced and removed: their VMs, devices, watchers and the desktop's access."""

    @property
    def devices(self) -> DeviceDirectory: ...


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
        run.stage == "host"
        and run.host_work == "replace"
        and run.maintenance_window is not None
        and HOST_STEPS["replace"][run.phase] == "drainHost"
    )


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
            steps = tuple(
                watched
                for step in steps
                for watched in ((step, "watchEvictions") if step == "registerHost" else (step,))
            )
        return [(step, host) for step in steps]
    if run.stage == "prepare":
        return [("ensureHostPool", None)] if run.work == "deploy" else []
    return [("settle", None)] if run.work == "deploy" else [("deleteHostPool", None), ("forget", None)]


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
            settle(ports, group, now)
            return phased.DONE
        failed = [h.name for h in hosts if h.status == "failed"]
        if phase == "deleteHostPool" and failed:  # a host still in Azure: pool and records stay for another delete
            detail = StepDetail(
                code="sessionHostsNotRemoved",
                step="removeHosts",
                message=f"Not removed: {', '.join(failed[:10])}; delete the group again.",
            )
            move_group(ports, group, "fail", status_detail=detail)
            return PhasedStep(outcome="failed", run=now)
        if phase == "forget":
            forget(ports, group)
            return phased.DONE
        if site is None:  # sites that hold Spot Groups are not deleted (shared/services/access/sites.py)
            raise CloudError(phase, "siteNotFound", f"Site '{group.site_id}' was deleted.")
        if phase == "awaitSignOut" and host is not None:
            waited = ports.clock() - (now.started_at or ports.clock())
            return signed_out(ports, group, site, host, now, waited)
        if phase == "drainHost" and now.host_work == "replace" and cancelled(ports, group, now):
            return PhasedStep(outcome="cancelled", run=now)  # not drained: the host stays on the old version
        if phase == "drainHost" and host is not None and now.maintenance_window is not None:
            waiting = await_turn(ports, group, site, host, now)
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
            move_group(ports, group, "fail", status_detail=detail)
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

    return phased.drive(
        run,
        phases(run, hosts),
        take,
        clock=ports.clock,
        limit=limit,
        on_fail=failed,
        on_done=made,
        name=lambda step: step[0],
    )


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
            placement=placement,
            host_pool=pool,
            pool_type=group.user_type,
            max_sessions=group.max_sessions_per_host,
            friendly_name=group.friendly_name,
            user_group_ids=(),
            start_vm_on_connect=starts_on_connect(group),
        )
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
            name=vm,
            nic_name=f"{vm}-nic",
            computer_name=vm.upper(),
            placement=placement,
            vm_size=group.vm_size,
            image_type="custom",
            image_id=image_version_id or group.image_version_id,
            os_disk_size_gb=HOST_DISK_GB,
            subnet_id=site.subnet_id,
            hibernation=hibernates(group),
            **spot_terms(group, host),
        )
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
