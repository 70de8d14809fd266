"""The one question a service asks about a tenant's backend: its facet for the service's domain
(shared/services/backends/backend_choice.py answers it)."""

from __future__ import annotations

from typing import Protocol, TypeVar

from shared.models.tenants import BackendName, Tenant

F = TypeVar("F", covariant=True)  # the facet: what differs between the backends in the asker's domain


class BackendChoice(Protocol[F]):
    def of(self, tenant_id: str) -> F:
        """The tenant's backend's facet; NotFound for a tenant that does not exist."""
        ...

    def of_tenant(self, tenant: Tenant) -> F:
        """The facet of a tenant already read."""
        ...

    def named(self, name: BackendName) -> F:
        """The facet of the backend a record names (a run started on it keeps it)."""
        ...
