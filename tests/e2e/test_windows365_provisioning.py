"""Provisioning on a tenant whose Cloud PCs Windows 365 provisions: the policy and its assignment are sent to Windows
365 through Graph, Windows 365 provisions, and the app's Cloud PCs and timelines follow what it reports."""

from __future__ import annotations

from typing import Any

from tests.utils.api_client import ApiClient, eventually
from tests.utils.wizard import Tenant

PLAN = "w365-enterprise-2vcpu-8gb-128gb"
BIG_PLAN = "w365-enterprise-4vcpu-16gb-256gb"
POLICIES = "deviceManagement/virtualEndpoint/provisioningPolicies"


def cloud_pcs(tenant: Tenant) -> list[dict[str, Any]]:
    return list(tenant.api.get(f"{tenant.path}/cloudPCs").json()["value"])


def settled(tenant: Tenant, count: int, status: str = "provisioned") -> list[dict[str, Any]]:
    def check() -> list[dict[str, Any]]:
        found = cloud_pcs(tenant)
        assert len(found) == count and {pc["status"] for pc in found} == {status}, [
            (pc["userPrincipalName"], pc["status"]) for pc in found
        ]
        assert all("@" not in pc["userId"] for pc in found), "each Cloud PC names its user by id"
        return found

    return eventually(check, timeout_s=90)


def adele_and_ben(api: ApiClient) -> tuple[Tenant, dict[str, dict[str, Any]]]:
    """A windows365 tenant whose finance group, Adele and Ben with a license each, holds a provisioned Cloud PC each
    (by user name)."""
    tenant = Tenant(api, backend="windows365")
    tenant.user("adele", [PLAN])
    tenant.user("ben", [PLAN])
    tenant.group("finance", ["adele", "ben"])
    tenant.assign(tenant.policy(), "finance")
    return tenant, {tenant.name_of(pc["userId"]): pc for pc in settled(tenant, 2)}


def finance(tenant: Tenant) -> dict[str, Any]:
    """Three licensed members (one holding two licenses) and one without a license, and a policy for them."""
    tenant.user("adele", [PLAN])
    tenant.user("ben", [PLAN])
    tenant.user("cara", [PLAN, BIG_PLAN])
    tenant.user("dan", [])
    tenant.group("finance", ["adele", "ben", "cara", "dan"])
    policy = tenant.policy()
    assert policy["windows365Id"], policy
    return policy


def test_an_assigned_policy_has_windows_365_provision_each_licensed_member(api: ApiClient) -> None:
    tenant = Tenant(api, backend="windows365")
    policy = finance(tenant)
    review = api.post(
        f"{tenant.path}/provisioningPolicies/{policy['id']}/assign?validateOnly=true", tenant.assignments("finance")
    ).json()
    assert review["plan"]["summary"]["cloudPcs"] == 4 and review["plan"]["summary"]["noLicense"] == 1
    tenant.assign(policy, "finance")
    remote = tenant.graph.call(
        "GET", f"{tenant.graph.graph}/{POLICIES}/{policy['windows365Id']}", params={"$expand": "assignments"}
    )
    assert [a["target"]["groupId"] for a in remote["assignments"]] == [tenant.gid("finance")]
    found = settled(tenant, 4)
    by_user: dict[str, list[str]] = {}
    for pc in found:
        by_user.setdefault(pc["userId"], []).append(pc["servicePlanId"])
        assert pc["provisioningPolicyId"] == policy["id"] and pc["windows365Id"] == pc["id"]
    assert {tenant.name_of(user): sorted(plans) for user, plans in by_user.items()} == {
        "adele": [PLAN],
        "ben": [PLAN],
        "cara": sorted([PLAN, BIG_PLAN]),
    }
    timeline = api.get(f"{tenant.path}/cloudPCs/{found[0]['id']}/events").json()["value"]
    followed = [line for line in timeline if line["name"] == "windows365StatusChanged"]
    assert [line["outcome"] for line in followed][-1] == "succeeded"
    assert "Windows 365 reports provisioned" in followed[-1]["message"]
    # the app provisioned nothing itself
    assert tenant.arm.vms("rg-cloudpcs") == []


