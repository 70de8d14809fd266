"""The Windows 365 service in the emulator's Graph: policies, who gets a Cloud PC from which policy, its statuses
and the grace period, as Windows 365 documents them."""

from __future__ import annotations

from typing import Any

import pytest

from tests.emulator.test_graph_windows365_connections import Windows365
from tests.utils.api_client import eventually

POLICIES = "/deviceManagement/virtualEndpoint/provisioningPolicies"
CLOUD_PCS = "/deviceManagement/virtualEndpoint/cloudPCs"
PLAN, BIG_PLAN = "w365-enterprise-2vcpu-8gb-128gb", "w365-enterprise-4vcpu-16gb-256gb"
GROUP_TARGET = "#microsoft.graph.cloudPcManagementGroupAssignmentTarget"
INCLUDE_UNKNOWN = "include-unknown-enum-members"


def policy(w365: Windows365, name: str = "Finance", **overrides: Any) -> dict[str, Any]:
    body = {
        "displayName": name,
        "imageType": "gallery",
        "imageId": "microsoftwindowsdesktop_windows-ent-cpc_win11-24h2-ent-cpc-m365",
        "domainJoinConfigurations": [{"domainJoinType": "azureADJoin", "regionName": "westeurope"}],
        **overrides,
    }
    reply = w365.call("POST", POLICIES, body)
    assert reply.status_code == 201, reply.text
    return dict(reply.json())


def assign(w365: Windows365, policy_id: str, *groups: str) -> None:
    body = {"assignments": [{"target": {"@odata.type": GROUP_TARGET, "groupId": g}} for g in groups]}
    assert w365.call("POST", f"{POLICIES}/{policy_id}/assign", body).status_code == 204


def cloud_pcs(w365: Windows365, version: str = "beta", every_member: bool = True) -> list[dict[str, Any]]:
    """The Cloud PCs as Graph lists them; `every_member` sends the Prefer header that a status listed after
    cloudPcStatus's `unknownFutureValue` needs (as the app does)."""
    url = f"{w365.emulator.base_url}/graph/{version}{CLOUD_PCS}"
    headers = {"Prefer": INCLUDE_UNKNOWN} if every_member else {}
    return list(w365.session.get(url, headers=headers, timeout=30).json()["value"])


def settled(w365: Windows365, count: int) -> list[dict[str, Any]]:
    def check() -> list[dict[str, Any]]:
        found = cloud_pcs(w365)
        assert len(found) == count and all(pc["status"] not in ("provisioning",) for pc in found), found
        return found

    return eventually(check, timeout_s=30)


def member(w365: Windows365, group: str, *plans: str) -> str:
    user = w365.admin.create_user()
    if plans:
        w365.admin.assign_licenses(user, *plans)
    w365.admin.add_member(group, user)
    return user


def test_each_licensed_member_gets_a_cloud_pc_per_license_from_the_first_assigned_policy(w365: Windows365) -> None:
    group, other = w365.admin.create_group(), w365.admin.create_group()
    one, two = member(w365, group, PLAN), member(w365, group, PLAN, BIG_PLAN)
    member(w365, group)  # no license: no Cloud PC
    first, later = policy(w365, "First"), policy(w365, "Later")
    assign(w365, first["id"], group)
    w365.admin.add_member(other, one)
    assign(w365, later["id"], other)  # assigned after: it serves no one the first already serves
    found = settled(w365, 3)
    assert {pc["provisioningPolicyId"] for pc in found} == {first["id"]}
    assert {pc["status"] for pc in found} == {"provisioned"}
    upns = sorted(pc["userPrincipalName"] for pc in found)
    assert upns.count(w365.admin.user(two)["userPrincipalName"]) == 2
    assert all("status" not in pc for pc in cloud_pcs(w365, "v1.0"))  # v1.0's published cloudPC has no status
    refused = w365.call("DELETE", f"{POLICIES}/{first['id']}")
    assert refused.status_code == 400  # assigned


