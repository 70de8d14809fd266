"""The ports the provisioning engine works with, built once by the composition root."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.cloud.ports import DeviceDirectory, DeviceManagement, Directory, ProvisioningCompute
from shared.events import EventPublisher
from shared.storage.cloud_pcs import CloudPcRepository
from shared.storage.connections import ConnectionRepository
from shared.storage.images import DeviceImageRepository
from shared.storage.lifecycle import DueWorkRepository
from shared.storage.policies import PolicyRepository
from shared.storage.sites import SiteRepository


@dataclass(frozen=True)
class EnginePorts:
    cloud_pcs: CloudPcRepository
    policies: PolicyRepository
    connections: ConnectionRepository
    sites: SiteRepository
    images: DeviceImageRepository
    directory: Directory
    compute: ProvisioningCompute
    devices: DeviceDirectory
    intune: DeviceManagement
    due: DueWorkRepository
    events: EventPublisher
    clock: Callable[[], datetime]
    max_attempts: int = 3
    grace_period: timedelta = timedelta(days=7)
    cleanup_delay: timedelta = timedelta(hours=3)
