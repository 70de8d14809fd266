"""Writing a VM's power records as the app makes, starts, stops and deletes it: the one way a change is metered."""

from __future__ import annotations

from datetime import datetime

from shared.models.costs import MeteredResource, PowerChange, PowerRecord
from shared.ports.compute import Placement
from shared.ports.costs import PowerRecordStore

# Premium SSD managed disk tiers by the size they bill as (a disk bills as the least tier that holds it)
# ("Azure managed disk types", Premium SSD sizes)
PREMIUM_SSD_TIERS = (
    (4, "P1"),
    (8, "P2"),
    (16, "P3"),
    (32, "P4"),
    (64, "P6"),
    (128, "P10"),
    (256, "P15"),
    (512, "P20"),
    (1024, "P30"),
    (2048, "P40"),
    (4096, "P50"),
)


def premium_ssd_tier(size_gb: int) -> str:
    return next((tier for most, tier in PREMIUM_SSD_TIERS if size_gb <= most), PREMIUM_SSD_TIERS[-1][1])


def vm_resource_id(placement: Placement, vm_name: str) -> str:
    """A VM's ARM id, lower case as its records key it (Azure's ids are case-insensitive)."""
    return (
        f"/subscriptions/{placement.subscription_id}/resourceGroups/{placement.resource_group}"
        f"/providers/Microsoft.Compute/virtualMachines/{vm_name}"
    ).lower()


def record(store: PowerRecordStore, resource: MeteredResource, change: PowerChange, at: datetime) -> None:
    """Record before (or as) the state it names is saved: a retried step writes the same row, or a later one that
    metering reads as no change."""
    store.record_power(PowerRecord(**resource.model_dump(), change=change, date_time=at))
