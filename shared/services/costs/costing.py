"""Costing (pure): metered VM-days priced at the day's list prices against the same VMs on demand 24x7, each saving
put down to its cause, and grouped into a report's rows."""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from typing import TypeVar

from shared.models.costs import (
    CostFigures,
    CostGroup,
    CostGroupKind,
    DiskPrice,
    MeteredDay,
    MeteredResource,
    PowerRecord,
    SavingsByCause,
    VmPrice,
)
from shared.services.costs import metering

HOURS_PER_MONTH = 730  # Azure's month: a managed disk's monthly price over the hours it exists
DECIMALS = 4
P = TypeVar("P", VmPrice, DiskPrice)


@dataclass(frozen=True)
class PriceBook:
    """One currency's prices as read day by day, each region's size and disk tier oldest first."""

    vms: Mapping[tuple[str, str], Sequence[VmPrice]]
    disks: Mapping[tuple[str, str], Sequence[DiskPrice]]

    @classmethod
    def of(cls, vms: Iterable[VmPrice], disks: Iterable[DiskPrice]) -> PriceBook:
        return cls(_by_day_read(vms, lambda p: p.vm_size), _by_day_read(disks, lambda p: p.tier))

    @property
    def as_of(self) -> date | None:
        days = [vm[-1].as_of for vm in self.vms.values()] + [disk[-1].as_of for disk in self.disks.values()]
        return max(days) if days else None

    def vm(self, region: str, vm_size: str, day: date) -> VmPrice | None:
        return _of_day(self.vms.get((region.lower(), vm_size.lower()), ()), day)

    def disk(self, region: str, tier: str, day: date) -> DiskPrice | None:
        return _of_day(self.disks.get((region.lower(), tier.lower()), ()), day)


def _by_day_read(prices: Iterable[P], name: Callable[[P], str]) -> dict[tuple[str, str], list[P]]:
    found: dict[tuple[str, str], list[P]] = defaultdict(list)
    for price in prices:
        found[price.region.lower(), name(price).lower()].append(price)
    return {key: sorted(rows, key=lambda p: p.as_of) for key, rows in found.items()}


def _of_day(rows: Sequence[P], day: date) -> P | None:
    """The row read last on or before the day; a day before any was read: the first (an estimate either way)."""
    if not rows:
        return None
    at = bisect_right([p.as_of for p in rows], day)
    return rows[max(at - 1, 0)]


@dataclass
class Money:
    """Figures kept unrounded while they are summed; baseline - actual is always the sum of the causes."""

    actual: float = 0.0
    baseline: float = 0.0
    schedules: float = 0.0
    on_demand: float = 0.0
    spot: float = 0.0
    sleep: float = 0.0
    running_hours: float = 0.0

    def add(self, other: Money) -> None:
        for name in (f.name for f in fields(self)):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def figures(self) -> CostFigures:
        causes = SavingsByCause(
            schedules=_round(self.schedules),
            on_demand=_round(self.on_demand),
            spot=_round(self.spot),
            sleep=_round(self.sleep),
        )
        return CostFigures(
            actual=_round(self.actual),
            baseline=_round(self.baseline),
            savings=_round(self.baseline - self.actual),
            savings_by_cause=causes,
            running_hours=_round(self.running_hours),
        )


def _round(value: float) -> float:
    return round(value, DECIMALS) + 0.0  # + 0.0: never -0.0


@dataclass(frozen=True)
class Cost:
    """A VM-day's money, or (resource None) a Spot Group-day's hosts made on demand against its peak kept 24x7."""

    day: date
    money: Money
    resource: MeteredResource | None = None
    spot_group_id: str | None = None
    site_id: str | None = None


@dataclass
class Costing:
    costs: list[Cost] = field(default_factory=list)
    missing: set[str] = field(default_factory=set)  # `<region>/<size or disk tier>` without any price

    def total(self) -> Money:
        return _sum(c.money for c in self.costs)


def costing(records: Sequence[PowerRecord], start: datetime, end: datetime, prices: PriceBook) -> Costing:
    """Every VM-day in [start, end) priced, and each Spot Group-day's hosts made on demand."""
    found = Costing()
    hosts: dict[tuple[str, date], list[tuple[Cost, float]]] = defaultdict(list)
    for metered in metering.meter(records, start, end):
        priced = _vm_day(metered, prices, found.missing)
        if priced is None:
            continue
        cost, hourly = priced
        found.costs.append(cost)
        if cost.spot_group_id and metered.resource.kind == "sessionHost":
            hosts[cost.spot_group_id, cost.day].append((cost, hourly))
    for pool in metering.pool_days(records, start, end):
        priced_hosts = hosts.get((pool.spot_group_id, pool.day))
        if not priced_hosts:
            continue
        baseline = pool.peak_hosts * pool.hours * max(hourly for _, hourly in priced_hosts)
        on_demand = max(0.0, baseline - sum(cost.money.baseline for cost, _ in priced_hosts))
        if on_demand > 0:
            money = Money(baseline=on_demand, on_demand=on_demand)
            found.costs.append(Cost(pool.day, money, None, pool.spot_group_id, priced_hosts[0][0].site_id))
    return found


