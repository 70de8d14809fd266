"""Provisioning one Cloud PC: build settings, the steps of the three stages, attempts and the timeline.

Every function here is what one activity does; each is idempotent, so a re-delivered activity or a
replayed orchestration repeats nothing that already happened. The orchestration carries a `CloudPcJob`
(decided once by `begin`), so steps never need to read the Cloud PC back.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Any

from pydantic import Field

from shared.catalog.gallery_images import GALLERY_IMAGES_BY_ID
from shared.catalog.service_plans import SERVICE_PLANS_BY_ID
from shared.cloud.ports import CloudError, Progress, VmSpec
from shared.errors import NotFound
from shared.models.base import ApiModel
from shared.models.cloud_pcs import BuildSettings, CloudPc, CloudPcEvent, StatusDetail
from shared.models.lifecycle import DueWork
from shared.services.engine_ports import EnginePorts
from shared.services.naming import expand_template, parse_template

CORE_STEPS = ("allocateCapacity", "createVm", "attachNetwork", "joinEntra", "enrollIntune", "assignPrimaryUser")
POST_STEPS = (
    "hideStartMenuPowerIcons",
    "disableWindowsReset",
    "addLocalAdmin",
    "setTeamsVdiMode",
    "enableTimeZoneRedirection",
    "resizeOsDisk",
)
ASSIGNMENT_STEPS = ("assignUser",)
STAGE_OF = {
    **{s: "core" for s in CORE_STEPS},
    **{s: "postProvisioning" for s in POST_STEPS},
    **{s: "assignment" for s in ASSIGNMENT_STEPS},
}
ORDER = {step: index for index, step in enumerate((*CORE_STEPS, *POST_STEPS, *ASSIGNMENT_STEPS), start=1)}
MILESTONE_ORDER = {"attemptFailed": 90, "attemptCleanedUp": 91}
NAME_ATTEMPTS = 20


class ProvisioningFailed(Exception):
    """Provisioning cannot go on; the message names the step for the admin."""

    def __init__(self, step: str, code: str, message: str) -> None:
        super().__init__(message)
        self.step, self.code = step, code


class CloudPcJob(ApiModel):
    """What one provisioning run works from; decided by `begin`, carried in the orchestration."""

    tenant_id: str
    cloud_pc_id: str
    run: int
    generation: int
    device_name: str
    user_id: str
    build: BuildSettings
    core: list[str] = list(CORE_STEPS)
    post: list[str] = []
    assignment: list[str] = list(ASSIGNMENT_STEPS)

    @property
    def steps(self) -> list[str]:
        return [*self.core, *self.post, *self.assignment]


class StepsResult(ApiModel):
    """How far one call got through a list of steps."""

    completed: int = Field(description="How many of the steps are finished (done, or failed but tolerated).")
    warnings: list[str] = []
    waiting: dict[str, Any] | None = None  # {step, startedAt, retryAfterSeconds}: call again after the wait
    failure: dict[str, str] | None = None  # {step, code, message}: the attempt failed
    resources: dict[str, str] = {}  # Cloud PC fields the steps found out (the VM's and NIC's ids)


class RunState(ApiModel):
    """Where a run stands between two activity calls; the orchestration carries it, so nothing is read back."""

    job: CloudPcJob
    attempt: int = 1
    completed: int = 0  # the attempt's steps already taken
    resume: dict[str, Any] | None = None  # the step being waited for
    warnings: list[str] = []
    resources: dict[str, str] = {}
    failure: dict[str, str] | None = None  # the attempt failed: the next call cleans it up first


class Advanced(ApiModel):
    """What one call of `advance` achieved: the run is over, or where it stands and how long to wait."""

    outcome: str | None = None  # the Cloud PC's final status, or why the run did not start
    state: RunState | None = None
    wait_seconds: float = 0


def vm_name(cloud_pc_id: str, run: int, attempt: int) -> str:
    """Unique per run and attempt: a retry or reprovision never meets a VM an earlier run left behind."""
    return f"cpc-{cloud_pc_id}-r{run}-a{attempt}"


def nic_name(cloud_pc_id: str, run: int, attempt: int) -> str:
    return f"nic-{cloud_pc_id}-r{run}-a{attempt}"


def timeline_event(
    cloud_pc_id: str,
    run: int,
    generation: int,
    name: str,
    now: datetime,
    *,
    kind: str = "milestone",
    outcome: str = "info",
    attempt: int = 0,
    start: datetime | None = None,
    code: str | None = None,
    message: str | None = None,
) -> CloudPcEvent:
    """One timeline line; its id is deterministic, so a repeated activity overwrites, never duplicates."""
    order = ORDER.get(name, 0) if kind == "step" else MILESTONE_ORDER.get(name, 0)
    event_id = f"r{run:03d}.g{generation:03d}.a{attempt:02d}.{order:02d}.{name}"
    if kind == "milestone" and name in ("provisioned", "provisioningFailed"):
        event_id = f"r{run:03d}.g{generation:03d}.z.{name}"
    return CloudPcEvent.model_validate(
        {
            "id": event_id,
            "cloud_pc_id": cloud_pc_id,
            "date_time": now,
            "kind": kind,
            "name": name,
            "stage": STAGE_OF.get(name, "lifecycle"),
            "outcome": outcome,
            "run": run,
            "generation": generation,
            "attempt": attempt,
            "start_date_time": start,
            "end_date_time": now if outcome != "running" else None,
            "code": code,
            "message": message,
        }
    )


def record(ports: EnginePorts, cloud_pc: CloudPc, name: str, **details: Any) -> None:
    event = timeline_event(cloud_pc.id, cloud_pc.run, cloud_pc.generation, name, ports.clock(), **details)
    ports.cloud_pcs.upsert_event(cloud_pc.tenant_id, event)


def run_resources(max_attempts: int, cloud_pc: CloudPc) -> tuple[list[str], list[str]]:
    """The VM and NIC names every attempt of the Cloud PC's current run may have made."""
    attempts = range(1, max(max_attempts, cloud_pc.attempt) + 1)
    return [vm_name(cloud_pc.id, cloud_pc.run, a) for a in attempts], [
        nic_name(cloud_pc.id, cloud_pc.run, a) for a in attempts
    ]


