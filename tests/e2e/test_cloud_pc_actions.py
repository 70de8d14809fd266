"""Cloud PC actions end to end: power, rename, resize, troubleshoot, bulk actions, a policy taken over by another."""

from __future__ import annotations

from typing import Any

import pytest

from shared.catalog.service_plans import SERVICE_PLANS_BY_ID
from shared.services.cloud_pcs.bulk_actions import CHUNK
from tests.e2e.test_lifecycle import gone, one_cloud_pc, status_becomes
from tests.e2e.test_provisioning import BIG_PLAN, PLAN, cloud_pcs, settled_cloud_pcs, timeline
from tests.utils.api_client import ApiClient, eventually
from tests.utils.wizard import CLOUD_PC_RG, Tenant

POWER_ACTIONS = {"reboot": "rebooted", "powerOn": "poweredOn", "powerOff": "poweredOff"}
VM_ACTIONS = ("reboot", "powerOn", "powerOff", "resize", "troubleshoot")


def act(api: ApiClient, tenant: Tenant, cloud_pc: dict[str, Any], action: str, body: Any = None) -> Any:
    return api.post(f"{tenant.path}/cloudPCs/{cloud_pc['id']}/{action}", body)


def power_state(tenant: Tenant, cloud_pc: dict[str, Any]) -> str:
    [vm] = [v for v in tenant.arm.vms(CLOUD_PC_RG) if cloud_pc["id"] in v["name"]]
    statuses = vm["properties"]["instanceView"]["statuses"]
    return str(next(s["code"] for s in statuses if s["code"].startswith("PowerState/")).split("/")[1])


def line_appears(api: ApiClient, tenant: Tenant, cloud_pc: dict[str, Any], name: str) -> dict[str, Any]:
    def found() -> dict[str, Any]:
        lines = [e for e in timeline(api, tenant, cloud_pc) if e["name"] == name]
        assert lines, [e["name"] for e in timeline(api, tenant, cloud_pc)]
        return dict(lines[-1])

    return eventually(found)


def with_warnings(api: ApiClient, tenant: Tenant) -> dict[str, Any]:
    """A Cloud PC that ended provisionedWithWarnings (its first post-provisioning Run Command failed)."""
    tenant.fault("runCommand", 1)
    tenant.user("wes", [PLAN])
    tenant.group("warned", ["wes"])
    tenant.assign(tenant.policy(), "warned")
    [cloud_pc] = settled_cloud_pcs(api, tenant, 1)
    assert cloud_pc["status"] == "provisionedWithWarnings", cloud_pc
    return cloud_pc


@pytest.mark.parametrize("start", ["provisioned", "provisionedWithWarnings"])
def test_vm_actions_from_each_allowed_status(api: ApiClient, start: str) -> None:
    tenant = Tenant(api)
    cloud_pc = one_cloud_pc(api, tenant) if start == "provisioned" else with_warnings(api, tenant)
    for action, line in POWER_ACTIONS.items():
        reply = act(api, tenant, cloud_pc, action)
        assert reply.status_code == 202, reply.text
        assert reply.json()["status"] == start
        assert line_appears(api, tenant, cloud_pc, line)["outcome"] == "succeeded"
        expected = "deallocated" if action == "powerOff" else "running"
        eventually(lambda: _equal(power_state(tenant, cloud_pc), expected))  # noqa: B023 (called at once)
        # the power action offered next is the one that changes something
        found = api.get(f"{tenant.path}/cloudPCs/{cloud_pc['id']}").json()
        offered = {"powerOn", "powerOff"} & set(found["allowedActions"])
        assert (found["powerState"], offered) == (
            ("poweredOff", {"powerOn"}) if action == "powerOff" else ("running", {"powerOff"})
        ), found
    assert api.get(f"{tenant.path}/cloudPCs/{cloud_pc['id']}").json()["status"] == start
    # troubleshoot and resize are allowed from both too, and a resize returns to the status it left
    assert act(api, tenant, cloud_pc, "troubleshoot").status_code == 202
    assert line_appears(api, tenant, cloud_pc, "troubleshot")
    resizing = act(api, tenant, cloud_pc, "resize", {"targetServicePlanId": BIG_PLAN})
    assert resizing.status_code == 202 and resizing.json()["status"] == "resizing", resizing.text
    assert status_becomes(api, tenant, cloud_pc["id"], start)["servicePlanId"] == BIG_PLAN