def _vm_day(metered: MeteredDay, prices: PriceBook, missing: set[str]) -> tuple[Cost, float] | None:
    """The VM-day's money and its on-demand hourly with its disk (what its pool's baseline pays for each host)."""
    vm = metered.resource
    price = prices.vm(vm.region, vm.vm_size, metered.day)
    if price is None:
        missing.add(f"{vm.region}/{vm.vm_size}")
        return None
    od = price.linux_hourly if vm.windows_licence == "customer" else price.windows_hourly
    spot = price.spot_linux_hourly if vm.windows_licence == "customer" else price.spot_windows_hourly
    charged = spot if vm.priority == "spot" and spot is not None else od
    disk_hourly = 0.0
    if vm.disk_tier:
        disk = prices.disk(vm.region, vm.disk_tier, metered.day)
        if disk is None:
            missing.add(f"{vm.region}/{vm.disk_tier}")
        else:
            disk_hourly = disk.monthly / HOURS_PER_MONTH
    existed, ran = metered.existed_hours, metered.running_hours
    actual = ran * charged + existed * disk_hourly
    money = Money(actual=actual, baseline=actual, running_hours=ran)
    if vm.kind != "imageBuild":  # a build VM is no saving: it runs as long as the build needs
        money.baseline = existed * (od + disk_hourly)
        money.spot = ran * (od - charged)
        idle = (existed - ran) * od
        if vm.kind == "sessionHost":
            money.schedules = idle
        else:
            money.sleep = idle
    return Cost(metered.day, money, vm, vm.spot_group_id, vm.site_id), od + disk_hourly


# ---- a report's rows ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Names:
    """The display names the rows show, by id; an id no longer found shows as itself."""

    spot_groups: Mapping[str, str] = field(default_factory=dict)
    cloud_pcs: Mapping[str, str] = field(default_factory=dict)
    sites: Mapping[str, str] = field(default_factory=dict)


RowKey = tuple[str, CostGroupKind, str]  # key, kind, display name


def rows(found: Costing, group_by: str, days: Sequence[date], names: Names) -> list[CostGroup]:
    """The costs grouped as asked: every one in exactly one row, so the rows add up to the total. By day: every day
    of the range, those with nothing too; by Spot Group: each of them (named ones too), then the Cloud PCs and the
    image builds."""
    grouped: dict[RowKey, Money] = {}
    if group_by == "day":
        grouped = {(day.isoformat(), "day", day.isoformat()): Money() for day in days}
    elif group_by == "spotGroup":
        grouped = {(group, "spotGroup", name): Money() for group, name in names.spot_groups.items()}
    row_of = ROWS[group_by]
    for cost in found.costs:
        grouped.setdefault(row_of(cost, names), Money()).add(cost.money)
    found_rows = [
        CostGroup(key=key, kind=kind, display_name=name, **dict(money.figures()))
        for (key, kind, name), money in grouped.items()
    ]
    if group_by == "day":
        return sorted(found_rows, key=lambda r: r.key)
    return sorted(found_rows, key=lambda r: (r.kind in ("cloudPc", "imageBuild"), r.display_name.lower(), r.key))


def _by_day(cost: Cost, names: Names) -> RowKey:
    return cost.day.isoformat(), "day", cost.day.isoformat()


def _by_spot_group(cost: Cost, names: Names) -> RowKey:
    kind = cost.resource.kind if cost.resource else "sessionHost"
    if kind == "cloudPc":
        return "cloudPcs", "cloudPc", "Cloud PCs"
    if kind == "imageBuild":
        return "imageBuilds", "imageBuild", "Image builds"
    group = cost.spot_group_id or "none"
    return group, "spotGroup", names.spot_groups.get(group, group)


def _by_vm(cost: Cost, names: Names) -> RowKey:
    vm = cost.resource
    if vm is None:
        group = str(cost.spot_group_id)
        return group, "spotGroup", f"{names.spot_groups.get(group, group)}: hosts made on demand"
    if vm.kind == "cloudPc" and vm.cloud_pc_id:
        return vm.cloud_pc_id, "cloudPc", names.cloud_pcs.get(vm.cloud_pc_id, vm.display_name)
    return vm.resource_id, vm.kind, vm.display_name


def _by_site(cost: Cost, names: Names) -> RowKey:
    if cost.site_id is None:
        return "none", "unassigned", "No site"
    return cost.site_id, "site", names.sites.get(cost.site_id, cost.site_id)


ROWS: dict[str, Callable[[Cost, Names], RowKey]] = {
    "day": _by_day,
    "spotGroup": _by_spot_group,
    "cloudPc": _by_vm,
    "site": _by_site,
}


def _sum(moneys: Iterable[Money]) -> Money:
    total = Money()
    for money in moneys:
        total.add(money)
    return total
