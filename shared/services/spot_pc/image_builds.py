"""Building and removing image-set versions in Azure: phases, each done or asked again later, recorded as they go.

A build VM is made from the marketplace image (version 0.0.0) or from the base version's gallery image, customized
by the version's scripts (or, without scripts, by the admin, who then asks for the capture), sysprepped,
deallocated, generalized and captured into the set's gallery image definition, replicated to the version's
regions; then the build VM goes. A failure is recorded with its step, and the build VM is removed all the same.
A removal deletes the gallery image versions (for a whole set, then its image definition) before the records, so
nothing is left in Azure that no record names. Every phase is an idempotent call answering Progress, so a
repeated activity call does no harm.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Protocol

from shared.catalog.marketplace_images import os_disk_size_gb
from shared.models.costs import MeteredResource, PowerChange
from shared.models.failures import StepDetail
from shared.models.image_sets import BUILD_VM_SIZE, ImageSet, ImageSetVersion, VersionStatus
from shared.models.orchestrations import ImageBuildRun, ImageRemovalRun, PhasedStep
from shared.models.sites import Site
from shared.ports.cloud_errors import CloudError
from shared.ports.cloud_pc_operations import CloudPcOperations
from shared.ports.compute import Placement, ProvisioningCompute, VmSpec
from shared.ports.costs import PowerRecordStore
from shared.ports.image_building import GalleryImage, ImageBuilding
from shared.ports.progress import Progress
from shared.ports.spot_pc_stores import ImageSetStore
from shared.ports.stores import SiteStore
from shared.services.costs import power_records
from shared.services.engine import phased
from shared.services.spot_pc.image_sets import record_set_status, record_status
from shared.services.spot_pc.spot_pc_transitions import PROGRESS_ACTIONS

log = logging.getLogger(__name__)
BUILD_DISK_GB = 64  # the least a build VM's disk is; its source image's own size when that is larger
GALLERY = "spotpc_images"  # one Compute Gallery per site resource group; each image set is a definition in it
CUSTOMIZATION_WINDOW = timedelta(days=7)  # a build VM left waiting this long is removed: it bills meanwhile
PHASE_TIMEOUT = timedelta(hours=2)  # replication of a global version alone takes about 20 minutes
# generalize for capture; /quit rather than /shutdown so Run Command gets its answer; the VM is deallocated next
SYSPREP = [r"& $env:windir\System32\Sysprep\sysprep.exe /generalize /oobe /quit /mode:vm"]
CLEAN_UP = ("deleteBuildVm", "deleteBuildNic")
PROGRESS = ("building", "awaitingCustomization", "capturing", "replicating", "ready", "failed", "deleting")
AWAIT = "awaitCustomization"
METERED: dict[str, PowerChange] = {"createBuildVm": "created", "deallocateVm": "stopped", "deleteBuildVm": "deleted"}
SCRIPT = "runScript:"


class ImageBuildRunPorts(Protocol):
    """An image set's version built on a VM in its site, captured, and removed; the build VM's hours metered."""

    @property
    def image_sets(self) -> ImageSetStore: ...
    @property
    def sites(self) -> SiteStore: ...
    @property
    def compute(self) -> ProvisioningCompute: ...
    @property
    def operations(self) -> CloudPcOperations: ...
    @property
    def building(self) -> ImageBuilding: ...
    @property
    def power_records(self) -> PowerRecordStore: ...
    @property
    def clock(self) -> Callable[[], datetime]: ...


def phases(version: ImageSetVersion) -> tuple[str, ...]:
    """A version's phases: its scripts each run in turn; a later version without scripts waits for the admin."""
    customize = tuple(f"{SCRIPT}{i}" for i in range(len(version.customization_scripts)))
    if not customize and version.base_version is not None:
        customize = (AWAIT,)
    capture = ("sysprep", "deallocateVm", "generalizeVm", "ensureImageDefinition", "createImageVersion")
    return ("createBuildVm", *customize, *capture, *CLEAN_UP)


def status_in(phase: str, version: ImageSetVersion) -> VersionStatus:
    """What a version shows while `phase` runs."""
    if phase == "createBuildVm" or phase.startswith(SCRIPT):
        return "building"
    if phase == AWAIT:
        return "awaitingCustomization"
    if phase == "createImageVersion" and len(version.regions) > 1:
        return "replicating"
    return "capturing"


def build_names(image_set_id: str, version: str) -> tuple[str, str, str]:
    """The build VM's name, its NIC's and its computer name (15 characters): one per set and version."""
    digest = hashlib.sha256(f"{image_set_id}/{version}".encode()).hexdigest()[:11]
    return f"imgbuild-{digest}", f"imgbuild-{digest}-nic", f"IMG{digest}".upper()


def gallery_image(site: Site, image_set_id: str) -> GalleryImage:
    return GalleryImage(placement_of(site), GALLERY, f"imageset-{image_set_id}")