def test_the_list_comes_in_pages_of_top_followed_by_next_link_and_takes_a_filter(w365: Windows365) -> None:
    group = w365.admin.create_group()
    users = {member(w365, group, PLAN) for _ in range(3)}
    assign(w365, policy(w365)["id"], group)
    settled(w365, 3)
    url: str | None = f"{w365.emulator.base_url}/graph/beta{CLOUD_PCS}?$top=2&$select=id,userPrincipalName"
    pages = []
    while url:
        page = w365.session.get(url, timeout=30).json()
        pages.append([set(pc) for pc in page["value"]])
        url = page.get("@odata.nextLink")
    assert [len(page) for page in pages] == [2, 1]
    assert all(fields - {"@odata.type"} == {"id", "userPrincipalName"} for page in pages for fields in page)
    upn = w365.admin.user(sorted(users)[0])["userPrincipalName"]
    filtered = w365.session.get(
        f"{w365.emulator.base_url}/graph/beta{CLOUD_PCS}", params={"$filter": f"userPrincipalName eq '{upn}'"}
    ).json()["value"]
    assert [pc["userPrincipalName"] for pc in filtered] == [upn]
    too_many = w365.session.get(f"{w365.emulator.base_url}/graph/beta{CLOUD_PCS}?$top=1000", timeout=30)
    assert too_many.status_code == 400


def test_a_fault_fails_provisioning_with_a_status_detail(w365: Windows365) -> None:
    group = w365.admin.create_group()
    member(w365, group, PLAN)
    w365.controls.fault("windows365.provisionCloudPc", 1, "intuneEnrollFailed")
    assign(w365, policy(w365)["id"], group)
    [failed] = settled(w365, 1)
    assert failed["status"] == "failed" and failed["statusDetail"]["code"] == "intuneEnrollFailed"


def test_leaving_the_group_starts_the_grace_period_which_an_admin_can_end(w365: Windows365) -> None:
    group = w365.admin.create_group()
    user = member(w365, group, PLAN)
    assign(w365, policy(w365)["id"], group)
    [pc] = settled(w365, 1)
    w365.admin.remove_member(group, user)
    [grace] = cloud_pcs(w365)
    assert grace["status"] == "inGracePeriod" and grace["gracePeriodEndDateTime"]
    w365.admin.add_member(group, user)
    assert cloud_pcs(w365)[0]["status"] == "provisioned"  # back within the grace period
    w365.admin.remove_member(group, user)
    cloud_pcs(w365)
    w365.controls.latency("cloudPcDeprovisioning", 10)  # long enough to read it under way, however loaded
    assert w365.call("POST", f"{CLOUD_PCS}/{pc['id']}/endGracePeriod").status_code == 204
    [ending] = cloud_pcs(w365)  # ending the grace period deprovisions: the Cloud PC is not gone at once
    assert (ending["status"], ending["gracePeriodEndDateTime"]) == ("deprovisioning", None)
    assert w365.call("POST", f"{CLOUD_PCS}/{pc['id']}/endGracePeriod").status_code == 400  # no longer in grace
    eventually(lambda: _assert_none(w365), timeout_s=60)


def _assert_none(w365: Windows365) -> None:
    assert cloud_pcs(w365) == []


def test_a_grace_period_that_runs_out_deprovisions_the_cloud_pc(w365: Windows365) -> None:
    group = w365.admin.create_group()
    user = member(w365, group, PLAN)
    assign(w365, policy(w365)["id"], group)
    settled(w365, 1)
    w365.controls.timer("windows365.gracePeriod", 0)
    w365.controls.latency("cloudPcDeprovisioning", 10)
    w365.admin.remove_member(group, user)
    assert [pc["status"] for pc in cloud_pcs(w365)] == ["inGracePeriod"]
    assert [pc["status"] for pc in cloud_pcs(w365)] == ["deprovisioning"]
    eventually(lambda: _assert_none(w365), timeout_s=60)


def _service_work(w365: Windows365, cloud_pc_id: str, status: str, seconds: float) -> Any:
    url = f"{w365.emulator.base_url}/emulator/tenants/{w365.tenant_id}/cloudPCs/{cloud_pc_id}/status"
    return w365.session.put(url, json={"status": status, "seconds": seconds}, timeout=30)


