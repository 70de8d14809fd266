"""The provisioning engine end to end: directory messages, reconcile, fan-out, stages, retries, timeline."""

from __future__ import annotations

from typing import Any

from tests.utils.api_client import ApiClient, eventually
from tests.utils.wizard import Tenant

PLAN = "w365-enterprise-2vcpu-8gb-128gb"
BIG_PLAN = "w365-enterprise-4vcpu-16gb-256gb"
SETTLED = {"provisioned", "provisionedWithWarnings", "failed"}


def cloud_pcs(api: ApiClient, tenant: Tenant, query: str = "") -> list[dict[str, Any]]:
    reply = api.get(f"{tenant.path}/cloudPCs?top=1000{query}")
    assert reply.status_code == 200, reply.text
    return list(reply.json()["value"])


def settled_cloud_pcs(api: ApiClient, tenant: Tenant, count: int) -> list[dict[str, Any]]:
    def all_settled() -> list[dict[str, Any]]:
        found = cloud_pcs(api, tenant)
        assert len(found) == count, [c["status"] for c in found]
        assert {c["status"] for c in found} <= SETTLED, [c["status"] for c in found]
        return found

    return eventually(all_settled, timeout_s=120)


def assign(api: ApiClient, tenant: Tenant, policy: dict[str, Any], *groups: str) -> None:
    reply = api.post(
        f"{tenant.path}/provisioningPolicies/{policy['id']}/assign", {"assignments": [{"groupId": g} for g in groups]}
    )
    assert reply.status_code == 200, reply.text


def test_a_group_of_six_users_gets_one_cloud_pc_per_license(api: ApiClient) -> None:
    tenant = Tenant(api)
    licenses = {"u1": [PLAN], "u2": [PLAN], "u3": [PLAN], "u4": [PLAN, BIG_PLAN], "u5": [PLAN], "u6": []}
    for user, plans in licenses.items():
        tenant.user(user, plans)
    tenant.group("finance", list(licenses))
    policy = tenant.policy()
    assign(api, tenant, policy, "finance")

    provisioned = settled_cloud_pcs(api, tenant, 6)
    assert {c["status"] for c in provisioned} == {"provisioned"}
    assert sorted((c["userId"], c["servicePlanId"]) for c in provisioned) == sorted(
        (user, plan) for user, plans in licenses.items() for plan in plans
    )
    names = [c["managedDeviceName"] for c in provisioned]
    assert len(set(names)) == 6
    assert all(name.startswith("FIN-") and len(name) <= 15 for name in names)
    assert all(c["provisioningPolicyName"] == policy["displayName"] for c in provisioned)
    assert all(c["provisionedDateTime"] for c in provisioned)

    resources = api.get(f"{tenant.sim}/resources").json()
    assert len(resources["virtualMachines"]) == 6
    assert len(resources["networkInterfaces"]) == 6
    assert len(resources["entraDevices"]) == 6
    assert len(resources["intuneDevices"]) == 6
    assert sorted(d["deviceName"] for d in resources["intuneDevices"]) == sorted(names)
    assert {d["primaryUserId"] for d in resources["intuneDevices"]} == {"u1", "u2", "u3", "u4", "u5"}

    timeline = api.get(f"{tenant.path}/cloudPCs/{provisioned[0]['id']}/events").json()["value"]
    steps = [e["name"] for e in timeline if e["kind"] == "step"]
    assert steps[:6] == [
        "allocateCapacity",
        "createVm",
        "attachNetwork",
        "joinEntra",
        "enrollIntune",
        "assignPrimaryUser",
    ]
    assert steps[-1] == "assignUser"
    assert all(e["outcome"] == "succeeded" for e in timeline if e["kind"] == "step")
    assert timeline[-1]["name"] == "provisioned"

    only_u4 = cloud_pcs(api, tenant, "&userId=u4")
    assert len(only_u4) == 2
    assert len(cloud_pcs(api, tenant, f"&provisioningPolicyId={policy['id']}&status=provisioned")) == 6
    assert api.get(f"{tenant.path}/cloudPCs?status=sleeping").status_code == 400
