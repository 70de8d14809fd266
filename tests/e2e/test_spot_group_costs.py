"""A pooled Spot Group through a simulated day, priced: its costs and savings equal figures worked out by hand from
the emulator's price list (issue #51's e2e acceptance).

The group scales (a base of one host, a buffer of 6 sessions, at most 3 hosts, half of those above the base on Spot),
so its first optimization, at the wall clock's time, makes its two other hosts at once: host 1 on Spot, host 2 on
demand. The buffer keeps 3 hosts needed all day, so none is deleted. The deployment stamps each host's VM "created"
with the app's clock, today; the simulated day D is tomorrow (UTC), so every host exists all of D, and the day's
starts and stops are stamped with the `now` the optimization is given.

As in the working-day test (test_spot_group_day.py) the test is the timer, here at D's phase boundaries alone, with
nobody signed in: a UTC schedule keeps one host running off-peak and two from ramp-up (08:00) until off-peak (16:00).
So on D host 0 (on demand, the base) runs 24 hours, host 1 (Spot) runs 8 hours at the Spot price and is deallocated
16 (schedules and Spot savings), and host 2 (on demand) is deallocated all day (its disk alone: schedules). The
group's peak is its 3 hosts all day, no more than its hosts' own baselines: nothing saved by hosts made on demand.

The prices are the app's own read (price_refresh, through the Retail Prices adapter, into the cache); the figures
expected are computed below from the emulator's data file with plain arithmetic, and compared with the tenant's cost
report for D (its clock at D+1 00:00), grouped by day and by Spot Group.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest

from azure_emulator.retail_prices import DATA_FILE
from shared.models.costs import CostFigures, PowerRecord
from shared.ports.bundles import CostPorts
from shared.services.costs import cost_reports, metering, price_refresh
from shared.services.spot_pc import spot_group_power
from tests.e2e.test_spot_group_day import Pool
from tests.e2e.test_spot_groups import group_body, ready_version, run_optimization, settled
from tests.utils.api_client import ApiClient, eventually
from tests.utils.wizard import CLOUD_PC_RG, Tenant

if TYPE_CHECKING:
    from devhost.host import DevHost
    from shared.bootstrap import Services

SCALING = {"baseHosts": 1, "bufferSessions": 6, "maxHosts": 3, "spotSharePercent": 50}  # 2 sessions a host


def phase(start: str, minimum: int) -> dict[str, Any]:
    return {"start": start, "minimumHostsPercent": minimum, "capacityThresholdPercent": 100}


# nobody signs in: off-peak keeps one host for the first user (the threshold's next host), 50% of 3 hosts is 2
SCHEDULE = {
    "timeZone": "UTC",
    "weekdaySets": [
        {
            "days": ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"],
            "rampUp": phase("08:00", 50),
            "peak": phase("09:00", 50),
            "rampDown": phase("15:00", 50),
            "offPeak": phase("16:00", 0),
        }
    ],
}
HOST_DISK_TIER = "P10"  # a host's 128 GiB OS disk bills as Premium SSD P10
HOURS_A_MONTH = 730  # Azure's month, by which a disk's monthly price is metered by the hour


@dataclass(frozen=True)
class PricedDay:
    tenant_id: str
    group_id: str
    hosts: tuple[str, str, str]  # by index: the base (on demand), the Spot host, the other on-demand host
    day: dt.date  # D
    region: str
    vm_size: str
    records: list[PowerRecord]  # the tenant's power records up to D's end
    costs: CostPorts  # the cost reports' ports, their clock at D's end


@dataclass(frozen=True)
class ListPrices:
    """The day's prices in USD, as the emulator's data file has them."""

    on_demand: float  # an hour, the base rate: the app's hosts run under licenseType Windows_Client
    spot: float  # an hour, the Spot base rate
    disk: float  # an hour of the OS disk's tier


def list_prices(region: str, vm_size: str) -> ListPrices:
    data = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    factor = data["regions"][region]["factor"]

    def listed(usd_in_eastus: float) -> float:  # as the API lists it: eastus times the region's factor, 6 decimals
        return round(usd_in_eastus * factor, 6)

    vm = data["vmSizes"][vm_size]
    disk_monthly = listed(data["premiumSsdDisks"][HOST_DISK_TIER]["monthly"])
    return ListPrices(listed(vm["linux"]), listed(vm["spotLinux"]), disk_monthly / HOURS_A_MONTH)


def by_hand(p: ListPrices) -> dict[str, float]:
    """D's figures for the group, with the costing rules written out (hours x hourly price)."""
    host0 = 24 * p.on_demand + 24 * p.disk  # ran all day
    host1 = 8 * p.spot + 24 * p.disk  # Spot, ran 08:00-16:00
    host2 = 0 * p.on_demand + 24 * p.disk  # deallocated all day
    actual = host0 + host1 + host2
    hosts_baseline = 3 * 24 * (p.on_demand + p.disk)  # each host on demand 24x7
    pool_baseline = 3 * 24 * (p.on_demand + p.disk)  # peak 3 hosts x 24 hours x (the most od + disk)
    on_demand = max(0.0, pool_baseline - hosts_baseline)  # no host made or deleted on D
    baseline = hosts_baseline + on_demand
    schedules = (24 - 8) * p.on_demand + (24 - 0) * p.on_demand  # hosts 1 and 2 deallocated
    spot = 8 * (p.on_demand - p.spot)
    return {
        "actual": actual,
        "baseline": baseline,
        "savings": baseline - actual,
        "schedules": schedules,
        "onDemand": on_demand,
        "spot": spot,
        "sleep": 0.0,
        "runningHours": 24 + 8 + 0,
    }


