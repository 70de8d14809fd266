"""Windows 365's Azure network connections in the emulator's Graph: who may call what, Graph's validation, health
checks that look at the tenant's real Azure network and at Windows 365's own roles there, and the properties Graph
returns only on `$select`."""

from __future__ import annotations

from typing import Any

import pytest

from azure_emulator.consent import WINDOWS_365_APP_ID
from azure_emulator.graph.windows365 import service_roles
from azure_emulator.launcher import EmulatorProcess
from tests.emulator.test_graph_permissions import App, assert_denied
from tests.utils.api_client import eventually
from tests.utils.arm_admin import ArmAdmin

PATH = "/deviceManagement/virtualEndpoint/onPremisesConnections"
DETAIL = "?$select=id,displayName,healthCheckStatus,healthCheckStatusDetail,inUse"


class Windows365(App):
    """An app in a tenant whose admin made a network for Cloud PCs."""

    def __init__(self, emulator: EmulatorProcess) -> None:
        super().__init__(emulator)
        self.arm = ArmAdmin(emulator, self.tenant_id)
        self.subnet_id = self.arm.virtual_network("rg-net", "vnet-eu")
        self.arm.resource_group("rg-cloudpcs")
        self.controls.latency("onPremisesConnectionHealthChecks", 0.2)
        self.windows365 = self.arm.service_principal(WINDOWS_365_APP_ID)  # Microsoft's, in every tenant
        self.roles = {role: self.grant_windows365(role, scope) for role, scope in self.windows365_roles().items()}

    def windows365_roles(self) -> dict[str, str]:
        """What the admin gives Windows 365 for a connection: each role and where."""
        return {
            service_roles.READER: f"/subscriptions/{self.arm.subscription_id}",
            service_roles.NETWORK_INTERFACE_CONTRIBUTOR: self.arm.group_id("rg-cloudpcs"),
            service_roles.NETWORK_USER: self.subnet_id.rsplit("/subnets/", 1)[0],
        }

    def grant_windows365(self, role: str, scope: str) -> str:
        """The built-in role assigned to Windows 365's service principal at `scope`: the assignment's id."""
        return self.arm.assign_built_in(scope, role, self.windows365)

    def body(self, **overrides: Any) -> dict[str, Any]:
        sub = self.arm.subscription_id
        return {
            "displayName": "Contoso HQ",
            "connectionType": "hybridAzureADJoin",
            "subscriptionId": sub,
            "resourceGroupId": f"/subscriptions/{sub}/resourceGroups/rg-cloudpcs",
            "virtualNetworkId": self.subnet_id.rsplit("/subnets/", 1)[0],
            "subnetId": self.subnet_id,
            "adDomainName": "corp.contoso.com",
            "adDomainUsername": "join@corp.contoso.com",
            "adDomainPassword": "Corr3ct-Horse",
            "organizationalUnit": "OU=CloudPCs,DC=corp,DC=contoso,DC=com",
            **overrides,
        }

    def settled(self, connection_id: str) -> dict[str, Any]:
        def done() -> dict[str, Any]:
            found: dict[str, Any] = self.call("GET", f"{PATH}/{connection_id}{DETAIL}").json()
            assert found["healthCheckStatus"] not in ("pending", "running"), found["healthCheckStatus"]
            return found

        return eventually(done, timeout_s=30)


@pytest.fixture
def w365(azure_emulator: EmulatorProcess) -> Windows365:
    app = Windows365(azure_emulator)
    app.grant("CloudPC.ReadWrite.All")
    return app


def test_an_app_reads_with_cloud_pc_read_and_writes_only_with_read_write(azure_emulator: EmulatorProcess) -> None:
    app = Windows365(azure_emulator)
    app.grant("CloudPC.Read.All")
    assert app.call("GET", PATH).status_code == 200
    assert_denied(app.call("POST", PATH, app.body()))
    app.grant("User.Read.All")
    assert_denied(app.call("GET", PATH))


