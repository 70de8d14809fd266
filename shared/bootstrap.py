"""Builds the adapters and service ports once from settings (the composition root's helper)."""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass

from shared.cloud.azure.alert_notices import AlertNotices
from shared.cloud.azure.arm_clients import ArmClients
from shared.cloud.azure.arm_compute import AzureProvisioningCompute
from shared.cloud.azure.arm_devices import AzureDevices
from shared.cloud.azure.arm_grants import ArmGrants
from shared.cloud.azure.arm_image_building import AzureImageBuilding
from shared.cloud.azure.arm_images import AzureImages
from shared.cloud.azure.arm_inventory import AzureInventory
from shared.cloud.azure.arm_network_checks import AzureNetworkChecks
from shared.cloud.azure.arm_vm_operations import AzureCloudPcOperations
from shared.cloud.azure.avd import AzureDesktopVirtualization
from shared.cloud.azure.credentials import AzureCredentials, check_credentials
from shared.cloud.azure.entra_tokens import EntraTokenValidator
from shared.cloud.azure.graph_client import GraphClients
from shared.cloud.azure.graph_devices import GraphDevices
from shared.cloud.azure.graph_directory import GraphDirectory
from shared.cloud.azure.graph_grants import GraphGrants
from shared.cloud.azure.graph_licenses import GraphLicenses
from shared.cloud.azure.graph_people import GraphPeople
from shared.cloud.azure.graph_subscriptions import GraphSubscriptionsApi
from shared.cloud.azure.graph_windows365 import GraphWindows365Provisioning
from shared.cloud.azure.graph_windows365_network import GraphWindows365Network
from shared.cloud.azure.keyvault_secrets import KeyVaultSecretStore, app_key
from shared.cloud.azure.monitor_metrics import AzureVmMetrics
from shared.cloud.azure.retail_prices import AzureRetailPrices
from shared.cloud.azure.tenant_access import AzureTenantAccess
from shared.cloud.azure.transport import SILENCES
from shared.events import (
    QueueAlertDeliveries,
    QueueAlertEvaluations,
    QueueBulkActions,
    QueueEventPublisher,
    QueueSubscriptionLifecycle,
    QueueTemplateRollouts,
    QueueTimerWork,
)
from shared.models.base import new_id, utc_now
from shared.ports.admin_ports import AdminPorts
from shared.ports.bundles import (
    AccessPorts,
    AlertPorts,
    AuditPorts,
    CostPorts,
    EvictionWatch,
    ImageBuildPorts,
    OnboardingPorts,
    PricePorts,
    RightSizingPorts,
    SpotGroupPorts,
    TimerWorkPorts,
)
from shared.ports.engine_ports import EnginePorts
from shared.ports.queues import BulkActionQueue, EventPublisher, TemplateRolloutQueue
from shared.ports.stores import BulkActionStore
from shared.services.access.directory_subscriptions import DirectorySubscriptions
from shared.services.backends.backend_choice import (
    BACKENDS,
    TenantBackends,
    access_of,
    cloud_pc_work_of,
    configuration_of,
)
from shared.settings import Settings, SettingsError
from shared.storage import change_capture
from shared.storage.account import storage_account
from shared.storage.alerts import AlertRepository
from shared.storage.audit_events import AuditEventRepository
from shared.storage.bulk_actions import BulkActionRepository
from shared.storage.cloud_pcs import CloudPcRepository
from shared.storage.connections import ConnectionRepository
from shared.storage.continuation_tokens import ContinuationTokens
from shared.storage.directory_subscriptions import DirectorySubscriptionRepository
from shared.storage.image_sets import ImageSetRepository
from shared.storage.images import DeviceImageRepository
from shared.storage.lifecycle import DueWorkRepository
from shared.storage.marketplace_images import RegionImageRepository
from shared.storage.policies import PolicyRepository
from shared.storage.power_records import PowerRecordRepository
from shared.storage.prices import PriceRepository
from shared.storage.refused_work import RefusedWorkRepository
from shared.storage.role_assignments import RoleAssignmentRepository
from shared.storage.sites import SiteRepository
from shared.storage.spot_group_schedules import SpotGroupScheduleRepository
from shared.storage.spot_groups import SpotGroupRepository
from shared.storage.table_service import TableStorage
from shared.storage.templates import TemplateRepository
from shared.storage.tenants import TenantRepository
from shared.storage.unique_values import UniqueValues
from shared.storage.usage import UsageRepository
from shared.storage.user_settings import UserSettingRepository

