"""Injected faults: the next `count` calls of a step fail with an error code."""

from __future__ import annotations

from shared.cloud.ports import CloudError
from shared.cloud.simulated.models import SimFault
from shared.errors import PreconditionFailed
from shared.storage.tables import EntityRepository, TableStorage

DEFAULT_ERROR = "simulatedFailure"


class FaultInjector:
    def __init__(self, storage: TableStorage) -> None:
        self._rows = EntityRepository(storage, "SimFaults", SimFault, kind="Fault")

    def set_fault(self, tenant_id: str, step: str, count: int, error_code: str | None) -> SimFault:
        return self._rows.put(SimFault(step=step, count=count, error_code=error_code), tenant_id, step)

    def clear_fault(self, tenant_id: str, step: str) -> None:
        self._rows.delete(tenant_id, step)

    def list_faults(self, tenant_id: str) -> list[SimFault]:
        return list(self._rows.scan("PartitionKey eq @t", {"t": tenant_id}))

    def take(self, tenant_id: str, step: str) -> str | None:
        """Consume one failure of `step` if one is armed; returns its error code."""
        while True:
            fault = self._rows.find(tenant_id, step)
            if fault is None or fault.count <= 0:
                return None
            try:
                self._rows.put(
                    fault.model_copy(update={"count": fault.count - 1}), tenant_id, step, if_match=fault.etag
                )
            except PreconditionFailed:
                continue  # another caller consumed one at the same time: look again
            return fault.error_code or DEFAULT_ERROR

    def check(self, tenant_id: str, step: str) -> None:
        """Raise the armed failure of `step`, if any."""
        code = self.take(tenant_id, step)
        if code is not None:
            raise CloudError(step, code, f"Simulated failure of {step}: {code}")
