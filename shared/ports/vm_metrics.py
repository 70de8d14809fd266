"""How busy a VM was over a window: its CPU and its free memory, as Azure Monitor's platform metrics have them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class MeteredVm:
    """A VM to read: its ARM id, and the region whose metrics endpoint serves it."""

    resource_id: str
    region: str


@dataclass(frozen=True)
class VmUsage:
    """A VM's figures over the window, from its hourly points; None where Azure had no point (the VM was off)."""

    resource_id: str
    hours_with_data: int
    cpu_average_percent: float | None
    cpu_p95_percent: float | None  # the 95th percentile of the hourly averages: load that lasts, not a spike
    cpu_maximum_percent: float | None
    memory_available_average_bytes: float | None
    memory_available_p05_bytes: float | None  # the 5th percentile of the hourly averages: how low it stays for long
    memory_available_minimum_bytes: float | None


class VmMetrics(Protocol):
    def usage(self, tenant_id: str, vms: Sequence[MeteredVm], start: datetime, end: datetime) -> dict[str, VmUsage]:
        """Each VM's usage by its lower-cased ARM id; a VM Azure has no point for is absent. A refusal (no
        Microsoft.Insights/metrics/read yet) is a CloudError whose code says so."""
        ...
