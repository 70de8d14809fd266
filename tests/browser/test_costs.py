"""The Costs page: a tenant's actual cost against its baseline per day, drawn with the same figures in a table beside
the chart; the totals and the savings by cause marked as estimates from the prices' day; each Spot Group's and site's;
the CSV downloaded with the same figures; a Spot Group's costs this month on its page; each tenant's month beside the
month before on the overview.

A pooled Spot Group's two hosts ran on the second day of last month, as their power records say (written straight
into the table, as the app writes them when it makes, starts, stops and deletes a VM), priced at list prices put in
the price cache: the figures are computed by hand below."""

from __future__ import annotations

import csv
import io
import re
import shutil
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from playwright.sync_api import Locator, expect

from shared.bootstrap import Services
from shared.models.costs import DiskPrice, MeteredResource, PowerRecord, PriceList, VmPrice
from tests.browser.conftest import ARTEFACTS
from tests.conftest import PROJECT_ROOT
from tests.e2e.test_spot_groups import group_body, ready_version
from tests.utils.api_client import ApiClient
from tests.utils.wizard import Tenant

SIZE, TIER = "Standard_D4s_v5", "P10"
HOURLY, SPOT_HOURLY, DISK_MONTHLY = 0.2, 0.05, 19.71  # pay as you go (base rate), Spot, the disk a month
DISK = DISK_MONTHLY / 730  # a disk's hour
SCREENSHOTS = PROJECT_ROOT / "docs" / "screenshots"  # the documentation shows them


def last_month_second_day() -> date:
    first = datetime.now(UTC).date().replace(day=1)
    return (first - timedelta(days=1)).replace(day=2)


def costed_tenant(api: ApiClient, services: Services) -> tuple[Tenant, dict[str, Any], date]:
    """A tenant with a pooled Spot Group whose regular host ran 08:00-18:00 and existed until midnight, and whose
    Spot host ran 08:00-12:00, on one day of last month; the site's region priced."""
    tenant = Tenant(api)
    tenant.user("ann", [])
    tenant.group("pool", ["ann"])
    group = api.created(
        f"{tenant.path}/spotGroups",
        group_body(
            tenant,
            ready_version(api, tenant),
            name="finance",
            friendlyName="Finance pool",
            licenseCount=1,
            maxSessionsPerHost=1,
            groupIds=[tenant.gid("pool")],
        ),
    )
    region = tenant.site["regionName"]
    day = last_month_second_day()
    read_on = day - timedelta(days=1)
    services.prices.prices.put_prices(
        PriceList(
            currency="USD",
            region=region,
            vms=[
                VmPrice(
                    region=region,
                    vm_size=SIZE,
                    currency="USD",
                    linux_hourly=HOURLY,
                    windows_hourly=0.38,
                    spot_linux_hourly=SPOT_HOURLY,
                    spot_windows_hourly=0.09,
                    as_of=read_on,
                )
            ],
            disks=[DiskPrice(region=region, tier=TIER, currency="USD", monthly=DISK_MONTHLY, as_of=read_on)],
        )
    )

    def host(name: str, priority: str) -> MeteredResource:
        return MeteredResource(
            tenant_id=tenant.id,
            resource_id=f"/subscriptions/s/resourcegroups/rg/providers/microsoft.compute/virtualmachines/{name}",
            kind="sessionHost",
            display_name=name,
            vm_size=SIZE,
            region=region,
            priority=priority,
            disk_tier=TIER,
            spot_group_id=group["id"],
            site_id=tenant.site["id"],
        )

    def at(hour: int) -> datetime:
        return datetime.combine(day, time(), UTC) + timedelta(hours=hour)

    regular, spot = host("finance-0", "regular"), host("finance-1", "spot")
    for resource, change, hour in (
        (regular, "created", 8),
        (regular, "stopped", 18),
        (regular, "deleted", 24),
        (spot, "created", 8),
        (spot, "deleted", 12),
    ):
        record = PowerRecord(**resource.model_dump(), change=change, date_time=at(hour))
        services.spot_group_work.power_records.record_power(record)
    return tenant, group, day


