"""The bundle of ports the admin (wizard) services' Protocols are cut from, built once by the composition root."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from ipaddress import IPv4Network, IPv6Network

from shared.ports.access_stores import TenantStore, UniqueValueStore
from shared.ports.alerts import AlertStore, NoticeSender
from shared.ports.azure_inventory import AzureInventory
from shared.ports.backend_choice import BackendChoice
from shared.ports.backend_facets import ConfigurationBackend
from shared.ports.directory import Directory, TenantWatch
from shared.ports.image_sources import ImageSources
from shared.ports.network_checks import NetworkChecks
from shared.ports.queues import EventPublisher
from shared.ports.secret_store import SecretStore
from shared.ports.spot_pc_stores import ImageSetStore, RegionImageStore, SpotGroupScheduleStore, SpotGroupStore
from shared.ports.stores import (
    CloudPcStore,
    ConnectionStore,
    DeviceImageStore,
    ListPages,
    PolicyStore,
    SiteStore,
    UserSettingStore,
)
from shared.ports.template_stores import TemplateStore
from shared.ports.windows365 import Windows365Network, Windows365Provisioning


@dataclass(frozen=True)
class AdminPorts:
    tenants: TenantStore
    sites: SiteStore
    connections: ConnectionStore
    images: DeviceImageStore
    policies: PolicyStore
    secrets: SecretStore
    directory: Directory
    network: NetworkChecks
    image_sources: ImageSources
    inventory: AzureInventory  # the customer's Azure as pick lists, and the checks made against it
    events: EventPublisher
    clock: Callable[[], datetime]
    new_id: Callable[[], str]
    unique: UniqueValueStore
    image_sets: ImageSetStore
    region_images: RegionImageStore  # the marketplace images last read in each region
    spot_groups: SpotGroupStore
    cloud_pcs: CloudPcStore  # read only: what holds a tenant to its backend
    windows365: Windows365Network  # Windows 365 itself, for the tenants whose backend it is
    windows365_provisioning: Windows365Provisioning
    user_settings: UserSettingStore  # Windows 365's user settings, on windows365 tenants
    pages: ListPages  # pages of the lists read whole from Azure (the pick lists)
    backends: BackendChoice[ConfigurationBackend]  # what differs between the backends, the tenant's picked
    notices: NoticeSender  # whether the app can send as the reclaim rule's sender
    # what a configuration document holds besides: Spot Group schedules and alert rules (with their webhook checks)
    schedules: SpotGroupScheduleStore
    alerts: AlertStore
    resolve_host: Callable[[str], list[str]]
    templates: TemplateStore  # the organization's templates and the tenants' applications of them
    grace_period: timedelta = timedelta(days=7)
    windows365_checks_poll: timedelta = timedelta(seconds=15)
    directory_subscriptions: TenantWatch | None = None  # Graph change notifications for linked tenants
    private_networks: Sequence[IPv4Network | IPv6Network] = ()  # ALERT_WEBHOOK_PRIVATE_NETWORKS
