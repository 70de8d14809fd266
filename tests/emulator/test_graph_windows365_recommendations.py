"""Windows 365's Cloud PC recommendation report in the emulator's Graph (beta cloudPcReport:
retrieveCloudPcRecommendationReports): each Cloud PC's usage category from its recorded connections and the usage
profile a control sets, as the last hourly aggregation saw them, with the plan one size up or down on the disk its use
calls for (a bigger one when nearly full, a smaller one when barely used), in the page's shape (TotalRowCount, Schema,
Values), filtered, grouped and paged as the page says; reportName required; CloudPC.ReadWrite.All needed,
CloudPC.Read.All not enough; a resize to a plan with a smaller disk refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from azure_emulator.launcher import EmulatorProcess
from tests.emulator.test_graph_permissions import assert_denied
from tests.emulator.test_graph_windows365_cloud_pcs import CLOUD_PCS, PLAN, assign, cloud_pcs, member, policy, settled
from tests.emulator.test_graph_windows365_connections import Windows365

REPORT = "/deviceManagement/virtualEndpoint/report/retrieveCloudPcRecommendationReports"
NAME = "cloudPcUsageCategoryReport"
SELECTED = ["CloudPcId", "UsageCategory", "RecommendedPlanId", "RecommendedPlanName"]
SERVICE_PLAN = "3efff3fe-528a-4fc5-b1ba-845802cc764f"  # PLAN's service plan
UP, DOWN = "2de9c682-ca3f-4f2b-b360-dfc4775db133", "545e3611-3af8-49a5-9a0a-b7867968f4b0"  # 4C/16GB, 2C/4GB; 128 GB
WIDE_PLAN = "w365-enterprise-2vcpu-8gb-256gb"  # PLAN's size on a 256 GB disk
WIDE, UP_WIDE = "d3468c8c-3545-4f44-a32f-b465934d2498", "9ecf691d-8b82-46cb-b254-cd061b2c02fb"  # 256 GB


def report(w365: Windows365, body: dict[str, Any]) -> Any:
    return w365.session.post(f"{w365.emulator.base_url}/graph/beta{REPORT}", json=body, timeout=30)


def plans(w365: Windows365) -> dict[str, list[Any]]:
    """Each Cloud PC's [UsageCategory, RecommendedPlanId] as the report shows them."""
    found = report(w365, {"reportName": NAME, "select": ["CloudPcId", "UsageCategory", "RecommendedPlanId"]})
    assert found.status_code == 200, found.text
    return {row[0]: row[1:] for row in found.json()["Values"]}


def control(w365: Windows365, pc: str, what: str) -> str:
    return f"{w365.emulator.base_url}/emulator/tenants/{w365.tenant_id}/cloudPCs/{pc}/{what}"


def used(w365: Windows365, pc: str, hours: float, profile: dict[str, Any] | None) -> None:
    """`hours` connected in one connection of last week, worked as the profile says."""
    signed_in = datetime.now(UTC) - timedelta(days=7)
    span = {
        "signInDateTime": f"{signed_in:%Y-%m-%dT%H:%M:%SZ}",
        "signOutDateTime": f"{signed_in + timedelta(hours=hours):%Y-%m-%dT%H:%M:%SZ}",
    }
    assert w365.session.post(control(w365, pc, "signIns"), json=span, timeout=30).status_code == 200
    if profile is not None:
        reply = w365.session.put(control(w365, pc, "usageProfile"), json=profile, timeout=30)
        assert reply.status_code == 200, reply.text


@pytest.fixture
def three(w365: Windows365) -> dict[str, str]:
    """Three provisioned Cloud PCs: squeezed, roomy (each used 45 hours) and idle (8 hours, under Intune's 40)."""
    group = w365.admin.create_group()
    for _ in range(3):
        member(w365, group, PLAN)
    assign(w365, policy(w365)["id"], group)
    ids = sorted(str(pc["id"]) for pc in settled(w365, 3))
    pcs = dict(zip(("squeezed", "roomy", "idle"), ids, strict=True))
    used(w365, pcs["squeezed"], 45, {"cpuPercent": 92, "memoryPercent": 70})
    used(w365, pcs["roomy"], 45, {"cpuPercent": 8, "memoryPercent": 25})
    used(w365, pcs["idle"], 8, {"cpuPercent": 92, "memoryPercent": 95})
    w365.controls.aggregate_windows365_reports()
    return pcs


