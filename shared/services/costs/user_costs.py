"""Each user's month three ways from their measured use: their Windows 365 licence, an azure Cloud PC of the same size
under the tenant's power rules, and a seat in a pooled Spot Group; a recommendation where one is much cheaper."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from shared.catalog.service_plans import SERVICE_PLANS_BY_ID, ServicePlan
from shared.catalog.windows365_prices import WINDOWS365_PRICES
from shared.models.cloud_pcs import CloudPc
from shared.models.costs import CostOption, DiskPrice, UserCostComparison, VmPrice, Windows365Price
from shared.models.session_hosts import HOST_DISK_GB
from shared.models.session_policies import PersonalPower
from shared.models.spot_groups import DEFAULT_SESSIONS, DEFAULT_VM_SIZES, SpotGroup
from shared.models.usage import UsageDay
from shared.ports.access_stores import TenantStore
from shared.ports.costs import PriceStore
from shared.ports.spot_pc_stores import SpotGroupStore
from shared.ports.stores import CloudPcStore, ListPages, PolicyStore, SiteStore, UsageStore
from shared.services.costs.cost_reports import cost_query
from shared.services.costs.costing import HOURS_PER_MONTH, PriceBook
from shared.services.costs.power_records import premium_ssd_tier

DEFAULT_DAYS = 30
SIGN_OUT_MINUTES = 5  # a rule that only acts on sign-out stops the desktop at the use watch's next 5-minute sweep
# a cheaper option is recommended when it saves at least this share of what the user has now, and this much money
RECOMMEND_SHARE = 0.3
RECOMMEND_AMOUNT = 10.0
OPTIONS: tuple[CostOption, ...] = ("windows365", "azure", "pooled")  # ties go to the first
# a pooled seat is a shared desktop, not one kept for the user: it is recommended only to a light user (about two
# hours a working day or less), for whom a desktop of their own mostly waits; to others, the cheaper own desktop
LIGHT_USE_HOURS = 40.0
HELD = {"windows365": "the {} licence", "azure": "{} for their azure Cloud PC", "pooled": "{} for their pooled seat"}


class UserCostPorts(Protocol):
    """Each user's measured hours beside what their Cloud PC or Spot Group desktop costs."""

    @property
    def prices(self) -> PriceStore: ...
    @property
    def tenants(self) -> TenantStore: ...
    @property
    def cloud_pcs(self) -> CloudPcStore: ...
    @property
    def spot_groups(self) -> SpotGroupStore: ...
    @property
    def sites(self) -> SiteStore: ...
    @property
    def usage(self) -> UsageStore: ...
    @property
    def policies(self) -> PolicyStore: ...  # their power rules: the hours an azure Cloud PC would run
    @property
    def pages(self) -> ListPages: ...
    @property
    def currencies(self) -> Sequence[str]: ...
    @property
    def clock(self) -> Callable[[], datetime]: ...


def user_costs(
    ports: UserCostPorts,
    tenant_id: str,
    asked_from: str | None,
    asked_to: str | None,
    asked_currency: str | None,
    *,
    top: int,
    skip_token: str | None,
) -> tuple[list[UserCostComparison], str | None]:
    """Each user with a Cloud PC, by name, over the range asked (by default the last 30 days to today), their
    tenant's backend being what they have now."""
    today = ports.clock().date()
    query = cost_query(asked_from, asked_to, None, asked_currency, today=today, currencies=ports.currencies)
    first = query.first if asked_from else date.fromordinal(max(1, query.last.toordinal() - DEFAULT_DAYS + 1))
    tenant = ports.tenants.get_tenant(tenant_id)
    sites = sorted(ports.sites.list_all_sites(tenant_id), key=lambda site: (site.created_date_time, site.id))
    policies = {policy.id: policy for policy in ports.policies.list_all_policies(tenant_id)}
    book = PriceBook.of(*ports.prices.list_prices(query.currency))
    prices = Prices(
        query.currency,
        lambda region, size: book.vm(region, size, today),
        lambda region, tier: book.disk(region, tier, today),
        WINDOWS365_PRICES,
    )
    pooled = pooled_seat([group.max_sessions_per_host for group in _pooled_groups(ports, tenant_id)], HOST_DISK_GB)
    found = desktops(
        ports.cloud_pcs.list_all_cloud_pcs(tenant_id),
        ports.usage.list_usage_days(tenant_id, first, query.last),
        lambda pc: policy.power_rules if (policy := policies.get(pc.provisioning_policy_id)) else None,
        sites[0].region_name if sites else None,
    )
    days = range_days(first, query.last)
    compared = [compare(desktop, days, tenant.cloud_pc_backend, pooled, prices) for desktop in found]
    return ports.pages.page(compared, top=top, skip_token=skip_token)