def test_a_failed_provisioning_shows_windows_365_s_status_detail(api: ApiClient) -> None:
    tenant = Tenant(api, backend="windows365")
    tenant.user("adele", [PLAN])
    tenant.group("finance", ["adele"])
    tenant.fault("windows365.provisionCloudPc", 1, "intuneEnrollFailed")
    tenant.assign(tenant.policy(), "finance")
    [failed] = settled(tenant, 1, "failed")
    assert failed["statusDetail"]["code"] == "intuneEnrollFailed"
    # the follower writes the line that says why before the status: a reader who sees `failed` finds its reason
    timeline = api.get(f"{tenant.path}/cloudPCs/{failed['id']}/events").json()["value"]
    last = [line for line in timeline if line["name"] == "windows365StatusChanged"][-1]
    assert last["outcome"] == "failed" and last["code"] == "intuneEnrollFailed"


def test_a_member_removed_from_the_group_enters_windows_365_s_grace_period(api: ApiClient) -> None:
    tenant, _ = adele_and_ben(api)
    tenant.group("finance", ["ben"])  # the app hears of it from Graph's change notification

    def adele_in_grace() -> dict[str, Any]:
        [adele] = [pc for pc in cloud_pcs(tenant) if pc["userId"] == tenant.uid("adele")]
        assert adele["status"] == "inGracePeriod" and adele["gracePeriodEndDateTime"], adele
        return adele

    adele = eventually(adele_in_grace, timeout_s=90)
    [ben] = [pc for pc in cloud_pcs(tenant) if pc["userId"] == tenant.uid("ben")]
    assert ben["status"] == "provisioned"
    # the admin ends the grace period: Windows 365 deprovisions, which takes its time, and the app follows it to the end
    tenant.latency("cloudPcDeprovisioning", 20)
    assert api.post(f"{tenant.path}/cloudPCs/{adele['id']}/endGracePeriod").status_code == 202
    eventually(lambda: _assert_status(api, tenant, adele["id"], "deprovisioning"), timeout_s=90)
    assert _followed(api, tenant, adele["id"])[-1] == "Windows 365 reports deprovisioning"

    def adele_gone() -> None:
        assert api.get(f"{tenant.path}/cloudPCs/{adele['id']}").status_code == 404

    eventually(adele_gone, timeout_s=90)


def test_what_windows_365_does_not_take_is_refused_naming_the_field(api: ApiClient) -> None:
    tenant = Tenant(api, backend="windows365")
    refused = api.post(f"{tenant.path}/provisioningPolicies", tenant.policy_body(localAdminEnabled=True))
    assert refused.status_code == 400
    [detail] = refused.json()["error"]["details"]
    assert detail["target"] == "localAdminEnabled" and detail["code"] == "notTakenByBackend"
    asleep = api.post(
        f"{tenant.path}/provisioningPolicies", tenant.policy_body(powerRules={"deallocateOnSignOut": True})
    )
    [refusal] = asleep.json()["error"]["details"]  # Windows 365 Enterprise Cloud PCs do not sleep
    assert (refusal["target"], refusal["code"]) == ("powerRules", "notTakenByBackend")
    assert api.get(f"{tenant.path}/provisioningPolicies").json()["value"] == []
    assert tenant.graph.call("GET", f"{tenant.graph.graph}/{POLICIES}")["value"] == []
    # Graph's own refusal is shown against the field it names
    bad_name = api.post(f"{tenant.path}/provisioningPolicies", tenant.policy_body(displayName="Finance ^ Legal"))
    assert bad_name.status_code == 400, bad_name.text
    # Graph's update takes no naming template: a change of it is refused, a change of the name is made there
    policy = tenant.policy()
    path = f"{tenant.path}/provisioningPolicies/{policy['id']}"
    template = api.patch(path, {"cloudPcNamingTemplate": "HR-%RAND:5%"})
    assert template.status_code == 400 and template.json()["error"]["details"][0]["target"] == "cloudPcNamingTemplate"
    assert api.patch(path, {"displayName": "Finance EU"}).status_code == 200
    remote = tenant.graph.call("GET", f"{tenant.graph.graph}/{POLICIES}/{policy['windows365Id']}")
    assert (remote["displayName"], remote["cloudPcNamingTemplate"]) == ("Finance EU", policy["cloudPcNamingTemplate"])


