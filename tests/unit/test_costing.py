"""Costing by hand-computed figures: the day's price, Spot at the Spot price, a Cloud PC asleep, a Spot Group's hosts
made on demand against its peak, image builds without savings, missing prices named; every row and the total keep
baseline - actual = the sum of the causes, and each grouping's rows add up to the total. The report's query refuses
every bad field at once, one detail each."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from shared.errors import ValidationFailed
from shared.models.costs import GROUP_BYS, CostFigures, DiskPrice, PowerRecord, PriceList, VmPrice
from shared.models.image_sets import ImageSet, ImageSetVersion
from shared.ports.bundles import CostPorts
from shared.services.costs import cost_reports
from shared.services.costs.cost_reports import CostQuery, cost_query, report_csv, tenant_report
from shared.services.costs.costing import Names, PriceBook, costing, rows
from tests.fakes import Fakes

DAY1, DAY2 = date(2026, 3, 1), date(2026, 3, 2)
SIZE, REGION = "Standard_D4s_v5", "westeurope"


def at(day: date, hour: float) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(hours=hour)


def vm(name: str, *changes: tuple[str, datetime], **resource: Any) -> list[PowerRecord]:
    fields = {
        "tenant_id": "contoso",
        "resource_id": f"/vms/{name}",
        "kind": "sessionHost",
        "display_name": name,
        "vm_size": SIZE,
        "region": REGION,
        **resource,
    }
    return [PowerRecord(**fields, change=change, date_time=when) for change, when in changes]


def vm_price(linux: float, windows: float = 1.0, spot: float | None = None, as_of: date = DAY1) -> VmPrice:
    return VmPrice(
        region=REGION,
        vm_size=SIZE,
        currency="USD",
        linux_hourly=linux,
        windows_hourly=windows,
        spot_linux_hourly=spot,
        spot_windows_hourly=spot,
        as_of=as_of,
    )


def disk_price(monthly: float, as_of: date = DAY1) -> DiskPrice:
    return DiskPrice(region=REGION, tier="P10", currency="USD", monthly=monthly, as_of=as_of)


def days(first: date, count: int) -> tuple[datetime, datetime]:
    return at(first, 0), at(first, 24 * count)


def figures(f: CostFigures) -> tuple[float, ...]:
    c = f.savings_by_cause
    return f.actual, f.baseline, f.savings, c.schedules, c.on_demand, c.spot, c.sleep, f.running_hours


def assert_adds_up(f: CostFigures) -> None:
    c = f.savings_by_cause
    assert f.baseline - f.actual == pytest.approx(c.schedules + c.on_demand + c.spot + c.sleep, abs=1e-3)
    assert f.savings == pytest.approx(f.baseline - f.actual, abs=1e-3)


def test_a_price_change_between_days_prices_each_day_at_its_own() -> None:
    records = vm("h1", ("created", at(DAY1, 0)), ("stopped", at(DAY2, 12)), spot_group_id="g")
    book = PriceBook.of([vm_price(0.5, as_of=DAY2), vm_price(0.2, as_of=DAY1)], [])
    found = costing(records, *days(DAY1, 2), book)
    by_day = rows(found, "day", [DAY1, DAY2], Names())
    # day 1: 24 h at 0.2; day 2: 12 h running at 0.5 and 12 h deallocated (schedules) with no disk
    assert [figures(r) for r in by_day] == [
        (4.8, 4.8, 0.0, 0.0, 0.0, 0.0, 0.0, 24.0),
        (6.0, 12.0, 6.0, 6.0, 0.0, 0.0, 0.0, 12.0),
    ]
    # a day before the first price read is priced at the first (an estimate either way)
    assert book.vm(REGION, SIZE, date(2026, 2, 1)) == vm_price(0.2, as_of=DAY1)
    assert book.vm(REGION.upper(), SIZE.lower(), date(2026, 5, 1)) == vm_price(0.5, as_of=DAY2)
    assert book.as_of == DAY2


def test_a_spot_vm_pays_the_spot_price_and_its_disk_while_it_exists() -> None:
    records = vm("h1", ("created", at(DAY1, 8)), ("stopped", at(DAY1, 18)), priority="spot", disk_tier="P10")
    found = costing(records, *days(DAY1, 1), PriceBook.of([vm_price(0.2, spot=0.05)], [disk_price(14.6)]))
    # 16 h existing, 10 running; disk 14.6 / 730 = 0.02 an hour
    # actual 10 x 0.05 + 16 x 0.02 = 0.82; baseline 16 x (0.2 + 0.02) = 3.52
    # spot 10 x (0.2 - 0.05) = 1.5; schedules 6 x 0.2 = 1.2
    assert figures(found.total().figures()) == (0.82, 3.52, 2.7, 1.2, 0.0, 1.5, 0.0, 10.0)


def test_a_deallocated_cloud_pc_pays_only_its_disk_and_sleeps_the_rest() -> None:
    records = vm(
        "pc1",
        ("created", at(DAY1, 0)),
        ("stopped", at(DAY1, 2)),
        kind="cloudPc",
        cloud_pc_id="cpc-1",
        windows_licence="included",
        disk_tier="P10",
    )
    found = costing(records, *days(DAY1, 2), PriceBook.of([vm_price(0.2, windows=0.3)], [disk_price(14.6)]))
    by_day = rows(found, "day", [DAY1, DAY2], Names())
    # Windows included: 0.3 an hour. Day 1: 2 h running, 24 h of disk; day 2: its disk alone
    assert figures(by_day[0]) == (1.08, 7.68, 6.6, 0.0, 0.0, 0.0, 6.6, 2.0)
    assert figures(by_day[1]) == (0.48, 7.68, 7.2, 0.0, 0.0, 0.0, 7.2, 0.0)


def test_a_spot_group_s_hosts_made_on_demand_save_against_its_peak_kept_all_day() -> None:
    records = [
        *vm("h1", ("created", at(DAY1, 0)), spot_group_id="g", site_id="s"),
        *vm("h2", ("created", at(DAY1, 8)), ("deleted", at(DAY1, 16)), spot_group_id="g", site_id="s"),
    ]
    found = costing(records, *days(DAY1, 1), PriceBook.of([vm_price(0.2)], []))
    # peak 2 hosts x 24 h x 0.2 = 9.6 against the hosts' own 24 + 8 hours (6.4): 3.2 made on demand
    assert figures(found.total().figures()) == (6.4, 9.6, 3.2, 0.0, 3.2, 0.0, 0.0, 32.0)
    names = Names(spot_groups={"g": "Finance"})
    by_vm = {r.display_name: figures(r) for r in rows(found, "cloudPc", [DAY1], names)}
    assert by_vm == {
        "h1": (4.8, 4.8, 0.0, 0.0, 0.0, 0.0, 0.0, 24.0),
        "h2": (1.6, 1.6, 0.0, 0.0, 0.0, 0.0, 0.0, 8.0),
        "Finance: hosts made on demand": (0.0, 3.2, 3.2, 0.0, 3.2, 0.0, 0.0, 0.0),
    }
    [group] = rows(found, "spotGroup", [DAY1], names)
    assert (group.key, group.kind, group.display_name, group.savings_by_cause.on_demand) == (
        "g",
        "spotGroup",
        "Finance",
        3.2,
    )


def test_the_pool_counts_from_the_group_s_first_host() -> None:
    records = vm("h1", ("created", at(DAY1, 14)), spot_group_id="g")
    found = costing(records, *days(DAY1, 1), PriceBook.of([vm_price(0.2)], []))
    assert figures(found.total().figures()) == (2.0, 2.0, 0.0, 0.0, 0.0, 0.0, 0.0, 10.0)


def test_an_image_build_costs_what_it_ran_and_saves_nothing() -> None:
    records = vm(
        "build",
        ("created", at(DAY1, 0)),
        ("stopped", at(DAY1, 3)),
        ("deleted", at(DAY1, 4)),
        kind="imageBuild",
        image_set_id="set",
        disk_tier="P10",
    )
    found = costing(records, *days(DAY1, 1), PriceBook.of([vm_price(0.2)], [disk_price(14.6)]))
    assert figures(found.total().figures()) == (0.68, 0.68, 0.0, 0.0, 0.0, 0.0, 0.0, 3.0)


def test_missing_prices_are_named_and_their_cost_left_out() -> None:
    records = [
        *vm("h1", ("created", at(DAY1, 0)), vm_size="Standard_E2s_v5"),
        *vm("h2", ("created", at(DAY1, 0)), disk_tier="P15"),
    ]
    found = costing(records, *days(DAY1, 1), PriceBook.of([vm_price(0.2)], []))
    assert found.missing == {"westeurope/Standard_E2s_v5", "westeurope/P15"}
    assert figures(found.total().figures()) == (4.8, 4.8, 0.0, 0.0, 0.0, 0.0, 0.0, 24.0)  # h2 without its disk


def a_month_of_everything() -> list[PowerRecord]:
    return [
        *vm(
            "h1",
            ("created", at(DAY1, 0)),
            ("stopped", at(DAY1, 18)),
            ("started", at(DAY2, 7)),
            spot_group_id="g",
            site_id="s1",
            priority="spot",
            disk_tier="P10",
        ),
        *vm(
            "h2", ("created", at(DAY1, 9)), ("deleted", at(DAY1, 15)), spot_group_id="g", site_id="s1", disk_tier="P10"
        ),
        *vm("h3", ("created", at(DAY2, 9)), spot_group_id="g2", site_id="s2"),
        *vm(
            "pc1",
            ("created", at(DAY1, 10)),
            ("stopped", at(DAY1, 12)),
            ("started", at(DAY2, 8)),
            (
                "stopped",
                at(
                    DAY2,
                    9,
                ),
            ),
            kind="cloudPc",
            cloud_pc_id="cpc-1",
            windows_licence="included",
        ),
        *vm("build", ("created", at(DAY2, 1)), ("deleted", at(DAY2, 5)), kind="imageBuild", image_set_id="set"),
    ]


@pytest.mark.parametrize("group_by", GROUP_BYS)
def test_each_grouping_s_rows_add_up_to_the_total(group_by: str) -> None:
    book = PriceBook.of([vm_price(0.2, windows=0.35, spot=0.04)], [disk_price(14.6)])
    found = costing(a_month_of_everything(), *days(DAY1, 3), book)
    total = found.total().figures()
    grouped = rows(found, group_by, [DAY1, DAY2, date(2026, 3, 3)], Names(spot_groups={"g": "Finance"}))
    assert_adds_up(total)
    for row in grouped:
        assert_adds_up(row)
    for index, name in enumerate(("actual", "baseline", "savings", "schedules", "onDemand", "spot", "sleep")):
        assert sum(figures(r)[index] for r in grouped) == pytest.approx(figures(total)[index], abs=1e-3), name
    assert total.savings_by_cause.on_demand > 0 and total.savings_by_cause.sleep > 0 and total.savings_by_cause.spot > 0
    kinds = {(r.key, r.kind) for r in grouped}
    expected = {
        "day": {("2026-03-01", "day"), ("2026-03-02", "day"), ("2026-03-03", "day")},
        "spotGroup": {("g", "spotGroup"), ("g2", "spotGroup"), ("cloudPcs", "cloudPc"), ("imageBuilds", "imageBuild")},
        "cloudPc": {
            ("/vms/h1", "sessionHost"),
            ("/vms/h2", "sessionHost"),
            ("/vms/h3", "sessionHost"),
            ("cpc-1", "cloudPc"),
            ("/vms/build", "imageBuild"),
            ("g", "spotGroup"),
        },
        "site": {("s1", "site"), ("s2", "site"), ("none", "unassigned")},
    }[group_by]
    assert kinds == expected


# ---- the report: its query, its reads, the Spot Group filter, waiting builds and the CSV ------------------------


@dataclass
class Records:
    rows: list[PowerRecord] = field(default_factory=list)
    reads: list[datetime] = field(default_factory=list)

    def record_power(self, record: PowerRecord) -> None:
        self.rows.append(record)

    def list_power_records(self, tenant_id: str, until: datetime) -> list[PowerRecord]:
        self.reads.append(until)
        return [r for r in self.rows if r.tenant_id == tenant_id and r.date_time < until]


def report_ports(
    fakes: Fakes, records: list[PowerRecord], vms: list[VmPrice], disks: list[DiskPrice]
) -> tuple[CostPorts, Records]:
    """The fakes' ports, the records read through a spy that counts the reads."""
    store = Records(records)
    for vm in vms:
        fakes.prices.put_prices(PriceList(currency=vm.currency, region=vm.region, vms=[vm], disks=[]))
    for disk in disks:
        fakes.prices.put_prices(PriceList(currency=disk.currency, region=disk.region, vms=[], disks=[disk]))
    return fakes.cost_ports(power_records=store), store


