"""Simulated connection health checks: pass unless a fault is armed for the check's step."""

from __future__ import annotations

from shared.cloud.ports import CheckOutcome, NetworkTarget
from shared.cloud.simulated.faults import FaultInjector


class SimulatedNetworkChecks:
    def __init__(self, faults: FaultInjector) -> None:
        self._faults = faults

    def run_check(self, tenant_id: str, check: str, target: NetworkTarget, password: str | None) -> CheckOutcome:
        code = self._faults.take(tenant_id, check)
        if code is not None:
            return CheckOutcome("failed", error_type=code)
        if check == "adDomainJoin" and not password:
            return CheckOutcome("failed", error_type="adJoinCheckIncorrectCredentials")
        return CheckOutcome("passed")
