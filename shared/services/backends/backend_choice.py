"""The one place a tenant's backend is picked, and what each backend alone serves, read from the backends themselves."""

from __future__ import annotations

from shared.models.tenants import BackendName, Tenant
from shared.ports.access_stores import TenantStore
from shared.ports.cloud_pc_backend import CloudPcBackend
from shared.services.backends.azure_backend import AZURE
from shared.services.backends.windows365_backend import WINDOWS365

BACKENDS: dict[BackendName, CloudPcBackend] = {backend.name: backend for backend in (AZURE, WINDOWS365)}
# operation id -> the backend that alone serves it: the gate refuses it on the other's tenants (x-served-only-by)
SERVED_ONLY_BY: dict[str, BackendName] = {op: backend.name for backend in BACKENDS.values() for op in backend.serves}


def backend_of(tenant: Tenant) -> CloudPcBackend:
    return BACKENDS[tenant.cloud_pc_backend]


class TenantBackends:
    """The `BackendChoice` port over the tenant store."""

    def __init__(self, tenants: TenantStore) -> None:
        self._tenants = tenants

    def of(self, tenant_id: str) -> CloudPcBackend:
        return backend_of(self._tenants.get_tenant(tenant_id))

    def of_tenant(self, tenant: Tenant) -> CloudPcBackend:
        return backend_of(tenant)

    def named(self, name: BackendName) -> CloudPcBackend:
        return BACKENDS[name]