def test_the_report_reads_once_filters_to_a_spot_group_and_shows_builds_left_waiting() -> None:
    fakes = Fakes(at(DAY2, 12))
    ports, store = report_ports(fakes, a_month_of_everything(), [vm_price(0.2, spot=0.04)], [disk_price(14.6)])
    report = tenant_report(ports, "contoso", DAY1, date(2026, 3, 31))
    assert store.reads == [at(DAY2, 12)]  # up to now
    assert [r.key for r in report.value][:3] == ["2026-03-01", "2026-03-02", "2026-03-03"] and len(report.value) == 31
    assert sum(r.actual for r in report.value[2:]) == 0
    assert (report.currency, report.prices.as_of, report.prices.missing) == ("USD", DAY1, [])

    only = tenant_report(ports, "contoso", DAY1, DAY2, group_by="cloudPc", spot_group_id="g2")
    # h3 from 09:00 to now (12:00): 3 h at 0.2, no disk
    assert [(r.key, r.actual) for r in only.value] == [("/vms/h3", 0.6)] and only.total.actual == 0.6

    euros = tenant_report(ports, "contoso", DAY1, DAY2, currency="EUR")
    assert euros.total.actual == 0 and "westeurope/Standard_D4s_v5" in euros.prices.missing

    now = fakes.clock()
    image_set = ImageSet(
        id="set",
        tenant_id="contoso",
        display_name="Finance desktop",
        home_site_id="s1",
        source_image_id="win11",
        latest_version="1.0.1",
        status="awaitingCustomization",
        created_date_time=now,
        last_modified_date_time=now,
    )
    fakes.image_sets.put_image_set(image_set)
    fakes.image_sets.put_version(
        ImageSetVersion(
            id="set_1.0.1",
            tenant_id="contoso",
            image_set_id="set",
            version="1.0.1",
            status="awaitingCustomization",
            created_date_time=now,
            last_modified_date_time=now,
        )
    )
    store.rows += vm(
        "imgbuild-1",
        ("created", at(DAY1, 12)),
        kind="imageBuild",
        image_set_id="set",
        image_version="1.0.1",
        display_name="Finance desktop 1.0.1",
        disk_tier="P10",
    )
    fakes.clock.advance(hours=25)  # waiting since the version was written: 25 h; the VM made 24 h before that
    [waiting] = tenant_report(ports, "contoso", DAY1, DAY2 + timedelta(days=1)).waiting_builds
    # 49 h running at 0.2 with its disk at 0.02 an hour
    assert (waiting.version, waiting.vm_size, waiting.hours_waiting, waiting.cost_so_far, waiting.warning) == (
        "1.0.1",
        SIZE,
        25.0,
        10.78,
        True,
    )
    assert tenant_report(ports, "contoso", DAY1, DAY2).waiting_builds == []  # a range ended before now
    assert tenant_report(ports, "contoso", date(9999, 12, 1), date.max).total.actual == 0  # a range yet to come