APP_VERSION = "0.2.0"
# a GET may be let in on (and getTenant answer) the tenant and role this process read this long ago (seconds): a read
# is then one storage call, not two; a tenant deleted or a role changed elsewhere counts within it, here at once, and
# a write always reads them anew
RECENT_READS_S = 1.0
CONTINUATION_KEY = "continuation-token-key"  # signs the skipTokens callers get (Key Vault secret, made once)


@dataclass(frozen=True)
class Services:
    settings: Settings
    storage: TableStorage
    events: EventPublisher
    admin: AdminPorts
    engine: EnginePorts
    credentials: AzureCredentials
    bulk_actions: BulkActionStore
    bulk_queue: BulkActionQueue
    template_queue: TemplateRolloutQueue
    tokens: EntraTokenValidator
    access: AccessPorts
    audit: AuditPorts
    audit_events: AuditEventRepository
    image_builds: ImageBuildPorts
    spot_group_work: SpotGroupPorts
    onboarding: OnboardingPorts
    directory_subscriptions: DirectorySubscriptions
    alerts: AlertPorts
    right_sizing: RightSizingPorts
    prices: PricePorts
    costs: CostPorts
    timer_work: TimerWorkPorts


ACCESS_READ_AGE_S = 5.0


class EntraTenantIds:
    """The customer's Entra tenant id of an app tenant; remembered once known (a linked tenant stays linked)."""

    def __init__(self, tenants: TenantRepository) -> None:
        self._tenants = tenants
        self._known: dict[str, str] = {}

    def __call__(self, tenant_id: str) -> str | None:
        known = self._known.get(tenant_id)
        if known is None:
            tenant = self._tenants.find_tenant(tenant_id)
            if tenant is None or not tenant.entra_tenant_id:
                return None
            known = self._known[tenant_id] = str(tenant.entra_tenant_id)
        return known


class AzureAccessOf:
    """How the app works in a tenant's Azure (Tenant.azure_access), as read at most ACCESS_READ_AGE_S ago: asked at
    each ARM client's use, and changed rarely (an admin's switch to or from an Azure Lighthouse delegation)."""

    def __init__(self, tenants: TenantRepository) -> None:
        self._tenants = tenants

    def __call__(self, tenant_id: str) -> str:
        with change_capture.capturing(None):  # which identity calls ARM is no part of an audited request's change
            tenant = self._tenants.find_tenant(tenant_id, max_age=ACCESS_READ_AGE_S)
        return tenant.azure_access if tenant is not None else "consent"


def host_addresses(host: str) -> list[str]:
    """The addresses a host name resolves to now (an alert webhook's host is judged by each of them)."""
    return sorted({str(info[4][0]) for info in socket.getaddrinfo(host, 443, proto=socket.IPPROTO_TCP)})


def eviction_watch(settings: Settings) -> EvictionWatch | None:
    """Spot hosts post their Scheduled Events to the app's public address, with a token for the application the
    customer consented to (APP_CLIENT_ID): a managed identity gets a token only for an app with a service principal
    in its own tenant (Entra's AADSTS500011 otherwise), and admin consent is what makes that one's."""
    audience = settings.app_client_id or next(iter(settings.audiences), None)
    if settings.public_url is None or audience is None:
        return None
    return EvictionWatch(f"{settings.public_url}/api/scheduledEvents", audience)


