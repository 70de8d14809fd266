"""In-memory fakes of every cloud port the services take, and the real repositories on an in-memory table service,
wired into EnginePorts and AdminPorts around a settable clock.

fakes = Fakes()                       # fresh state; fakes.clock.now is T0
ports = fakes.engine_ports()          # or fakes.admin_ports(); both share the same fakes
fakes.directory.add_user(TENANT, "ann", PLAN)
fakes.script.fail("join_device", times=2, code="DeviceNotSynced")
fakes.clock.advance(minutes=5)
"""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from shared.events import DirectoryEvent
from shared.models.lifecycle import DueWork
from shared.ports.admin_ports import AdminPorts
from shared.ports.bundles import AlertPorts, CostPorts, ImageBuildPorts, OnboardingPorts, SpotGroupPorts
from shared.ports.engine_ports import EnginePorts
from shared.services.backends.backend_choice import TenantBackends, cloud_pc_work_of, configuration_of
from shared.storage.alerts import AlertRepository
from shared.storage.audit_events import AuditEventRepository
from shared.storage.cloud_pcs import CloudPcRepository
from shared.storage.connections import ConnectionRepository
from shared.storage.continuation_tokens import PROCESS_TOKENS
from shared.storage.image_sets import ImageSetRepository
from shared.storage.images import DeviceImageRepository
from shared.storage.lifecycle import DueWorkRepository
from shared.storage.marketplace_images import RegionImageRepository
from shared.storage.policies import PolicyRepository
from shared.storage.power_records import PowerRecordRepository
from shared.storage.prices import PriceRepository
from shared.storage.refused_work import RefusedWorkRepository
from shared.storage.sites import SiteRepository
from shared.storage.spot_group_schedules import SpotGroupScheduleRepository
from shared.storage.spot_groups import SpotGroupRepository
from shared.storage.templates import TemplateRepository
from shared.storage.tenants import TenantRepository
from shared.storage.unique_values import UniqueValues
from shared.storage.usage import UsageRepository
from shared.storage.user_settings import UserSettingRepository
from tests.fakes.alerts import FakeNotices, RecordingAlertQueues
from tests.fakes.cloud import (
    FakeAzureInventory,
    FakeCloudPcOperations,
    FakeDesktopVirtualization,
    FakeDeviceDirectory,
    FakeDeviceManagement,
    FakeDirectory,
    FakeImageBuilding,
    FakeLicenses,
    FakeManagedImages,
    FakeNetworkChecks,
    FakeProvisioningCompute,
    FakeSecretStore,
    FakeWindows365,
    Script,
)
from tests.fakes.tables import MemoryTableService, memory_storage

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


class FakeClock:
    """The ports' clock: a callable whose `now` stays put until a test moves it."""

    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta | None = None, **parts: float) -> datetime:
        self.now += delta if delta is not None else timedelta(**parts)
        return self.now


class RecordingEvents:
    """The EventPublisher: keeps every directory event published, as the queue message would carry it."""

    def __init__(self) -> None:
        self.published: list[DirectoryEvent] = []

    def publish_directory_event(
        self,
        tenant_id: str,
        *,
        user_ids: list[str] | None = None,
        group_ids: list[str] | None = None,
        full: bool = False,
        delay_s: float = 0.0,
    ) -> None:
        self.published.append(
            DirectoryEvent(
                tenant_id=tenant_id, user_ids=list(user_ids or []), group_ids=list(group_ids or []), full=full
            )
        )


class SequentialIds:
    """AdminPorts.new_id: GUID-shaped and in order, so a test can predict the ids it gets."""

    def __init__(self) -> None:
        self.issued = 0

    def __call__(self) -> str:
        self.issued += 1
        return str(uuid.UUID(int=self.issued))


