"""The one place a tenant's backend is picked, and what each backend alone serves, read from the backends themselves."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from shared.models.tenants import BackendName, Tenant
from shared.ports.access_stores import TenantStore
from shared.ports.backend_facets import AccessBackend, CloudPcWork, ConfigurationBackend
from shared.ports.cloud_pc_backend import CloudPcBackend
from shared.services.backends.azure_backend import AZURE
from shared.services.backends.windows365_backend import WINDOWS365

BACKENDS: dict[BackendName, CloudPcBackend] = {backend.name: backend for backend in (AZURE, WINDOWS365)}
# operation id -> the backend that alone serves it: the gate refuses it on the other's tenants (x-served-only-by)
SERVED_ONLY_BY: dict[str, BackendName] = {op: backend.name for backend in BACKENDS.values() for op in backend.serves}


def backend_of(tenant: Tenant) -> CloudPcBackend:
    return BACKENDS[tenant.cloud_pc_backend]


F = TypeVar("F")


class TenantBackends(Generic[F]):
    """The `BackendChoice` port over the tenant store, answering with one facet of the backend (`facet`)."""

    def __init__(self, tenants: TenantStore, facet: Callable[[CloudPcBackend], F]) -> None:
        self._tenants, self._facet = tenants, facet

    def of(self, tenant_id: str) -> F:
        return self.of_tenant(self._tenants.get_tenant(tenant_id))

    def of_tenant(self, tenant: Tenant) -> F:
        return self._facet(backend_of(tenant))

    def named(self, name: BackendName) -> F:
        return self._facet(BACKENDS[name])


def configuration_of(backend: CloudPcBackend) -> ConfigurationBackend:
    return backend.configuration


def cloud_pc_work_of(backend: CloudPcBackend) -> CloudPcWork:
    return backend.cloud_pcs


def access_of(backend: CloudPcBackend) -> AccessBackend:
    return backend.access