def _equal(actual: Any, expected: Any) -> None:
    assert actual == expected


def test_vm_actions_are_refused_for_a_failed_cloud_pc_and_rename_is_not(api: ApiClient) -> None:
    tenant = Tenant(api)
    tenant.fault("enrollIntune", 3, "EnrollmentBlocked")
    tenant.user("ann", [PLAN])
    tenant.group("pilot", ["ann"])
    tenant.assign(tenant.policy(), "pilot")
    [failed] = settled_cloud_pcs(api, tenant, 1)
    assert failed["status"] == "failed"
    # what its status allows, as the state machine says: the portal shows exactly these buttons
    allowed = api.get(f"{tenant.path}/cloudPCs/{failed['id']}").json()["allowedActions"]
    assert sorted(allowed) == ["rename", "reprovision", "retry"]
    for action in VM_ACTIONS:
        body = {"targetServicePlanId": BIG_PLAN} if action == "resize" else None
        reply = act(api, tenant, failed, action, body)
        assert reply.status_code == 409, (action, reply.text)
        assert reply.json()["error"]["code"] == "wrongStatus"
        assert "failed" in reply.json()["error"]["message"]
    renamed = act(api, tenant, failed, "rename", {"displayName": "Ann's broken PC"})
    assert renamed.status_code == 200 and renamed.json()["displayName"] == "Ann's broken PC"


def test_rename_changes_the_friendly_name_only(api: ApiClient) -> None:
    tenant = Tenant(api)
    cloud_pc = one_cloud_pc(api, tenant)
    found = api.get(f"{tenant.path}/cloudPCs/{cloud_pc['id']}").json()
    assert found["powerState"] == "running"  # as provisioning left it: powering on again is not offered
    assert sorted(found["allowedActions"]) == ["powerOff", "reboot", "rename", "reprovision", "resize", "troubleshoot"]
    reply = act(api, tenant, cloud_pc, "rename", {"displayName": "Ann's design PC"})
    assert reply.status_code == 200, reply.text
    assert reply.json()["displayName"] == "Ann's design PC"
    assert reply.json()["managedDeviceName"] == cloud_pc["managedDeviceName"]
    assert line_appears(api, tenant, cloud_pc, "renamed")
    assert act(api, tenant, cloud_pc, "rename", {"displayName": ""}).status_code == 400
    assert api.post(f"{tenant.path}/cloudPCs/nope/rename", {"displayName": "x"}).status_code == 404


def test_resize_moves_the_license_and_resizes_the_vm_in_place(api: ApiClient) -> None:
    tenant = Tenant(api)
    cloud_pc = one_cloud_pc(api, tenant)
    vm_before = {v["name"] for v in tenant.arm.vms(CLOUD_PC_RG)}
    reply = act(api, tenant, cloud_pc, "resize", {"targetServicePlanId": BIG_PLAN})
    assert reply.status_code == 202, reply.text
    assert reply.json()["status"] == "resizing"
    resized = status_becomes(api, tenant, cloud_pc["id"], "provisioned")
    assert resized["servicePlanId"] == BIG_PLAN
    assert tenant.graph.licensed_plans(tenant.uid("ann")) == [BIG_PLAN]
    [vm] = tenant.arm.vms(CLOUD_PC_RG)
    assert vm["name"] in vm_before  # the same VM, resized
    assert vm["properties"]["hardwareProfile"]["vmSize"] == SERVICE_PLANS_BY_ID[BIG_PLAN].vm_size
    assert line_appears(api, tenant, cloud_pc, "resized")["outcome"] == "succeeded"
    assert power_state(tenant, cloud_pc) == "running"
    # the directory change the license move caused changes nothing: one Cloud PC, the same one
    eventually(lambda: _equal([c["id"] for c in cloud_pcs(api, tenant)], [cloud_pc["id"]]))


