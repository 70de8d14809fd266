"""The bundles of ports the composition root (shared/bootstrap.py) builds once and the triggers pass on: roles, the
audit log, onboarding, the tenant summary and usage, image builds, Spot Group work, alerts and costs. A service never
names one: it declares the Protocol of the ports it uses, which these satisfy (tests/unit/test_narrow_ports.py)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from ipaddress import IPv4Network, IPv6Network

from shared.models.base import utc_now
from shared.models.tenants import BackendName
from shared.ports.access_stores import AuditEventStore, RoleAssignmentStore, TenantStore, UniqueValueStore
from shared.ports.alerts import AlertDeliveryQueue, AlertStore, NoticeSender
from shared.ports.azure_grant import AzureGrant
from shared.ports.backend_choice import BackendChoice
from shared.ports.backend_facets import AccessBackend, CloudPcWork
from shared.ports.cloud_pc_operations import CloudPcOperations
from shared.ports.compute import ProvisioningCompute
from shared.ports.costs import PowerRecordStore, PriceStore, RetailPrices
from shared.ports.desktop_virtualization import DesktopVirtualization
from shared.ports.devices import DeviceDirectory
from shared.ports.directory import Directory, LicenseAssignment, TenantWatch
from shared.ports.graph_grant import GraphGrant
from shared.ports.image_building import ImageBuilding
from shared.ports.people import People
from shared.ports.queues import AlertEvaluationQueue, EventPublisher, TimerWorkQueue
from shared.ports.secret_store import SecretStore
from shared.ports.spot_group_work_ports import EvictionWatch
from shared.ports.spot_pc_stores import ImageSetStore, SpotGroupScheduleStore, SpotGroupStore
from shared.ports.stores import (
    CloudPcStore,
    ConnectionStore,
    DeviceImageStore,
    ListPages,
    PolicyStore,
    RefusedWorkStore,
    SiteStore,
    UsageStore,
)
from shared.ports.template_stores import TemplateStore
from shared.ports.tenant_access import TenantAccess
from shared.ports.vm_metrics import VmMetrics
from shared.ports.windows365 import Windows365Provisioning


@dataclass(frozen=True)
class AccessPorts:
    role_assignments: RoleAssignmentStore
    tenants: TenantStore
    organization_owners: frozenset[str]  # AUTH_BOOTSTRAP_ADMINS: owner of every tenant
    clock: Callable[[], datetime]
    # how old (seconds) the tenant and role a request that only reads is let in on may be (roles.standing)
    recent_reads: float = 0.0
    people: People | None = None  # the directories roles are given from by name (services/access/people.py)
    invite_redirect_url: str = "https://myapplications.microsoft.com/"  # where an invited guest lands


@dataclass(frozen=True)
class OnboardingPorts:
    sites: SiteStore
    access: TenantAccess
    app_client_id: str | None
    authority_host: str  # Entra's host: login.microsoftonline.com, or a sovereign cloud's
    graph_endpoint: str
    portal_url: str | None  # where the customer's admin comes back after consent
    backends: BackendChoice[AccessBackend]  # the roles a tenant grants depend on its backend
    directory_subscriptions: TenantWatch | None = None
    connections: ConnectionStore | None = None  # their networks are checked too, where they are not their site's
    refusals: RefusedWorkStore | None = None
    events: EventPublisher | None = None  # a refused directory read is tried again once nothing is missing
    spot_groups: SpotGroupStore | None = None  # personal groups' sites need Start VM on Connect's role
    images: DeviceImageStore | None = None  # a windows365 tenant's uploads tell whether Windows 365 could read them
    policies: PolicyStore | None = None  # policies with power rules: their sites need Start VM on Connect's role
    alerts: AlertStore | None = None  # a rule that e-mails asks for Mail.Send
    grant: AzureGrant | None = None  # the one-step grant with the customer administrator's sign-in
    graph_grant: GraphGrant | None = None  # the same, of Graph permissions, with the Entra administrator's
    clock: Callable[[], datetime] = utc_now  # when the grant gave Windows 365 its roles at a site


@dataclass(frozen=True)
class SpotGroupPorts:
    spot_groups: SpotGroupStore
    sites: SiteStore
    compute: ProvisioningCompute
    devices: DeviceDirectory
    avd: DesktopVirtualization
    operations: CloudPcOperations  # power: the optimization starts and deallocates hosts
    unique: UniqueValueStore
    clock: Callable[[], datetime]
    schedules: SpotGroupScheduleStore  # with the timeline of the optimization's decisions and its recorded load
    directory: Directory  # the groups' members, of whom the license count holds the desktop
    power_records: PowerRecordStore  # each host's VM made, started, stopped and deleted: what the cost view meters
    eviction_watch: EvictionWatch | None = None  # None: the app's public address is unknown, no watcher is installed


@dataclass(frozen=True)
class SummaryPorts:
    cloud_pcs: CloudPcStore
    connections: ConnectionStore
    spot_groups: SpotGroupStore
    refusals: RefusedWorkStore
    clock: Callable[[], datetime]
    alerts: AlertStore | None = None  # its open alerts counted
    templates: TemplateStore | None = None  # its drifted templates counted


@dataclass(frozen=True)
class RightSizingPorts:
    cloud_pcs: CloudPcStore
    metrics: VmMetrics
    backends: BackendChoice[CloudPcWork]  # what the backend itself says of its Cloud PCs' sizes
    windows365: Windows365Provisioning
    pages: ListPages
    clock: Callable[[], datetime]


@dataclass(frozen=True)
class UsagePorts:
    cloud_pcs: CloudPcStore
    usage: UsageStore
    pages: ListPages  # the reports are made whole, then paged
    clock: Callable[[], datetime]


@dataclass(frozen=True)
class AuditPorts:
    events: AuditEventStore
    clock: Callable[[], datetime]
    new_id: Callable[[], str]


@dataclass(frozen=True)
class ImageBuildPorts:
    image_sets: ImageSetStore
    sites: SiteStore
    compute: ProvisioningCompute
    operations: CloudPcOperations
    building: ImageBuilding
    clock: Callable[[], datetime]
    power_records: PowerRecordStore  # the build VM made, deallocated and deleted


@dataclass(frozen=True)
class AlertPorts:
    """Alert rules kept (a webhook's secret in the secret store, an e-mail channel's mailbox asked of Graph), and
    their evaluation: the rows each kind watches, the alerts, and the queues of evaluations and notices."""

    alerts: AlertStore
    secrets: SecretStore
    notices: NoticeSender
    deliveries: AlertDeliveryQueue
    evaluations: AlertEvaluationQueue
    tenants: TenantStore
    cloud_pcs: CloudPcStore
    connections: ConnectionStore
    images: DeviceImageStore
    image_sets: ImageSetStore
    spot_groups: SpotGroupStore
    schedules: SpotGroupScheduleStore
    directory: Directory
    licenses: LicenseAssignment
    onboarding: OnboardingPorts
    clock: Callable[[], datetime]
    new_id: Callable[[], str]
    portal_url: str | None  # the cards' and e-mails' link to the alert
    resolve_host: Callable[[str], list[str]]  # a webhook host's addresses, as DNS answers now
    private_networks: Sequence[IPv4Network | IPv6Network] = ()  # ALERT_WEBHOOK_PRIVATE_NETWORKS


@dataclass(frozen=True)
class CostPorts:
    """What the cost reports read: the power records and prices, and the rows that name what was metered."""

    power_records: PowerRecordStore
    prices: PriceStore
    tenants: TenantStore
    cloud_pcs: CloudPcStore
    spot_groups: SpotGroupStore
    image_sets: ImageSetStore
    sites: SiteStore
    usage: UsageStore  # the users' measured hours: the per-user comparison
    policies: PolicyStore  # their power rules: the hours an azure Cloud PC would run
    pages: ListPages
    clock: Callable[[], datetime]
    currencies: Sequence[str] = ("USD",)  # the COST_CURRENCIES setting: the first is the default


@dataclass(frozen=True)
class PricePorts:
    """What the daily read of list prices uses: where the tenants' VMs are, Azure's public price list, the cache."""

    tenants: TenantStore
    sites: SiteStore
    spot_groups: SpotGroupStore
    retail_prices: RetailPrices
    prices: PriceStore
    currencies: Sequence[str] = ("USD",)  # the COST_CURRENCIES setting


@dataclass(frozen=True)
class TimerWorkPorts:
    """What the timers that fan out read to learn what is due, and the queue each share of their work goes on."""

    spot_groups: SpotGroupStore
    tenants: TenantStore
    connections: ConnectionStore
    queue: TimerWorkQueue
    watched_backends: Sequence[BackendName]  # the backends whose use the app watches (the backends say)