def test_actions_on_windows_365_cloud_pcs_are_asked_of_windows_365(api: ApiClient) -> None:
    tenant = Tenant(api, backend="windows365")
    tenant.user("adele", [PLAN])
    tenant.user("ben", [PLAN])
    tenant.group("finance", ["adele", "ben"])
    tenant.fault("windows365.provisionCloudPc", 1, "intuneEnrollFailed")
    tenant.assign(tenant.policy(), "finance")

    def one_failed() -> list[dict[str, Any]]:
        found = cloud_pcs(tenant)
        assert sorted(pc["status"] for pc in found) == ["failed", "provisioned"], found
        return found

    found = eventually(one_failed, timeout_s=90)
    failed = next(pc for pc in found if pc["status"] == "failed")
    working = next(pc for pc in found if pc["status"] == "provisioned")
    # a bulk restart: the provisioned one is rebooted by Windows 365, the failed one refused by the app
    bulk = {"action": "reboot", "cloudPcIds": [working["id"], failed["id"]]}
    started = api.post(f"{tenant.path}/bulkActions", bulk)
    assert started.status_code == 202, started.text

    def done() -> dict[str, Any]:
        bulk: dict[str, Any] = api.get(f"{tenant.path}/bulkActions/{started.json()['id']}").json()
        assert bulk["status"] != "running", bulk
        return bulk

    results = {item["cloudPcId"]: item for item in eventually(done, timeout_s=60)["results"]}
    assert results[working["id"]]["status"] == "succeeded", results
    assert results[failed["id"]]["status"] == "failed" and results[failed["id"]]["error"]["code"] == "wrongStatus"
    reboots = tenant.arm.session.get(
        f"{tenant.graph.emulator.base_url}/emulator/requests/log", params={"operation": "rebootCloudPc"}
    ).json()["value"]
    assert [entry["path"].rsplit("/", 2)[-2] for entry in reboots if working["id"] in entry["path"]] == [working["id"]]
    # a failed one is reprovisioned by Windows 365, and the app follows it to provisioned
    assert api.post(f"{tenant.path}/cloudPCs/{failed['id']}/reprovision").status_code == 202
    eventually(lambda: _assert_status(api, tenant, failed["id"], "provisioned"), timeout_s=90)
    renamed = api.post(f"{tenant.path}/cloudPCs/{working['id']}/rename", {"displayName": "Adele's desk"})
    assert renamed.status_code == 200, renamed.text
    remote = tenant.graph.call("GET", f"{tenant.graph.beta}/deviceManagement/virtualEndpoint/cloudPCs/{working['id']}")
    assert remote["displayName"] == "Adele's desk"
    power = api.post(f"{tenant.path}/cloudPCs/{working['id']}/powerOff")
    assert power.status_code == 409 and power.json()["error"]["code"] == "backendNotServed"


def _assert_status(api: ApiClient, tenant: Tenant, cloud_pc_id: str, status: str) -> None:
    found = api.get(f"{tenant.path}/cloudPCs/{cloud_pc_id}").json()
    assert found["status"] == status, found["status"]


