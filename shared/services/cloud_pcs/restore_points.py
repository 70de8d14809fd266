"""A Cloud PC's restore points: the backend keeps them (Windows 365 takes them of the Cloud PCs it provisions), and
the app reads them when asked."""

from __future__ import annotations

from typing import Protocol

from shared.models.cloud_pcs import RestorePoint
from shared.ports.backend_choice import BackendChoice
from shared.ports.backend_facets import CloudPcWork
from shared.ports.cloud_pc_work_ports import Windows365CloudPcPorts
from shared.ports.stores import CloudPcStore


class RestorePointListPorts(Windows365CloudPcPorts, Protocol):
    """A Cloud PC's restore points, as its tenant's backend keeps them."""

    @property
    def cloud_pcs(self) -> CloudPcStore: ...
    @property
    def backends(self) -> BackendChoice[CloudPcWork]: ...


def restore_points(ports: RestorePointListPorts, tenant_id: str, cloud_pc_id: str) -> list[RestorePoint]:
    """Newest first; `409 backendNotServed` for a Cloud PC the app provisions itself, which has none."""
    cloud_pc = ports.cloud_pcs.get_cloud_pc(tenant_id, cloud_pc_id)
    return ports.backends.of(tenant_id).restore_points(ports, cloud_pc)
