"""Injected faults: the next `count` calls of a step fail with an error code."""

from __future__ import annotations

from shared.cloud.ports import CloudError
from shared.cloud.simulated.models import SimFault
from shared.cloud.simulated.tenant_rows import TenantRows
from shared.errors import PreconditionFailed
from shared.storage.tables import EntityRepository, TableStorage

DEFAULT_ERROR = "simulatedFailure"


class FaultInjector:
    def __init__(self, storage: TableStorage) -> None:
        self._faults = TenantRows(
            EntityRepository(storage, "SimFaults", SimFault, kind="Fault"), key=lambda row: row.step
        )

    def set_fault(self, tenant_id: str, step: str, count: int, error_code: str | None) -> SimFault:
        return self._faults.put(tenant_id, step, SimFault(step=step, count=count, error_code=error_code))

    def clear_fault(self, tenant_id: str, step: str) -> None:
        self._faults.delete(tenant_id, step)

    def list_faults(self, tenant_id: str) -> list[SimFault]:
        return list(self._faults.all(tenant_id).values())

    def take(self, tenant_id: str, step: str) -> str | None:
        """Consume one failure of `step` if one is armed; returns its error code."""
        fault = self._faults.get(tenant_id, step)
        while fault is not None and fault.count > 0:
            try:
                self._faults.put(
                    tenant_id, step, fault.model_copy(update={"count": fault.count - 1}), if_match=fault.etag
                )
            except PreconditionFailed:
                fault = self._faults.reload(tenant_id, step)  # another caller consumed one meanwhile
                continue
            return fault.error_code or DEFAULT_ERROR
        return None

    def check(self, tenant_id: str, step: str) -> None:
        """Raise the armed failure of `step`, if any."""
        code = self.take(tenant_id, step)
        if code is not None:
            raise CloudError(step, code, f"Simulated failure of {step}: {code}")
