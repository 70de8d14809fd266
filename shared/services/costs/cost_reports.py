"""A tenant's costs and savings over a range of UTC days: the query checked, its power records, prices and names each
read once, the report's rows, the image builds left waiting for their customization, and the report as CSV."""

from __future__ import annotations

import csv
import io
from calendar import monthrange
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import MAXYEAR, UTC, date, datetime, time, timedelta
from typing import Protocol, TypeVar

from shared.errors import ErrorDetail, ValidationFailed
from shared.models.costs import GROUP_BYS, CostFigures, CostGroup, CostReport, PowerRecord, PricesUsed, WaitingBuild
from shared.models.image_sets import ImageSet
from shared.ports.costs import PowerRecordStore, PriceStore
from shared.ports.spot_pc_stores import ImageSetStore, SpotGroupStore
from shared.ports.stores import CloudPcStore, SiteStore
from shared.services.costs.costing import Costing, Names, PriceBook, costing, rows

T = TypeVar("T")
MAX_MONTHS = 13
WAITING_WARNING = timedelta(hours=24)
CSV_COLUMNS = (
    "key",
    "kind",
    "displayName",
    "actual",
    "baseline",
    "savings",
    "schedules",
    "onDemand",
    "spot",
    "sleep",
    "runningHours",
    "estimate",
)


class CostReportPorts(Protocol):
    """The power records and prices a cost report meters, and the rows that name what was metered."""

    @property
    def power_records(self) -> PowerRecordStore: ...
    @property
    def prices(self) -> PriceStore: ...
    @property
    def cloud_pcs(self) -> CloudPcStore: ...
    @property
    def spot_groups(self) -> SpotGroupStore: ...
    @property
    def image_sets(self) -> ImageSetStore: ...
    @property
    def sites(self) -> SiteStore: ...
    @property
    def currencies(self) -> Sequence[str]: ...  # the COST_CURRENCIES setting: the first is the default
    @property
    def clock(self) -> Callable[[], datetime]: ...


@dataclass(frozen=True)
class CostQuery:
    first: date
    last: date
    group_by: str
    currency: str


def cost_query(
    asked_from: str | None,
    asked_to: str | None,
    group_by: str | None,
    currency: str | None,
    *,
    today: date,
    currencies: Sequence[str],
) -> CostQuery:
    """The query with its defaults (to: today; from: the 1st of `to`'s month; by day; the first of the currencies),
    every bad field refused at once, one detail each."""
    details: list[ErrorDetail] = []
    first = _date("from", asked_from, details) if asked_from else None
    last = _date("to", asked_to, details) if asked_to else today
    first = first if asked_from else (last or today).replace(day=1)
    if first and last and first > last:
        details.append(ErrorDetail("rangeReversed", f"from ({first}) must not be after to ({last}).", "from"))
    elif first and last and last > (latest := _last_day_allowed(first)):
        details.append(
            ErrorDetail(
                "rangeTooLong",
                f"The range from {first} to {last} is longer than {MAX_MONTHS} "
                f"months: to may be {latest} at the latest.",
                "to",
            )
        )
    if group_by is not None and group_by not in GROUP_BYS:
        details.append(_bad("groupBy", f"groupBy must be one of {', '.join(GROUP_BYS)}, not '{group_by}'."))
    if currency is not None and currency not in currencies:
        details.append(_bad("currency", f"currency must be one of {', '.join(currencies)}, not '{currency}'."))
    if details:
        raise ValidationFailed.of(*details)
    assert first is not None and last is not None
    return CostQuery(first, last, group_by or "day", currency or currencies[0])


def tenant_report(
    ports: CostReportPorts,
    tenant_id: str,
    first: date,
    last: date,
    *,
    group_by: str = "day",
    currency: str | None = None,
    spot_group_id: str | None = None,
) -> CostReport:
    """The tenant's costs from `first` to `last` (both included, up to now), grouped as asked; `spot_group_id`: that
    group's hosts alone. Waiting builds are the tenant's now, so a range that ends before today shows none."""
    now = ports.clock()
    currency = currency or ports.currencies[0]
    start, end = _window(first, last, now)
    records = ports.power_records.list_power_records(tenant_id, end) if start < end else []
    if spot_group_id is not None:
        records = [r for r in records if r.spot_group_id == spot_group_id]
    prices = PriceBook.of(*ports.prices.list_prices(currency))
    found = costing(records, start, end, prices)
    names = _names(ports, tenant_id, group_by, spot_group_id)
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    waiting = _waiting_builds(ports, tenant_id, records, prices, now) if spot_group_id is None and end == now else []
    return CostReport(
        tenant_id=tenant_id,
        from_=first,
        to=last,
        currency=currency,
        group_by=group_by,
        total=found.total().figures(),
        value=rows(found, group_by, days, names),
        prices=PricesUsed(as_of=prices.as_of, missing=sorted(found.missing)),
        waiting_builds=waiting,
        currencies=list(ports.currencies),
    )


