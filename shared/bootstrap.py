"""Builds the adapters and service ports once from settings (the composition root's helper)."""

from __future__ import annotations

from dataclasses import dataclass

from shared.models.base import new_id, utc_now
from shared.services.tenants import TenantPorts
from shared.settings import Settings
from shared.storage.connection import resolve_connection_string
from shared.storage.sites import SiteRepository
from shared.storage.tables import TableStorage
from shared.storage.tenants import TenantRepository

APP_VERSION = "0.1.0"


@dataclass(frozen=True)
class Services:
    settings: Settings
    storage: TableStorage
    tenant_ports: TenantPorts


def build_services(settings: Settings) -> Services:
    storage = TableStorage.from_connection_string(
        resolve_connection_string(settings.storage_connection_string), settings.table_name_prefix
    )
    tenant_ports = TenantPorts(
        tenants=TenantRepository(storage), sites=SiteRepository(storage), clock=utc_now, new_id=new_id
    )
    return Services(settings=settings, storage=storage, tenant_ports=tenant_ports)
