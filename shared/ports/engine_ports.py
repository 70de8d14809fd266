"""The bundle of ports the provisioning engine's Protocols are cut from, built once by the composition root."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.ports.access_stores import AuditLog
from shared.ports.alerts import NoticeSender
from shared.ports.backend_choice import BackendChoice
from shared.ports.backend_facets import CloudPcWork
from shared.ports.cloud_pc_operations import CloudPcOperations
from shared.ports.compute import ProvisioningCompute
from shared.ports.costs import PowerRecordStore
from shared.ports.desktop_virtualization import DesktopVirtualization
from shared.ports.devices import DeviceDirectory, DeviceManagement
from shared.ports.directory import Directory, LicenseAssignment
from shared.ports.queues import EventPublisher
from shared.ports.stores import (
    CloudPcStore,
    ConnectionStore,
    DeviceImageStore,
    DueWorkStore,
    PolicyStore,
    RefusedWorkStore,
    SiteStore,
    UsageStore,
)
from shared.ports.windows365 import Windows365Provisioning


def no_silence(_since: datetime) -> list[str]:
    """No service has left a call unanswered (the fakes' world)."""
    return []


@dataclass(frozen=True)
class EnginePorts:
    cloud_pcs: CloudPcStore
    policies: PolicyStore
    connections: ConnectionStore
    sites: SiteStore
    images: DeviceImageStore
    directory: Directory
    compute: ProvisioningCompute
    devices: DeviceDirectory
    intune: DeviceManagement
    operations: CloudPcOperations  # what the admin's actions do to a Cloud PC's VM and devices
    licenses: LicenseAssignment
    due: DueWorkStore
    refusals: RefusedWorkStore  # background work refused for want of a permission, for the admin to see
    events: EventPublisher
    clock: Callable[[], datetime]
    windows365: Windows365Provisioning  # for the tenants whose Cloud PCs Windows 365 provisions
    audit_log: AuditLog  # Windows 365's audit events join the tenant's audit view
    backends: BackendChoice[CloudPcWork]  # what differs between the backends, the tenant's picked
    avd: DesktopVirtualization  # where an azure-backend Cloud PC meets its user
    usage: UsageStore  # Cloud PCs' connected time per day, which the use watch keeps
    notices: NoticeSender  # e-mail to a user: the reclaim rule's announcement
    power_records: PowerRecordStore  # an azure-backend Cloud PC's VM made, started, stopped and deleted
    # the services that left one of this process's calls unanswered since a moment (a long wait for a thread says so)
    silent_since: Callable[[datetime], list[str]] = no_silence
    max_attempts: int = 3
    grace_period: timedelta = timedelta(days=7)
    cleanup_delay: timedelta = timedelta(hours=3)
    windows365_poll: timedelta = timedelta(minutes=1)