def test_a_resize_is_asked_of_windows_365_which_moves_the_cloud_pc_and_its_license(api: ApiClient) -> None:
    tenant = Tenant(api, backend="windows365")
    tenant.user("adele", [PLAN])
    tenant.group("finance", ["adele"])
    tenant.latency("cloudPcProvisioning", 2)  # the resize is seen under way, then done
    tenant.assign(tenant.policy(), "finance")
    [pc] = settled(tenant, 1)
    # a plan Windows 365 does not provision, and the one the Cloud PC has, are refused before Windows 365 is asked
    business = api.post(
        f"{tenant.path}/cloudPCs/{pc['id']}/resize", {"targetServicePlanId": "w365-business-2vcpu-8gb-128gb"}
    )
    assert business.status_code == 400 and business.json()["error"]["details"][0]["target"] == "targetServicePlanId"
    same = api.post(f"{tenant.path}/cloudPCs/{pc['id']}/resize", {"targetServicePlanId": PLAN})
    assert same.status_code == 400 and same.json()["error"]["details"][0]["code"] == "sameServicePlan"

    resized = api.post(f"{tenant.path}/cloudPCs/{pc['id']}/resize", {"targetServicePlanId": BIG_PLAN})
    assert resized.status_code == 202, resized.text

    def on_the_big_plan() -> dict[str, Any]:
        found: dict[str, Any] = api.get(f"{tenant.path}/cloudPCs/{pc['id']}").json()
        assert (found["status"], found["servicePlanId"]) == ("provisioned", BIG_PLAN), found
        return found

    eventually(on_the_big_plan, timeout_s=90)
    lines = [
        (e["name"], e.get("message") or "")
        for e in api.get(f"{tenant.path}/cloudPCs/{pc['id']}/events").json()["value"]
    ]
    assert any("resize to" in message and "asked of Windows 365" in message for _, message in lines), lines
    # `resizing` lasts as long as Windows 365 takes; the follower may see it or only the new plan, which it must see
    # Windows 365 moved the user's license (assigned directly) to the new size
    user = tenant.graph.call("GET", f"{tenant.graph.graph}/users/{tenant.uid('adele')}?$select=assignedLicenses")
    skus = {lic["skuId"] for lic in user["assignedLicenses"]}
    plans = {plan["id"]: plan for plan in api.get("/servicePlans").json()["value"]}
    assert plans[BIG_PLAN]["skuId"] in skus and plans[PLAN]["skuId"] not in skus, (skus, plans[BIG_PLAN])


def test_windows_365_s_restore_points_are_listed_per_cloud_pc(api: ApiClient) -> None:
    tenant = Tenant(api, backend="windows365")
    tenant.user("adele", [PLAN])
    tenant.group("finance", ["adele"])
    tenant.controls.timer("windows365.restorePoint", 1)  # a restore point a second rather than every 12 hours
    tenant.assign(tenant.policy(), "finance")
    [pc] = settled(tenant, 1)

    def ten_kept() -> list[dict[str, Any]]:
        points: list[dict[str, Any]] = api.get(f"{tenant.path}/cloudPCs/{pc['id']}/snapshots").json()["value"]
        assert len(points) == 10, points  # Windows 365 keeps the latest 10
        return points

    points = eventually(ten_kept, timeout_s=60)
    assert {(p["snapshotType"], p["status"]) for p in points} == {("automatic", "ready")}
    created = [p["createdDateTime"] for p in points]
    assert created == sorted(created, reverse=True)
    # a restore point taken now, and the Cloud PC restored to one: restoring, then provisioned again
    assert api.post(f"{tenant.path}/cloudPCs/{pc['id']}/createSnapshot").status_code == 202
    listed = api.get(f"{tenant.path}/cloudPCs/{pc['id']}/snapshots").json()["value"]
    assert "manual" in {p["snapshotType"] for p in listed}, listed
    tenant.latency("cloudPcProvisioning", 2)
    chosen = next(p["id"] for p in listed if p["snapshotType"] == "manual")  # kept: automatic ones roll on
    restored = api.post(f"{tenant.path}/cloudPCs/{pc['id']}/restore", {"snapshotId": chosen})
    assert restored.status_code == 202, restored.text
    unknown = api.post(f"{tenant.path}/cloudPCs/{pc['id']}/restore", {"snapshotId": "not-a-restore-point"})
    assert unknown.status_code == 409 and unknown.json()["error"]["code"] in ("refusedByWindows365", "wrongStatus")
    # the request is on the timeline; how long `restoring` lasts is Windows 365's, and the follower may read it or
    # only what follows, so the test holds to what Windows 365 records: the restore point now restored to
    lines = [e.get("message") or "" for e in api.get(f"{tenant.path}/cloudPCs/{pc['id']}/events").json()["value"]]
    assert f"restore to restore point {chosen} asked of Windows 365" in lines, lines

    def restored_to_it() -> None:
        remote = tenant.graph.call(
            "GET", f"{tenant.graph.beta}/deviceManagement/virtualEndpoint/cloudPCs/{pc['id']}/retrieveSnapshots"
        )
        assert any(p["id"] == chosen and p["lastRestoredDateTime"] for p in remote["value"]), remote

    eventually(restored_to_it, timeout_s=60)
    eventually(lambda: _assert_status(api, tenant, pc["id"], "provisioned"), timeout_s=60)


