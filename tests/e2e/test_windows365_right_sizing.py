"""Right-sizing on a windows365 tenant, end to end: Windows 365's recommendation report (the emulator's, from each Cloud
PC's recorded connections and usage profile) classes its Cloud PCs in GET /rightSizing: one worked hard is undersized
with the plan Windows 365 recommends, in the catalogue's name, and one barely used is underused; the evidence names
Windows 365's report as its source."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.e2e.test_windows365_provisioning import adele_and_ben
from tests.utils.api_client import ApiClient


def test_windows_365_s_recommendation_report_classes_the_cloud_pcs(api: ApiClient) -> None:
    tenant, pcs = adele_and_ben(api)
    base = f"{tenant.arm.emulator.base_url}/emulator/tenants/{tenant.entra_id}/cloudPCs"
    signed_in = datetime.now(UTC) - timedelta(days=7)
    for name, hours in (("adele", 45), ("ben", 2)):  # Intune's line: 40 hours in 28 days
        control = f"{base}/{pcs[name]['windows365Id']}"
        reply = tenant.arm.session.post(f"{control}/signIns", json={
            "signInDateTime": f"{signed_in:%Y-%m-%dT%H:%M:%SZ}",
            "signOutDateTime": f"{signed_in + timedelta(hours=hours):%Y-%m-%dT%H:%M:%SZ}"}, timeout=30)  # fmt: skip
        assert reply.status_code == 200, reply.text
        profile = {"cpuPercent": 95, "memoryPercent": 85}
        assert tenant.arm.session.put(f"{control}/usageProfile", json=profile, timeout=30).status_code == 200
    tenant.controls.aggregate_windows365_reports()  # the report shows them from Windows 365's next aggregation

    reply = api.get(f"{tenant.path}/rightSizing")
    assert reply.status_code == 200, reply.text
    rows = {row["cloudPcId"]: row for row in reply.json()["value"]}
    adele, ben = rows[pcs["adele"]["id"]], rows[pcs["ben"]["id"]]
    up = "w365-enterprise-4vcpu-16gb-128gb"  # the catalogue's name of Windows 365's CPC_E_4C_16GB_128GB
    assert (adele["classification"], adele["recommendedServicePlanId"]) == ("undersized", up)
    evidence = adele["evidence"]
    assert (evidence["metricsSource"], evidence["usageCategory"]) == ("windows365Report", "Undersized")
    assert evidence["recommendedPlanName"] == "CPC_E_4C_16GB_128GB"
    assert "Undersized" in adele["reason"]
    assert (ben["classification"], ben["recommendedServicePlanId"]) == ("underused", None)
    assert ben["evidence"]["usageCategory"] == "Underutilized"
