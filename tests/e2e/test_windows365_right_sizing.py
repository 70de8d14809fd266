"""Right-sizing on a windows365 tenant, end to end: Windows 365's recommendation report (the emulator's, from each Cloud
PC's recorded connections and usage profile) classes its Cloud PCs in GET /rightSizing: one worked hard is undersized
with the plan Windows 365 recommends, in the catalogue's name, and one barely used is underused; the evidence names
Windows 365's report as its source and the hour its figures may lag by. A plan recommended on a smaller disk is shown
with why resize cannot take it, and a bulk resize to it is refused with that reason."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.e2e.test_windows365_provisioning import adele_and_ben, settled
from tests.utils.api_client import ApiClient
from tests.utils.wizard import Tenant


def test_windows_365_s_recommendation_report_classes_the_cloud_pcs(api: ApiClient) -> None:
    tenant, pcs = adele_and_ben(api)
    base = f"{tenant.arm.emulator.base_url}/emulator/tenants/{tenant.entra_id}/cloudPCs"
    signed_in = datetime.now(UTC) - timedelta(days=7)
    for name, hours in (("adele", 45), ("ben", 2)):  # Intune's line: 40 hours in 28 days
        control = f"{base}/{pcs[name]['windows365Id']}"
        reply = tenant.arm.session.post(
            f"{control}/signIns",
            json={
                "signInDateTime": f"{signed_in:%Y-%m-%dT%H:%M:%SZ}",
                "signOutDateTime": f"{signed_in + timedelta(hours=hours):%Y-%m-%dT%H:%M:%SZ}",
            },
            timeout=30,
        )
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
    read = datetime.fromisoformat(evidence["windowEnd"])
    assert datetime.fromisoformat(evidence["reportAggregatedAfter"]) == read - timedelta(hours=1)
    assert (ben["classification"], ben["recommendedServicePlanId"]) == ("underused", None)
    assert ben["evidence"]["usageCategory"] == "Underutilized"


def test_a_plan_recommended_on_a_smaller_disk_is_shown_with_why_and_not_resized(api: ApiClient) -> None:
    tenant = Tenant(api, backend="windows365")
    tenant.user("cara", ["w365-enterprise-2vcpu-8gb-256gb"])  # the API page's example: 256 GB, recommended 128 GB
    tenant.group("design", ["cara"])
    tenant.assign(tenant.policy(), "design")
    [pc] = settled(tenant, 1)
    control = f"{tenant.arm.emulator.base_url}/emulator/tenants/{tenant.entra_id}/cloudPCs/{pc['windows365Id']}"
    signed_in = datetime.now(UTC) - timedelta(days=7)
    reply = tenant.arm.session.post(
        f"{control}/signIns",
        json={
            "signInDateTime": f"{signed_in:%Y-%m-%dT%H:%M:%SZ}",
            "signOutDateTime": f"{signed_in + timedelta(hours=45):%Y-%m-%dT%H:%M:%SZ}",
        },
        timeout=30,
    )
    assert reply.status_code == 200, reply.text
    profile = {"cpuPercent": 95, "memoryPercent": 70, "diskPercent": 10}  # worked hard, its disk barely used
    assert tenant.arm.session.put(f"{control}/usageProfile", json=profile, timeout=30).status_code == 200
    tenant.controls.aggregate_windows365_reports()

    [row] = api.get(f"{tenant.path}/rightSizing").json()["value"]
    assert (row["classification"], row["recommendedServicePlanId"]) == ("undersized", None)
    assert row["evidence"]["recommendedPlanName"] == "CPC_E_4C_16GB_128GB"
    reason = row["notResizableReason"]
    assert reason == (
        "The recommended Windows 365 Enterprise 4 vCPU, 16 GB, 128 GB has a smaller disk (128 GB) than "
        "this Cloud PC's 256 GB; resize cannot shrink a disk: reprovision to change it."
    )

    bulk = {"action": "resize", "cloudPcIds": [pc["id"]], "targetServicePlanId": "w365-enterprise-4vcpu-16gb-128gb"}
    review = api.post(f"{tenant.path}/bulkActions?validateOnly=true", bulk)
    assert review.status_code == 200, review.text
    [item] = review.json()["results"]
    assert item["status"] == "failed" and reason.removeprefix("The recommended ") in str(item["error"]), item
    assert api.get(f"{tenant.path}/cloudPCs/{pc['id']}").json()["servicePlanId"] == "w365-enterprise-2vcpu-8gb-256gb"
