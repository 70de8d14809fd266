"""Usage on a windows365 tenant, end to end: its user's connections, recorded by the emulator's sign-in control, are
what Graph's remote connection report lists; the report timer (run by the host's admin endpoint, as Core Tools runs a
timer) reads them into the usage API's hours, sessions and days, and the mirror's last sign-in is the last
connection; a user who never signs in shows none."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from shared.bootstrap import Services
from shared.services.backends.windows365_mirror import mirror
from tests.e2e.test_windows365_provisioning import adele_and_ben
from tests.utils.api_client import ApiClient, eventually


def run_report_timer(api: ApiClient) -> None:
    base = api.base_url.removesuffix("/api")
    invoked = api.session.post(f"{base}/admin/functions/importCloudPcUsage", json={"input": ""}, timeout=60)
    assert invoked.status_code == 202, invoked.text


def test_windows_365_s_connection_report_reaches_the_usage_api(api: ApiClient, app_services: Services) -> None:
    tenant, pcs = adele_and_ben(api)
    adele, ben = pcs["adele"], pcs["ben"]
    today = datetime.now(UTC).date()
    two_days_ago, yesterday = today - timedelta(days=2), today - timedelta(days=1)
    late = datetime.combine(two_days_ago, time(23), UTC)
    morning = datetime.combine(yesterday, time(9), UTC)
    control = f"{tenant.arm.emulator.base_url}/emulator/tenants/{tenant.entra_id}/cloudPCs/{adele['windows365Id']}"
    for signed_in, hours in ((late, 2), (morning, 1.5)):  # across midnight, then a morning
        reply = tenant.arm.session.post(
            f"{control}/signIns",
            json={
                "signInDateTime": f"{signed_in:%Y-%m-%dT%H:%M:%SZ}",
                "signOutDateTime": f"{signed_in + timedelta(hours=hours):%Y-%m-%dT%H:%M:%SZ}",
            },
            timeout=30,
        )
        assert reply.status_code == 200, reply.text
    tenant.controls.aggregate_windows365_reports()  # the report shows them from Windows 365's next aggregation
    mirror(app_services.engine, tenant.id)  # what the mirror's activity does: the last sign-in comes with it
    run_report_timer(api)

    def reported() -> dict[str, dict[str, Any]]:
        found = {u["id"]: u for u in api.get(f"{tenant.path}/usage").json()["value"]}
        assert found[adele["id"]]["connectedHours"] == 3.5, found
        return found

    before = (datetime.now(UTC) - morning).days
    by_pc = eventually(reported, timeout_s=60)
    after = (datetime.now(UTC) - morning).days  # the API counted between the two
    used = by_pc[adele["id"]]
    assert used["sessions"] == 2
    assert datetime.fromisoformat(used["lastConnectedDateTime"]) == morning
    assert used["daysSinceLastConnection"] in {before, after}
    assert by_pc[ben["id"]]["connectedHours"] == 0 and by_pc[ben["id"]].get("lastConnectedDateTime") is None

    asked = {"from": two_days_ago.isoformat(), "to": today.isoformat()}
    daily = api.get(f"{tenant.path}/usage/daily", params=asked).json()["value"]
    assert [(d["date"], d["connectedHours"], d["activeUsers"]) for d in daily] == [
        (two_days_ago.isoformat(), 1.0, 1),
        (yesterday.isoformat(), 2.5, 1),
        (today.isoformat(), 0, 0),
    ]
    users = {u["userId"]: u for u in api.get(f"{tenant.path}/usage/users").json()["value"]}
    assert users[adele["userId"]]["connectedHours"] == 3.5 and users[ben["userId"]]["sessions"] == 0