def due_work(ports: EnginePorts, cloud_pc: CloudPc, kind: str, at: datetime) -> DueWork:
    vms, nics = run_resources(ports.max_attempts, cloud_pc)
    return DueWork.model_validate(
        {
            "kind": kind,
            "due_date_time": at,
            "tenant_id": cloud_pc.tenant_id,
            "cloud_pc_id": cloud_pc.id,
            "run": cloud_pc.run,
            "generation": cloud_pc.generation,
            "device_name": cloud_pc.managed_device_name,
            "domain_join_type": cloud_pc.build.domain_join_type if cloud_pc.build else None,
            "vm_names": vms,
            "nic_names": nics,
        }
    )


def schedule_clean_up(ports: EnginePorts, cloud_pc: CloudPc) -> None:
    """Devices and NICs go CLOUDPC_CLEANUP_DELAY later, as Windows 365 does after a failure or deprovision."""
    ports.due.upsert_due(due_work(ports, cloud_pc, "cleanUp", ports.clock() + ports.cleanup_delay))


def _build_settings(ports: EnginePorts, cloud_pc: CloudPc) -> BuildSettings:
    """The policy's CURRENT settings, resolved: the first healthy connection, the image, the plan's size."""
    try:
        policy = ports.policies.get_policy(cloud_pc.tenant_id, cloud_pc.provisioning_policy_id)
    except NotFound:
        raise ProvisioningFailed("begin", "policyNotFound", "the provisioning policy no longer exists") from None
    plan = SERVICE_PLANS_BY_ID[cloud_pc.service_plan_id]
    network: dict[str, str | None] | None = None
    for config in policy.domain_join_configurations:
        if config.region_name:
            network = {"join": config.domain_join_type, "region": config.region_name}
            break
        connection = ports.connections.find_connection(cloud_pc.tenant_id, config.on_premises_connection_id or "")
        if connection is not None and connection.usable:
            network = {
                "join": config.domain_join_type,
                "connection": connection.id,
                "region": connection.region_name,
                "subnet": connection.subnet_id,
                "domain": connection.ad_domain_name,
                "ou": connection.organizational_unit,
            }
            break
    if network is None:
        raise ProvisioningFailed("attachNetwork", "connectionNotHealthy", "Azure network connection isn't healthy")
    if policy.image_type == "gallery":
        gallery = GALLERY_IMAGES_BY_ID.get(policy.image_id)
        if gallery is None:
            raise ProvisioningFailed("createVm", "imageNotFound", f"gallery image {policy.image_id} is not available")
        image_id, image_name = gallery.id, gallery.display_name
    else:
        image = ports.images.find_image(cloud_pc.tenant_id, policy.image_id)
        if image is None or image.status != "ready":
            raise ProvisioningFailed("createVm", "imageNotReady", "the policy's device image is missing or not ready")
        image_id, image_name = image.source_image_resource_id, f"{image.display_name} {image.version}"
    return BuildSettings(
        image_type=policy.image_type,
        image_id=image_id,
        image_display_name=image_name,
        domain_join_type=str(network["join"]),
        on_premises_connection_id=network.get("connection"),
        region_name=str(network["region"]),
        subnet_id=network.get("subnet"),
        ad_domain_name=network.get("domain"),
        organizational_unit=network.get("ou"),
        vm_size=plan.vm_size,
        os_disk_size_gb=plan.storage_in_gb,
        local_admin_enabled=policy.local_admin_enabled,
        naming_template=policy.cloud_pc_naming_template,
    )