def test_resize_is_refused_while_every_target_license_is_held_and_goes_ahead_once_one_is_added(api: ApiClient) -> None:
    tenant = Tenant(api)
    cloud_pc = one_cloud_pc(api, tenant)
    tenant.user("bea", [BIG_PLAN])  # in no assigned group: she holds the tenant's one unit, and no Cloud PC
    tenant.graph.set_enabled_units(BIG_PLAN, 1)
    assert tenant.graph.license_units(BIG_PLAN)["consumedUnits"] == 1
    before = api.get(f"{tenant.path}/cloudPCs/{cloud_pc['id']}").json()
    [vm] = tenant.arm.vms(CLOUD_PC_RG)
    resize = {"targetServicePlanId": BIG_PLAN}
    refused = act(api, tenant, cloud_pc, "resize", resize)
    assert refused.status_code == 409, refused.text
    assert refused.json()["error"]["code"] == "noFreeLicense"
    after = api.get(f"{tenant.path}/cloudPCs/{cloud_pc['id']}").json()
    assert (after["status"], after["servicePlanId"], after["etag"]) == ("provisioned", PLAN, before["etag"])
    assert tenant.graph.licensed_plans(tenant.uid("ann")) == [PLAN]
    assert tenant.graph.licensed_plans(tenant.uid("bea")) == [BIG_PLAN]
    assert tenant.arm.vms(CLOUD_PC_RG)[0]["properties"]["hardwareProfile"] == vm["properties"]["hardwareProfile"]
    same = act(api, tenant, cloud_pc, "resize", {"targetServicePlanId": PLAN})
    assert same.status_code == 400 and same.json()["error"]["details"][0]["code"] == "sameServicePlan"
    unknown = act(api, tenant, cloud_pc, "resize", {"targetServicePlanId": "w365-nope"})
    assert unknown.status_code == 400
    business = act(api, tenant, cloud_pc, "resize", {"targetServicePlanId": "w365-business-4vcpu-16gb-256gb"})
    assert business.status_code == 400  # a Business license is not a plan provisioning policies make Cloud PCs of
    assert "Windows 365 Enterprise" in business.json()["error"]["details"][0]["message"]

    tenant.graph.set_enabled_units(BIG_PLAN, 2)  # the admin buys one more
    resizing = act(api, tenant, cloud_pc, "resize", resize)
    assert resizing.status_code == 202, resizing.text
    assert status_becomes(api, tenant, cloud_pc["id"], "provisioned")["servicePlanId"] == BIG_PLAN
    assert tenant.graph.licensed_plans(tenant.uid("ann")) == [BIG_PLAN]
    assert tenant.graph.license_units(BIG_PLAN)["consumedUnits"] == 2


def test_resize_is_refused_naming_the_group_while_a_group_assigns_the_license(api: ApiClient) -> None:
    tenant = Tenant(api)
    cloud_pc = one_cloud_pc(api, tenant)
    licensing = tenant.group("w365-licensing", ["ann"])
    tenant.graph.assign_group_licenses(licensing, PLAN)  # Ann now has PLAN directly and through the group
    before = api.get(f"{tenant.path}/cloudPCs/{cloud_pc['id']}").json()
    refused = act(api, tenant, cloud_pc, "resize", {"targetServicePlanId": BIG_PLAN})
    assert refused.status_code == 409, refused.text
    error = refused.json()["error"]
    assert (error["code"], error["target"]) == ("licenseAssignedByGroup", "targetServicePlanId")
    assert f"'w365-licensing' ({licensing})" in error["message"] and "group's licenses" in error["message"]
    after = api.get(f"{tenant.path}/cloudPCs/{cloud_pc['id']}").json()
    assert (after["status"], after["servicePlanId"], after["etag"]) == ("provisioned", PLAN, before["etag"])
    assert tenant.graph.licensed_plans(tenant.uid("ann")) == [PLAN]

    tenant.graph.remove_group_licenses(licensing, PLAN)  # the admin takes the license off the group
    resizing = act(api, tenant, cloud_pc, "resize", {"targetServicePlanId": BIG_PLAN})
    assert resizing.status_code == 202, resizing.text
    assert status_becomes(api, tenant, cloud_pc["id"], "provisioned")["servicePlanId"] == BIG_PLAN
    assert tenant.graph.licensed_plans(tenant.uid("ann")) == [BIG_PLAN]


