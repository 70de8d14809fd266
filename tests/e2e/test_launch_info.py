"""Where a Cloud PC's user connects, over HTTP on both backends: the AVD host pool of an `azure` Cloud PC, Windows
365's addresses for a `windows365` one; 409 before it is provisioned and in its grace period, 404 for no Cloud PC."""

from __future__ import annotations

from typing import Any

from tests.e2e import test_windows365_provisioning as w365
from tests.e2e.test_lifecycle import one_cloud_pc, status_becomes
from tests.e2e.test_provisioning import PLAN, settled_cloud_pcs
from tests.utils.api_client import ApiClient, eventually
from tests.utils.wizard import CLOUD_PC_RG, Tenant

FEED_URL = "https://rdweb.wvd.microsoft.com/api/arm/feeddiscovery"


def launch_info(api: ApiClient, tenant: Tenant, cloud_pc_id: str) -> Any:
    return api.get(f"{tenant.path}/cloudPCs/{cloud_pc_id}/launchInfo")


def refused(api: ApiClient, tenant: Tenant, cloud_pc: dict[str, Any], status: str) -> None:
    reply = launch_info(api, tenant, cloud_pc["id"])
    assert reply.status_code == 409, reply.text
    error = reply.json()["error"]
    assert (error["code"], error["target"]) == ("wrongStatus", "status") and status in error["message"], error


def test_an_azure_cloud_pc_is_reached_through_its_policy_s_host_pool_until_its_grace_period(api: ApiClient) -> None:
    tenant = Tenant(api)
    cloud_pc = one_cloud_pc(api, tenant)
    reply = launch_info(api, tenant, cloud_pc["id"])
    assert reply.status_code == 200, reply.text
    info = reply.json()
    provider = (
        f"/subscriptions/{tenant.arm.subscription_id}/resourceGroups/{CLOUD_PC_RG}"
        "/providers/Microsoft.DesktopVirtualization"
    )
    pool = info["hostPoolId"].removeprefix(f"{provider}/hostPools/")
    assert pool.startswith(f"cpc-{cloud_pc['provisioningPolicyId']}-".lower()), info
    assert info == {
        "cloudPcId": cloud_pc["id"],
        "feedUrl": FEED_URL,
        "webClientUrl": "https://client.wvd.microsoft.com/arm/webclient/index.html",
        "hostPoolId": f"{provider}/hostPools/{pool}",
        "workspaceId": f"{provider}/workspaces/{pool}-ws",
        "applicationGroupId": f"{provider}/applicationGroups/{pool}-dag",
        "startsOnConnect": True,
    }
    tenant.group("pilot", [])
    refused(api, tenant, status_becomes(api, tenant, cloud_pc["id"], "inGracePeriod"), "inGracePeriod")
    assert launch_info(api, tenant, "no-such-cloud-pc").status_code == 404


def test_an_azure_cloud_pc_that_failed_to_provision_has_nowhere_to_connect(api: ApiClient) -> None:
    tenant = Tenant(api)
    tenant.fault("enrollIntune", 3, "EnrollmentBlocked")
    tenant.user("ann", [PLAN])
    tenant.group("pilot", ["ann"])
    tenant.assign(tenant.policy(), "pilot")
    [failed] = settled_cloud_pcs(api, tenant, 1)
    assert failed["status"] == "failed"
    refused(api, tenant, failed, "failed")


def test_a_windows_365_cloud_pc_is_reached_through_windows_365_until_its_grace_period(api: ApiClient) -> None:
    tenant = Tenant(api, backend="windows365")
    tenant.user("adele", [w365.PLAN])
    tenant.user("ben", [w365.PLAN])
    tenant.group("finance", ["adele", "ben"])
    tenant.fault("windows365.provisionCloudPc", 1, "intuneEnrollFailed")  # one of the two fails
    tenant.assign(tenant.policy(), "finance")

    def settled() -> list[dict[str, Any]]:
        found = w365.cloud_pcs(tenant)
        assert sorted(pc["status"] for pc in found) == ["failed", "provisioned"], found
        return found

    found = eventually(settled, timeout_s=90)
    [provisioned] = [pc for pc in found if pc["status"] == "provisioned"]
    [failed] = [pc for pc in found if pc["status"] == "failed"]
    reply = launch_info(api, tenant, provisioned["id"])
    assert reply.status_code == 200, reply.text
    assert reply.json() == {
        "cloudPcId": provisioned["id"],
        "feedUrl": FEED_URL,
        "webClientUrl": "https://windows365.microsoft.com",
        "hostPoolId": None,
        "workspaceId": None,
        "applicationGroupId": None,
        "startsOnConnect": False,
    }
    refused(api, tenant, failed, "failed")
    owner = tenant.name_of(provisioned["userId"])
    tenant.group("finance", [name for name in ("adele", "ben") if name != owner])
    refused(api, tenant, eventually(lambda: _in_grace(tenant, provisioned["id"]), timeout_s=90), "inGracePeriod")
    assert launch_info(api, tenant, "no-such-cloud-pc").status_code == 404


def _in_grace(tenant: Tenant, cloud_pc_id: str) -> dict[str, Any]:
    [found] = [pc for pc in w365.cloud_pcs(tenant) if pc["id"] == cloud_pc_id]
    assert found["status"] == "inGracePeriod", found
    return found
