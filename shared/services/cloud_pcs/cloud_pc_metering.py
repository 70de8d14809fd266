"""An azure-backend Cloud PC's VM as the cost view meters it: the power records of its making, power and deletion."""

from __future__ import annotations

from datetime import datetime

from shared.models.cloud_pcs import BuildSettings, CloudPc
from shared.models.costs import MeteredResource, PowerChange
from shared.ports.cloud_pc_work_ports import PowerRecordPorts
from shared.services.cloud_pcs.provisioning_steps import placement_of, vm_name
from shared.services.costs import power_records


def record_vm(
    ports: PowerRecordPorts,
    tenant_id: str,
    cloud_pc_id: str,
    user_id: str | None,
    name: str,
    build: BuildSettings,
    vm: str,
    change: PowerChange,
    at: datetime,
) -> None:
    """The VM `vm` of a Cloud PC built as `build` (`name`: its device name) made, started, stopped or deleted."""
    placement = placement_of(build)
    site = build.site_id or _site_of(ports, tenant_id, build)
    power_records.record(
        ports.power_records,
        MeteredResource(
            tenant_id=tenant_id,
            resource_id=power_records.vm_resource_id(placement, vm),
            kind="cloudPc",
            display_name=name,
            vm_size=build.vm_size,
            region=build.region_name,
            disk_tier=power_records.premium_ssd_tier(build.os_disk_size_gb),
            cloud_pc_id=cloud_pc_id,
            user_id=user_id,
            site_id=site,
        ),
        change,
        at,
    )


def _site_of(ports: PowerRecordPorts, tenant_id: str, build: BuildSettings) -> str | None:
    """The site of a Cloud PC built before its build kept it: a site is a region's resource group."""
    where = (build.subscription_id.lower(), build.resource_group.lower())
    return next(
        (
            s.id
            for s in ports.sites.list_all_sites(tenant_id)
            if (s.subscription_id.lower(), s.resource_group_name.lower()) == where
        ),
        None,
    )


def record_power(
    ports: PowerRecordPorts, cloud_pc: CloudPc, change: PowerChange, at: datetime, build: BuildSettings | None = None
) -> None:
    """The Cloud PC's current VM (`build`: as it is built now, when that differs from its record, as in a resize)."""
    build = build or cloud_pc.build
    if build is None:
        return  # no VM was made
    name = cloud_pc.managed_device_name or cloud_pc.display_name
    vm = vm_name(cloud_pc.id, cloud_pc.run, cloud_pc.attempt)
    record_vm(ports, cloud_pc.tenant_id, cloud_pc.id, cloud_pc.user_id, name, build, vm, change, at)