# by hand: the regular host existed 16 h and ran 10, the Spot host existed and ran 4; two hosts at the peak, over the
# 16 hours from the group's first host to midnight, is the pool's baseline
ACTUAL = 10 * HOURLY + 16 * DISK + 4 * SPOT_HOURLY + 4 * DISK
SCHEDULES = 6 * HOURLY
SPOT = 4 * (HOURLY - SPOT_HOURLY)
BASELINE = 2 * 16 * (HOURLY + DISK)
ON_DEMAND = BASELINE - (16 + 4) * (HOURLY + DISK)


def amount(text: str) -> float:
    return float(re.sub(r"[^0-9.\-]", "", text))


def cells(row: Locator) -> list[float]:
    return [amount(text) for text in row.locator("td").all_inner_texts()]


def test_the_costs_page_draws_each_day_totals_groups_and_sites_and_downloads_the_same_figures(
    portal: Any, owner_api: ApiClient, app_services: Services
) -> None:
    tenant, group, day = costed_tenant(owner_api, app_services)
    end = (day.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)  # that month's last day
    first = day.replace(day=1)

    tab = portal("admin")
    page = tab.page
    tab.open(f"/tenants/{tenant.id}/cloudPCs")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Costs").click()
    expect(page.get_by_role("heading", name="Costs", level=1)).to_be_visible()
    this_month = datetime.now(UTC).date()
    expect(page.get_by_label("From", exact=True)).to_have_value(this_month.replace(day=1).isoformat())
    expect(page.get_by_label("To", exact=True)).to_have_value(this_month.isoformat())
    page.get_by_label("From", exact=True).fill(first.isoformat())
    page.get_by_label("To", exact=True).fill(end.isoformat())
    expect(page.get_by_label("From", exact=True)).to_have_value(first.isoformat())

    # the totals, each an estimate from the prices' day, with the savings by cause; the same as computed by hand
    totals = page.get_by_role("list", name="The range's totals, estimated")
    figures = [f"${ACTUAL:.2f}", f"${BASELINE:.2f}", f"${BASELINE - ACTUAL:.2f}"]
    expect(totals.locator(".tile-value")).to_have_text(figures)
    expect(totals.locator(".estimate")).to_have_text(["estimate"] * 3)
    expect(page.locator(".prices-note").first).to_contain_text("Estimates from Azure's list prices as read on")
    causes = page.get_by_role("table", name="Savings by cause").locator("tbody tr")
    expect(causes.locator("td:last-child")).to_have_text(
        [f"${SCHEDULES:.2f}", f"${ON_DEMAND:.2f}", f"${SPOT:.2f}", "$0.00"]
    )

    # the chart, named with the range's totals, and the table beside it: a row a day, newest first
    chart = page.get_by_role("img", name=re.compile(r"^Actual cost against the baseline on each day"))
    expect(chart).to_be_visible()
    expect(chart.locator("rect.bar")).to_have_count(2)  # the one day that cost anything: baseline and actual
    days = page.get_by_role("table", name="Each day's cost")
    expect(days.locator("tbody tr")).to_have_count((end - first).days + 1)
    costed = days.locator("tbody tr").nth((end - day).days)
    assert cells(costed) == [round(ACTUAL, 2), round(BASELINE, 2), round(BASELINE - ACTUAL, 2)]

    # each Spot Group and site: the group by name, a link to its page, and the total they add up to
    groups = page.get_by_role("table", name="Each Spot Group's cost")
    expect(groups.locator("tbody tr").first).to_contain_text("Finance pool")
    expect(groups.get_by_role("link", name="Finance pool")).to_have_attribute(
        "href", f"#/tenants/{tenant.id}/spotGroups/{group['id']}"
    )
    expect(groups.locator("tbody tr").last).to_contain_text("Total")
    sites = page.get_by_role("table", name="Each site's cost")
    expect(sites.locator("tbody tr").first).to_contain_text(tenant.site["displayName"])
    expect(page.get_by_role("table", name="Users a cheaper way is recommended for")).to_contain_text(
        "No user would cost much less another way."
    )
    page.evaluate("() => document.activeElement.blur()")  # the picture without the last field's focus
    tab.shot("the costs page")
    page.screenshot(path=str(ARTEFACTS / "costs.png"), full_page=True)
    shutil.copyfile(ARTEFACTS / "costs.png", SCREENSHOTS / "costs.png")  # the documentation's picture
    tab.assert_accessible("the costs page")

    # the CSV: named for the tenant and range, a line per day and the total, the page's figures to the cent
    with page.expect_download() as download:
        page.get_by_role("button", name="Download CSV").click()
    assert download.value.suggested_filename == f"costs-{tenant.id}-{first.isoformat()}-{end.isoformat()}.csv"
    lines = list(csv.DictReader(io.StringIO(download.value.path().read_text(encoding="utf-8"))))
    assert [line["key"] for line in lines] == [
        (first + timedelta(days=n)).isoformat() for n in range((end - first).days + 1)
    ] + ["total"]
    shown = {row.locator("th").inner_text(): cells(row) for row in days.locator("tbody tr").all()}
    by_day = {
        line["key"]: [round(float(line[name]), 2) for name in ("actual", "baseline", "savings")]
        for line in lines
        if line["key"] != "total"
    }
    assert sorted(shown.values()) == sorted(by_day.values())
    assert by_day[day.isoformat()] == cells(costed)
    total = next(line for line in lines if line["key"] == "total")
    assert [f"${float(total[name]):.2f}" for name in ("actual", "baseline", "savings")] == totals.locator(
        ".tile-value"
    ).all_inner_texts()

    # the app prices in USD alone (COST_CURRENCIES): nothing to pick; a currency it does not price in, as an old
    # link may ask, is the API's refusal in its words, and the picker then offers what it may ask
    expect(page.get_by_label("Currency")).to_have_count(0)
    tab.open(f"/tenants/{tenant.id}/costs?currency=EUR")
    refused = page.get_by_role("alert").filter(has_text="The costs could not be read")
    expect(refused).to_contain_text("currency must be one of USD, not 'EUR'")


