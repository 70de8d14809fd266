"""Simulated operations: per-step latency answered by polling (never sleeping), idempotent creates by name."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TypeVar

from pydantic import BaseModel

from shared.cloud.ports import Progress
from shared.cloud.simulated.faults import FaultInjector
from shared.cloud.simulated.models import SimOperation, SimStepLatency
from shared.cloud.simulated.tenant_rows import TenantRows
from shared.errors import Conflict
from shared.storage.tables import EntityRepository, TableStorage

M = TypeVar("M", bound=BaseModel)
Clock = Callable[[], datetime]

# The steps provisioning and clean-up call; only these take time.
PROVISIONING_STEPS = frozenset(
    {
        "allocateCapacity", "createVm", "attachNetwork", "joinEntra", "enrollIntune", "assignPrimaryUser",
        "hideStartMenuPowerIcons", "disableWindowsReset", "addLocalAdmin", "setTeamsVdiMode",
        "enableTimeZoneRedirection", "resizeOsDisk", "assignUser",
        "deleteVm", "deleteNic", "deleteEntraDevice", "disableComputerAccount", "deleteManagedDevice",
    }
)  # fmt: skip


def name_key(*parts: str) -> str:
    """A row key for a resource name: Table Storage forbids '/', '\\', '#' and '?', and names are case-insensitive."""
    return hashlib.sha256("\n".join(p.lower() for p in parts).encode()).hexdigest()


def create_if_absent(rows: EntityRepository[M], tenant_id: str, key: str, item: M) -> M:
    """Create-only write: of two concurrent creates the first record (and its generated ids) wins."""
    try:
        return rows.put(item, tenant_id, key, if_none_match=True)
    except Conflict:
        return rows.get(tenant_id, key, target="name")


class StepLatency:
    """How long each step takes per tenant: a tenant's own setting, else the app-wide default."""

    def __init__(self, storage: TableStorage, default: timedelta = timedelta(0)) -> None:
        self._latencies = TenantRows(
            EntityRepository(storage, "SimLatency", SimStepLatency, kind="Step latency"), key=lambda row: row.step
        )
        self._default = default.total_seconds()

    def set_latency(self, tenant_id: str, step: str, seconds: float) -> SimStepLatency:
        return self._latencies.put(tenant_id, step, SimStepLatency(step=step, seconds=seconds))

    def clear_latency(self, tenant_id: str, step: str) -> None:
        self._latencies.delete(tenant_id, step)

    def list_latencies(self, tenant_id: str) -> list[SimStepLatency]:
        return list(self._latencies.all(tenant_id).values())

    def seconds(self, tenant_id: str, step: str) -> float:
        row = self._latencies.get(tenant_id, step)
        return self._default if row is None else row.seconds


class StepRunner:
    """Runs one call of a step: fault first, then done-already, admission, latency, and the change itself."""

    def __init__(self, storage: TableStorage, faults: FaultInjector, latency: StepLatency, clock: Clock) -> None:
        self._operations = EntityRepository(storage, "SimOperations", SimOperation, kind="Operation")
        self._faults = faults
        self._latency = latency
        self._clock = clock

    def run(
        self,
        tenant_id: str,
        step: str,
        name: str,
        *,
        current: Callable[[], Progress | None],
        apply: Callable[[], str | None],
        admit: Callable[[], float] | None = None,
    ) -> Progress:
        """`apply` makes the change once the step's latency has passed and returns the resource id; it checks
        its own preconditions and is idempotent, like an ARM PUT. `current` answers when the wanted state
        already holds, so a timed step that is done starts no operation; `admit` (throttling) gives the seconds
        to wait before the operation may start, 0 to start now."""
        self._faults.check(tenant_id, step)
        seconds = self._latency.seconds(tenant_id, step)
        if seconds <= 0:  # nothing to wait for: the idempotent change answers "already done" by itself
            wait = admit() if admit is not None else 0.0
            if wait > 0:  # throttled: only a change still to make has to wait
                return current() or Progress(done=False, retry_after_s=wait)
            return Progress(done=True, resource_id=apply())
        finished = current()
        if finished is not None:
            return finished
        key = name_key(step, name)
        operation = self._operations.find(tenant_id, key)
        if operation is None:
            if admit is not None:
                wait = admit()
                if wait > 0:
                    return Progress(done=False, retry_after_s=wait)
            operation = self._start(tenant_id, step, name, key, seconds)
        ends = operation.started_date_time + timedelta(seconds=operation.duration_seconds)
        remaining = (ends - self._clock()).total_seconds()
        if remaining > 0:
            return Progress(done=False, retry_after_s=remaining)
        resource_id = apply()
        # the change is made before the operation row goes, so a crash in between only repeats a no-op
        self._operations.delete(tenant_id, key)
        return Progress(done=True, resource_id=resource_id)

    def forget(self, tenant_id: str, step: str, name: str) -> None:
        """Drop an operation left behind (its resource is being deleted), so a re-create starts afresh."""
        if self._latency.seconds(tenant_id, step) > 0:  # instant steps leave no operation behind
            self._operations.delete(tenant_id, name_key(step, name))

    def _start(self, tenant_id: str, step: str, name: str, key: str, seconds: float) -> SimOperation:
        operation = SimOperation(step=step, key=name, started_date_time=self._clock(), duration_seconds=seconds)
        try:
            return self._operations.put(operation, tenant_id, key, if_none_match=True)
        except Conflict:
            # a concurrent call started it first: its start time is the one that counts
            return self._operations.find(tenant_id, key) or operation
