"""Provisioning one Cloud PC: build settings, the steps of the three stages, attempts and the timeline.

Every function here is what one activity does; each is idempotent, so a re-delivered activity or a
replayed orchestration repeats nothing that already happened.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from shared.catalog.gallery_images import GALLERY_IMAGES_BY_ID
from shared.catalog.service_plans import SERVICE_PLANS_BY_ID
from shared.cloud.ports import CloudError, Progress, VmSpec
from shared.errors import NotFound
from shared.models.cloud_pcs import BuildSettings, CloudPc, CloudPcEvent, StatusDetail
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
NAME_ATTEMPTS = 20


class ProvisioningFailed(Exception):
    """A step failed for good in this attempt; the message names the step for the admin."""

    def __init__(self, step: str, code: str, message: str) -> None:
        super().__init__(f"{step} failed ({code}): {message}")
        self.step, self.code = step, code


@dataclass(frozen=True)
class StepResult:
    done: bool
    retry_after_s: float = 0.0
    failed: bool = False
    code: str | None = None
    message: str | None = None


@dataclass(frozen=True)
class Plan:
    """What the orchestrator needs to drive one run: the steps to take, in order."""

    proceed: bool
    core: tuple[str, ...] = CORE_STEPS
    post: tuple[str, ...] = ()
    assignment: tuple[str, ...] = ASSIGNMENT_STEPS
    reason: str = ""


def vm_name(cloud_pc: CloudPc, attempt: int) -> str:
    return f"cpc-{cloud_pc.id}-{cloud_pc.generation}-{attempt}"


def nic_name(cloud_pc: CloudPc, attempt: int) -> str:
    return f"nic-{cloud_pc.id}-{cloud_pc.generation}-{attempt}"


def record(
    ports: EnginePorts,
    cloud_pc: CloudPc,
    name: str,
    *,
    kind: str = "milestone",
    outcome: str = "info",
    attempt: int = 0,
    start: datetime | None = None,
    code: str | None = None,
    message: str | None = None,
) -> None:
    """Write one timeline line; its id is deterministic, so a repeated activity overwrites, never duplicates."""
    now = ports.clock()
    order = ORDER.get(name, 0) if kind == "step" else {"attemptFailed": 90, "attemptCleanedUp": 91}.get(name, 0)
    event_id = f"r{cloud_pc.run:03d}.g{cloud_pc.generation:03d}.a{attempt:02d}.{order:02d}.{name}"
    if kind == "milestone" and name in ("provisioned", "provisioningFailed"):
        event_id = f"r{cloud_pc.run:03d}.g{cloud_pc.generation:03d}.z.{name}"
    ports.cloud_pcs.upsert_event(
        cloud_pc.tenant_id,
        CloudPcEvent.model_validate(
            {
                "id": event_id,
                "cloud_pc_id": cloud_pc.id,
                "date_time": now,
                "kind": kind,
                "name": name,
                "stage": STAGE_OF.get(name, "lifecycle"),
                "outcome": outcome,
                "run": cloud_pc.run,
                "generation": cloud_pc.generation,
                "attempt": attempt,
                "start_date_time": start,
                "end_date_time": now if outcome != "running" else None,
                "code": code,
                "message": message,
            }
        ),
    )


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


def begin(ports: EnginePorts, tenant_id: str, cloud_pc_id: str, run: int) -> Plan:
    """Take ownership for `run`: resolve the build settings and the device name, move to `provisioning`."""
    cloud_pc = ports.cloud_pcs.find_cloud_pc(tenant_id, cloud_pc_id)
    if cloud_pc is None or cloud_pc.run != run or cloud_pc.status not in ("pendingProvision", "provisioning"):
        return Plan(proceed=False, reason="superseded or already settled")
    if cloud_pc.status == "provisioning" and cloud_pc.build is not None:
        return plan_for(cloud_pc)  # a re-delivery of this very activity: the work is already decided
    try:
        build = _build_settings(ports, cloud_pc)
        device = cloud_pc.managed_device_name or _device_name(ports, cloud_pc, build.naming_template)
    except ProvisioningFailed as failure:
        fail(ports, tenant_id, cloud_pc_id, run, failure.step, failure.code, str(failure))
        return Plan(proceed=False, reason=str(failure))
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
    ports.cloud_pcs.upsert_cloud_pc(started, if_match=cloud_pc.etag)
    record(ports, started, "provisioningStarted", message=f"Device {device} from {build.image_display_name}")
    return plan_for(started)


def plan_for(cloud_pc: CloudPc) -> Plan:
    assert cloud_pc.build is not None
    post = tuple(s for s in POST_STEPS if s != "addLocalAdmin" or cloud_pc.build.local_admin_enabled)
    return Plan(proceed=True, post=post)


def _owned(ports: EnginePorts, tenant_id: str, cloud_pc_id: str, run: int) -> CloudPc:
    cloud_pc = ports.cloud_pcs.get_cloud_pc(tenant_id, cloud_pc_id)
    if cloud_pc.run != run or cloud_pc.build is None or cloud_pc.managed_device_name is None:
        raise ProvisioningFailed("begin", "superseded", "another run owns this Cloud PC now")
    return cloud_pc


def run_step(ports: EnginePorts, tenant_id: str, cloud_pc_id: str, run: int, attempt: int, step: str) -> StepResult:
    """One call of one step: done, not yet (wait `retry_after_s`, call again), or failed with a code."""
    cloud_pc = _owned(ports, tenant_id, cloud_pc_id, run)
    existing = ports.cloud_pcs.find_event(tenant_id, cloud_pc_id, _step_event_id(cloud_pc, attempt, step))
    start = existing.start_date_time if existing and existing.start_date_time else ports.clock()
    try:
        progress = _call(ports, cloud_pc, attempt, step)
    except CloudError as exc:
        outcome = "warning" if step in POST_STEPS else "failed"
        record(
            ports,
            cloud_pc,
            step,
            kind="step",
            outcome=outcome,
            attempt=attempt,
            start=start,
            code=exc.code,
            message=str(exc),
        )
        return StepResult(done=False, failed=True, code=exc.code, message=str(exc))
    if progress.done:
        record(ports, cloud_pc, step, kind="step", outcome="succeeded", attempt=attempt, start=start)
        if step in ("createVm", "attachNetwork") and progress.resource_id:
            field = "virtual_machine_id" if step == "createVm" else "network_interface_id"
            ports.cloud_pcs.upsert_cloud_pc(cloud_pc.model_copy(update={field: progress.resource_id}))
    elif existing is None:
        record(ports, cloud_pc, step, kind="step", outcome="running", attempt=attempt, start=start)
    return StepResult(done=progress.done, retry_after_s=progress.retry_after_s)


def _step_event_id(cloud_pc: CloudPc, attempt: int, step: str) -> str:
    return f"r{cloud_pc.run:03d}.g{cloud_pc.generation:03d}.a{attempt:02d}.{ORDER[step]:02d}.{step}"


def _call(ports: EnginePorts, cloud_pc: CloudPc, attempt: int, step: str) -> Progress:
    build, device, tenant = cloud_pc.build, cloud_pc.managed_device_name, cloud_pc.tenant_id
    assert build is not None and device is not None
    vm = vm_name(cloud_pc, attempt)
    match step:
        case "allocateCapacity":
            return ports.compute.allocate_capacity(tenant, build.region_name, build.vm_size, vm)
        case "createVm":
            spec = VmSpec(vm, build.region_name, build.vm_size, build.image_type, build.image_id, build.os_disk_size_gb)
            return ports.compute.create_vm(tenant, spec)
        case "attachNetwork":
            return ports.network.attach_nic(tenant, nic_name(cloud_pc, attempt), vm, build.subnet_id)
        case "joinEntra":
            return ports.devices.join_device(
                tenant, device, build.domain_join_type, build.ad_domain_name, build.organizational_unit
            )
        case "enrollIntune":
            return ports.intune.enroll_device(tenant, device)
        case "assignPrimaryUser":
            return ports.intune.set_primary_user(tenant, device, cloud_pc.user_id)
        case "assignUser":
            return ports.intune.assign_user(tenant, device, cloud_pc.user_id)
        case "resizeOsDisk":
            return ports.intune.configure(tenant, device, step, str(build.os_disk_size_gb))
        case "addLocalAdmin":
            return ports.intune.configure(tenant, device, step, cloud_pc.user_id)
        case _ if step in POST_STEPS:
            return ports.intune.configure(tenant, device, step, "enabled")
    raise ValueError(f"unknown provisioning step {step}")


def clean_up_attempt(ports: EnginePorts, tenant_id: str, cloud_pc_id: str, run: int, attempt: int, reason: str) -> None:
    """Remove the VM and NIC a failed attempt made, so the next attempt starts clean with a new NIC."""
    cloud_pc = _owned(ports, tenant_id, cloud_pc_id, run)
    record(ports, cloud_pc, "attemptFailed", outcome="failed", attempt=attempt, message=reason)
    ports.network.delete_nic(tenant_id, nic_name(cloud_pc, attempt))
    ports.compute.delete_vm(tenant_id, vm_name(cloud_pc, attempt))
    ports.cloud_pcs.upsert_cloud_pc(
        cloud_pc.model_copy(update={"attempt": attempt, "virtual_machine_id": None, "network_interface_id": None})
    )
    record(ports, cloud_pc, "attemptCleanedUp", attempt=attempt, message="VM and network interface removed")


def finish(ports: EnginePorts, tenant_id: str, cloud_pc_id: str, run: int, attempt: int, warnings: list[str]) -> str:
    cloud_pc = _owned(ports, tenant_id, cloud_pc_id, run)
    status = "provisionedWithWarnings" if warnings else "provisioned"
    now = ports.clock()
    detail = StatusDetail(code="provisionedWithWarnings", message="; ".join(warnings)) if warnings else None
    done = cloud_pc.model_copy(
        update={
            "status": status,
            "status_detail": detail,
            "attempt": attempt,
            "warnings": warnings,
            "provisioned_date_time": now,
            "last_modified_date_time": now,
        }
    )
    ports.cloud_pcs.upsert_cloud_pc(done)
    record(
        ports,
        done,
        "provisioned",
        outcome="warning" if warnings else "succeeded",
        attempt=attempt,
        message=f"{status} after {attempt} attempt(s)",
    )
    return status


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
    ports.cloud_pcs.upsert_cloud_pc(failed)
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