def test_troubleshoot_records_its_checks(api: ApiClient) -> None:
    tenant = Tenant(api)
    cloud_pc = one_cloud_pc(api, tenant)
    assert act(api, tenant, cloud_pc, "troubleshoot").status_code == 202

    def reported() -> dict[str, Any]:
        result = api.get(f"{tenant.path}/cloudPCs/{cloud_pc['id']}").json()["lastTroubleshootResult"]
        assert result is not None
        return dict(result)

    result = eventually(reported)
    assert result["status"] == "healthy", result
    assert [c["name"] for c in result["checks"]] == [
        "virtualMachine",
        "extensions",
        "entraDevice",
        "intuneDevice",
        "userSignInRole",
    ]
    assert line_appears(api, tenant, cloud_pc, "troubleshot")["outcome"] == "succeeded"
    # a stopped VM is reported, and the Cloud PC in its grace period may still be checked
    assert act(api, tenant, cloud_pc, "powerOff").status_code == 202
    eventually(lambda: _equal(power_state(tenant, cloud_pc), "deallocated"))
    tenant.user("ann", [])
    status_becomes(api, tenant, cloud_pc["id"], "inGracePeriod")
    before = result["dateTime"]
    assert act(api, tenant, cloud_pc, "troubleshoot").status_code == 202

    def checked_again() -> dict[str, Any]:
        again = reported()
        assert again["dateTime"] != before
        return again

    again = eventually(checked_again)
    assert again["status"] == "unhealthy"
    assert {c["name"]: c["status"] for c in again["checks"]}["virtualMachine"] == "failed"


# items applied in several chunks (bulk_actions.CHUNK); more items than a table transaction holds are kept by the
# repository (tests/integration/test_bulk_action_storage.py)
BULK_USERS = 3 + 2 * CHUNK + 1


def test_a_bulk_end_grace_over_several_chunks_reports_each_item(api: ApiClient) -> None:
    tenant = Tenant(api)
    names = [f"u{n:03d}" for n in range(BULK_USERS)]
    for name in names:
        tenant.user(name, [PLAN])
    tenant.group("all", names)
    tenant.assign(tenant.policy(), "all")
    provisioned = settled_cloud_pcs(api, tenant, BULK_USERS)
    tenant.group("all", names[:3])  # the others leave: their Cloud PCs enter the grace period, 3 stay provisioned

    def in_grace() -> list[dict[str, Any]]:
        found = cloud_pcs(api, tenant, "&status=inGracePeriod")
        assert len(found) == BULK_USERS - 3
        return found

    eventually(in_grace, timeout_s=120)
    body = {"action": "endGracePeriod", "cloudPcIds": [c["id"] for c in provisioned]}

    review = api.post(f"{tenant.path}/bulkActions?validateOnly=true", body)
    assert review.status_code == 200, review.text
    assert review.json()["counts"] == {"succeeded": 0, "failed": 3, "running": BULK_USERS - 3}
    assert len(cloud_pcs(api, tenant, "&status=inGracePeriod")) == BULK_USERS - 3  # nothing was done

    started = api.post(f"{tenant.path}/bulkActions", body)
    assert started.status_code == 202, started.text
    location = started.headers["Location"]
    bulk_id = started.json()["id"]

    def finished() -> dict[str, Any]:
        reply = api.get(f"{tenant.path}/bulkActions/{bulk_id}")
        assert reply.status_code == 200, reply.text
        assert reply.json()["status"] != "running", reply.json()["counts"]
        return dict(reply.json())

    bulk = eventually(finished, timeout_s=120)
    assert location.endswith(f"/bulkActions/{bulk_id}")
    assert bulk["status"] == "partiallySucceeded"
    assert bulk["counts"] == {"succeeded": BULK_USERS - 3, "failed": 3, "running": 0}
    refused = [r for r in bulk["results"] if r["status"] == "failed"]
    assert {tenant.name_of(c["userId"]) for c in provisioned if c["id"] in {r["cloudPcId"] for r in refused}} == set(
        names[:3]
    )
    assert {r["error"]["code"] for r in refused} == {"wrongStatus"}
    assert all("provisioned" in r["error"]["message"] for r in refused)
    eventually(lambda: _equal(len(cloud_pcs(api, tenant)), 3), timeout_s=120)

    # the list shows each bulk action's saved summary, which the run saves after its last item's result: the single
    # GET, summed from the items, may say finished a moment before it
    def listed() -> None:
        found = api.get(f"{tenant.path}/bulkActions").json()["value"]
        assert [b["id"] for b in found] == [bulk_id] and found[0]["status"] == "partiallySucceeded", found

    eventually(listed, timeout_s=120)