def test_windows_365_s_audit_events_join_the_audit_view_and_the_timeline(api: ApiClient) -> None:
    tenant = Tenant(api, backend="windows365")
    tenant.user("adele", [PLAN])
    tenant.group("finance", ["adele"])
    tenant.assign(tenant.policy(), "finance")
    [pc] = settled(tenant, 1)
    assert api.post(f"{tenant.path}/cloudPCs/{pc['id']}/reboot").status_code == 202

    def windows365_events() -> list[dict[str, Any]]:
        events = [e for e in api.get(f"{tenant.path}/auditEvents").json()["value"] if e["source"] == "windows365"]
        assert "rebootCloudPc" in {e["activity"] for e in events}, events
        return events

    events = eventually(windows365_events, timeout_s=60)
    activities = {e["activity"] for e in events}
    assert {"createProvisioningPolicy", "assignProvisioningPolicy"} <= activities, activities
    reboot = next(e for e in events if e["activity"] == "rebootCloudPc")
    assert (reboot["resourceType"], reboot["resourceId"], reboot["result"]) == ("cloudPc", pc["id"], "success")
    # the app's own line of the same request stays beside it, as the app's
    assert any(
        e["activity"] == "rebootCloudPc" and e["source"] == "app"
        for e in api.get(f"{tenant.path}/auditEvents").json()["value"]
    )
    timeline = api.get(f"{tenant.path}/cloudPCs/{pc['id']}/events").json()["value"]
    assert [e["message"] for e in timeline if e["name"] == "windows365Audit"] == [
        "Windows 365 audit: rebootCloudPc (success)"
    ], timeline


def _followed(api: ApiClient, tenant: Tenant, cloud_pc_id: str) -> list[str]:
    timeline = api.get(f"{tenant.path}/cloudPCs/{cloud_pc_id}/events").json()["value"]
    return [line["message"] for line in timeline if line["name"] == "windows365StatusChanged"]


def test_windows_365_s_own_work_is_followed_until_it_settles_even_in_a_status_the_app_does_not_know(
    api: ApiClient,
) -> None:
    tenant, found = adele_and_ben(api)
    adele, ben = found["adele"], found["ben"]
    # Windows 365 at its own work: adele's awaits a license (a status Graph lists after unknownFutureValue), ben's is
    # in one the app's vocabulary does not have; a new member is what the app hears of, and its follower starts
    tenant.controls.cloud_pc_status(adele["windows365Id"], "resizePendingLicense")
    tenant.controls.cloud_pc_status(ben["windows365Id"], "refreshPolicyConfiguration")
    tenant.user("cara", [PLAN])
    tenant.group("finance", ["adele", "ben", "cara"])

    def at_work() -> None:
        now = {pc["id"]: pc for pc in cloud_pcs(tenant)}
        assert now[adele["id"]]["status"] == "resizePendingLicense", now[adele["id"]]
        assert (now[ben["id"]]["status"], now[ben["id"]]["windows365Status"]) == (
            "provisioned",
            "refreshPolicyConfiguration",
        ), now[ben["id"]]  # its last known status, kept

    eventually(at_work, timeout_s=90)
    said = _followed(api, tenant, ben["id"])[-1]
    assert said.startswith("Windows 365 reports refreshPolicyConfiguration, a status this app does not know yet")
    assert "in progress" in said, said
    # adele's license comes: the follower brings it back to provisioned, and goes on for ben's alone
    tenant.controls.cloud_pc_status(adele["windows365Id"], None)
    eventually(lambda: _assert_status(api, tenant, adele["id"], "provisioned"), timeout_s=90)
    assert _followed(api, tenant, adele["id"])[-2:] == [
        "Windows 365 reports resizePendingLicense",
        "Windows 365 reports provisioned",
    ]
    tenant.controls.cloud_pc_status(ben["windows365Id"], None)

    def ben_back() -> None:
        found = api.get(f"{tenant.path}/cloudPCs/{ben['id']}").json()
        assert (found["status"], found["windows365Status"]) == ("provisioned", "provisioned"), found
        assert _followed(api, tenant, ben["id"])[-1] == "Windows 365 reports provisioned"

    eventually(ben_back, timeout_s=90)
