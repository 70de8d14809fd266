"""The connection wizard on a tenant whose Cloud PCs Windows 365 provisions: the connection is made in Windows 365
through Graph, Windows 365 checks it, and the app shows its checks as they are."""

from __future__ import annotations

from typing import Any

from shared.catalog.app_access import WINDOWS_365_NETWORK_USER
from tests.utils.api_client import ApiClient, eventually
from tests.utils.wizard import Tenant

REMOTE = "deviceManagement/virtualEndpoint/onPremisesConnections"
CHECKS = "?$select=id,displayName,connectionType,subnetId,resourceGroupId,adDomainName,healthCheckStatusDetail"


def windows365(tenant: Tenant, path: str = REMOTE) -> Any:
    """What Windows 365 holds, read as the customer's admin reads it in Graph."""
    return tenant.graph.call("GET", f"{tenant.graph.graph}/{path}")


def test_a_connection_is_made_in_windows_365_and_its_checks_shown_as_windows_365_reports_them(api: ApiClient) -> None:
    tenant = Tenant(api, backend="windows365")
    created = tenant.connection()
    assert created["cloudPcBackend"] == "windows365" and created["healthCheckStatus"] == "pending"
    settled = tenant.settled_connection(created["id"])
    assert settled["healthCheckStatus"] == "passed", settled["healthCheckStatusDetail"]
    remote = windows365(tenant, f"{REMOTE}/{settled['windows365Id']}{CHECKS}")  # the checks come only on $select
    assert remote["displayName"] == "Contoso HQ" and remote["connectionType"] == "hybridAzureADJoin"
    assert remote["subnetId"].lower() == tenant.subnet_id.lower()
    assert remote["resourceGroupId"].lower().endswith("/resourcegroups/rg-cloudpcs")
    assert remote["adDomainName"] == tenant.domain and not remote.get("adDomainPassword")
    shown = {check["displayName"] for check in settled["healthCheckStatusDetail"]["healthChecks"]}
    reported = {check["displayName"] for check in remote["healthCheckStatusDetail"]["healthChecks"]}
    assert shown == reported and shown, "the checks are Windows 365's own"
    # an app cannot start Windows 365's checks: said plainly, never a 500
    again = api.post(f"{tenant.path}/connections/{created['id']}/runHealthChecks")
    assert again.status_code == 409 and again.json()["error"]["code"] == "checkedByWindows365"


def test_a_renamed_connection_is_renamed_in_windows_365_and_a_deleted_one_deleted_there(api: ApiClient) -> None:
    tenant = Tenant(api, backend="windows365")
    connection = tenant.settled_connection(
        tenant.connection(
            connectionType="azureADJoin",
            adDomainName=None,
            adDomainUsername=None,
            adDomainPassword=None,
            organizationalUnit=None,
        )["id"]
    )
    remote = f"{REMOTE}/{connection['windows365Id']}"
    renamed = api.patch(
        f"{tenant.path}/connections/{connection['id']}",
        json={"displayName": "Contoso Branch"},
        headers={"If-Match": connection["etag"]},
    )
    assert renamed.status_code == 200, renamed.text
    eventually(lambda: _assert_equal(windows365(tenant, remote)["displayName"], "Contoso Branch"), timeout_s=60)
    assert api.delete(f"{tenant.path}/connections/{connection['id']}").status_code == 204
    assert [c["id"] for c in windows365(tenant)["value"]] == []


def _assert_equal(found: Any, wanted: Any) -> None:
    assert found == wanted, found