def _pooled_groups(ports: UserCostPorts, tenant_id: str) -> list[SpotGroup]:
    found, token = [], None
    while True:
        page, token = ports.spot_groups.list_spot_groups(tenant_id, top=100, skip_token=token)
        found += [group for group in page if group.user_type == "pooled"]
        if not token:
            return found


@dataclass(frozen=True)
class Prices:
    """What a comparison is priced with, in one currency: today's VM and disk prices by region, and the Windows 365
    list prices by plan id."""

    currency: str
    vm: Callable[[str, str], VmPrice | None]  # (region, size)
    disk: Callable[[str, str], DiskPrice | None]  # (region, tier)
    windows365: Mapping[str, Windows365Price]


@dataclass(frozen=True)
class Pooled:
    """A seat in a pooled Spot Group: its host's size and disk, shared by the sessions a host takes."""

    vm_size: str
    disk_tier: str
    sessions_per_host: int


@dataclass(frozen=True)
class Desktop:
    """What a user has, as compared: one desktop of their plan, and their measured use over the range."""

    user_id: str
    user_principal_name: str
    service_plan_id: str
    region: str | None  # their Cloud PC's, or the tenant's first site's
    power_rules: PersonalPower | None
    connected_hours: float
    sessions: int
    cloud_pc_count: int = 1


def desktops(
    cloud_pcs: Sequence[CloudPc],
    rows: Sequence[UsageDay],
    rules: Callable[[CloudPc], PersonalPower | None],
    default_region: str | None,
) -> list[Desktop]:
    """One per user with a Cloud PC: the plan, region and rules of their most used one, the use of all of them."""
    used: dict[str, list[UsageDay]] = {pc.id: [] for pc in cloud_pcs}
    for row in rows:  # each row once, not once per Cloud PC
        used.get(row.cloud_pc_id, []).append(row)
    theirs: dict[str, list[CloudPc]] = {}
    for pc in cloud_pcs:
        theirs.setdefault(pc.user_id, []).append(pc)
    found = []
    for pcs in theirs.values():
        most = max(pcs, key=lambda pc: (_connected_hours(used[pc.id]), pc.display_name.lower(), pc.id))
        rows_of_user = [row for pc in pcs for row in used[pc.id]]
        found.append(
            Desktop(
                user_id=most.user_id,
                user_principal_name=most.user_principal_name,
                service_plan_id=most.service_plan_id,
                region=most.build.region_name if most.build else default_region,
                power_rules=rules(most),
                connected_hours=_connected_hours(rows_of_user),
                sessions=_sessions(rows_of_user),
                cloud_pc_count=len(pcs),
            )
        )
    return sorted(found, key=lambda d: (d.user_principal_name.lower(), d.user_id))


