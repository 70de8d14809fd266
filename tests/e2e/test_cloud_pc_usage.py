"""Usage on the azure backend, end to end: over a simulated fortnight a user connects through the emulator's control on
six days (each session dated at its simulated start), signs out or disconnects and comes back; the use watch runs
in-process every five minutes of those hours (given those times, on the app's own tables and Azure: no test waits a
fortnight) and once after each end. The usage API's connected hours, sessions and days match the connections made,
within the watch's resolution; a user who never connects shows no last connection; bad ranges are 400s naming the
field."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from shared.bootstrap import Services
from shared.services.cloud_pcs.cloud_pc_sleep import watch_use
from shared.services.cloud_pcs.connected_time import WATCH_PERIOD
from tests.e2e.test_provisioning import PLAN, assign, settled_cloud_pcs
from tests.utils.api_client import ApiClient
from tests.utils.wizard import CLOUD_PC_RG, Tenant

# (day of the fortnight, start, minutes connected, how it ends); a disconnected user comes back to the same session
CONNECTIONS = [
    (0, time(9, 0), 60, "signOuts"),
    (2, time(13, 30), 45, "disconnects"),
    (2, time(15, 0), 30, "signOuts"),
    (5, time(23, 30), 60, "signOuts"),  # across midnight: 30 minutes on each day
    (9, time(8, 0), 90, "signOuts"),
    (13, time(10, 0), 20, "signOuts"),
]
PER_DAY = {0: 60, 2: 75, 5: 30, 6: 30, 9: 90, 13: 20}


def test_a_fortnight_of_connections_is_the_usage_the_api_reports(api: ApiClient, app_services: Services) -> None:
    tenant = Tenant(api)
    for name in ("ann", "bob"):
        tenant.user(name, [PLAN])
    tenant.group("finance", ["ann", "bob"])
    assign(api, tenant, tenant.policy(), "finance")
    pcs = {pc["userPrincipalName"].split("@")[0]: pc for pc in settled_cloud_pcs(api, tenant, 2)}
    assert {pc["status"] for pc in pcs.values()} == {"provisioned"}
    ann, bob = pcs["ann"], pcs["bob"]
    [pool] = tenant.arm.host_pools(CLOUD_PC_RG)
    control = f"{tenant.arm.emulator.base_url}/emulator/avd{pool['id']}"
    first_day = datetime.combine(datetime.now(UTC).date() - timedelta(days=14), time(), UTC)

    def watch(at: datetime) -> None:
        watch_use(app_services.engine, tenant.id, at)

    for day, start, minutes, end in CONNECTIONS:
        began = datetime.combine(first_day.date() + timedelta(days=day), start, UTC)
        reply = tenant.arm.session.post(
            f"{control}/connections",
            json={"userPrincipalName": ann["userPrincipalName"], "createTime": began.isoformat()},
            timeout=30,
        )
        assert reply.status_code == 201, reply.text
        for n in range(1, minutes // 5 + 1):  # the watch's runs while ann is connected
            watch(began + n * WATCH_PERIOD)
        ended = tenant.arm.session.post(
            f"{control}/{end}", json={"userPrincipalName": ann["userPrincipalName"]}, timeout=30
        )
        assert ended.status_code == 200, ended.text
        watch(began + timedelta(minutes=minutes) + WATCH_PERIOD)  # the run that sees ann gone
    last_seen = datetime.combine(first_day.date() + timedelta(days=13), time(10, 20), UTC)

    resolution = len(CONNECTIONS) * WATCH_PERIOD.total_seconds() / 3600  # each connection: within one period
    before = (datetime.now(UTC) - last_seen).days
    by_pc = {u["id"]: u for u in api.get(f"{tenant.path}/usage").json()["value"]}  # the last 30 days
    after = (datetime.now(UTC) - last_seen).days  # the API counted between the two
    assert set(by_pc) == {ann["id"], bob["id"]}
    used = by_pc[ann["id"]]
    assert abs(used["connectedHours"] - sum(PER_DAY.values()) / 60) <= resolution, used
    assert used["sessions"] == 5  # coming back to a disconnected session is the same session
    assert (used["displayName"], used["userId"]) == (ann["displayName"], ann["userId"])
    assert datetime.fromisoformat(used["lastConnectedDateTime"]) == last_seen
    assert used["daysSinceLastConnection"] in {before, after}
    never = by_pc[bob["id"]]
    assert (never["connectedHours"], never["sessions"]) == (0, 0)
    assert never.get("lastConnectedDateTime") is None and never.get("daysSinceLastConnection") is None

    users = {u["userId"]: u for u in api.get(f"{tenant.path}/usage/users").json()["value"]}
    assert (users[ann["userId"]]["connectedHours"], users[ann["userId"]]["cloudPcCount"]) == (used["connectedHours"], 1)
    assert users[bob["userId"]].get("lastConnectedDateTime") is None

    last_day = first_day.date() + timedelta(days=13)
    asked = {"from": first_day.date().isoformat(), "to": last_day.isoformat()}
    daily = api.get(f"{tenant.path}/usage/daily", params=asked).json()["value"]
    assert len(daily) == 14
    for offset, entry in enumerate(daily):
        assert entry["date"] == (first_day.date() + timedelta(days=offset)).isoformat()
        expected = PER_DAY.get(offset, 0) / 60
        assert abs(entry["connectedHours"] - expected) <= WATCH_PERIOD.total_seconds() / 3600, (offset, entry)
        assert (entry["activeCloudPcs"], entry["activeUsers"]) == ((1, 1) if offset in PER_DAY else (0, 0)), entry

    page = api.get(f"{tenant.path}/usage", params={"top": 1}).json()
    assert len(page["value"]) == 1 and page["nextLink"]  # paged as every list is


@pytest.mark.parametrize(
    ("asked", "field"),
    [
        ({"from": "2026-11-21", "to": "2026-11-20"}, "from"),
        ({"from": "2026-01-01", "to": "2026-06-01"}, "to"),
        ({"from": "yesterday"}, "from"),
    ],
)
def test_a_range_the_usage_api_cannot_report_is_a_400_naming_its_field(
    api: ApiClient, asked: dict[str, str], field: str
) -> None:
    tenant = Tenant(api)
    for path in ("usage", "usage/users", "usage/daily"):
        reply = api.session.get(f"{api.base_url}{tenant.path}/{path}", params=asked, timeout=30)
        assert reply.status_code == 400, reply.text
        assert reply.json()["error"]["target"] == field, reply.json()