def test_each_cloud_pc_s_category_and_plan_in_the_page_s_shape(w365: Windows365, three: dict[str, str]) -> None:
    reply = report(w365, {"reportName": NAME, "select": SELECTED, "orderBy": ["CloudPcId"], "top": 2, "skip": 0})
    assert reply.status_code == 200, reply.text
    assert reply.headers["Content-Type"].startswith("application/octet-stream")
    first = reply.json()
    assert first["TotalRowCount"] == 3 and len(first["Values"]) == 2
    assert first["Schema"] == [{"Column": c, "PropertyType": "String"} for c in SELECTED]
    rest = report(w365, {"reportName": NAME, "select": SELECTED, "orderBy": ["CloudPcId"], "skip": 2}).json()
    rows = {row[0]: row[1:] for row in first["Values"] + rest["Values"]}
    assert rows == {
        three["squeezed"]: ["Undersized", UP, "CPC_E_4C_16GB_128GB"],
        three["roomy"]: ["Oversized", DOWN, "CPC_E_2C_4GB_128GB"],
        three["idle"]: ["Underutilized", None, None],
    }

    asked = f"CloudPcId eq '{three['roomy']}' or CloudPcId eq '{three['idle']}'"
    some = report(w365, {"reportName": NAME, "filter": asked, "select": ["CloudPcId", "ServicePlanId"]}).json()
    assert sorted(some["Values"]) == sorted([[three["roomy"], SERVICE_PLAN], [three["idle"], SERVICE_PLAN]])

    reset = w365.session.delete(control(w365, three["squeezed"], "usageProfile"), timeout=30)
    assert reset.status_code == 204  # the default profile: neither squeezed nor roomy
    w365.controls.aggregate_windows365_reports()
    grouped = report(w365, {"reportName": NAME, "select": ["UsageCategory"], "groupBy": ["UsageCategory"]}).json()
    assert grouped["Schema"][0] == {"Column": "__Count", "PropertyType": "Int32"}
    assert sorted(grouped["Values"]) == [[1, "Oversized"], [1, "Rightsized"], [1, "Underutilized"]]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"reportName": "cloudPcInsightReport"},
        {"reportName": NAME, "select": ["CpuPercent"]},
        {"reportName": NAME, "select": ["CloudPcId"], "groupBy": ["UsageCategory"]},
        {"reportName": NAME, "filter": "CloudPcId eq 'a' or CloudPcId eq 'b' and UsageCategory eq 'Oversized'"},
        {"reportName": NAME, "filter": "Bandwidth eq '3'"},
        {"reportName": NAME, "top": -1},
    ],
)
def test_a_report_request_graph_would_not_take_is_a_400(w365: Windows365, body: dict[str, Any]) -> None:
    assert report(w365, body).status_code == 400


def test_the_profile_control_takes_two_percentages_of_a_cloud_pc_it_knows(w365: Windows365) -> None:
    unknown = control(w365, "00000000-0000-0000-0000-000000000000", "usageProfile")
    assert w365.session.put(unknown, json={"cpuPercent": 5, "memoryPercent": 5}, timeout=30).status_code == 404
    for bad in (
        {"cpuPercent": 101, "memoryPercent": 5},
        {"cpuPercent": 5},
        {"cpuPercent": True, "memoryPercent": 5},
        {"cpuPercent": 5, "memoryPercent": 5, "diskPercent": -1},
    ):
        assert w365.session.put(unknown, json=bad, timeout=30).status_code == 400


def test_cloud_pc_read_write_is_needed_read_is_not_enough(azure_emulator: EmulatorProcess) -> None:
    app = Windows365(azure_emulator)
    app.grant("CloudPC.ReadWrite.All")
    assert report(app, {"reportName": NAME}).status_code == 200
    app.grant("CloudPC.Read.All")
    assert_denied(report(app, {"reportName": NAME}))


def test_a_sign_in_or_a_profile_shows_only_from_the_next_aggregation(w365: Windows365, three: dict[str, str]) -> None:
    used(w365, three["idle"], 40, None)  # 48 hours now: used enough to be sized
    reply = w365.session.put(
        control(w365, three["roomy"], "usageProfile"), json={"cpuPercent": 90, "memoryPercent": 50}, timeout=30
    )
    assert reply.status_code == 200, reply.text
    as_aggregated = plans(w365)
    assert (as_aggregated[three["idle"]], as_aggregated[three["roomy"]]) == (
        ["Underutilized", None],
        ["Oversized", DOWN],
    )
    w365.controls.aggregate_windows365_reports()
    now = plans(w365)
    assert (now[three["idle"]], now[three["roomy"]]) == (["Undersized", UP], ["Undersized", UP])


def test_the_disk_s_use_decides_the_recommended_plan_s_disk_and_resize_never_shrinks_one(w365: Windows365) -> None:
    group = w365.admin.create_group()
    member(w365, group, PLAN)
    member(w365, group, WIDE_PLAN)
    assign(w365, policy(w365)["id"], group)
    by_plan = {pc["servicePlanId"]: str(pc["id"]) for pc in settled(w365, 2)}
    full, sparse = by_plan[SERVICE_PLAN], by_plan[WIDE]
    used(w365, full, 45, {"cpuPercent": 50, "memoryPercent": 60, "diskPercent": 95})  # only its disk runs short
    used(w365, sparse, 45, {"cpuPercent": 92, "memoryPercent": 70, "diskPercent": 10})
    w365.controls.aggregate_windows365_reports()
    found = plans(w365)
    assert found[full] == ["Undersized", WIDE]  # the same size on the next disk up
    assert found[sparse] == ["Undersized", UP]  # a size up on a smaller disk, as the API page's example 2

    refused = w365.call("POST", f"{CLOUD_PCS}/{sparse}/resize", {"targetServicePlanId": UP})
    assert refused.status_code == 400 and "disk" in refused.json()["error"]["message"], refused.text
    assert {pc["id"]: pc["status"] for pc in cloud_pcs(w365)}[sparse] == "provisioned"
    grown = w365.call("POST", f"{CLOUD_PCS}/{sparse}/resize", {"targetServicePlanId": UP_WIDE})
    assert grown.status_code == 204, grown.text