def compare(desktop: Desktop, days: int, current: CostOption, pooled: Pooled, prices: Prices) -> UserCostComparison:
    """The user's month each way, the cheapest, and a recommendation where it saves enough on what they have now."""
    scale = HOURS_PER_MONTH / (days * 24)
    hours, sessions = desktop.connected_hours * scale, desktop.sessions * scale
    plan = SERVICE_PLANS_BY_ID.get(desktop.service_plan_id)
    evidence = [_measured(desktop, days, hours)]
    if plan is None:
        evidence.append(f"plan {desktop.service_plan_id} is not in the catalogue: no Windows 365 or azure figure")
    windows365, sample = _windows365(plan, prices, evidence)
    azure = _azure(plan, desktop, hours, sessions, prices, evidence)
    seat = _pooled(desktop.region, hours, pooled, prices, evidence)
    monthly: dict[CostOption, float | None] = {"windows365": windows365, "azure": azure, "pooled": seat}
    priced = [(figure, option) for option in OPTIONS if (figure := monthly[option]) is not None]
    cheapest = min(priced, key=lambda found: found[0])[1] if priced else None
    return UserCostComparison(
        user_id=desktop.user_id,
        user_principal_name=desktop.user_principal_name,
        service_plan_id=desktop.service_plan_id,
        connected_hours_per_month=round(hours, 2),
        windows365_monthly=_money(windows365),
        azure_monthly=_money(azure),
        pooled_monthly=_money(seat),
        cheapest=cheapest,
        recommendation=_recommendation(monthly, cheapest, current, hours, desktop, prices),
        evidence="; ".join(evidence) + ".",
        sample_price=sample,
    )


def running_hours(connected_hours: float, sessions: float, rules: PersonalPower | None) -> float:
    """The hours a desktop runs in a month under the power rules: connected, plus the time it waits after each
    session before it sleeps; without rules that stop it, all month."""
    if rules is None or not rules.stops_hosts:
        return HOURS_PER_MONTH
    idle = rules.deallocate_when_disconnected_minutes or SIGN_OUT_MINUTES
    return min(HOURS_PER_MONTH, connected_hours + sessions * idle / 60)


def _windows365(plan: ServicePlan | None, prices: Prices, evidence: list[str]) -> tuple[float | None, bool]:
    price = prices.windows365.get(plan.id) if plan else None
    if plan is None:
        return None, False
    if price is None:
        evidence.append(f"Windows 365: no list price for {plan.display_name}")
        return None, False
    if prices.currency != price.currency:
        evidence.append(f"Windows 365: no list price in {prices.currency} (Microsoft lists it in {price.currency})")
        return None, False
    marked = ", a sample price, not a published one" if price.sample else ""
    evidence.append(
        f"Windows 365: {plan.display_name} at {price.monthly:.2f} {price.currency} a month, list price "
        f"({price.source}, {price.as_of}{marked})"
    )
    return price.monthly, price.sample


def _azure(
    plan: ServicePlan | None, desktop: Desktop, hours: float, sessions: float, prices: Prices, evidence: list[str]
) -> float | None:
    if plan is None:
        return None
    tier = premium_ssd_tier(plan.storage_in_gb)
    vm, disk = _vm_and_disk(desktop.region, plan.vm_size, tier, prices, "azure", evidence)
    if vm is None or disk is None:
        return None
    running = running_hours(hours, sessions, desktop.power_rules)
    why = _running_why(desktop.power_rules, sessions)
    cost = vm.linux_hourly * running + disk.monthly
    evidence.append(
        f"azure: {plan.vm_size} in {vm.region} at {vm.linux_hourly:.4f} {prices.currency}/h for "
        f"{running:.1f} h ({why}) + a {tier} disk at {disk.monthly:.2f} = {cost:.2f}"
    )
    return cost


def _pooled(region: str | None, hours: float, pooled: Pooled, prices: Prices, evidence: list[str]) -> float | None:
    vm, disk = _vm_and_disk(region, pooled.vm_size, pooled.disk_tier, prices, "pooled", evidence)
    if vm is None or disk is None:
        return None
    share = pooled.sessions_per_host
    cost = (vm.linux_hourly * hours + disk.monthly) / share
    evidence.append(
        f"pooled: a {pooled.vm_size} host at {vm.linux_hourly:.4f} {prices.currency}/h and its "
        f"{pooled.disk_tier} disk at {disk.monthly:.2f} a month, shared by {share} sessions, for "
        f"{hours:.1f} h = {cost:.2f}"
    )
    return cost


