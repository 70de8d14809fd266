"""The least of the ports a backend's access facet reads: where services other than the app need Azure roles, and
whether they hold them."""

from __future__ import annotations

from typing import Protocol

from shared.ports.spot_pc_stores import SpotGroupStore
from shared.ports.stores import ConnectionStore, DeviceImageStore, PolicyStore
from shared.ports.tenant_access import TenantAccess

# read-only members (properties): the bundles that satisfy these are frozen dataclasses


class ServiceRolePorts(Protocol):
    """A tenant's service roles (service_role_checks): as ARM answers, or as Windows 365 last found them."""

    @property
    def access(self) -> TenantAccess: ...
    @property
    def spot_groups(self) -> SpotGroupStore | None: ...  # personal groups' sites need Start VM on Connect's role

    @property
    def connections(self) -> ConnectionStore | None: ...  # Windows 365's health checks tell of its roles

    @property
    def images(self) -> DeviceImageStore | None: ...  # Windows 365's uploads tell whether it could read them

    @property
    def policies(self) -> PolicyStore | None: ...  # so do the sites of policies whose power rules stop Cloud PCs
