"""Builds the adapters and service ports once from settings (the composition root's helper)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from shared.cloud.secrets import EncryptedTableSecretStore
from shared.cloud.simulated.simulator import Simulator
from shared.events import EventPublisher, QueueEventPublisher
from shared.models.base import new_id, utc_now
from shared.services.engine_ports import EnginePorts
from shared.services.ports import AdminPorts
from shared.settings import PROJECT_ROOT, Settings, SettingsError
from shared.storage.cloud_pcs import CloudPcRepository
from shared.storage.connection import resolve_connection_string
from shared.storage.connections import ConnectionRepository
from shared.storage.images import DeviceImageRepository
from shared.storage.lifecycle import DueWorkRepository
from shared.storage.policies import PolicyRepository
from shared.storage.sites import SiteRepository
from shared.storage.tables import TableStorage
from shared.storage.tenants import TenantRepository

APP_VERSION = "0.1.0"
LOCAL_KEY_FILE = PROJECT_ROOT / ".devhost" / "local-secret.key"


@dataclass(frozen=True)
class Services:
    settings: Settings
    storage: TableStorage
    events: EventPublisher
    admin: AdminPorts
    engine: EnginePorts
    simulator: Simulator | None


def local_secret_key(settings: Settings, key_file: Path = LOCAL_KEY_FILE) -> str:
    """The configured key, or one made once and kept in a git-ignored file for local runs."""
    if settings.local_secret_key is not None:
        return settings.local_secret_key.get_secret_value()
    if not key_file.exists():
        key_file.parent.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_urlsafe(32), encoding="utf-8")
        key_file.chmod(0o600)
    return key_file.read_text(encoding="utf-8").strip()


def build_services(settings: Settings) -> Services:
    connection_string = resolve_connection_string(settings.storage_connection_string)
    storage = TableStorage.from_connection_string(connection_string, settings.table_name_prefix)
    events = QueueEventPublisher(connection_string, settings.directory_events_queue)
    if settings.cloud_provider != "simulated":
        raise SettingsError(
            "CLOUD_PROVIDER=azure is not available in this version: the Azure and Graph adapters are not "
            "built yet. Use CLOUD_PROVIDER=simulated."
        )
    simulator = Simulator.create(
        storage,
        events,
        step_latency=settings.simulator_step_latency,
        vm_creates_per_minute=settings.simulator_vm_creates_per_minute,
        vm_create_bucket=settings.simulator_vm_create_burst,
    )
    admin = AdminPorts(
        tenants=TenantRepository(storage),
        sites=SiteRepository(storage),
        connections=ConnectionRepository(storage),
        images=DeviceImageRepository(storage),
        policies=PolicyRepository(storage),
        secrets=EncryptedTableSecretStore(storage, local_secret_key(settings)),
        directory=simulator.directory,
        network=simulator.network,
        compute=simulator.compute,
        events=events,
        clock=utc_now,
        new_id=new_id,
        grace_period=settings.cloudpc_grace_period,
    )
    engine = EnginePorts(
        cloud_pcs=CloudPcRepository(storage),
        policies=admin.policies,
        connections=admin.connections,
        images=admin.images,
        directory=simulator.directory,
        compute=simulator.provisioning_compute,
        network=simulator.provisioning_network,
        devices=simulator.devices,
        intune=simulator.intune,
        due=DueWorkRepository(storage),
        events=events,
        clock=utc_now,
        max_attempts=settings.provisioning_max_attempts,
        grace_period=settings.cloudpc_grace_period,
        cleanup_delay=settings.cloudpc_cleanup_delay,
    )
    return Services(settings=settings, storage=storage, events=events, admin=admin, engine=engine, simulator=simulator)