def _vm_and_disk(
    region: str | None, size: str, tier: str, prices: Prices, option: str, evidence: list[str]
) -> tuple[VmPrice | None, DiskPrice | None]:
    if region is None:
        evidence.append(f"{option}: no region (no Cloud PC built and no site) to price it in")
        return None, None
    vm, disk = prices.vm(region, size), prices.disk(region, tier)
    missing = [name for name, price in ((size, vm), (tier, disk)) if price is None]
    if missing:
        evidence.append(f"{option}: no {prices.currency} price for {' or '.join(f'{region}/{m}' for m in missing)}")
    return vm, disk


def _recommendation(
    monthly: Mapping[CostOption, float | None],
    cheapest: CostOption | None,
    current: CostOption,
    hours: float,
    desktop: Desktop,
    prices: Prices,
) -> str | None:
    if hours > LIGHT_USE_HOURS:
        own = [(figure, option) for option in OPTIONS[:2] if (figure := monthly[option]) is not None]
        cheapest = min(own, key=lambda found: found[0])[1] if own else None
    if cheapest is None or cheapest == current:
        return None
    now, best = monthly[current], monthly[cheapest]
    if now is None or best is None:
        return None
    if now - best < max(RECOMMEND_AMOUNT, RECOMMEND_SHARE * now):
        return None
    sleeps = desktop.power_rules is not None and desktop.power_rules.stops_hosts
    instead = {
        "windows365": "a Windows 365 licence",
        "azure": "an azure Cloud PC that sleeps when unused" if sleeps else "an azure Cloud PC",
        "pooled": "a seat in a pooled Spot Group",
    }[cheapest]
    against = HELD[current].format(f"{now:.2f} {prices.currency}")
    return (
        f"{round(hours, 1):g} h connected a month: {instead} would cost {best:.2f} {prices.currency} against {against}"
    )


def _measured(desktop: Desktop, days: int, hours: float) -> str:
    over = f" over their {desktop.cloud_pc_count} Cloud PCs" if desktop.cloud_pc_count > 1 else ""
    return (
        f"{desktop.connected_hours:.1f} h connected in {desktop.sessions} sessions over {days} days{over}: "
        f"{hours:.1f} h in a {HOURS_PER_MONTH}-hour month"
    )


def _running_why(rules: PersonalPower | None, sessions: float) -> str:
    if rules is None or not rules.stops_hosts:
        return "no power rules: it runs all month"
    if rules.deallocate_when_disconnected_minutes is None:
        return f"connected, plus {SIGN_OUT_MINUTES} min after each of {sessions:.1f} sessions: it sleeps at sign-out"
    idle = rules.deallocate_when_disconnected_minutes
    return f"connected, plus {idle} min before it sleeps after each of {sessions:.1f} sessions"


def _connected_hours(rows: Sequence[UsageDay]) -> float:
    return sum(row.connected_minutes for row in rows) / 60


def _sessions(rows: Sequence[UsageDay]) -> int:
    """A day with connected time counts a session at least (a report that has the time without the sessions)."""
    return sum(max(row.sessions, 1 if row.connected_minutes > 0 else 0) for row in rows)


def _money(figure: float | None) -> float | None:
    return None if figure is None else round(figure, 4)


def pooled_seat(sessions_per_host: Sequence[int], host_disk_gb: int) -> Pooled:
    """A pooled seat as the tenant would get one: the pooled default size, the fewest sessions per host among its
    pooled groups (the dearer seat; none: the model's default), and the host's disk."""
    return Pooled(
        DEFAULT_VM_SIZES["pooled"], premium_ssd_tier(host_disk_gb), min(sessions_per_host, default=DEFAULT_SESSIONS)
    )


def range_days(first: date, last: date) -> int:
    return (last - first).days + 1