def _device_name(ports: EnginePorts, cloud_pc: CloudPc, template_text: str) -> str:
    template, problems = parse_template(template_text)
    if template is None:
        raise ProvisioningFailed("begin", "invalidNamingTemplate", problems[0].message)
    for n in range(NAME_ATTEMPTS):
        name = expand_template(template, cloud_pc.user_principal_name, f"{cloud_pc.id}:{cloud_pc.generation}:{n}")
        if ports.cloud_pcs.claim_device_name(cloud_pc.tenant_id, name, cloud_pc.id):
            return name
    raise ProvisioningFailed("begin", "deviceNameUnavailable", "no unique device name could be made from the template")


def _job(cloud_pc: CloudPc) -> CloudPcJob:
    assert cloud_pc.build is not None and cloud_pc.managed_device_name is not None
    return CloudPcJob(
        tenant_id=cloud_pc.tenant_id,
        cloud_pc_id=cloud_pc.id,
        run=cloud_pc.run,
        generation=cloud_pc.generation,
        device_name=cloud_pc.managed_device_name,
        user_id=cloud_pc.user_id,
        build=cloud_pc.build,
        post=[s for s in POST_STEPS if s != "addLocalAdmin" or cloud_pc.build.local_admin_enabled],
    )


def begin(
    ports: EnginePorts, tenant_id: str, cloud_pc_id: str, run: int, timeline: list[CloudPcEvent]
) -> RunState | str:
    """Take ownership for `run`: resolve the build settings and the device name, move to `provisioning`.

    The run's first state, or why it does not go ahead; its timeline line joins `timeline`.
    """
    cloud_pc = ports.cloud_pcs.find_cloud_pc(tenant_id, cloud_pc_id)
    if cloud_pc is None or cloud_pc.run != run or cloud_pc.status not in ("pendingProvision", "provisioning"):
        return "skipped: superseded or already settled"
    if cloud_pc.status != "provisioning" or cloud_pc.build is None:  # else a repeated call: the work is decided
        try:
            build = _build_settings(ports, cloud_pc)
            device = cloud_pc.managed_device_name or _device_name(ports, cloud_pc, build.naming_template)
        except ProvisioningFailed as failure:
            fail(ports, tenant_id, cloud_pc_id, run, failure.step, failure.code, str(failure))
            return f"skipped: {failure}"
        started = cloud_pc.model_copy(
            update={
                "status": "provisioning",
                "status_detail": None,
                "build": build,
                "managed_device_name": device,
                "image_display_name": build.image_display_name,
                "attempt": 0,
                "warnings": [],
                "last_modified_date_time": ports.clock(),
            }
        )
        cloud_pc = ports.cloud_pcs.upsert_cloud_pc(started, if_match=cloud_pc.etag)
    job = _job(cloud_pc)
    # made from the row, so a call repeated after a crash writes the very same line
    timeline.append(
        timeline_event(
            cloud_pc_id,
            run,
            cloud_pc.generation,
            "provisioningStarted",
            cloud_pc.last_modified_date_time,
            message=f"Device {job.device_name} from {job.build.image_display_name}",
        )
    )
    return RunState(job=job)