def test_a_connection_is_checked_against_the_tenant_s_network_and_keeps_no_password(w365: Windows365) -> None:
    created = w365.call("POST", PATH, w365.body())
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["healthCheckStatus"] == "pending" and body["adDomainPassword"] is None
    assert body["virtualNetworkLocation"] == "westeurope"
    settled = w365.settled(body["id"])
    assert settled["healthCheckStatus"] == "passed"
    names = {check["displayName"] for check in settled["healthCheckStatusDetail"]["healthChecks"]}
    assert {"Azure virtual network readiness", "Active Directory domain join"} <= names
    entra = w365.settled(
        w365.call(
            "POST",
            PATH,
            w365.body(
                displayName="Cloud only",
                connectionType="azureADJoin",
                adDomainName=None,
                adDomainUsername=None,
                adDomainPassword=None,
                organizationalUnit=None,
            ),
        ).json()["id"]
    )
    entra_checks = {check["displayName"] for check in entra["healthCheckStatusDetail"]["healthChecks"]}
    assert "Active Directory domain join" not in entra_checks
    listed = w365.call("GET", PATH).json()["value"]
    assert {c["displayName"] for c in listed} == {"Contoso HQ", "Cloud only"}
    assert all(c["adDomainPassword"] is None for c in listed)


def test_a_subnet_that_is_not_there_fails_the_network_check(w365: Windows365) -> None:
    gone = w365.subnet_id.replace("/subnets/cloudpcs", "/subnets/missing")
    failed = w365.settled(w365.call("POST", PATH, w365.body(subnetId=gone)).json()["id"])
    assert failed["healthCheckStatus"] == "failed"
    check = next(c for c in failed["healthCheckStatusDetail"]["healthChecks"] if c["status"] == "failed")
    assert check["displayName"] == "Azure virtual network readiness"
    assert check["errorType"] == "resourceAvailabilityCheckSubnetInvalid" and check["recommendedAction"]


def test_a_faulted_domain_join_fails_until_the_password_is_updated(w365: Windows365) -> None:
    w365.controls.fault("windows365.adDomainJoin", 1, "adJoinCheckIncorrectCredentials")
    connection = w365.settled(w365.call("POST", PATH, w365.body()).json()["id"])
    join = next(c for c in connection["healthCheckStatusDetail"]["healthChecks"] if c["status"] == "failed")
    assert join["errorType"] == "adJoinCheckIncorrectCredentials"
    reply = w365.call("POST", f"{PATH}/{connection['id']}/updateAdDomainPassword", {"adDomainPassword": "N3w"})
    assert reply.status_code == 204
    assert w365.settled(connection["id"])["healthCheckStatus"] == "passed"


@pytest.mark.parametrize(
    ("overrides", "wrong"),
    [
        ({"adDomainPassword": None}, "adDomainPassword"),
        ({"connectionType": "workgroup"}, "connectionType"),
        (
            {"virtualNetworkId": "/subscriptions/x/resourceGroups/y/providers/Microsoft.Network/virtualNetworks/z"},
            "virtualNetworkId",
        ),
        ({"subnetId": "not-an-id"}, "subnetId"),
        ({"colour": "blue"}, "colour"),
        ({"displayName": ""}, "displayName"),
    ],
)
def test_graph_refuses_a_bad_connection_naming_what_is_wrong(
    w365: Windows365, overrides: dict[str, Any], wrong: str
) -> None:
    reply = w365.call("POST", PATH, w365.body(**overrides))
    assert reply.status_code == 400
    assert wrong in reply.json()["error"]["message"]
    assert w365.call("GET", PATH).json()["value"] == []