def build_services(settings: Settings, environ: Mapping[str, str] | None = None) -> Services:
    """Every adapter is a production one; where Azure is (or the local emulator) is a matter of settings."""
    missing = check_credentials(settings, os.environ if environ is None else environ)
    if missing:
        raise SettingsError("The app has no usable Azure credential: " + "; ".join(missing))
    settings.check_auth()
    account = storage_account(settings)
    storage = TableStorage(account.tables, settings.table_name_prefix)
    events = QueueEventPublisher(account.queue(settings.directory_events_queue))
    tenants = TenantRepository(storage)
    refusals = RefusedWorkRepository(storage)
    credentials = AzureCredentials(settings, EntraTenantIds(tenants), azure_access_of=AzureAccessOf(tenants))
    secrets = KeyVaultSecretStore(settings, credentials)
    storage.continuations = ContinuationTokens(lambda: app_key(secrets, CONTINUATION_KEY))
    arm = ArmClients(credentials, settings.arm_endpoint)
    graph = GraphClients(credentials, settings.graph_endpoint)
    directory = GraphDirectory(graph)
    compute = AzureProvisioningCompute(arm)
    graph_devices = GraphDevices(graph)
    devices = AzureDevices(compute, graph_devices, secrets)
    cloud_pcs = CloudPcRepository(storage)
    windows365 = GraphWindows365Provisioning(graph)
    audit_events = AuditEventRepository(storage)
    subscriptions = DirectorySubscriptions(
        GraphSubscriptionsApi(graph),
        DirectorySubscriptionRepository(storage),
        settings.notification_url,
        refusals=refusals,
        lifecycle_queue=QueueSubscriptionLifecycle(account.queue(settings.directory_subscriptions_queue)),
    )
    # one sender: the alerts' notices and the reclaim rule's e-mail to users (whose sender a tenant's save checks)
    notices = AlertNotices(graph, private_networks=settings.webhook_private_networks)
    alert_store = AlertRepository(storage)
    schedules = SpotGroupScheduleRepository(storage)
    admin = AdminPorts(
        tenants=tenants,
        schedules=schedules,
        alerts=alert_store,
        resolve_host=host_addresses,
        private_networks=settings.webhook_private_networks,
        notices=notices,
        templates=TemplateRepository(storage),
        cloud_pcs=cloud_pcs,
        sites=SiteRepository(storage),
        connections=ConnectionRepository(storage),
        images=DeviceImageRepository(storage),
        policies=PolicyRepository(storage),
        secrets=secrets,
        directory=directory,
        network=AzureNetworkChecks(arm, secrets),
        image_sources=AzureImages(arm),
        inventory=AzureInventory(arm),
        events=events,
        clock=utc_now,
        new_id=new_id,
        unique=UniqueValues(storage, utc_now),
        image_sets=ImageSetRepository(storage),
        region_images=RegionImageRepository(storage),
        spot_groups=SpotGroupRepository(storage),
        grace_period=settings.cloudpc_grace_period,
        windows365_checks_poll=settings.windows365_checks_poll,
        directory_subscriptions=subscriptions,
        windows365=GraphWindows365Network(graph),
        windows365_provisioning=windows365,
        user_settings=UserSettingRepository(storage),
        pages=storage.continuations,
        backends=TenantBackends(tenants, configuration_of),
    )
    avd = AzureDesktopVirtualization(arm)  # one adapter: Spot Groups' host pools and the Cloud PCs' alike
    power_records = PowerRecordRepository(storage)
    prices = PriceRepository(storage)
    engine = EnginePorts(
        cloud_pcs=cloud_pcs,
        policies=admin.policies,
        connections=admin.connections,
        sites=admin.sites,
        images=admin.images,
        directory=directory,
        compute=compute,
        devices=devices,
        intune=devices,
        operations=AzureCloudPcOperations(arm, graph_devices),
        licenses=GraphLicenses(graph),
        due=DueWorkRepository(storage),
        refusals=refusals,
        events=events,
        clock=utc_now,
        silent_since=SILENCES.since,
        max_attempts=settings.provisioning_max_attempts,
        grace_period=settings.cloudpc_grace_period,
        cleanup_delay=settings.cloudpc_cleanup_delay,
        windows365=windows365,
        audit_log=audit_events,
        windows365_poll=settings.windows365_poll,
        backends=TenantBackends(tenants, cloud_pc_work_of),
        avd=avd,
        usage=UsageRepository(storage),
        notices=notices,
        power_records=power_records,
    )
    image_builds = ImageBuildPorts(
        image_sets=admin.image_sets,
        sites=admin.sites,
        compute=compute,
        operations=engine.operations,
        building=AzureImageBuilding(arm),
        clock=utc_now,
        power_records=power_records,
    )
    spot_group_work = SpotGroupPorts(
        spot_groups=admin.spot_groups,
        sites=admin.sites,
        compute=compute,
        devices=devices,
        avd=avd,
        operations=engine.operations,
        unique=admin.unique,
        clock=utc_now,
        schedules=schedules,
        directory=admin.directory,
        power_records=power_records,
        eviction_watch=eviction_watch(settings),
    )
    onboarding = OnboardingPorts(
        sites=admin.sites,
        access=AzureTenantAccess(credentials, arm, settings.graph_endpoint, graph),
        app_client_id=settings.app_client_id,
        authority_host=settings.azure_authority_host,
        graph_endpoint=settings.graph_endpoint,
        portal_url=settings.portal_url,
        backends=TenantBackends(tenants, access_of),
        directory_subscriptions=subscriptions,
        connections=admin.connections,
        refusals=refusals,
        events=events,
        spot_groups=admin.spot_groups,
        images=admin.images,
        policies=admin.policies,
        alerts=alert_store,
        grant=ArmGrants(credentials, settings.arm_endpoint, graph),
        graph_grant=GraphGrants(settings.graph_endpoint),
    )
    alerts = AlertPorts(
        alerts=alert_store,
        secrets=secrets,
        notices=notices,
        portal_url=settings.portal_url,
        deliveries=QueueAlertDeliveries(account.queue(settings.alert_deliveries_queue)),
        evaluations=QueueAlertEvaluations(account.queue(settings.alert_evaluations_queue)),
        tenants=tenants,
        cloud_pcs=cloud_pcs,
        connections=admin.connections,
        images=admin.images,
        image_sets=admin.image_sets,
        spot_groups=admin.spot_groups,
        schedules=spot_group_work.schedules,
        directory=directory,
        licenses=engine.licenses,
        onboarding=onboarding,
        clock=utc_now,
        new_id=new_id,
        resolve_host=host_addresses,
        private_networks=settings.webhook_private_networks,
    )
    return Services(
        settings=settings,
        storage=storage,
        events=events,
        admin=admin,
        engine=engine,
        credentials=credentials,
        bulk_actions=BulkActionRepository(storage),
        bulk_queue=QueueBulkActions(account.queue(settings.bulk_actions_queue)),
        template_queue=QueueTemplateRollouts(account.queue(settings.template_rollouts_queue)),
        tokens=EntraTokenValidator(
            settings.issuers,
            settings.audiences,
            settings.organization_owners,
            authority_host=settings.azure_authority_host,
            managed_identity_audience=settings.app_client_id,
        ),
        access=AccessPorts(
            role_assignments=RoleAssignmentRepository(storage),
            tenants=tenants,
            organization_owners=settings.organization_owners,
            clock=utc_now,
            recent_reads=RECENT_READS_S,
            people=GraphPeople(graph, credentials),
            invite_redirect_url=settings.portal_url or AccessPorts.invite_redirect_url,
        ),
        audit=AuditPorts(events=audit_events, clock=utc_now, new_id=new_id),
        audit_events=audit_events,
        image_builds=image_builds,
        spot_group_work=spot_group_work,
        onboarding=onboarding,
        directory_subscriptions=subscriptions,
        alerts=alerts,
        right_sizing=RightSizingPorts(
            cloud_pcs=cloud_pcs,
            metrics=AzureVmMetrics(credentials, settings.metrics_endpoint),
            backends=TenantBackends(tenants, cloud_pc_work_of),
            windows365=windows365,
            pages=storage.continuations,
            clock=utc_now,
        ),
        prices=PricePorts(
            tenants=tenants,
            sites=admin.sites,
            spot_groups=admin.spot_groups,
            prices=prices,
            retail_prices=AzureRetailPrices(settings.retail_prices_endpoint, lambda: utc_now().date()),
            currencies=settings.currencies,
        ),
        costs=CostPorts(
            power_records=power_records,
            prices=prices,
            tenants=tenants,
            cloud_pcs=cloud_pcs,
            spot_groups=admin.spot_groups,
            image_sets=admin.image_sets,
            sites=admin.sites,
            usage=engine.usage,
            policies=admin.policies,
            pages=storage.continuations,
            clock=utc_now,
            currencies=settings.currencies,
        ),
        timer_work=TimerWorkPorts(
            spot_groups=admin.spot_groups,
            tenants=tenants,
            connections=admin.connections,
            queue=QueueTimerWork(account.queue(settings.timer_work_queue)),
            watched_backends=[name for name, backend in BACKENDS.items() if backend.cloud_pcs.watches_use],
        ),
    )