def advance(
    ports: EnginePorts, tenant_id: str, cloud_pc_id: str, run: int, max_attempts: int, state: RunState | None
) -> Advanced:
    """Take the run as far as it goes in one call: begin, the attempt's steps, finish; one timeline write.

    A step still in progress ends the call with the time to wait. A failed attempt ends it too, and the
    next call removes what that attempt made before the next attempt (or the failure) - so a repeated
    call, after a crash, always starts from a state that was fully reached.
    """
    timeline: list[CloudPcEvent] = []
    if state is None:
        begun = begin(ports, tenant_id, cloud_pc_id, run, timeline)
        if isinstance(begun, str):
            return Advanced(outcome=begun)
        state = begun
    elif state.failure is not None:
        failure = state.failure
        clean_up_attempt(ports, state.job, state.attempt, f"{failure['step']}: {failure['message']}")
        if state.attempt >= max_attempts:
            return Advanced(outcome=fail(ports, tenant_id, cloud_pc_id, run, **failure))
        state = RunState(job=state.job, attempt=state.attempt + 1)
    job = state.job
    steps = job.steps
    result = run_steps(
        ports,
        job,
        state.attempt,
        steps[state.completed :],
        tolerated=set(job.post),
        resume=state.resume,
        timeline=timeline,
    )
    state = state.model_copy(
        update={
            "completed": state.completed + result.completed,
            "resume": result.waiting,
            "warnings": state.warnings + result.warnings,
            "resources": {**state.resources, **result.resources},
            "failure": result.failure,
        }
    )
    if state.failure is None and state.completed == len(steps):
        return Advanced(outcome=finish(ports, state, timeline))
    ports.cloud_pcs.upsert_events(tenant_id, timeline)
    return Advanced(state=state, wait_seconds=result.waiting["retryAfterSeconds"] if result.waiting else 0)


def run_steps(
    ports: EnginePorts,
    job: CloudPcJob,
    attempt: int,
    steps: list[str],
    *,
    tolerated: set[str] | frozenset[str] = frozenset(),
    resume: dict[str, Any] | None = None,
    timeline: list[CloudPcEvent],
) -> StepsResult:
    """Take the steps in order until one must be waited for or fails; their lines join `timeline`.

    A failed step in `tolerated` (post-provisioning) becomes a warning and the next one runs.
    """
    result = StepsResult(completed=0)
    for step in steps:
        now = ports.clock()
        resumed = resume is not None and resume.get("step") == step
        start = datetime.fromisoformat(resume["startedAt"]) if resume is not None and resumed else now

        step_line = partial(
            timeline_event, job.cloud_pc_id, job.run, job.generation, step, kind="step", attempt=attempt, start=start
        )
        try:
            progress = _call(ports, job, attempt, step)
        except CloudError as exc:
            if step in tolerated:
                timeline.append(step_line(ports.clock(), outcome="warning", code=exc.code, message=str(exc)))
                result.warnings.append(f"{step}: {exc}")
                result.completed += 1
                continue
            timeline.append(step_line(ports.clock(), outcome="failed", code=exc.code, message=str(exc)))
            result.failure = {"step": step, "code": exc.code, "message": str(exc)}
            break
        if not progress.done:
            if not resumed:
                timeline.append(step_line(ports.clock(), outcome="running"))
            result.waiting = {"step": step, "startedAt": start.isoformat(), "retryAfterSeconds": progress.retry_after_s}
            break
        timeline.append(step_line(ports.clock(), outcome="succeeded"))
        result.completed += 1
        resume = None
        if step == "createVm" and progress.resource_id:
            result.resources["virtual_machine_id"] = progress.resource_id
        elif step == "attachNetwork" and progress.resource_id:
            result.resources["network_interface_id"] = progress.resource_id
    return result


def _stub(job: CloudPcJob, fields: dict[str, Any]) -> CloudPc:
    """A Cloud PC carrying only what a merge writes (the other fields are placeholders, never written)."""
    return CloudPc.model_construct(id=job.cloud_pc_id, tenant_id=job.tenant_id, **fields)


def _call(ports: EnginePorts, job: CloudPcJob, attempt: int, step: str) -> Progress:
    build, device, tenant = job.build, job.device_name, job.tenant_id
    vm = vm_name(job.cloud_pc_id, job.run, attempt)
    match step:
        case "allocateCapacity":
            return ports.compute.allocate_capacity(tenant, build.region_name, build.vm_size, vm)
        case "createVm":
            spec = VmSpec(vm, build.region_name, build.vm_size, build.image_type, build.image_id, build.os_disk_size_gb)
            return ports.compute.create_vm(tenant, spec)
        case "attachNetwork":
            return ports.network.attach_nic(tenant, nic_name(job.cloud_pc_id, job.run, attempt), vm, build.subnet_id)
        case "joinEntra":
            return ports.devices.join_device(
                tenant, device, build.domain_join_type, build.ad_domain_name, build.organizational_unit
            )
        case "enrollIntune":
            return ports.intune.enroll_device(tenant, device)
        case "assignPrimaryUser":
            return ports.intune.set_primary_user(tenant, device, job.user_id)
        case "assignUser":
            return ports.intune.assign_user(tenant, device, job.user_id)
        case "resizeOsDisk":
            return ports.intune.configure(tenant, device, step, str(build.os_disk_size_gb))
        case "addLocalAdmin":
            return ports.intune.configure(tenant, device, step, job.user_id)
        case _ if step in POST_STEPS:
            return ports.intune.configure(tenant, device, step, "enabled")
    raise ValueError(f"unknown provisioning step {step}")


