"""Simulated Azure compute: a registry of managed images that device-image imports read."""

from __future__ import annotations

import hashlib

from shared.cloud.ports import ManagedImage
from shared.cloud.simulated.faults import FaultInjector
from shared.cloud.simulated.models import SimManagedImage
from shared.storage.tables import EntityRepository, TableStorage


def _row_key(resource_id: str) -> str:
    # ARM ids contain '/', which Table Storage keys forbid
    return hashlib.sha256(resource_id.lower().encode()).hexdigest()


class SimulatedCompute:
    def __init__(self, storage: TableStorage, faults: FaultInjector) -> None:
        self._images = EntityRepository(storage, "SimImages", SimManagedImage, kind="Managed image")
        self._faults = faults

    def put_managed_image(self, tenant_id: str, image: SimManagedImage) -> SimManagedImage:
        return self._images.put(image, tenant_id, _row_key(image.resource_id))

    def list_managed_images(self, tenant_id: str) -> list[SimManagedImage]:
        return list(self._images.scan("PartitionKey eq @t", {"t": tenant_id}))

    def get_managed_image(self, tenant_id: str, resource_id: str) -> ManagedImage | None:
        self._faults.check(tenant_id, "getManagedImage")
        found = self._images.find(tenant_id, _row_key(resource_id))
        if found is None:
            return None
        return ManagedImage(**found.model_dump(by_alias=False))