def test_an_app_cannot_start_health_checks_and_a_deleted_connection_is_gone(w365: Windows365) -> None:
    connection = w365.call("POST", PATH, w365.body()).json()
    # Graph offers runHealthChecks to a signed-in admin only ("Application: Not supported")
    assert_denied(w365.call("POST", f"{PATH}/{connection['id']}/runHealthChecks"))
    admin = w365.admin.call("POST", f"{w365.admin.graph}{PATH}/{connection['id']}/runHealthChecks")
    assert admin is None  # 204
    assert w365.call("DELETE", f"{PATH}/{connection['id']}").status_code == 204
    missing = w365.call("GET", f"{PATH}/{connection['id']}")
    assert missing.status_code == 404 and missing.json()["error"]["innerError"]


def test_the_check_results_and_in_use_come_only_on_select(w365: Windows365) -> None:
    """healthCheckStatusDetail and inUse are "Returned only on $select" (cloudpconpremisesconnection, v1.0)."""
    failed = w365.settled(
        w365.call("POST", PATH, w365.body(subnetId=w365.subnet_id.replace("cloudpcs", "gone"))).json()["id"]
    )
    assert failed["healthCheckStatus"] == "failed" and failed["inUse"] is False
    plain = w365.call("GET", f"{PATH}/{failed['id']}").json()
    listed = w365.call("GET", PATH).json()["value"]
    for shown in (plain, *listed):
        assert shown["healthCheckStatus"] == "failed"
        assert not {"healthCheckStatusDetail", "inUse", "alternateResourceUrl"} & set(shown), shown
    [selected] = w365.call("GET", f"{PATH}?$select=id,healthCheckStatusDetail").json()["value"]
    assert set(selected) == {"@odata.type", "id", "healthCheckStatusDetail"}
    assert any(c["status"] == "failed" for c in selected["healthCheckStatusDetail"]["healthChecks"])


@pytest.mark.parametrize(
    ("role", "check", "error_type"),
    [
        (
            service_roles.READER,
            "First party app permissions exist on Azure subscription",
            "permissionCheckNoSubscriptionReaderRole",
        ),
        (
            service_roles.NETWORK_INTERFACE_CONTRIBUTOR,
            "First party app permissions exist on Azure resource group",
            "permissionCheckNoWindows365NetworkInterfaceContributorRole",
        ),
        (
            service_roles.NETWORK_USER,
            "First party app permissions exist on Azure virtual network",
            "permissionCheckNoWindows365NetworkUserRole",
        ),
    ],
)
def test_each_role_windows_365_needs_fails_its_own_check_when_taken_away(
    w365: Windows365, role: str, check: str, error_type: str
) -> None:
    connection = w365.settled(w365.call("POST", PATH, w365.body()).json()["id"])
    assert connection["healthCheckStatus"] == "passed"
    w365.arm.ok("DELETE", w365.roles[role])  # the admin takes the role away; the next run sees it
    assert (
        w365.call("POST", f"{PATH}/{connection['id']}/updateAdDomainPassword", {"adDomainPassword": "N3w"}).status_code
        == 204
    )
    rerun = w365.settled(connection["id"])
    assert rerun["healthCheckStatus"] == "failed"
    [failed] = [c for c in rerun["healthCheckStatusDetail"]["healthChecks"] if c["status"] == "failed"]
    assert (failed["displayName"], failed["errorType"]) == (check, error_type)
    assert "Windows 365" in failed["recommendedAction"]


def test_a_broader_role_does_not_stand_in_for_the_one_windows_365_checks(w365: Windows365) -> None:
    w365.arm.ok("DELETE", w365.roles[service_roles.NETWORK_USER])
    network_contributor = "4d97b98b-1d4f-4787-a291-c67834d212e7"  # grants all that Windows 365 Network User does
    w365.grant_windows365(network_contributor, w365.subnet_id.rsplit("/subnets/", 1)[0])
    connection = w365.settled(w365.call("POST", PATH, w365.body()).json()["id"])
    [failed] = [c for c in connection["healthCheckStatusDetail"]["healthChecks"] if c["status"] == "failed"]
    assert failed["errorType"] == "permissionCheckNoWindows365NetworkUserRole"