def clean_up_attempt(ports: EnginePorts, job: CloudPcJob, attempt: int, reason: str) -> None:
    """Remove the VM and NIC a failed attempt made, so the next attempt starts clean with a new NIC."""
    ports.network.delete_nic(job.tenant_id, nic_name(job.cloud_pc_id, job.run, attempt))
    ports.compute.delete_vm(job.tenant_id, vm_name(job.cloud_pc_id, job.run, attempt))
    now = ports.clock()
    ports.cloud_pcs.upsert_events(
        job.tenant_id,
        [
            timeline_event(
                job.cloud_pc_id,
                job.run,
                job.generation,
                "attemptFailed",
                now,
                outcome="failed",
                attempt=attempt,
                message=reason,
            ),
            timeline_event(
                job.cloud_pc_id,
                job.run,
                job.generation,
                "attemptCleanedUp",
                now,
                attempt=attempt,
                message="VM and network interface removed",
            ),
        ],
    )
    ports.cloud_pcs.merge_cloud_pc(_stub(job, {"attempt": attempt}), ["attempt"])


def finish(ports: EnginePorts, state: RunState, timeline: list[CloudPcEvent]) -> str:
    """Settle a run whose steps are all taken; the timeline is written before the status says so."""
    job = state.job
    cloud_pc = ports.cloud_pcs.get_cloud_pc(job.tenant_id, job.cloud_pc_id)
    if cloud_pc.run != job.run:
        ports.cloud_pcs.upsert_events(job.tenant_id, timeline)
        return cloud_pc.status  # another run took over (retry, reprovision): its result counts
    warnings = state.warnings
    status = "provisionedWithWarnings" if warnings else "provisioned"
    now = ports.clock()
    detail = StatusDetail(code="provisionedWithWarnings", message="; ".join(warnings)) if warnings else None
    done = cloud_pc.model_copy(
        update={
            **state.resources,
            "status": status,
            "status_detail": detail,
            "attempt": state.attempt,
            "warnings": warnings,
            "provisioned_date_time": now,
            "last_modified_date_time": now,
            "recheck_when_settled": False,
        }
    )
    timeline.append(
        timeline_event(
            job.cloud_pc_id,
            job.run,
            job.generation,
            "provisioned",
            now,
            outcome="warning" if warnings else "succeeded",
            attempt=state.attempt,
            message=f"{status} after {state.attempt} attempt(s)",
        )
    )
    ports.cloud_pcs.upsert_events(job.tenant_id, timeline)
    ports.cloud_pcs.upsert_cloud_pc(done, if_match=cloud_pc.etag)
    recheck_if_asked(ports, cloud_pc)
    return status


def recheck_if_asked(ports: EnginePorts, cloud_pc: CloudPc) -> None:
    """A reconcile found the user untargeted mid-run; now that the run settled, let it decide again."""
    if cloud_pc.recheck_when_settled:
        ports.events.publish_directory_event(cloud_pc.tenant_id, user_ids=[cloud_pc.user_id])


def fail(ports: EnginePorts, tenant_id: str, cloud_pc_id: str, run: int, step: str, code: str, message: str) -> str:
    cloud_pc = ports.cloud_pcs.get_cloud_pc(tenant_id, cloud_pc_id)
    if cloud_pc.run != run:
        return cloud_pc.status
    failed = cloud_pc.model_copy(
        update={
            "status": "failed",
            "status_detail": StatusDetail(code=code, message=f"Provisioning failed at {step}: {message}"),
            "last_modified_date_time": ports.clock(),
        }
    )
    failed = ports.cloud_pcs.upsert_cloud_pc(
        failed.model_copy(update={"recheck_when_settled": False}), if_match=cloud_pc.etag
    )
    schedule_clean_up(ports, failed)
    recheck_if_asked(ports, cloud_pc)
    record(
        ports,
        failed,
        "provisioningFailed",
        outcome="failed",
        attempt=cloud_pc.attempt,
        code=code,
        message=f"{step}: {message}",
    )
    return "failed"
