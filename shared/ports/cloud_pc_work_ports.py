"""The least of the ports each method of a backend's Cloud PC work facet reads, and the small ones they are made of,
which the services they call take too."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Protocol

from shared.ports.cloud_pc_operations import CloudPcOperations
from shared.ports.compute import ProvisioningCompute
from shared.ports.costs import PowerRecordStore
from shared.ports.desktop_virtualization import DesktopVirtualization
from shared.ports.directory import Directory, LicenseAssignment
from shared.ports.queues import EventPublisher
from shared.ports.stores import CloudPcStore, DueWorkStore, PolicyStore, RefusedWorkStore, SiteStore, UsageStore
from shared.ports.windows365 import Windows365Provisioning

# read-only members (properties): the bundles that satisfy these are frozen dataclasses


class TimelinePorts(Protocol):
    """A Cloud PC saved with its timeline's lines (shared/services/cloud_pcs/timeline.py)."""

    @property
    def cloud_pcs(self) -> CloudPcStore: ...
    @property
    def clock(self) -> Callable[[], datetime]: ...


class DirectoryEventPorts(Protocol):
    """A reconcile asked for: a settled run, or a freed license, lets the directory's targeting decide again."""

    @property
    def events(self) -> EventPublisher: ...


class PowerRecordPorts(Protocol):
    """An azure-backend Cloud PC's VM made, started, stopped and deleted, for the cost view, with its site."""

    @property
    def power_records(self) -> PowerRecordStore: ...
    @property
    def sites(self) -> SiteStore: ...


class ScheduledWorkPorts(TimelinePorts, Protocol):
    """A Cloud PC's due work (its grace expiry, its VMs' removal, its clean-up), which names every VM and NIC its
    run's attempts may have made."""

    @property
    def due(self) -> DueWorkStore: ...
    @property
    def max_attempts(self) -> int: ...


class GracePorts(ScheduledWorkPorts, Protocol):
    """A Cloud PC into its grace period, or back from it."""

    @property
    def grace_period(self) -> timedelta: ...


class VmRemovalPorts(ScheduledWorkPorts, PowerRecordPorts, Protocol):
    """A run's VMs deleted (each session host out of its pool first), and its devices and NICs cleaned up later."""

    @property
    def compute(self) -> ProvisioningCompute: ...
    @property
    def avd(self) -> DesktopVirtualization: ...
    @property
    def cleanup_delay(self) -> timedelta: ...


class DeprovisionPorts(VmRemovalPorts, DirectoryEventPorts, Protocol):
    """A Cloud PC deprovisioned (its license freed for a waiting one)."""


class NewRunPorts(VmRemovalPorts, Protocol):
    """A Cloud PC started afresh (retry, reprovision): a reprovision builds from its policy's current settings."""

    @property
    def policies(self) -> PolicyStore: ...


class DirectoryChangePorts(DeprovisionPorts, GracePorts, Protocol):
    """What a change of the tenant's users or groups comes to (directory_changed): the app's own reconcile."""

    @property
    def directory(self) -> Directory: ...
    @property
    def policies(self) -> PolicyStore: ...
    @property
    def refusals(self) -> RefusedWorkStore: ...


class ActionCheckPorts(Protocol):
    """An action checked (check): a resize needs a license of the plan, which the user may hold through a group."""

    @property
    def licenses(self) -> LicenseAssignment: ...
    @property
    def directory(self) -> Directory: ...


class Windows365CloudPcPorts(Protocol):
    """A windows365 tenant's Cloud PCs, through Graph (rename, restore_points)."""

    @property
    def windows365(self) -> Windows365Provisioning: ...


class RestorePointPorts(Windows365CloudPcPorts, TimelinePorts, Protocol):
    """A restore point taken or restored (restore, take_restore_point): asked of Windows 365, with its line."""


class ActionPorts(NewRunPorts, DeprovisionPorts, RestorePointPorts, Protocol):
    """A checked action carried out (perform): by the app itself, or asked of Windows 365."""


class UsePorts(TimelinePorts, PowerRecordPorts, Protocol):
    """A watch of a tenant's Cloud PCs' use (watch_use): its policies and Cloud PCs, AVD's pools and sessions, the
    VMs it may put to sleep, and the connected time it counts."""

    @property
    def policies(self) -> PolicyStore: ...
    @property
    def avd(self) -> DesktopVirtualization: ...
    @property
    def operations(self) -> CloudPcOperations: ...
    @property
    def usage(self) -> UsageStore: ...


class UsageImportPorts(Windows365CloudPcPorts, Protocol):
    """A tenant's connections read from its backend's report into the usage rows (import_usage)."""

    @property
    def cloud_pcs(self) -> CloudPcStore: ...
    @property
    def usage(self) -> UsageStore: ...