def figures(found: CostFigures) -> dict[str, float]:
    causes = found.savings_by_cause
    return {
        "actual": found.actual,
        "baseline": found.baseline,
        "savings": found.savings,
        "schedules": causes.schedules,
        "onDemand": causes.on_demand,
        "spot": causes.spot,
        "sleep": causes.sleep,
        "runningHours": found.running_hours,
    }


def to_4_decimals(expected: dict[str, float]) -> dict[str, Any]:
    return {name: pytest.approx(value, abs=0.00005) for name, value in expected.items()}


@pytest.fixture(scope="module")
def priced_day(app_host: DevHost, admin_token: str, app_services: Services) -> PricedDay:
    """The group made today, the prices read, and D driven: what the tests price."""
    api = ApiClient(f"{app_host.base_url}/api", admin_token)
    ports = app_services.spot_group_work
    tenant = Tenant(api)
    tenant.group("sales", ["ann"])
    body = group_body(tenant, ready_version(api, tenant), licenseCount=6, scaling=SCALING)
    made = api.created(f"{tenant.path}/spotGroups", body)
    group = f"{tenant.path}/spotGroups/{made['id']}"
    assert settled(api, group)["status"] == "ready"
    run_optimization(api)  # the timer, now: the buffer's 6 sessions need 3 hosts

    def grown() -> tuple[str, str, str]:
        hosts = sorted(ports.spot_groups.list_hosts(tenant.id, made["id"]), key=lambda h: h.index)
        assert [(h.status, h.priority) for h in hosts] == [
            ("running", "Regular"),
            ("running", "Spot"),
            ("running", "Regular"),
        ], hosts
        return hosts[0].name, hosts[1].name, hosts[2].name

    hosts = eventually(grown, timeout_s=240)
    _, spot, regular = hosts
    assert api.put(f"{group}/schedule", SCHEDULE).status_code == 200
    price_refresh.refresh_prices(app_services.prices, dt.datetime.now(dt.UTC).date())  # raises when one failed

    day = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1)
    midnight, end = (dt.datetime.combine(d, dt.time(), dt.UTC) for d in (day, day + dt.timedelta(days=1)))
    pool = Pool(tenant, "spotpc-sales-desktops")
    for hour, start, stop in ((0, [], [regular, spot]), (8, [spot], []), (16, [], [spot])):
        now = midnight + dt.timedelta(hours=hour)
        asked = spot_group_power.optimize(ports, ports.spot_groups.get_spot_group(tenant.id, made["id"]), now)
        assert (asked.start, asked.stop, asked.scale) == (start, stop, []), (hour, asked)
        for vm in asked.start:
            pool.settled(vm, "running")
        for vm in asked.stop:
            pool.settled(vm, "deallocated")
    assert [pool.power(vm) for vm in hosts] == ["running", "deallocated", "deallocated"]

    costs = dataclasses.replace(app_services.costs, clock=lambda: end)  # the report as read once D has ended
    return PricedDay(
        tenant.id,
        made["id"],
        hosts,
        day,
        tenant.site["regionName"],
        made["vmSize"],
        ports.power_records.list_power_records(tenant.id, end),
        costs,
    )


