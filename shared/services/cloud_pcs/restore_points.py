"""A Cloud PC's restore points: Windows 365 takes them of the Cloud PCs it provisions, and the app reads them when
asked (they change on Windows 365's schedule, so nothing of them is stored)."""

from __future__ import annotations

from dataclasses import asdict

from shared.errors import Conflict
from shared.models.cloud_pcs import RestorePoint
from shared.ports.engine_ports import EnginePorts


def restore_points(ports: EnginePorts, tenant_id: str, cloud_pc_id: str) -> list[RestorePoint]:
    """Newest first; `409 backendNotServed` for a Cloud PC the app provisions itself, which has none."""
    cloud_pc = ports.cloud_pcs.get_cloud_pc(tenant_id, cloud_pc_id)
    if cloud_pc.windows365_id is None:
        raise Conflict(f"Cloud PC '{cloud_pc.display_name}' is not provisioned by Windows 365: it has no restore "
                       "points.", code="backendNotServed", target="cloudPcId")  # fmt: skip
    snapshots = ports.windows365.list_snapshots(tenant_id, cloud_pc.windows365_id)
    found = [RestorePoint.model_validate(asdict(snapshot)) for snapshot in snapshots]
    return sorted(found, key=lambda point: point.created_date_time, reverse=True)
