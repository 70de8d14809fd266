"""The port for what differs between the two backends that provision a tenant's Cloud PCs: the app itself in the
customer's Azure subscription (`azure`), or Windows 365 driven through Graph's Cloud PC API (`windows365`).

A backend is its facets (shared/ports/backend_facets.py), one per domain, and what it alone serves. Services ask the
`BackendChoice` their ports carry for their facet of a tenant's backend and call it; they never ask which backend it
is. The two adapters and the one chooser are in shared/services/backends."""

from __future__ import annotations

from typing import Protocol

from shared.models.tenants import BackendName
from shared.ports.backend_facets import AccessBackend, CloudPcWork, ConfigurationBackend


class CloudPcBackend(Protocol):
    @property
    def name(self) -> BackendName: ...
    @property
    def serves(self) -> frozenset[str]:
        """The API operations only this backend serves: a tenant of the other is refused them (409 backendNotServed),
        and the OpenAPI document marks them `x-served-only-by`."""
        ...

    @property
    def configuration(self) -> ConfigurationBackend: ...
    @property
    def cloud_pcs(self) -> CloudPcWork: ...
    @property
    def access(self) -> AccessBackend: ...