@pytest.mark.parametrize("status", ["resizePendingLicense", "movingRegion", "refreshPolicyConfiguration"])
def test_a_status_listed_after_unknown_future_value_is_sent_only_to_who_asks_for_it(
    w365: Windows365, status: str
) -> None:
    group = w365.admin.create_group()
    member(w365, group, PLAN)
    assign(w365, policy(w365)["id"], group)
    [pc] = settled(w365, 1)
    assert _service_work(w365, pc["id"], status, 30).status_code == 200  # the service at its own work on it
    assert [found["status"] for found in cloud_pcs(w365)] == [status]
    assert [found["status"] for found in cloud_pcs(w365, every_member=False)] == ["unknownFutureValue"]
    one = w365.session.get(f"{w365.emulator.base_url}/graph/beta{CLOUD_PCS}/{pc['id']}", timeout=30).json()
    assert one["status"] == "unknownFutureValue"
    both = {"Prefer": f"return=minimal, {INCLUDE_UNKNOWN}"}  # one preference among others is still heard
    one = w365.session.get(
        f"{w365.emulator.base_url}/graph/beta{CLOUD_PCS}/{pc['id']}", headers=both, timeout=30
    ).json()
    assert one["status"] == status


def test_the_service_s_own_work_ends_in_the_status_the_cloud_pc_had(w365: Windows365) -> None:
    group = w365.admin.create_group()
    member(w365, group, PLAN)
    assign(w365, policy(w365)["id"], group)
    [pc] = settled(w365, 1)
    assert _service_work(w365, pc["id"], "unknownFutureValue", 1).status_code == 400  # a sentinel, not a status
    assert _service_work(w365, pc["id"], "sleeping", 1).status_code == 400
    assert _service_work(w365, pc["id"], "preparing", 0.2).status_code == 200

    def back() -> None:
        assert [found["status"] for found in cloud_pcs(w365)] == ["provisioned"]

    eventually(back, timeout_s=30)
    assert _service_work(w365, pc["id"], "movingRegion", 600).status_code == 200
    assert [found["status"] for found in cloud_pcs(w365)] == ["movingRegion"]
    assert _service_work(w365, pc["id"], "preparing", 1).status_code == 409  # at other work already
    url = f"{w365.emulator.base_url}/emulator/tenants/{w365.tenant_id}/cloudPCs/{pc['id']}/status"
    assert w365.session.delete(url, timeout=30).status_code == 204  # done now, however long it was to take
    back()


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"displayName": "A ^ B"}, "displayName"),
        ({"imageType": "marketplace"}, "imageType"),
        ({"domainJoinConfigurations": []}, "domainJoinConfigurations"),
        ({"domainJoinConfigurations": [{"domainJoinType": "hybridAzureADJoin"}]}, "onPremisesConnectionId"),
        ({"localAdmin": True}, "localAdmin"),
        ({"imageId": "microsoftwindowsdesktop_windows-ent-cpc_win10-21h2-ent-cpc-m365"}, "imageId"),  # past its end
        ({"imageId": "x"}, "imageId"),
    ],
)
def test_graph_refuses_a_bad_policy_naming_the_field(w365: Windows365, overrides: dict[str, Any], named: str) -> None:
    joins = [{"domainJoinType": "azureADJoin", "regionName": "westeurope"}]
    body = {
        "displayName": "Finance",
        "imageType": "gallery",
        "domainJoinConfigurations": joins,
        "imageId": "microsoftwindowsdesktop_windows-ent-cpc_win11-24h2-ent-cpc-m365",
        **overrides,
    }
    reply = w365.call("POST", POLICIES, body)
    assert reply.status_code == 400 and named in reply.json()["error"]["message"]


def _plan_ids(w365: Windows365, user: str) -> tuple[str, str]:
    """Windows 365's service plan ids of PLAN and BIG_PLAN, as the Cloud PCs name them."""
    [pc] = [pc for pc in cloud_pcs(w365) if pc["userPrincipalName"] == w365.admin.user(user)["userPrincipalName"]]
    big = next(
        p["servicePlanId"]
        for p in w365.admin.call("GET", f"{w365.admin.graph}/subscribedSkus")["value"]
        for p in p["servicePlans"]
        if "CPC_E_4C_16GB_256GB" in p["servicePlanName"]
    )
    return pc["servicePlanId"], big