def test_a_spot_groups_page_shows_its_costs_this_month_and_the_overview_each_tenants_month(
    portal: Any, owner_api: ApiClient, app_services: Services
) -> None:
    tenant, group, _ = costed_tenant(owner_api, app_services)
    tab = portal("admin")
    page = tab.page
    # its hosts run now (the emulator made them), so the page's figures are held to the answer it was given
    with page.expect_response(lambda answer: "/costs?" in answer.url and "spotGroupId=" in answer.url) as read:
        tab.open(f"/tenants/{tenant.id}/spotGroups/{group['id']}")
    this_month = read.value.json()
    section = page.get_by_role("region", name="Costs this month")
    expect(section).to_be_visible()
    expect(section.get_by_role("img", name=re.compile(r"^Actual cost against the baseline"))).to_be_visible()
    tiles = section.get_by_role("list", name="This month's totals for the group, estimated")
    expect(tiles.locator(".tile-value")).to_have_text(
        [f"${this_month['total'][name]:.2f}" for name in ("actual", "baseline", "savings")]
    )
    expect(section.get_by_role("table", name="The group's cost each day").locator("tbody tr")).to_have_count(
        len(this_month["value"])
    )
    section.scroll_into_view_if_needed()
    tab.shot("a spot group's costs")
    section.screenshot(path=str(ARTEFACTS / "spot-group-costs.png"))
    shutil.copyfile(ARTEFACTS / "spot-group-costs.png", SCREENSHOTS / "spot-group-costs.png")
    tab.assert_accessible("a spot group's costs")

    # the overview: the tenant's tile, this month's figures and last month's beside them (from one request)
    with page.expect_response(lambda answer: "/api/costs" in answer.url) as read:
        tab.open("/")
    mine = next(row for row in read.value.json()["value"] if row["tenantId"] == tenant.id)
    assert mine["month"] == datetime.now(UTC).strftime("%Y-%m")
    tile = (
        page.get_by_role("list", name="Each tenant's costs this month")
        .locator("li")
        .filter(has=page.get_by_role("link", name=tenant.display_name, exact=True))
    )
    expect(tile.locator(".tile-value")).to_have_text(f"${mine['current']['actual']:.2f}")
    expect(tile).to_contain_text(f"${mine['previous']['actual']:.2f} cost, ${mine['previous']['savings']:.2f} saved")
    assert round(mine["previous"]["actual"], 2) == round(ACTUAL, 2)
    tab.shot("the overview's costs")
    tab.assert_accessible("the overview's costs")