def test_the_csv_has_the_json_s_rows_and_total() -> None:
    fakes = Fakes(at(DAY2, 12))
    ports, _ = report_ports(fakes, a_month_of_everything(), [vm_price(0.2, spot=0.04)], [disk_price(14.6)])
    report = tenant_report(ports, "contoso", DAY1, DAY2, group_by="site")
    lines = report_csv(report).splitlines()
    assert lines[0] == ",".join(cost_reports.CSV_COLUMNS)
    assert len(lines) == len(report.value) + 2 and lines[-1].startswith("total,total,Total,")
    first = report.value[0]
    assert lines[1].split(",")[:6] == [
        first.key,
        first.kind,
        first.display_name,
        str(first.actual),
        str(first.baseline),
        str(first.savings),
    ]


TODAY = date(2026, 11, 20)


def query(**asked: str | None) -> CostQuery:
    fields = {"asked_from": None, "asked_to": None, "group_by": None, "currency": None, **asked}
    return cost_query(**fields, today=TODAY, currencies=("USD", "EUR"))


def refused(**asked: str | None) -> list[tuple[str, str | None]]:
    with pytest.raises(ValidationFailed) as caught:
        query(**asked)
    return [(d.code, d.target) for d in caught.value.details]


def test_the_query_defaults_to_this_month_by_day_in_the_first_currency() -> None:
    assert query() == CostQuery(date(2026, 11, 1), TODAY, "day", "USD")
    assert query(asked_to="2026-02-10") == CostQuery(date(2026, 2, 1), date(2026, 2, 10), "day", "USD")
    assert query(asked_from="2025-10-21", group_by="site", currency="EUR") == CostQuery(
        date(2025, 10, 21), TODAY, "site", "EUR"
    )
    assert query(asked_from="2025-01-31", asked_to="2026-02-27").last == date(2026, 2, 27)  # 13 months at most
    assert query(asked_from="9999-12-01", asked_to="9999-12-31").last == date.max  # as far as dates go


def test_the_query_refuses_every_bad_field_at_once() -> None:
    assert refused(asked_from="2026-11-21", asked_to="2026-11-20") == [("rangeReversed", "from")]
    assert refused(asked_from="2025-01-31", asked_to="2026-02-28") == [("rangeTooLong", "to")]
    assert refused(group_by="week") == [("invalidQueryParameter", "groupBy")]
    assert refused(currency="GBP") == [("invalidQueryParameter", "currency")]  # a currency, but not one offered
    assert refused(asked_from="yesterday", asked_to="2026-13-01") == [
        ("invalidQueryParameter", "from"),
        ("invalidQueryParameter", "to"),
    ]
    every = refused(asked_from="2026-11-21", asked_to="2026-11-20", group_by="week", currency="XYZ")
    assert every == [
        ("rangeReversed", "from"),
        ("invalidQueryParameter", "groupBy"),
        ("invalidQueryParameter", "currency"),
    ]