def test_a_resize_moves_a_direct_license_itself_and_waits_for_the_admin_to_move_a_group_s(w365: Windows365) -> None:
    group, licensed = w365.admin.create_group(), w365.admin.create_group()
    direct = member(w365, group, PLAN)
    by_group = member(w365, group)
    w365.admin.assign_group_licenses(licensed, PLAN)
    w365.admin.add_member(licensed, by_group)
    assign(w365, policy(w365)["id"], group)
    settled(w365, 2)
    small, big = _plan_ids(w365, direct)
    pcs = {pc["userPrincipalName"]: pc for pc in cloud_pcs(w365)}
    direct_pc, group_pc = (pcs[w365.admin.user(u)["userPrincipalName"]] for u in (direct, by_group))
    bad = w365.call("POST", f"{CLOUD_PCS}/{direct_pc['id']}/resize", {"targetServicePlanId": small})
    assert bad.status_code == 400  # the size it has
    unknown = w365.call("POST", f"{CLOUD_PCS}/{direct_pc['id']}/resize", {"targetServicePlanId": "nope"})
    assert unknown.status_code == 400
    w365.controls.latency("cloudPcProvisioning", 20)  # long enough to see the resize under way, however loaded
    for pc in (direct_pc, group_pc):
        reply = w365.call("POST", f"{CLOUD_PCS}/{pc['id']}/resize", {"targetServicePlanId": big})
        assert reply.status_code == 204, reply.text
    statuses = {pc["id"]: pc["status"] for pc in cloud_pcs(w365)}
    assert statuses == {direct_pc["id"]: "resizing", group_pc["id"]: "resizePendingLicense"}

    def resized() -> None:
        assert {pc["id"]: pc["servicePlanId"] for pc in cloud_pcs(w365)}[direct_pc["id"]] == big

    eventually(resized, timeout_s=90)
    assert w365.admin.licensed_plans(direct) == [BIG_PLAN]  # Windows 365 moved the direct license
    assert {pc["id"]: pc["status"] for pc in cloud_pcs(w365)}[group_pc["id"]] == "resizePendingLicense"
    w365.admin.remove_group_licenses(licensed, PLAN)  # the admin's move: the group now licenses the new size
    w365.admin.assign_group_licenses(licensed, BIG_PLAN)
    done = {pc["id"]: pc for pc in cloud_pcs(w365)}[group_pc["id"]]
    assert (done["status"], done["servicePlanId"]) == ("provisioned", big)


def test_a_user_s_sign_in_is_the_cloud_pc_s_last_login_result_read_on_select_from_beta_only(w365: Windows365) -> None:
    group = w365.admin.create_group()
    member(w365, group, PLAN)
    assign(w365, policy(w365)["id"], group)
    [pc] = settled(w365, 1)
    base = f"{w365.emulator.base_url}/graph"
    selected = f"{CLOUD_PCS}/{pc['id']}?$select=id,lastLoginResult"
    assert "lastLoginResult" not in pc  # not among the default properties
    assert w365.session.get(f"{base}/beta{selected}", timeout=30).json()["lastLoginResult"] is None  # never
    controls = f"{w365.emulator.base_url}/emulator/tenants/{w365.tenant_id}/cloudPCs"
    sign_in = f"{controls}/{pc['id']}/signIns"
    assert w365.session.post(f"{controls}/nope/signIns", timeout=30).status_code == 404
    assert w365.session.post(sign_in, timeout=30).status_code == 200
    login = w365.session.get(f"{base}/beta{selected}", timeout=30).json()["lastLoginResult"]
    assert set(login) == {"time"} and login["time"].endswith("Z")
    assert "lastLoginResult" not in cloud_pcs(w365)[0]
    assert "lastLoginResult" not in w365.session.get(f"{base}/v1.0{selected}", timeout=30).json()
    assert _service_work(w365, pc["id"], "movingRegion", 600).status_code == 200
    assert w365.session.post(sign_in, timeout=30).status_code == 409  # only a provisioned one is reached
