"""The Cloud PC lifecycle end to end: grace, restore, deprovision, clean-up, retry, reprovision, actions."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from devhost.azurite import Azurite
from tests.e2e.test_provisioning import BIG_PLAN, PLAN, assign, cloud_pcs, settled_cloud_pcs, timeline
from tests.utils.api_client import ApiClient, eventually
from tests.utils.host_process import HostProcess, isolated_env
from tests.utils.wizard import Tenant


def one_cloud_pc(api: ApiClient, tenant: Tenant, group: str = "pilot", **policy: Any) -> dict[str, Any]:
    tenant.user("ann", [PLAN])
    tenant.group(group, ["ann"])
    assign(api, tenant, tenant.policy(**policy), group)
    [cloud_pc] = settled_cloud_pcs(api, tenant, 1)
    assert cloud_pc["status"] == "provisioned"
    return cloud_pc


def status_becomes(api: ApiClient, tenant: Tenant, cloud_pc_id: str, status: str) -> dict[str, Any]:
    def reached() -> dict[str, Any]:
        reply = api.get(f"{tenant.path}/cloudPCs/{cloud_pc_id}")
        assert reply.status_code == 200, reply.text
        assert reply.json()["status"] == status, reply.json()["status"]
        return dict(reply.json())

    return eventually(reached)


def gone(api: ApiClient, tenant: Tenant, cloud_pc_id: str) -> None:
    eventually(lambda: _assert_status(api.get(f"{tenant.path}/cloudPCs/{cloud_pc_id}").status_code, 404))


def _assert_status(actual: int, expected: int) -> None:
    assert actual == expected


def cleaned_up(api: ApiClient, tenant: Tenant, cloud_pc: dict[str, Any]) -> dict[str, Any]:
    def nothing_left() -> dict[str, Any]:
        # the timeline's "cleanedUp" line is the clean-up's last write: before it, a device may still be going
        assert "cleanedUp" in [e["name"] for e in timeline(api, tenant, cloud_pc)]
        resources = tenant.resources()
        for kind in ("virtualMachines", "networkInterfaces", "entraDevices", "intuneDevices"):
            assert resources[kind] == [], (kind, resources[kind])
        # the VMs' sign-in roles go with them; the policy's group keeps its access to the policy's host pool
        on_vms = [a for a in resources["roleAssignments"] if "/virtualMachines/" in a["properties"]["scope"]]
        assert on_vms == [], on_vms
        return resources

    return eventually(nothing_left)


def test_leaving_the_group_starts_the_grace_period_and_rejoining_restores_the_same_vm(api: ApiClient) -> None:
    tenant = Tenant(api)
    cloud_pc = one_cloud_pc(api, tenant)
    vm_before = tenant.resources()["virtualMachines"]
    tenant.group("pilot", [])
    grace = status_becomes(api, tenant, cloud_pc["id"], "inGracePeriod")
    assert grace["gracePeriodEndDateTime"] > grace["lastModifiedDateTime"]
    tenant.group("pilot", ["ann"])
    restored = status_becomes(api, tenant, cloud_pc["id"], "provisioned")
    assert restored["gracePeriodEndDateTime"] is None
    assert restored["virtualMachineId"] == cloud_pc["virtualMachineId"]
    assert tenant.resources()["virtualMachines"] == vm_before
    names = [e["name"] for e in timeline(api, tenant, cloud_pc)]
    assert names.index("gracePeriodStarted") < names.index("gracePeriodCancelled")


def test_end_grace_period_deprovisions_at_once_and_cleans_up(api: ApiClient) -> None:
    tenant = Tenant(api)
    cloud_pc = one_cloud_pc(api, tenant)
    tenant.user("ann", [])  # license removed
    status_becomes(api, tenant, cloud_pc["id"], "inGracePeriod")
    reply = api.post(f"{tenant.path}/cloudPCs/{cloud_pc['id']}/endGracePeriod")
    assert reply.status_code == 202, reply.text
    assert reply.headers["Location"].endswith(f"/cloudPCs/{cloud_pc['id']}")
    gone(api, tenant, cloud_pc["id"])
    cleaned_up(api, tenant, cloud_pc)
    events = timeline(api, tenant, cloud_pc)
    assert [e["name"] for e in events].count("deprovisioned") == 1
    assert events[-1]["name"] == "cleanedUp"
    assert cloud_pcs(api, tenant) == []


def test_hybrid_joined_cloud_pcs_disable_their_ad_computer_account(api: ApiClient) -> None:
    tenant = Tenant(api)
    connection = tenant.healthy_connection()
    cloud_pc = one_cloud_pc(
        api,
        tenant,
        domainJoinConfigurations=[{"domainJoinType": "hybridAzureADJoin", "onPremisesConnectionId": connection["id"]}],
    )
    [account] = tenant.resources()["adComputerAccounts"]
    assert account == {**account, "name": cloud_pc["managedDeviceName"], "enabled": True}
    tenant.group("pilot", [])
    status_becomes(api, tenant, cloud_pc["id"], "inGracePeriod")
    assert api.post(f"{tenant.path}/cloudPCs/{cloud_pc['id']}/endGracePeriod").status_code == 202
    [account] = cleaned_up(api, tenant, cloud_pc)["adComputerAccounts"]
    assert account["enabled"] is False


def test_removing_one_of_two_licenses_puts_exactly_one_cloud_pc_in_grace(api: ApiClient) -> None:
    tenant = Tenant(api)
    tenant.user("bob", [PLAN, BIG_PLAN])  # two Windows 365 licenses are two SKUs
    tenant.group("pilot", ["bob"])
    assign(api, tenant, tenant.policy(), "pilot")
    settled_cloud_pcs(api, tenant, 2)
    tenant.user("bob", [PLAN])

    def one_in_grace() -> None:
        statuses = sorted(c["status"] for c in cloud_pcs(api, tenant))
        assert statuses == ["inGracePeriod", "provisioned"], statuses

    eventually(one_in_grace)
    [graced] = [c for c in cloud_pcs(api, tenant) if c["status"] == "inGracePeriod"]
    assert graced["servicePlanId"] == BIG_PLAN


def test_unassigning_the_policy_moves_its_cloud_pcs_to_grace(api: ApiClient) -> None:
    tenant = Tenant(api)
    tenant.user("ann", [PLAN])
    tenant.group("pilot", ["ann"])
    policy = tenant.policy()
    assign(api, tenant, policy, "pilot")
    [cloud_pc] = settled_cloud_pcs(api, tenant, 1)
    assign(api, tenant, policy)
    status_becomes(api, tenant, cloud_pc["id"], "inGracePeriod")


def test_a_new_user_waits_while_a_cloud_pc_in_grace_holds_the_license(api: ApiClient) -> None:
    tenant = Tenant(api)
    cloud_pc = one_cloud_pc(api, tenant)
    tenant.user("ann", [])
    status_becomes(api, tenant, cloud_pc["id"], "inGracePeriod")
    tenant.user("bob", [PLAN])  # the license moved to bob
    tenant.group("pilot", ["ann", "bob"])

    def bob_waits() -> dict[str, Any]:
        found = cloud_pcs(api, tenant, f"&userId={tenant.uid('bob')}")
        assert len(found) == 1, found
        waiting = found[0]
        assert waiting["status"] == "pendingProvision"
        # the row is created before its status detail is written: a check must not fail on the gap
        assert (waiting["statusDetail"] or {}).get("code") == "waitingForLicense", waiting
        return waiting

    waiting = eventually(bob_waits)
    assert api.post(f"{tenant.path}/cloudPCs/{cloud_pc['id']}/endGracePeriod").status_code == 202
    status_becomes(api, tenant, waiting["id"], "provisioned")


def test_retry_of_a_failed_cloud_pc_provisions_it_once_the_fault_is_gone(api: ApiClient) -> None:
    tenant = Tenant(api)
    tenant.fault("enrollIntune", 3, "EnrollmentBlocked")
    tenant.user("ann", [PLAN])
    tenant.group("pilot", ["ann"])
    assign(api, tenant, tenant.policy(), "pilot")
    [failed] = settled_cloud_pcs(api, tenant, 1)
    assert failed["status"] == "failed"
    reply = api.post(f"{tenant.path}/cloudPCs/{failed['id']}/retry")
    assert reply.status_code == 202, reply.text
    retried = status_becomes(api, tenant, failed["id"], "provisioned")
    assert retried["run"] == failed["run"] + 1
    assert retried["managedDeviceName"] == failed["managedDeviceName"]
    names = [e["name"] for e in timeline(api, tenant, failed)]
    assert names.index("provisioningFailed") < names.index("retryRequested") < names.index("provisioned")
    assert len(tenant.resources()["virtualMachines"]) == 1


def test_reprovision_builds_a_new_vm_from_the_current_policy_and_siblings_keep_theirs(api: ApiClient) -> None:
    tenant = Tenant(api)
    image = tenant.ready_image()
    tenant.user("ann", [PLAN])
    tenant.user("bob", [PLAN])
    tenant.group("pilot", ["ann", "bob"])
    policy = tenant.policy()
    assign(api, tenant, policy, "pilot")
    ann, bob = sorted(settled_cloud_pcs(api, tenant, 2), key=lambda c: tenant.name_of(c["userId"]))
    changed = api.patch(
        f"{tenant.path}/provisioningPolicies/{policy['id']}",
        {"imageType": "custom", "imageId": image["id"], "displayName": "Finance v2"},
    )
    assert changed.status_code == 200, changed.text
    assert api.post(f"{tenant.path}/cloudPCs/{ann['id']}/reprovision").status_code == 202
    new_ann = eventually(lambda: _provisioned_again(api, tenant, ann))
    assert new_ann["virtualMachineId"] != ann["virtualMachineId"]
    assert new_ann["imageDisplayName"] == "Golden Windows 11 1.0.0"
    assert new_ann["provisioningPolicyName"] == "Finance v2"
    sibling = api.get(f"{tenant.path}/cloudPCs/{bob['id']}").json()
    assert sibling["imageDisplayName"] == bob["imageDisplayName"] != new_ann["imageDisplayName"]
    assert sibling["provisioningPolicyName"] == policy["displayName"]
    vms = {vm["id"].lower(): vm for vm in tenant.resources()["virtualMachines"]}
    assert set(vms) == {new_ann["virtualMachineId"].lower(), bob["virtualMachineId"].lower()}
    image_reference = vms[new_ann["virtualMachineId"].lower()]["properties"]["storageProfile"]["imageReference"]
    assert image_reference["id"].lower() == image["sourceImageResourceId"].lower()
    runs = {e["run"] for e in timeline(api, tenant, ann) if e["name"] == "provisioned"}
    assert runs == {ann["run"], new_ann["run"]}


def _provisioned_again(api: ApiClient, tenant: Tenant, before: dict[str, Any]) -> dict[str, Any]:
    now: dict[str, Any] = api.get(f"{tenant.path}/cloudPCs/{before['id']}").json()
    assert now["run"] > before["run"]
    assert now["status"] == "provisioned"
    return now


@pytest.mark.parametrize(
    ("action", "status"),
    [
        ("retry", "provisioned"),
        ("endGracePeriod", "provisioned"),
        ("reprovision", "inGracePeriod"),
        ("retry", "inGracePeriod"),
    ],
)
def test_an_action_in_the_wrong_status_is_409_naming_the_status(api: ApiClient, action: str, status: str) -> None:
    tenant = Tenant(api)
    cloud_pc = one_cloud_pc(api, tenant)
    if status == "inGracePeriod":
        tenant.group("pilot", [])
        status_becomes(api, tenant, cloud_pc["id"], "inGracePeriod")
    reply = api.post(f"{tenant.path}/cloudPCs/{cloud_pc['id']}/{action}")
    assert reply.status_code == 409
    assert reply.json()["error"]["code"] == "wrongStatus"
    assert status in reply.json()["error"]["message"]
    assert api.post(f"{tenant.path}/cloudPCs/nope/{action}").status_code == 404


@pytest.fixture
def short_grace_host(
    azurite: Azurite, azure_environment: dict[str, str], tmp_path: Path, admin_token: str
) -> Iterator[ApiClient]:
    env = isolated_env(
        azurite.connection_string,
        CLOUDPC_GRACE_PERIOD="PT2S",
        CLOUDPC_CLEANUP_DELAY="PT1S",
        LIFECYCLE_SWEEP_SCHEDULE="* * * * * *",
    )
    host = HostProcess(env, tmp_path / "durable.sqlite", tmp_path / "host.log", admin_token)
    yield host.start()
    host.stop()


def test_an_expired_grace_period_deprovisions_and_cleans_up(short_grace_host: ApiClient) -> None:
    api = short_grace_host
    tenant = Tenant(api)
    cloud_pc = one_cloud_pc(api, tenant)
    tenant.group("pilot", [])
    gone(api, tenant, cloud_pc["id"])
    cleaned_up(api, tenant, cloud_pc)
    names = [e["name"] for e in timeline(api, tenant, cloud_pc)]
    assert names.index("gracePeriodStarted") < names.index("deprovisioned") < names.index("cleanedUp")
    assert names.count("deprovisioned") == 1


def test_a_user_removed_while_provisioning_enters_grace_once_the_run_settles(api: ApiClient) -> None:
    tenant = Tenant(api)
    tenant.latency("createVm", 2)
    tenant.user("ann", [PLAN])
    tenant.group("pilot", ["ann"])
    assign(api, tenant, tenant.policy(), "pilot")

    def in_flight() -> dict[str, Any]:
        found = cloud_pcs(api, tenant)
        assert len(found) == 1
        assert found[0]["status"] == "provisioning"
        return found[0]

    cloud_pc = eventually(in_flight)
    tenant.group("pilot", [])
    status_becomes(api, tenant, cloud_pc["id"], "inGracePeriod")
