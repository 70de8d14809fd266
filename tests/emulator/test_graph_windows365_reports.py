"""Windows 365's remote connection report in the emulator's Graph (beta getRemoteConnectionHistoricalReports): the
connections the sign-in control records, in the page's shape (TotalRowCount, Schema, Values), filtered by Cloud PC and
sign-in time, paged by top and skip, as the last hourly aggregation saw them; the Cloud PC filter required;
CloudPC.Read.All enough, and needed."""

from __future__ import annotations

from typing import Any

import pytest

from azure_emulator.launcher import EmulatorProcess
from tests.emulator.test_graph_permissions import assert_denied
from tests.emulator.test_graph_windows365_cloud_pcs import PLAN, assign, member, policy, settled
from tests.emulator.test_graph_windows365_connections import Windows365

REPORT = "/deviceManagement/virtualEndpoint/reports/getRemoteConnectionHistoricalReports"
CONNECTIONS = [
    ("2026-11-02T09:00:00Z", "2026-11-02T10:30:00Z"),
    ("2026-11-03T23:00:00Z", "2026-11-04T01:00:00Z"),
    ("2026-11-05T08:00:00Z", "2026-11-05T08:15:00Z"),
]


def report(w365: Windows365, body: dict[str, Any]) -> Any:
    return w365.session.post(f"{w365.emulator.base_url}/graph/beta{REPORT}", json=body, timeout=30)


def signed_in(w365: Windows365) -> str:
    group = w365.admin.create_group()
    member(w365, group, PLAN)
    assign(w365, policy(w365)["id"], group)
    [pc] = settled(w365, 1)
    control = f"{w365.emulator.base_url}/emulator/tenants/{w365.tenant_id}/cloudPCs/{pc['id']}/signIns"
    for sign_in, sign_out in reversed(CONNECTIONS):
        reply = w365.session.post(control, json={"signInDateTime": sign_in, "signOutDateTime": sign_out}, timeout=30)
        assert reply.status_code == 200, reply.text
    bad = w365.session.post(
        control, json={"signInDateTime": "2026-11-05T09:00:00Z", "signOutDateTime": "soon"}, timeout=30
    )
    assert bad.status_code == 400
    w365.controls.aggregate_windows365_reports()
    return str(pc["id"])


def test_a_connection_recorded_shows_from_the_next_aggregation_on(w365: Windows365) -> None:
    pc = signed_in(w365)
    control = f"{w365.emulator.base_url}/emulator/tenants/{w365.tenant_id}/cloudPCs/{pc}/signIns"
    later = {"signInDateTime": "2026-11-06T09:00:00Z", "signOutDateTime": "2026-11-06T10:00:00Z"}
    assert w365.session.post(control, json=later, timeout=30).status_code == 200
    asked = {"filter": f"CloudPcId eq '{pc}'", "select": ["SignInDateTime"]}
    assert report(w365, asked).json()["TotalRowCount"] == 3  # as Windows 365 last aggregated them
    w365.controls.aggregate_windows365_reports()
    assert report(w365, asked).json()["Values"][-1] == ["2026-11-06T09:00:00"]

    w365.controls.timer("windows365.reportAggregation", 0)  # aggregated at every read: the reports live
    latest = {"signInDateTime": "2026-11-07T09:00:00Z", "signOutDateTime": "2026-11-07T10:00:00Z"}
    assert w365.session.post(control, json=latest, timeout=30).status_code == 200
    assert report(w365, asked).json()["Values"][-1] == ["2026-11-07T09:00:00"]


def test_the_report_lists_each_recorded_connection_in_the_documented_shape(w365: Windows365) -> None:
    pc = signed_in(w365)
    selected = f"{w365.emulator.base_url}/graph/beta/deviceManagement/virtualEndpoint/cloudPCs/{pc}"
    last = w365.session.get(selected, params={"$select": "id,lastLoginResult"}, timeout=30).json()
    assert last["lastLoginResult"]["time"] == CONNECTIONS[-1][0]  # the latest sign-in, whatever the order recorded

    columns = ["SignInDateTime", "SignOutDateTime", "UsageInHour"]
    reply = report(w365, {"filter": f"CloudPcId eq '{pc}'", "select": columns, "top": 2, "skip": 0})
    assert reply.status_code == 200, reply.text
    assert reply.headers["Content-Type"].startswith("application/octet-stream")
    first = reply.json()
    assert first["TotalRowCount"] == 3
    assert first["Schema"] == [
        {"Column": "SignInDateTime", "PropertyType": "DateTime"},
        {"Column": "SignOutDateTime", "PropertyType": "DateTime"},
        {"Column": "UsageInHour", "PropertyType": "Double"},
    ]
    assert first["Values"] == [
        ["2026-11-02T09:00:00", "2026-11-02T10:30:00", 1.5],
        ["2026-11-03T23:00:00", "2026-11-04T01:00:00", 2.0],
    ]
    rest = report(w365, {"filter": f"CloudPcId eq '{pc}'", "select": ["SignInDateTime"], "top": 2, "skip": 2}).json()
    assert (rest["TotalRowCount"], rest["Values"]) == (3, [["2026-11-05T08:00:00"]])

    since = f"CloudPcId eq '{pc}' and SignInDateTime ge datetime'2026-11-03T00:00:00Z'"
    later = report(w365, {"filter": since, "select": ["SignInDateTime"]}).json()
    assert later["Values"] == [["2026-11-03T23:00:00"], ["2026-11-05T08:00:00"]]
    other = report(w365, {"filter": "CloudPcId eq '00000000-0000-0000-0000-000000000000'"}).json()
    assert (other["TotalRowCount"], other["Values"]) == (0, [])


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"filter": "SignInDateTime ge datetime'2026-11-03T00:00:00Z'"},
        {"filter": "CloudPcId eq 'x' or CloudPcId eq 'y'"},
        {"filter": "CloudPcId eq 'x'", "select": ["Bandwidth"]},
        {"filter": "CloudPcId eq 'x'", "top": -1},
    ],
)
def test_a_report_request_graph_would_not_take_is_a_400(w365: Windows365, body: dict[str, Any]) -> None:
    assert report(w365, body).status_code == 400


def test_cloud_pc_read_is_enough_and_needed(azure_emulator: EmulatorProcess) -> None:
    app = Windows365(azure_emulator)
    app.grant("CloudPC.Read.All")
    assert report(app, {"filter": "CloudPcId eq 'x'"}).status_code == 200
    app.grant("User.Read.All")
    assert_denied(report(app, {"filter": "CloudPcId eq 'x'"}))
