"""The Usage page: a tenant's connected hours per day drawn with the same figures in a table beside the chart, each
Cloud PC's and user's use (never connected said in words, sortable by hours and last connection), the range picked,
and the right-sizing report with its evidence, from which a resize to the recommended plan is reviewed and started.

Ann connects through the emulator's control now and the use watch sees her; her earlier days are in the usage store as
the watch keeps them (no test waits five days); her VM's metrics are a squeezed profile the emulator serves. Bob never
connects, and his VM idles (the emulator's own profile)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from typing import Any

from playwright.sync_api import expect

from shared.bootstrap import Services
from shared.models.usage import UsageDay
from shared.services.cloud_pcs.cloud_pc_sleep import watch_use
from shared.services.cloud_pcs.connected_time import WATCH_PERIOD
from tests.browser.conftest import ARTEFACTS
from tests.e2e.test_provisioning import PLAN, settled_cloud_pcs
from tests.utils.api_client import ApiClient
from tests.utils.wizard import CLOUD_PC_RG, Tenant

EARLIER_DAYS = (1, 2, 4, 5)  # days before today that ann was connected on, three hours each
BIGGER, SMALLER = "w365-enterprise-4vcpu-16gb-128gb", "w365-enterprise-2vcpu-4gb-128gb"  # a step each way from PLAN
GB = 1024**3


def used_tenant(api: ApiClient, services: Services) -> tuple[Tenant, dict[str, Any], dict[str, Any]]:
    tenant = Tenant(api)
    for name in ("ann", "bob"):
        tenant.user(name, [PLAN])
    tenant.group("finance", ["ann", "bob"])
    tenant.assign(tenant.policy(), "finance")
    pcs = {pc["userPrincipalName"].split("@")[0]: pc for pc in settled_cloud_pcs(api, tenant, 2)}
    assert {pc["status"] for pc in pcs.values()} == {"provisioned"}
    ann, bob = pcs["ann"], pcs["bob"]

    today = datetime.now(UTC).date()
    earlier = [today - timedelta(days=n) for n in EARLIER_DAYS]
    services.engine.usage.put_usage_days(
        [
            UsageDay(
                tenant_id=tenant.id,
                cloud_pc_id=ann["id"],
                user_id=ann["userId"],
                day=day,
                connected_minutes=180,
                sessions=1,
                first_connected_date_time=datetime.combine(day, time(9), UTC),
                last_connected_date_time=datetime.combine(day, time(12), UTC),
            )
            for day in earlier
        ]
    )
    # today's connection, through the emulator's control, seen by the watch every five minutes and once after it ends
    [pool] = tenant.arm.host_pools(CLOUD_PC_RG)
    control = f"{tenant.arm.emulator.base_url}/emulator/avd{pool['id']}"
    began = max(datetime.now(UTC) - timedelta(minutes=30), datetime.combine(today, time(), UTC))
    reply = tenant.arm.session.post(
        f"{control}/connections",
        json={"userPrincipalName": ann["userPrincipalName"], "createTime": began.isoformat()},
        timeout=30,
    )
    assert reply.status_code == 201, reply.text
    for n in range(1, 6):
        watch_use(services.engine, tenant.id, began + n * WATCH_PERIOD)
    ended = tenant.arm.session.post(
        f"{control}/signOuts", json={"userPrincipalName": ann["userPrincipalName"]}, timeout=30
    )
    assert ended.status_code == 200, ended.text
    watch_use(services.engine, tenant.id, began + 6 * WATCH_PERIOD)

    # ann's VM works hard: its CPU above 80% for more than an hour in twenty
    squeezed: dict[str, Any] = {
        "cpuPercent": 93,
        "availableMemoryBytes": 3 * GB,
        "timeCreated": "2025-01-01T00:00:00+00:00",
    }
    put = tenant.arm.session.put(
        f"{tenant.arm.emulator.base_url}/emulator/metrics{ann['virtualMachineId']}", json=squeezed, timeout=30
    )
    assert put.ok, put.text
    # bob's VM idles, and has done so for the report's whole window: made long ago, as ann's
    idle = tenant.arm.session.put(
        f"{tenant.arm.emulator.base_url}/emulator/metrics{bob['virtualMachineId']}",
        json={"timeCreated": squeezed["timeCreated"]},
        timeout=30,
    )
    assert idle.ok, idle.text
    return tenant, ann, bob


def test_the_usage_page_draws_each_day_lists_each_cloud_pc_and_user_and_resizes_from_the_report(
    portal: Any, owner_api: ApiClient, app_services: Services
) -> None:
    tenant, ann, bob = used_tenant(owner_api, app_services)
    plans = {plan["id"]: plan["displayName"] for plan in owner_api.get("/servicePlans").json()["value"]}

    tab = portal("admin")
    page = tab.page
    tab.open(f"/tenants/{tenant.id}/cloudPCs")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Usage").click()
    expect(page.get_by_role("heading", name="Usage", level=1)).to_be_visible()
    expect(page.get_by_label("Range")).to_have_value("30")

    # the chart, named with the range's totals, and the table beside it: a row a day, newest first
    chart = page.get_by_role("img", name=re.compile(r"^Connected hours and active users on each of the last 30 days"))
    expect(chart).to_be_visible()
    expect(chart.locator("rect.bar")).to_have_count(2 * (len(EARLIER_DAYS) + 1))  # hours and users, each day used
    days = page.get_by_role("table", name="Each day's use")
    expect(days.locator("tbody tr")).to_have_count(30)
    expect(days.locator("thead")).to_contain_text("Connected hours")
    two_days_ago = days.locator("tbody tr").nth(2)
    expect(two_days_ago.locator("td")).to_have_text(["3", "1", "1"])  # hours, users, Cloud PCs
    expect(days.locator("tbody tr").nth(3).locator("td")).to_have_text(["0", "0", "0"])

    # each Cloud PC: ann's hours and last connection, bob never connected, in words
    cloud_pcs = page.get_by_role("table", name="Each Cloud PC's use")
    rows = cloud_pcs.locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text(ann["displayName"])
    expect(rows.first).to_contain_text("Less than a day")
    expect(rows.nth(1)).to_contain_text(bob["displayName"])
    expect(rows.nth(1).locator("td").nth(4)).to_have_text("Never connected")
    expect(rows.nth(1).locator("td").nth(5)).to_have_text("Never connected")
    page.get_by_label("Sort by").select_option(label="Last connection, longest ago first")
    expect(rows.first).to_contain_text(bob["displayName"])
    users = page.get_by_role("table", name="Each user's use, over their Cloud PCs")
    expect(users.locator("tbody tr").first).to_contain_text(ann["userPrincipalName"])

    # the report: ann undersized with the plan one step up and its evidence from Azure Monitor; bob's idle VM oversized
    report = page.get_by_role("table", name="Each Cloud PC's fit")
    squeezed = report.locator("tbody tr").filter(has_text=ann["displayName"])
    expect(squeezed).to_contain_text("Undersized")
    expect(squeezed).to_contain_text(f"Recommended: {plans[BIGGER]}")
    expect(squeezed).to_contain_text("CPU 93% at the 95th percentile")
    expect(squeezed).to_contain_text("Free memory 3 GB of 8 GB")
    expect(squeezed).to_contain_text("Azure Monitor")
    expect(squeezed).to_contain_text("Last connected")
    idle = report.locator("tbody tr").filter(has_text=bob["displayName"])
    expect(idle).to_contain_text("Oversized")
    expect(idle).to_contain_text(f"Recommended: {plans[SMALLER]}")
    expect(idle).to_contain_text("Never connected (the Cloud PC record)")
    tab.shot("the usage page")
    page.screenshot(path=str(ARTEFACTS / "usage.png"))  # the documentation's picture: the chart and its table
    tab.assert_accessible("the usage page")

    # a week: the chart and the table follow
    page.get_by_label("Range").select_option(label="Last 7 days")
    expect(
        page.get_by_role("img", name=re.compile(r"^Connected hours and active users on each of the last 7 days"))
    ).to_be_visible()
    expect(days.locator("tbody tr")).to_have_count(7)

    # both selected: a resize to each one's recommended plan, both reviewed before either starts
    report.get_by_label(f"Select {ann['displayName']}").check()
    report.get_by_label(f"Select {bob['displayName']}").check()
    bar = page.get_by_role("region", name="2 Cloud PCs selected")
    expect(bar).to_contain_text(f"1 Cloud PC to {plans[BIGGER]}; 1 Cloud PC to {plans[SMALLER]}")
    bar.get_by_role("button", name="Review resize to recommended").click()
    review = bar.get_by_role("status")
    for plan in (BIGGER, SMALLER):
        expect(review).to_contain_text(f"To {plans[plan]}: Resize: the selected Cloud PC can go ahead.")
    tab.shot("the resize reviewed")
    tab.assert_accessible("the resize reviewed")
    bar.get_by_role("button", name="Resize 2 Cloud PCs…").click()
    page.get_by_role("dialog").get_by_role("button", name="Resize 2 Cloud PCs").click()
    expect(page.get_by_role("heading", name="Bulk actions", level=1)).to_be_visible()
    started = owner_api.get(f"{tenant.path}/bulkActions").json()["value"]
    resized = {
        bulk["targetServicePlanId"]: owner_api.get(f"{tenant.path}/bulkActions/{bulk['id']}").json() for bulk in started
    }
    assert {plan: [item["cloudPcId"] for item in bulk["results"]] for plan, bulk in resized.items()} == {
        BIGGER: [ann["id"]],
        SMALLER: [bob["id"]],
    }
    assert {bulk["action"] for bulk in resized.values()} == {"resize"}