def test_the_day_is_metered_and_priced_as_the_hand_computation_has_it(priced_day: PricedDay) -> None:
    d = priced_day
    start = dt.datetime.combine(d.day, dt.time(), dt.UTC)
    end = start + dt.timedelta(days=1)
    days = metering.meter(d.records, start, end)
    base, spot, regular = d.hosts
    assert {(m.resource.display_name, m.resource.priority): (m.existed_hours, m.running_hours) for m in days} == {
        (base, "regular"): (24, 24),
        (spot, "spot"): (24, 8),
        (regular, "regular"): (24, 0),
    }
    assert metering.peak_hosts(d.records, start, end) == {d.group_id: 3}

    # the cache holds the emulator's prices, as the app's refresh read them today
    expected = list_prices(d.region, d.vm_size)
    vms, disks = d.costs.prices.list_prices("USD")
    # the day's: read last on or before it (other tests may have kept prices of other days in the session's tables)
    vm = max(
        (p for p in vms if (p.region, p.vm_size) == (d.region, d.vm_size) and p.as_of <= d.day), key=lambda p: p.as_of
    )
    disk = max(
        (p for p in disks if (p.region, p.tier) == (d.region, HOST_DISK_TIER) and p.as_of <= d.day),
        key=lambda p: p.as_of,
    )
    assert (vm.linux_hourly, vm.spot_linux_hourly, disk.monthly / HOURS_A_MONTH) == (
        expected.on_demand,
        expected.spot,
        expected.disk,
    )
    assert vm.as_of <= d.day and disk.as_of <= d.day  # read before D: D's prices


def test_the_days_cost_report_equals_the_hand_computed_costs_and_savings(priced_day: PricedDay) -> None:
    d = priced_day
    expected = to_4_decimals(by_hand(list_prices(d.region, d.vm_size)))

    by_day = cost_reports.tenant_report(d.costs, d.tenant_id, d.day, d.day, group_by="day")
    assert (by_day.currency, by_day.prices.missing) == ("USD", [])
    assert figures(by_day.total) == expected
    assert [(row.key, row.kind) for row in by_day.value] == [(d.day.isoformat(), "day")]
    assert figures(by_day.value[0]) == expected
    assert by_day.total.estimate and by_day.value[0].estimate  # list prices, not the customer's bill

    by_group = cost_reports.tenant_report(d.costs, d.tenant_id, d.day, d.day, group_by="spotGroup")
    assert [(row.key, row.kind) for row in by_group.value] == [(d.group_id, "spotGroup")]
    assert figures(by_group.value[0]) == expected
    assert figures(by_group.total) == expected

    # the group alone: the same figures
    alone = cost_reports.tenant_report(d.costs, d.tenant_id, d.day, d.day, group_by="day", spot_group_id=d.group_id)
    assert figures(alone.total) == expected


def test_a_new_sites_region_is_priced_by_the_next_run_of_the_price_timer(
    api: ApiClient, app_services: Services
) -> None:
    tenant = Tenant(api)
    region = "polandcentral"  # no other test's site: nothing has read its prices
    cache = app_services.prices.prices
    assert [p for p in cache.list_prices("USD")[0] if p.region == region] == []
    site = {
        "displayName": "Warsaw",
        "regionName": region,
        "subscriptionId": tenant.arm.subscription_id,
        "resourceGroupName": CLOUD_PC_RG,
    }
    api.created(f"{tenant.path}/sites", site)
    base, day = api.base_url.removesuffix("/api"), dt.datetime.now(dt.UTC).date()
    invoked = api.session.post(f"{base}/admin/functions/refreshPrices", json={"input": ""}, timeout=60)
    assert invoked.status_code == 202, invoked.text

    def priced() -> None:
        vms = [p for p in cache.list_prices("USD")[0] if p.region == region]
        assert vms and all(p.as_of >= day and p.windows_hourly > 0 for p in vms)

    eventually(priced, timeout_s=60)