def tenant_totals(
    ports: CostReportPorts, tenant_id: str, ranges: Sequence[tuple[date, date]], prices: PriceBook
) -> list[CostFigures]:
    """The tenant's total over each range (first and last day, up to now), its records read once for them all and
    the prices, the same for every tenant, read by the caller."""
    now = ports.clock()
    windows = [_window(first, last, now) for first, last in ranges]
    until = max((end for start, end in windows if start < end), default=None)
    records = ports.power_records.list_power_records(tenant_id, until) if until else []
    return [costing(records, start, end, prices).total().figures() for start, end in windows]


def _window(first: date, last: date, now: datetime) -> tuple[datetime, datetime]:
    """[start, end) of the days from `first` to `last`, ending now at the latest."""
    start = datetime.combine(first, time(), tzinfo=UTC)
    return start, now if last >= now.date() else datetime.combine(last + timedelta(days=1), time(), tzinfo=UTC)


def report_csv(report: CostReport) -> str:
    """One line per row of the report, then its total, with the JSON's figures."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in report.value:
        writer.writerow((row.key, row.kind, row.display_name, *_figures(row)))
    writer.writerow(("total", "total", "Total", *_figures(report.total)))
    return out.getvalue()


def _figures(figures: CostFigures | CostGroup) -> tuple[object, ...]:
    causes = figures.savings_by_cause
    return (
        figures.actual,
        figures.baseline,
        figures.savings,
        causes.schedules,
        causes.on_demand,
        causes.spot,
        causes.sleep,
        figures.running_hours,
        "true" if figures.estimate else "false",
    )


def _names(ports: CostReportPorts, tenant_id: str, group_by: str, spot_group_id: str | None) -> Names:
    """Only the names the grouping shows, each list read once."""
    spot_groups: dict[str, str] = {}
    if group_by in ("spotGroup", "cloudPc"):
        every = _every(lambda token: ports.spot_groups.list_spot_groups(tenant_id, top=1000, skip_token=token))
        spot_groups = {g.id: g.friendly_name for g in every if spot_group_id in (None, g.id)}
    cloud_pcs = {}
    if group_by == "cloudPc" and spot_group_id is None:
        cloud_pcs = {pc.id: pc.display_name for pc in ports.cloud_pcs.list_all_cloud_pcs(tenant_id)}
    sites = {s.id: s.display_name for s in ports.sites.list_all_sites(tenant_id)} if group_by == "site" else {}
    return Names(spot_groups, cloud_pcs, sites)


def _waiting_builds(
    ports: CostReportPorts, tenant_id: str, records: Sequence[PowerRecord], prices: PriceBook, now: datetime
) -> list[WaitingBuild]:
    """Each image-set version waiting for the admin's customization, with what its build VM has cost so far."""
    waiting = []
    for image_set in _every(lambda token: ports.image_sets.list_image_sets(tenant_id, top=1000, skip_token=token)):
        if image_set.status != "awaitingCustomization":  # a set's status is its latest version's, the one built
            continue
        version = ports.image_sets.find_version(tenant_id, image_set.id, image_set.latest_version)
        if version is None or version.status != "awaitingCustomization":
            continue
        build = [r for r in records if _is_build(r, image_set, version.version)]
        cost = costing(build, min((r.date_time for r in build), default=now), now, prices)
        since = version.last_modified_date_time  # the write that set it waiting
        waiting.append(
            WaitingBuild(
                image_set_id=image_set.id,
                image_set_name=image_set.display_name,
                version=version.version,
                vm_size=build[-1].vm_size if build else "",
                waiting_since=since,
                hours_waiting=round(max(0.0, (now - since).total_seconds() / 3600), 2),
                cost_so_far=_actual(cost),
                warning=now - since > WAITING_WARNING,
            )
        )
    return waiting


def _is_build(record: PowerRecord, image_set: ImageSet, version: str) -> bool:
    return record.kind == "imageBuild" and (record.image_set_id, record.image_version) == (image_set.id, version)


def _actual(found: Costing) -> float:
    return found.total().figures().actual


def _every(page: Callable[[str | None], tuple[list[T], str | None]]) -> Iterator[T]:
    token: str | None = None
    while True:
        items, token = page(token)
        yield from items
        if not token:
            return


def _last_day_allowed(first: date) -> date:
    """The day before the same day MAX_MONTHS later (or before that month's last day), at most the last date."""
    month = first.month - 1 + MAX_MONTHS
    year, month = first.year + month // 12, month % 12 + 1
    if year > MAXYEAR:
        return date.max
    return date(year, month, min(first.day, monthrange(year, month)[1])) - timedelta(days=1)


def _date(name: str, value: str, details: list[ErrorDetail]) -> date | None:
    try:
        if len(value) == 10:
            return date.fromisoformat(value)
    except ValueError:
        pass
    details.append(_bad(name, f"{name} must be a date such as 2026-01-31, not '{value}'."))
    return None


def _bad(name: str, message: str) -> ErrorDetail:
    return ErrorDetail("invalidQueryParameter", message, name)