def test_bulk_actions_refuse_bad_requests(api: ApiClient) -> None:
    tenant = Tenant(api)
    path = f"{tenant.path}/bulkActions"
    assert api.post(path, {"action": "explode", "cloudPcIds": ["a"]}).status_code == 400
    assert api.post(path, {"action": "reboot", "cloudPcIds": []}).status_code == 400
    assert api.post(path, {"action": "resize", "cloudPcIds": ["a"]}).status_code == 400
    assert api.post(path, {"action": "reboot", "cloudPcIds": ["a"], "targetServicePlanId": PLAN}).status_code == 400
    assert api.get(f"{path}/nope").status_code == 404
    assert api.post("/tenants/nope/bulkActions", {"action": "reboot", "cloudPcIds": ["a"]}).status_code == 404


def test_unassigning_a_policy_another_still_targets_puts_its_cloud_pcs_in_grace(api: ApiClient) -> None:
    """Seed 004: the Cloud PC of a policy no longer targeting the user enters grace; the winner's follows."""
    tenant = Tenant(api)
    tenant.user("ann", [PLAN])
    tenant.group("first", ["ann"])
    tenant.group("second", ["ann"])
    first, second = tenant.policy(), tenant.policy()
    tenant.assign(first, "first")
    [old] = settled_cloud_pcs(api, tenant, 1)
    assert old["provisioningPolicyId"] == first["id"]
    tenant.assign(second, "second")  # assigned later: the first policy still wins
    reply = api.post(f"{tenant.path}/provisioningPolicies/{first['id']}/assign", {"assignments": []})
    assert reply.status_code == 200, reply.text
    grace = status_becomes(api, tenant, old["id"], "inGracePeriod")
    assert second["displayName"] in grace_message(api, tenant, old)

    def waiting() -> dict[str, Any]:
        [new] = [c for c in cloud_pcs(api, tenant) if c["id"] != old["id"]]
        assert new["provisioningPolicyId"] == second["id"] and new["status"] == "pendingProvision"
        assert (new["statusDetail"] or {}).get("code") == "waitingForLicense", new
        return new

    new = eventually(waiting)
    explained = api.get(f"{tenant.path}/users/{tenant.uid('ann')}/provisioningExplanation").json()
    assert explained["winningPolicy"]["policyId"] == second["id"]
    assert act(api, tenant, grace, "endGracePeriod").status_code == 202
    gone(api, tenant, old["id"])
    done = status_becomes(api, tenant, new["id"], "provisioned")
    assert done["provisioningPolicyId"] == second["id"]
    delete = api.delete(f"{tenant.path}/provisioningPolicies/{first['id']}")
    assert delete.status_code == 204, delete.text


def grace_message(api: ApiClient, tenant: Tenant, cloud_pc: dict[str, Any]) -> str:
    return str(line_appears(api, tenant, cloud_pc, "gracePeriodStarted")["message"])