def metered(image_set: ImageSet, version: ImageSetVersion, site: Site) -> MeteredResource:
    """The build VM, as its power records name it."""
    vm, _, _ = build_names(image_set.id, version.version)
    return MeteredResource(
        tenant_id=image_set.tenant_id,
        resource_id=power_records.vm_resource_id(placement_of(site), vm),
        kind="imageBuild",
        display_name=f"{image_set.display_name} {version.version}",
        vm_size=BUILD_VM_SIZE,
        region=site.region_name,
        disk_tier=power_records.premium_ssd_tier(_disk_gb(image_set)),
        site_id=site.id,
        image_set_id=image_set.id,
        image_version=version.version,
    )


def _disk_gb(image_set: ImageSet) -> int:
    # a later version's base descends from the same marketplace image, so has its disk size too
    return os_disk_size_gb(image_set.source_image_id, BUILD_DISK_GB)


def placement_of(site: Site) -> Placement:
    return Placement(site.subscription_id, site.resource_group_name, site.region_name)


def advance_build(ports: ImageBuildRunPorts, run: ImageBuildRun) -> PhasedStep[ImageBuildRun]:
    """Take the build's phases as far as they go; a phase still in progress answers when to ask again. A failure
    is recorded on the version and leaves only the clean-up phases; a clean-up that fails leaves the build VM for
    the admin to remove."""
    store = ports.image_sets
    found = store.find_version(run.tenant_id, run.image_set_id, run.version)
    image_set = store.find_image_set(run.tenant_id, run.image_set_id)
    if found is None or image_set is None:
        return PhasedStep(outcome="superseded", run=run)  # deleted meanwhile
    version = found  # the version as this call last wrote it
    site = ports.sites.find_site(run.tenant_id, image_set.home_site_id)
    steps = phases(version)

    def take(now: ImageBuildRun, phase: str) -> Progress | PhasedStep[ImageBuildRun]:
        nonlocal version
        if site is None and phase not in CLEAN_UP:
            raise CloudError(phase, "siteNotFound", f"Site '{image_set.home_site_id}' was deleted.")
        if phase == AWAIT:
            if version.status == "capturing":  # the admin asked for the capture (shared/services/spot_pc/image_sets.py)
                return phased.DONE
            if now.customization_expired:
                expired = f"No capture was asked for within {CUSTOMIZATION_WINDOW.days} days."
                raise CloudError(AWAIT, "customizationTimedOut", expired)
            if version.status != "awaitingCustomization":
                version = record_status(store, version, "await")
            return PhasedStep(run=now, awaiting_capture=True, resume_at=ports.clock() + CUSTOMIZATION_WINDOW)
        shown = status_in(phase, version)
        if phase not in CLEAN_UP and PROGRESS.index(shown) > PROGRESS.index(version.status):
            version = record_status(store, version, PROGRESS_ACTIONS[shown])  # forward only: a restarted build
            # replays its phases
        assert site is not None
        return _phase(ports, image_set, version, site, now, phase)

    def failed(now: ImageBuildRun, phase: str, exc: CloudError) -> ImageBuildRun:
        nonlocal version
        if phase in CLEAN_UP:  # the version stands; the build VM is left for the admin to remove
            log.warning("Image build %s %s: %s failed (%s)", now.image_set_id, now.version, phase, exc.code)
            return phased.next_phase(now)
        version, now = _fail(store, version, now, steps, exc)
        return now

    def made(now: ImageBuildRun, phase: str, progress: Progress) -> ImageBuildRun:
        nonlocal version
        if phase in METERED and site is not None:
            power_records.record(ports.power_records, metered(image_set, version, site), METERED[phase], ports.clock())
        if phase == "createBuildVm":
            return now.model_copy(update={"build_vm_id": progress.resource_id})
        if phase == "createImageVersion":
            version = record_status(store, version, "finish", image_version_id=progress.resource_id)
        return now

    return phased.drive(
        run,
        steps,
        take,
        clock=ports.clock,
        limit=PHASE_TIMEOUT,
        on_fail=failed,
        on_done=made,
        finish=lambda done: PhasedStep(outcome="failed" if done.failed else "succeeded", run=done),
    )


def _fail(
    store: ImageSetStore, version: ImageSetVersion, run: ImageBuildRun, steps: tuple[str, ...], exc: CloudError
) -> tuple[ImageSetVersion, ImageBuildRun]:
    """Record the failure with its step; only the clean-up phases are left."""
    detail = StepDetail(code=exc.code, step=exc.step, message=str(exc)[:500])
    version = record_status(store, version, "fail", status_detail=detail)
    failed = run.model_copy(
        update={"failed": True, "phase": steps.index(CLEAN_UP[0]), "operation": None, "started_at": None}
    )
    return version, failed