def test_windows_365_s_failed_check_is_shown_with_its_error_and_recommended_action(api: ApiClient) -> None:
    tenant = Tenant(api, backend="windows365")
    tenant.fault("windows365.adDomainJoin", 1, "adJoinCheckIncorrectCredentials")
    failed = tenant.settled_connection(tenant.connection()["id"])
    assert failed["healthCheckStatus"] == "failed"
    join = next(c for c in failed["healthCheckStatusDetail"]["healthChecks"] if c["status"] == "failed")
    assert join["displayName"] == "Active Directory domain join" and join["name"] == "adDomainJoin"
    assert join["errorType"] == "adJoinCheckIncorrectCredentials" and join["recommendedAction"]
    # the admin fixes the password: Windows 365 is sent it (updateAdDomainPassword) and checks again
    fixed = api.patch(
        f"{tenant.path}/connections/{failed['id']}",
        json={"adDomainPassword": "N3w-Horse-Battery"},
        headers={"If-Match": failed["etag"]},
    )
    assert fixed.status_code == 200, fixed.text
    assert tenant.settled_connection(failed["id"])["healthCheckStatus"] == "passed"
    log = tenant.arm.session.get(
        f"{tenant.graph.emulator.base_url}/emulator/requests/log",
        params={"operation": "updateOnPremisesConnectionAdDomainPassword"},
    ).json()["value"]
    sent = [entry for entry in log if failed["windows365Id"] in entry["path"]]
    assert len(sent) == 1 and sent[0]["body"] == {"adDomainPassword": "***"}  # the emulator's log keeps no secret


def test_a_connection_windows_365_already_has_is_adopted_rather_than_made_twice(api: ApiClient) -> None:
    tenant = Tenant(api, backend="windows365")
    body = tenant.connection_body(
        connectionType="azureADJoin",
        adDomainName=None,
        adDomainUsername=None,
        adDomainPassword=None,
        organizationalUnit=None,
    )
    made_before = tenant.graph.call(
        "POST",
        f"{tenant.graph.graph}/{REMOTE}",
        body={
            "displayName": body["displayName"],
            "connectionType": "azureADJoin",
            "subnetId": tenant.subnet_id,
            "virtualNetworkId": tenant.subnet_id.rsplit("/subnets/", 1)[0],
            "subscriptionId": tenant.arm.subscription_id,
            "resourceGroupId": f"/subscriptions/{tenant.arm.subscription_id}/resourceGroups/rg-cloudpcs",
        },
    )  # an earlier attempt whose answer was lost
    settled = tenant.settled_connection(api.created(f"{tenant.path}/connections", body)["id"])
    assert settled["windows365Id"] == made_before["id"]
    assert len(windows365(tenant)["value"]) == 1


def test_windows_365_refusing_the_app_is_shown_on_the_connection_with_the_onboarding_fix(api: ApiClient) -> None:
    tenant = Tenant(api, backend="windows365", withhold=("CloudPC.ReadWrite.All",))
    report = api.get(f"{tenant.path}/onboarding").json()
    missing = [item["name"] for item in report["items"] if item["status"] == "missing"]
    assert missing == ["CloudPC.ReadWrite.All"]  # Windows 365's roles at the site: given, as the grant said
    assert {i["status"] for i in report["items"] if i["kind"] == "azureRole"} == {"present"}
    refused = tenant.settled_connection(tenant.connection()["id"])
    assert refused["healthCheckStatus"] == "failed"
    [check] = refused["healthCheckStatusDetail"]["healthChecks"]
    assert check["errorType"] == "Authorization_RequestDenied"
    assert "CloudPC.ReadWrite.All" in check["recommendedAction"] and "onboarding" in check["recommendedAction"]


def test_a_role_windows_365_lacks_shows_as_its_failed_check_with_its_error_and_recommended_action(
    api: ApiClient,
) -> None:
    """Graph returns a connection's checks only on $select: the app asks for them, so Windows 365's failing check
    reaches the admin with its errorType and recommended action rather than a bare `failed`."""
    tenant = Tenant(api, backend="windows365")
    tenant.arm.ok("DELETE", tenant.windows365_roles[WINDOWS_365_NETWORK_USER])  # the admin took it away
    failed = tenant.settled_connection(tenant.connection()["id"])
    assert failed["healthCheckStatus"] == "failed"
    [check] = [c for c in failed["healthCheckStatusDetail"]["healthChecks"] if c["status"] == "failed"]
    assert (check["name"], check["displayName"], check["errorType"]) == (
        "virtualNetworkPermissions",
        "First party app permissions exist on Azure virtual network",
        "permissionCheckNoWindows365NetworkUserRole",
    )
    assert "Windows 365 Network User" in check["recommendedAction"]
    passed = [c["displayName"] for c in failed["healthCheckStatusDetail"]["healthChecks"] if c["status"] == "passed"]
    assert "First party app permissions exist on Azure subscription" in passed
