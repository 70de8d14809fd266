"""The ports the admin (wizard) services work with, built once by the composition root."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.cloud.ports import Compute, Directory, NetworkChecks, SecretStore
from shared.events import EventPublisher
from shared.services.directory_subscriptions import DirectorySubscriptions
from shared.storage.connections import ConnectionRepository
from shared.storage.images import DeviceImageRepository
from shared.storage.policies import PolicyRepository
from shared.storage.sites import SiteRepository
from shared.storage.tenants import TenantRepository


@dataclass(frozen=True)
class AdminPorts:
    tenants: TenantRepository
    sites: SiteRepository
    connections: ConnectionRepository
    images: DeviceImageRepository
    policies: PolicyRepository
    secrets: SecretStore
    directory: Directory
    network: NetworkChecks
    compute: Compute
    events: EventPublisher
    clock: Callable[[], datetime]
    new_id: Callable[[], str]
    grace_period: timedelta = timedelta(days=7)
    directory_subscriptions: DirectorySubscriptions | None = None  # Graph change notifications for linked tenants
