"""The sweep of due lifecycle work: grace expiries, VM removals and clean-ups, each done once however often it is met.

A sweep takes what is due by now, oldest first; work not finished is due again when Azure has had the time it asked
for, and a failure no rule knows is tried again a minute later, not at every sweep."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Protocol

from shared.models.cloud_pcs import LIVE
from shared.models.lifecycle import DueWork
from shared.ports.cloud_errors import CloudError
from shared.ports.cloud_pc_work_ports import DeprovisionPorts
from shared.ports.devices import DeviceDirectory, DeviceManagement
from shared.ports.progress import Progress
from shared.ports.stores import RefusedWorkStore
from shared.services.cloud_pcs.lifecycle import (
    deprovision,
    due_again,
    failed_due_later,
    lifecycle_event,
    remove_due_vms,
)
from shared.services.cloud_pcs.provisioning_steps import join_spec, placement_of
from shared.services.engine.refused_work import watched

log = logging.getLogger(__name__)
# a clean-up refused for want of a permission waits this long before it asks again, rather than at every sweep
REFUSED_RETRY = timedelta(hours=1)
NIC_IN_USE = "NicInUse"  # Azure's refusal to delete a NIC that a VM still has
NIC_IN_USE_RETRY = timedelta(minutes=1)


class DueWorkPorts(DeprovisionPorts, Protocol):
    """The sweep of due work: grace expiries, VM removals, and clean-ups of devices a run left."""

    @property
    def devices(self) -> DeviceDirectory: ...
    @property
    def intune(self) -> DeviceManagement: ...
    @property
    def refusals(self) -> RefusedWorkStore: ...  # a clean-up refused for want of a permission, for the admin


def clean_up(ports: DueWorkPorts, work: DueWork) -> Progress:
    """Delete NICs and the Intune and Entra devices; disable (never delete) the AD computer account; keep NSGs.

    Not done while Azure is still deleting something: the work then stays due until it is."""
    tenant, build = work.tenant_id, work.build
    if build is not None:
        placement = placement_of(build)
        for name in work.nic_names:
            try:
                nic = ports.compute.delete_nic(tenant, placement, name)
            except CloudError as exc:
                if exc.code != NIC_IN_USE:
                    raise
                # its VM is not deleted yet (its delete held by the subscription's delete budget): asked again
                # rarely, so as not to spend the budget that delete waits for
                return Progress(done=False, retry_after_s=NIC_IN_USE_RETRY.total_seconds(), held=NIC_IN_USE)
            if not nic.done:  # a delete is asked again until the NIC is gone; no operation to keep
                return Progress(done=False, retry_after_s=nic.retry_after_s)
    current = ports.cloud_pcs.find_cloud_pc(tenant, work.cloud_pc_id)
    device_in_use = current is not None and current.managed_device_name == work.device_name and current.status in LIVE
    if work.device_name and not device_in_use:  # a retry may be using the same device name again
        ports.intune.delete_managed_device(tenant, work.device_name)
        ports.devices.delete_device(tenant, work.device_name)
        if build is not None and build.domain_join_type == "hybridAzureADJoin":
            join = join_spec(build, work.device_name)
            account = ports.devices.disable_computer_account(
                tenant, placement_of(build), join, build.subnet_id, work.operation
            )
            if not account.done:
                return account
        ports.cloud_pcs.release_device_name(tenant, work.device_name)
    lifecycle_event(
        ports,
        tenant,
        (work.cloud_pc_id, work.run, work.generation),
        "cleanedUp",
        outcome="succeeded",
        message="Intune and Entra devices and NICs removed" + ("" if not device_in_use else " (device kept: in use)"),
    )
    return Progress(done=True)


def process_due(ports: DueWorkPorts, work: DueWork) -> None:
    if work.kind == "graceExpiry":
        cloud_pc = ports.cloud_pcs.find_cloud_pc(work.tenant_id, work.cloud_pc_id)
        now = ports.clock()
        if (
            cloud_pc is not None
            and cloud_pc.run == work.run
            # not a failed one a retry may take; a deprovision under way (an interrupted end of grace) is finished
            and (
                cloud_pc.status == "deprovisioning"
                or (
                    cloud_pc.status == "inGracePeriod"
                    and (cloud_pc.grace_period_end_date_time is None or cloud_pc.grace_period_end_date_time <= now)
                )
            )
        ):
            deprovision(ports, work.tenant_id, work.cloud_pc_id, work.run, "Grace period ended")
    elif work.kind == "removeVms":
        remove_due_vms(ports, work)
    else:
        progress = watched(ports.refusals, work.tenant_id, "cleanUp", ports.clock, lambda: clean_up(ports, work))
        if isinstance(progress, CloudError):  # refused for want of a permission: said once, tried again much later
            lifecycle_event(
                ports,
                work.tenant_id,
                (work.cloud_pc_id, work.run, work.generation),
                "cleanUpRefused",
                outcome="failed",
                message=str(progress),
            )
            progress = Progress(done=False, retry_after_s=REFUSED_RETRY.total_seconds())
        due_again(ports, work, progress)
    ports.due.delete_due(work)


def sweep(ports: DueWorkPorts, *, limit: int = 1000) -> int:
    """Everything due by now, oldest first; safe to run twice at once, and a crashed run's work stays due."""
    done = 0
    while done < limit:
        batch = ports.due.list_due(ports.clock(), top=min(200, limit - done))
        if not batch:
            break
        failed = 0
        for work in batch:
            try:
                process_due(ports, work)
            except Exception:  # this one stays due, tried again a while later; the others go on
                log.exception("Due %s of Cloud PC %s failed; it stays due", work.kind, work.cloud_pc_id)
                failed += 1
                failed_due_later(ports, work)
        done += len(batch)
        if failed == len(batch):
            break  # nothing moved: leave the rest for the next sweep rather than spin
    return done