class Fakes:
    """One fresh in-memory world: the real repositories on an in-memory table service, every cloud fake, the
    script that drives the cloud fakes' faults and delays, the clock and the published events. Inspect any of them
    after the call under test (`tables.entities(name)` shows a table's rows)."""

    def __init__(self, now: datetime = T0) -> None:
        self.clock = FakeClock(now)
        self.script = Script()
        self.events = RecordingEvents()
        self.new_id = SequentialIds()
        self.tables = MemoryTableService(lambda: self.clock())  # read late: a helper may swap the clock
        self.storage = storage = memory_storage(self.tables)
        self.tenants = TenantRepository(storage)
        self.unique = UniqueValues(storage, lambda: self.clock())
        self.sites = SiteRepository(storage)
        self.connections = ConnectionRepository(storage)
        self.images = DeviceImageRepository(storage)
        self.image_sets = ImageSetRepository(storage)
        self.region_images = RegionImageRepository(storage)
        self.spot_groups = SpotGroupRepository(storage)
        self.spot_group_schedules = SpotGroupScheduleRepository(storage)
        self.policies = PolicyRepository(storage)
        self.user_settings = UserSettingRepository(storage)
        self.usage = UsageRepository(storage)
        self.cloud_pcs = CloudPcRepository(storage)
        self.due = DueWorkRepository(storage)
        self.refusals = RefusedWorkRepository(storage)
        self.audit_log = AuditEventRepository(storage)
        self.alerts = AlertRepository(storage)
        self.templates = TemplateRepository(storage)
        self.power_records = PowerRecordRepository(storage)
        self.prices = PriceRepository(storage)
        self.notices = FakeNotices()
        self.alert_queues = RecordingAlertQueues()
        self.directory = FakeDirectory(self.script)
        self.compute = FakeProvisioningCompute(self.script)
        self.devices = FakeDeviceDirectory(self.script, self.compute)
        self.intune = FakeDeviceManagement(self.script, self.devices)
        self.secrets = FakeSecretStore(self.script)
        self.managed_images = FakeManagedImages(self.script)
        self.network = FakeNetworkChecks(self.script)
        self.inventory = FakeAzureInventory(self.script)
        self.operations = FakeCloudPcOperations(self.script, self.intune)
        self.licenses = FakeLicenses(self.script, self.directory)
        self.building = FakeImageBuilding(self.script, self.operations)
        self.avd = FakeDesktopVirtualization(self.script, self.compute)
        self.windows365 = FakeWindows365(self.script)

    def scheduled(self) -> list[DueWork]:
        """Every piece of due work, due or not, earliest first."""
        return self.due.list_due(datetime.max.replace(tzinfo=UTC), top=1000)

    def engine_ports(self, **overrides: Any) -> EnginePorts:
        """EnginePorts on these fakes; `overrides` set the other fields (max_attempts, grace_period, ...)."""
        # named one by one, so mypy checks each fake against its Protocol
        ports = EnginePorts(
            cloud_pcs=self.cloud_pcs,
            policies=self.policies,
            connections=self.connections,
            sites=self.sites,
            images=self.images,
            directory=self.directory,
            compute=self.compute,
            devices=self.devices,
            intune=self.intune,
            operations=self.operations,
            licenses=self.licenses,
            due=self.due,
            refusals=self.refusals,
            events=self.events,
            clock=self.clock,
            windows365=self.windows365,
            audit_log=self.audit_log,
            backends=TenantBackends(self.tenants, cloud_pc_work_of),
            avd=self.avd,
            usage=self.usage,
            notices=self.notices,
            power_records=self.power_records,
        )
        return replace(ports, **overrides)

    def image_build_ports(self) -> ImageBuildPorts:
        return ImageBuildPorts(
            image_sets=self.image_sets,
            sites=self.sites,
            compute=self.compute,
            operations=self.operations,
            building=self.building,
            clock=self.clock,
            power_records=self.power_records,
        )

    def spot_group_ports(self) -> SpotGroupPorts:
        return SpotGroupPorts(
            spot_groups=self.spot_groups,
            sites=self.sites,
            compute=self.compute,
            devices=self.devices,
            avd=self.avd,
            operations=self.operations,
            unique=self.unique,
            clock=self.clock,
            schedules=self.spot_group_schedules,
            directory=self.directory,
            power_records=self.power_records,
        )

    def cost_ports(self, **overrides: Any) -> CostPorts:
        """CostPorts on these fakes, pricing in USD and EUR."""
        ports = CostPorts(
            power_records=self.power_records,
            prices=self.prices,
            tenants=self.tenants,
            cloud_pcs=self.cloud_pcs,
            spot_groups=self.spot_groups,
            image_sets=self.image_sets,
            sites=self.sites,
            usage=self.usage,
            policies=self.policies,
            pages=PROCESS_TOKENS,
            clock=self.clock,
            currencies=("USD", "EUR"),
        )
        return dataclasses.replace(ports, **overrides)

    def alert_ports(self, **overrides: Any) -> AlertPorts:
        """AlertPorts on these fakes; a webhook host resolves to a public address unless `resolve_host` says
        otherwise, and the onboarding report is a test's to give (`onboarding`)."""
        ports = AlertPorts(
            alerts=self.alerts,
            secrets=self.secrets,
            notices=self.notices,
            deliveries=self.alert_queues,
            evaluations=self.alert_queues,
            tenants=self.tenants,
            cloud_pcs=self.cloud_pcs,
            connections=self.connections,
            images=self.images,
            image_sets=self.image_sets,
            spot_groups=self.spot_groups,
            schedules=self.spot_group_schedules,
            directory=self.directory,
            licenses=self.licenses,
            onboarding=cast(OnboardingPorts, None),
            clock=self.clock,
            new_id=self.new_id,
            portal_url=None,
            resolve_host=lambda host: ["52.178.17.2"],
        )
        return replace(ports, **overrides)

    def admin_ports(self, **overrides: Any) -> AdminPorts:
        ports = AdminPorts(
            tenants=self.tenants,
            sites=self.sites,
            connections=self.connections,
            images=self.images,
            policies=self.policies,
            secrets=self.secrets,
            directory=self.directory,
            network=self.network,
            image_sources=self.managed_images,
            inventory=self.inventory,
            events=self.events,
            clock=self.clock,
            new_id=self.new_id,
            unique=self.unique,
            image_sets=self.image_sets,
            region_images=self.region_images,
            spot_groups=self.spot_groups,
            cloud_pcs=self.cloud_pcs,
            windows365=self.windows365,
            windows365_provisioning=self.windows365,
            user_settings=self.user_settings,
            pages=PROCESS_TOKENS,
            backends=TenantBackends(self.tenants, configuration_of),
            notices=self.notices,
            schedules=self.spot_group_schedules,
            alerts=self.alerts,
            resolve_host=lambda host: ["52.178.17.2"],
            templates=self.templates,
        )
        return replace(ports, **overrides)


def engine_ports(clock: FakeClock | None = None, **overrides: Any) -> tuple[EnginePorts, Fakes]:
    """EnginePorts on fresh fakes, and the fakes to arrange and inspect."""
    fakes = Fakes()
    if clock is not None:
        fakes.clock = clock
    return fakes.engine_ports(**overrides), fakes


def admin_ports(clock: FakeClock | None = None, **overrides: Any) -> tuple[AdminPorts, Fakes]:
    """AdminPorts on fresh fakes, and the fakes to arrange and inspect."""
    fakes = Fakes()
    if clock is not None:
        fakes.clock = clock
    return fakes.admin_ports(**overrides), fakes