def _phase(
    ports: ImageBuildRunPorts, image_set: ImageSet, version: ImageSetVersion, site: Site, run: ImageBuildRun, phase: str
) -> Progress:
    tenant, placement = run.tenant_id, placement_of(site)
    vm, nic, _ = build_names(image_set.id, version.version)
    if phase == "createBuildVm":
        return ports.compute.create_vm(tenant, _build_vm(ports, image_set, version, site), run.operation)
    if phase.startswith(SCRIPT):
        index = int(phase.removeprefix(SCRIPT))
        script = version.customization_scripts[index].script.splitlines()
        return ports.compute.run_command(tenant, placement, vm, f"customization-{index}", script, run.operation)
    if phase == "sysprep":
        return ports.compute.run_command(tenant, placement, vm, "sysprep", SYSPREP, run.operation)
    if phase == "deallocateVm":
        return ports.operations.power_vm(tenant, placement, vm, "deallocate", run.operation)
    if phase == "generalizeVm":
        return ports.building.generalize_vm(tenant, placement, vm)
    image = gallery_image(site, image_set.id)
    if phase == "ensureImageDefinition":
        return ports.building.ensure_image_definition(tenant, image, image_set.source_image_id, run.operation)
    if phase == "createImageVersion":
        if run.build_vm_id is None:
            raise CloudError(phase, "buildVmUnknown", "The build VM's id was not recorded.")
        return ports.building.create_image_version(
            tenant, image, version.version, run.build_vm_id, version.regions, run.operation
        )
    if phase == "deleteBuildVm":
        return ports.compute.delete_vm(tenant, placement, vm, run.operation)
    if phase == "deleteBuildNic":
        return ports.compute.delete_nic(tenant, placement, nic, run.operation)
    raise ValueError(f"unknown phase {phase}")


def _build_vm(ports: ImageBuildRunPorts, image_set: ImageSet, version: ImageSetVersion, site: Site) -> VmSpec:
    """From the marketplace image for 0.0.0; from the base version's gallery image for the later ones."""
    vm, nic, computer = build_names(image_set.id, version.version)
    image_type, image_id = "gallery", image_set.source_image_id
    if version.base_version is not None:
        base = ports.image_sets.get_version(image_set.tenant_id, image_set.id, version.base_version)
        if base.image_version_id is None:
            raise CloudError("createBuildVm", "baseVersionNotReady", f"Version {base.version} has no image.")
        image_type, image_id = "custom", base.image_version_id
    return VmSpec(
        name=vm,
        nic_name=nic,
        computer_name=computer,
        placement=placement_of(site),
        vm_size=BUILD_VM_SIZE,
        image_type=image_type,
        image_id=image_id,
        subnet_id=site.subnet_id,
        os_disk_size_gb=_disk_gb(image_set),
    )


# --- removal -------------------------------------------------------------------------------------------------

DELETE_VERSION = "deleteImageVersion:"


def removal_phases(run: ImageRemovalRun) -> tuple[str, ...]:
    if run.version is not None:
        return (f"{DELETE_VERSION}{run.version}", "forget")
    return (*(f"{DELETE_VERSION}{v}" for v in run.versions), "deleteImageDefinition", "forget")


def advance_removal(ports: ImageBuildRunPorts, run: ImageRemovalRun) -> PhasedStep[ImageRemovalRun]:
    """Delete what the removal names in Azure, then its records; a failure marks it `failed`, to delete again."""
    store = ports.image_sets
    found = store.find_image_set(run.tenant_id, run.image_set_id)
    if found is None:
        return PhasedStep(outcome="superseded", run=run)  # removed already (a repeated call)
    image_set = found
    site = ports.sites.find_site(run.tenant_id, image_set.home_site_id)

    def take(now: ImageRemovalRun, phase: str) -> Progress:
        if phase == "forget":
            _forget(store, now)
            return phased.DONE
        if site is None:  # sites that hold image sets are not deleted (shared/services/access/sites.py)
            raise CloudError(phase, "siteNotFound", f"Site '{image_set.home_site_id}' was deleted.")
        image = gallery_image(site, image_set.id)
        if phase.startswith(DELETE_VERSION):
            number = phase.removeprefix(DELETE_VERSION)
            return ports.building.delete_image_version(now.tenant_id, image, number, now.operation)
        return ports.building.delete_image_definition(now.tenant_id, image, now.operation)

    def failed(now: ImageRemovalRun, phase: str, exc: CloudError) -> PhasedStep[ImageRemovalRun]:
        _removal_failed(store, image_set, now, exc)
        return PhasedStep(outcome="failed", run=now)

    return phased.drive(run, removal_phases(run), take, clock=ports.clock, limit=PHASE_TIMEOUT, on_fail=failed)


def _forget(store: ImageSetStore, run: ImageRemovalRun) -> None:
    if run.version is not None:
        store.delete_version(run.tenant_id, run.image_set_id, run.version)
        return
    for version in store.list_versions(run.tenant_id, run.image_set_id):
        store.delete_version(run.tenant_id, run.image_set_id, version.version)
    store.delete_image_set(run.tenant_id, run.image_set_id)


def _removal_failed(store: ImageSetStore, image_set: ImageSet, run: ImageRemovalRun, exc: CloudError) -> None:
    """The version (or the set) shows `failed` with the cause; deleting it again starts over."""
    log.warning("Removing image set %s %s failed at %s (%s)", run.image_set_id, run.version or "", exc.step, exc.code)
    if run.version is None:
        record_set_status(store, image_set, "fail")
        return
    version = store.find_version(run.tenant_id, run.image_set_id, run.version)
    if version is not None:
        record_status(
            store, version, "fail", status_detail=StepDetail(code=exc.code, step=exc.step, message=str(exc)[:500])
        )
