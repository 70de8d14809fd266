"""Microsoft.DesktopVirtualization in the emulator through plain ARM calls, as Azure answers them: host pools and their
registration tokens, application groups and workspaces, and session hosts that an agent-installing Run Command
registers with a live token (an unknown, revoked or expired one fails the script)."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from azure_emulator.launcher import EmulatorProcess
from tests.utils.arm_admin import ArmAdmin, Controls
from tests.utils.inprocess_emulator import LocalEmulator, inprocess_emulator

REGION = "westeurope"
AVD = "2024-04-03"
NS = "Microsoft.DesktopVirtualization"
AGENT_SCRIPT = "param([string]$RegistrationToken)\nmsiexec /i agent.msi /quiet REGISTRATIONTOKEN=$RegistrationToken"


def call(admin: ArmAdmin, method: str, resource_id: str, body: Any = None) -> requests.Response:
    return admin.call(method, resource_id, body, api_version=AVD)


def pool_body(kind: str = "Pooled", balancer: str = "BreadthFirst", **props: Any) -> dict[str, Any]:
    return {
        "location": REGION,
        "properties": {"hostPoolType": kind, "loadBalancerType": balancer, "preferredAppGroupType": "Desktop", **props},
    }


def host_pool(admin: ArmAdmin, name: str = "hp1", **props: Any) -> str:
    admin.resource_group("rg")
    reply = call(admin, "PUT", admin.resource_id("rg", NS, "hostPools", name), pool_body(**props))
    assert reply.status_code in (200, 201), reply.text
    return str(reply.json()["id"])


def new_token(admin: ArmAdmin, pool_id: str, hours: float = 2) -> str:
    expires = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ")
    body = {"properties": {"registrationInfo": {"expirationTime": expires, "registrationTokenOperation": "Update"}}}
    reply = call(admin, "PATCH", pool_id, body)
    assert reply.status_code == 200, reply.text
    return str(reply.json()["properties"]["registrationInfo"]["token"])


def vm(admin: ArmAdmin, name: str = "vm1", computer: str = "AVD-HOST-01") -> str:
    subnet = admin.virtual_network("rg", "vnet")
    nic = admin.ok(
        "PUT",
        admin.resource_id("rg", "Microsoft.Network", "networkInterfaces", f"{name}-nic"),
        {
            "location": REGION,
            "properties": {"ipConfigurations": [{"name": "ipconfig1", "properties": {"subnet": {"id": subnet}}}]},
        },
    )
    image = {"publisher": "microsoftwindowsdesktop", "offer": "windows-11", "sku": "win11-24h2-avd"}
    return str(
        admin.ok(
            "PUT",
            admin.resource_id("rg", "Microsoft.Compute", "virtualMachines", name),
            {
                "location": REGION,
                "identity": {"type": "SystemAssigned"},
                "properties": {
                    "hardwareProfile": {"vmSize": "Standard_D2s_v5"},
                    "storageProfile": {"imageReference": image},
                    "osProfile": {
                        "computerName": computer,
                        "adminUsername": "avdadmin",
                        "adminPassword": "Pa55w0rd!Pa55w0rd!",
                    },
                    "networkProfile": {"networkInterfaces": [{"id": nic["id"]}]},
                },
            },
        )["id"]
    )


def install_agent(
    admin: ArmAdmin, vm_id: str, token: str | None, script: str = AGENT_SCRIPT, name: str = "registerSessionHost"
) -> dict[str, Any]:
    """The agent-installing Run Command, answered once finished (with its instance view)."""
    protected = [{"name": "RegistrationToken", "value": token}] if token is not None else []
    body = {
        "location": REGION,
        "properties": {
            "source": {"script": script},
            "protectedParameters": protected,
            "treatFailureAsDeploymentFailure": True,
        },
    }
    reply = admin.call("PUT", f"{vm_id}/runCommands/{name}", body)
    assert reply.status_code in (200, 201), reply.text
    admin.finished(reply)
    found = admin.session.get(admin.url(f"{vm_id}/runCommands/{name}") + "&$expand=instanceView")
    return dict(found.json())


def hosts(admin: ArmAdmin, pool_id: str) -> list[dict[str, Any]]:
    reply = call(admin, "GET", f"{pool_id}/sessionHosts")
    assert reply.status_code == 200, reply.text
    return list(reply.json()["value"])


def test_a_host_pool_is_validated_and_its_token_is_shown_only_by_the_write_that_made_it_and_the_action(
    admin: ArmAdmin,
) -> None:
    pool_id = host_pool(admin)
    assert call(admin, "PUT", pool_id, pool_body(friendlyName="Sales")).status_code == 200, "a second PUT updates"
    refused = [
        pool_body("Pooled", "Persistent"),
        pool_body("Personal", "Persistent"),
        pool_body("Desktop", "x"),
        pool_body("Personal", "Persistent", personalDesktopAssignmentType="Automatic"),
    ]
    assert [call(admin, "PUT", pool_id, body).json()["error"]["code"] for body in refused[:3]] == [
        "InvalidParameter"
    ] * 3
    assert call(admin, "PUT", pool_id, refused[3]).status_code == 400, "a pool's type cannot change"
    missing_group = pool_id.replace("/resourceGroups/rg/", "/resourceGroups/nosuch/")
    assert call(admin, "PUT", missing_group, pool_body()).json()["error"]["code"] == "ResourceGroupNotFound"

    shown = call(admin, "GET", pool_id).json()["properties"]
    assert shown["registrationInfo"]["token"] is None and shown["maxSessionLimit"] == 999999
    assert shown["friendlyName"] == "Sales"
    token = new_token(admin, pool_id)
    info = call(admin, "GET", pool_id).json()["properties"]["registrationInfo"]
    assert info["token"] is None and info["expirationTime"], "GET shows when it expires, never the token"
    retrieved = call(admin, "POST", f"{pool_id}/retrieveRegistrationToken").json()
    assert retrieved["token"] == token and retrieved["expirationTime"] == info["expirationTime"]
    assert new_token(admin, pool_id) != token, "an Update replaces the token"
    short = {
        "properties": {
            "registrationInfo": {"registrationTokenOperation": "Update", "expirationTime": "2020-01-01T00:00:00Z"}
        }
    }
    assert call(admin, "PATCH", pool_id, short).status_code == 400
    revoke = {"properties": {"registrationInfo": {"registrationTokenOperation": "Delete"}}}
    assert call(admin, "PATCH", pool_id, revoke).status_code == 200
    assert call(admin, "POST", f"{pool_id}/retrieveRegistrationToken").json()["token"] is None


def test_application_groups_and_workspaces_link_up_and_are_deleted_in_order(admin: ArmAdmin) -> None:
    pool_id = host_pool(admin)
    group_id, ws_id = (
        admin.resource_id("rg", NS, "applicationGroups", "dag"),
        admin.resource_id("rg", NS, "workspaces", "ws1"),
    )
    desktop = {"location": REGION, "properties": {"applicationGroupType": "Desktop", "hostPoolArmPath": pool_id}}
    orphan = {"location": REGION, "properties": {"applicationGroupType": "Desktop", "hostPoolArmPath": pool_id + "x"}}
    assert call(admin, "PUT", group_id, orphan).status_code == 400
    assert call(admin, "PUT", group_id, desktop).status_code == 201
    assert call(admin, "PUT", group_id, desktop).status_code == 200
    second = call(admin, "PUT", admin.resource_id("rg", NS, "applicationGroups", "dag2"), desktop)
    assert second.status_code == 400, "one Desktop application group per host pool"
    assert (
        call(
            admin, "PUT", ws_id, {"location": REGION, "properties": {"applicationGroupReferences": [group_id + "x"]}}
        ).status_code
        == 400
    )
    made = call(admin, "PUT", ws_id, {"location": REGION, "properties": {"applicationGroupReferences": [group_id]}})
    assert made.status_code == 201 and made.json()["properties"]["applicationGroupReferences"] == [group_id]
    assert call(admin, "GET", group_id).json()["properties"]["workspaceArmPath"] == ws_id
    assert call(admin, "GET", pool_id).json()["properties"]["applicationGroupReferences"] == [group_id]
    emptied = call(admin, "PATCH", ws_id, {"properties": {"applicationGroupReferences": []}})
    assert emptied.json()["properties"]["applicationGroupReferences"] == []
    assert call(admin, "GET", group_id).json()["properties"]["workspaceArmPath"] is None

    assert call(admin, "DELETE", pool_id).status_code == 400, "a host pool with application groups stays"
    assert [call(admin, "DELETE", i).status_code for i in (ws_id, group_id, pool_id)] == [200, 200, 200]
    assert [call(admin, "DELETE", i).status_code for i in (ws_id, group_id, pool_id)] == [204, 204, 204]
    assert call(admin, "GET", pool_id).status_code == 404


def test_an_agent_install_with_the_live_token_registers_the_vm_and_never_keeps_the_token(
    admin: ArmAdmin, azure_emulator: EmulatorProcess
) -> None:
    pool_id = host_pool(admin)
    vm_id = vm(admin)
    token = new_token(admin, pool_id)
    command = install_agent(admin, vm_id, token)
    assert command["properties"]["provisioningState"] == "Succeeded"
    assert command["properties"]["instanceView"]["executionState"] == "Succeeded"
    assert token not in str(command) and "protectedParameters" not in command["properties"]
    assert all(token not in str(e) for e in Controls(azure_emulator).log("runCommand"))
    [host] = hosts(admin, pool_id)
    assert host["name"] == "hp1/AVD-HOST-01" and host["id"] == f"{pool_id}/sessionHosts/AVD-HOST-01"
    props = host["properties"]
    assert props["resourceId"] == vm_id and props["status"] == "Available"
    assert (props["allowNewSession"], props["sessions"], props["assignedUser"]) == (True, 0, None)

    drained = call(admin, "PATCH", host["id"], {"properties": {"allowNewSession": False}})
    assert drained.status_code == 200 and drained.json()["properties"]["allowNewSession"] is False
    assert call(admin, "PATCH", host["id"], {"properties": {"assignedUser": "ann@contoso.com"}}).status_code == 400
    deallocated = admin.call("POST", f"{vm_id}/deallocate")
    assert deallocated.status_code in (200, 202)
    assert admin.finished(deallocated).get("status", "Succeeded") == "Succeeded"
    assert call(admin, "GET", host["id"]).json()["properties"]["status"] == "Shutdown"
    assert call(admin, "DELETE", pool_id).status_code == 400, "session hosts keep a pool without force"
    assert call(admin, "DELETE", host["id"]).status_code == 200
    assert call(admin, "DELETE", host["id"]).status_code == 204
    assert hosts(admin, pool_id) == []


def test_an_unknown_or_revoked_token_fails_the_script_and_registers_nothing(admin: ArmAdmin) -> None:
    pool_id = host_pool(admin)
    vm_id = vm(admin)
    for token in ("not-a-token", None):
        failed = install_agent(admin, vm_id, token)
        assert failed["properties"]["provisioningState"] == "Failed"
        view = failed["properties"]["instanceView"]
        assert view["executionState"] == "Failed" and "INVALID_REGISTRATION_TOKEN" in view["error"]
    token = new_token(admin, pool_id)
    revoke = {"properties": {"registrationInfo": {"registrationTokenOperation": "Delete"}}}
    assert call(admin, "PATCH", pool_id, revoke).status_code == 200
    assert install_agent(admin, vm_id, token)["properties"]["provisioningState"] == "Failed"
    assert hosts(admin, pool_id) == []


def test_an_agent_refusing_its_token_fails_the_script_with_avds_reason_once_per_fault(
    admin: ArmAdmin, azure_emulator: EmulatorProcess
) -> None:
    pool_id = host_pool(admin)
    vm_id = vm(admin)
    token = new_token(admin, pool_id)
    controls = Controls(azure_emulator, admin.tenant_id)
    controls.fault("registerAgent", 1)
    controls.fault("registerAgent", 1, "EXPIRED_MACHINE_TOKEN")  # a second fault replaces the first
    failed = install_agent(admin, vm_id, token)
    view = failed["properties"]["instanceView"]
    assert view["executionState"] == "Failed" and "ERRORTYPE=EXPIRED_MACHINE_TOKEN" in view["error"]
    assert hosts(admin, pool_id) == []
    controls.fault("registerAgent", 1)
    refused = install_agent(admin, vm_id, token)["properties"]["instanceView"]
    assert "ERRORTYPE=INVALID_REGISTRATION_TOKEN" in refused["error"], "AVD's reason when the fault names none"
    assert install_agent(admin, vm_id, token)["properties"]["provisioningState"] == "Succeeded", "spent: it registers"
    assert len(hosts(admin, pool_id)) == 1


def test_an_agent_install_that_is_one_step_of_a_script_fails_that_step_alone_when_refused(
    admin: ArmAdmin, azure_emulator: EmulatorProcess
) -> None:
    pool_id, vm_id = host_pool(admin), vm(admin)
    token = new_token(admin, pool_id)
    steps = "\n".join(
        [
            "param([string]$RegistrationToken)",
            "Invoke-CloudPcStep 'registerSessionHost' {",
            "    msiexec /i agent.msi /quiet REGISTRATIONTOKEN=$RegistrationToken",
            "}",
            "Invoke-CloudPcStep 'setTeamsVdiMode' {",
            "    Set-ItemProperty -Path 'HKLM:\\Software\\Microsoft\\Teams' -Name IsWVDEnvironment -Value 1",
            "}",
        ]
    )
    Controls(azure_emulator, admin.tenant_id).fault("registerAgent", 1)
    refused = install_agent(admin, vm_id, token, steps, "postProvisioning")["properties"]
    assert refused["provisioningState"] == "Succeeded", "the script went on past the refused step"
    lines = refused["instanceView"]["output"].splitlines()
    assert lines[0].startswith("CPCSTEP registerSessionHost failed ERRORTYPE=INVALID_REGISTRATION_TOKEN ")
    assert lines[1:] == ["CPCSTEP setTeamsVdiMode succeeded"]
    assert hosts(admin, pool_id) == []
    registered = install_agent(admin, vm_id, token, steps, "postProvisioningAgain")["properties"]
    assert "CPCSTEP registerSessionHost succeeded" in registered["instanceView"]["output"].splitlines()
    assert len(hosts(admin, pool_id)) == 1


def test_a_forced_host_pool_delete_takes_its_session_hosts_and_a_personal_host_gets_a_user(admin: ArmAdmin) -> None:
    pool_id = host_pool(
        admin, "personal1", kind="Personal", balancer="Persistent", personalDesktopAssignmentType="Automatic"
    )
    vm_id = vm(admin)
    assert install_agent(admin, vm_id, new_token(admin, pool_id))["properties"]["provisioningState"] == "Succeeded"
    [host] = hosts(admin, pool_id)
    assigned = call(admin, "PATCH", host["id"], {"properties": {"assignedUser": "ann@contoso.com"}})
    assert assigned.json()["properties"]["assignedUser"] == "ann@contoso.com"
    assert call(admin, "PATCH", host["id"], {"properties": {"assignedUser": "ann@contoso.com"}}).status_code == 200
    for change in ("bob@contoso.com", ""):
        refused = call(admin, "PATCH", host["id"], {"properties": {"assignedUser": change}})
        assert refused.status_code == 400 and refused.json()["error"]["code"] == "BadRequest", "without force"
    forced = admin.session.patch(
        admin.url(host["id"], AVD) + "&force=true", json={"properties": {"assignedUser": "bob@contoso.com"}}, timeout=30
    )
    assert forced.status_code == 200 and forced.json()["properties"]["assignedUser"] == "bob@contoso.com"
    other_id = host_pool(admin, "hp2")
    assert install_agent(admin, vm_id, new_token(admin, other_id))["properties"]["provisioningState"] == "Succeeded"
    assert hosts(admin, pool_id) == [] and len(hosts(admin, other_id)) == 1, "registering again moves the host"
    reply = admin.session.delete(admin.url(other_id, AVD) + "&force=true", timeout=30)
    assert reply.status_code == 200
    assert call(admin, "GET", f"{other_id}/sessionHosts").status_code == 404


def test_a_user_gets_at_most_one_personal_desktop_in_a_host_pool(admin: ArmAdmin) -> None:
    pool_id = host_pool(
        admin, "personal-one", kind="Personal", balancer="Persistent", personalDesktopAssignmentType="Direct"
    )
    token = new_token(admin, pool_id)
    for name, computer in (("vm-one", "AVD-HOST-01"), ("vm-two", "AVD-HOST-02")):
        assert install_agent(admin, vm(admin, name, computer), token)["properties"]["provisioningState"] == "Succeeded"
    first, second = sorted(hosts(admin, pool_id), key=lambda h: h["name"])
    assert call(admin, "PATCH", first["id"], {"properties": {"assignedUser": "bob@contoso.com"}}).status_code == 200
    twice = call(admin, "PATCH", second["id"], {"properties": {"assignedUser": "BOB@contoso.com"}})
    assert twice.status_code == 400 and "at most one personal desktop" in twice.json()["error"]["message"]
    assert call(admin, "PATCH", second["id"], {"properties": {"assignedUser": "cat@contoso.com"}}).status_code == 200
    other_pool = host_pool(
        admin, "personal-two", kind="Personal", balancer="Persistent", personalDesktopAssignmentType="Direct"
    )
    third = vm(admin, "vm-three", "AVD-HOST-03")
    assert install_agent(admin, third, new_token(admin, other_pool))["properties"]["provisioningState"] == "Succeeded"
    [elsewhere] = hosts(admin, other_pool)
    assigned = call(admin, "PATCH", elsewhere["id"], {"properties": {"assignedUser": "bob@contoso.com"}})
    assert assigned.status_code == 200, "another pool takes the same user's second desktop"


# the session host status enum of the REST spec (SessionHostProperties.status, desktopvirtualization.json 2024-04-03)
HOST_STATUSES = (
    "Available",
    "Unavailable",
    "Shutdown",
    "Disconnected",
    "Upgrading",
    "UpgradeFailed",
    "NoHeartbeat",
    "NotJoinedToDomain",
    "DomainTrustRelationshipLost",
    "SxSStackListenerNotReady",
    "FSLogixNotHealthy",
    "NeedsAssistance",
)


def test_the_agent_control_reaches_every_session_host_status_of_the_api(admin: ArmAdmin) -> None:
    pool_id = host_pool(admin, "hp-status")
    assert install_agent(admin, vm(admin), new_token(admin, pool_id))["properties"]["provisioningState"] == "Succeeded"
    [host] = hosts(admin, pool_id)
    control = f"{admin.emulator.base_url}/emulator/avd{pool_id}/sessionHosts/{host['name'].split('/')[-1]}/agent"
    for status in (*HOST_STATUSES[1:], "Available"):
        assert admin.session.put(control, json={"status": status}, timeout=30).status_code == 200, status
        assert call(admin, "GET", host["id"]).json()["properties"]["status"] == status
    assert admin.session.put(control, json={"status": "Broken"}, timeout=30).status_code == 400


@pytest.fixture
def local(azure_emulator: EmulatorProcess) -> Iterator[LocalEmulator]:
    with pytest.MonkeyPatch.context() as patch, inprocess_emulator(azure_emulator, patch) as emulator:
        yield emulator


def test_an_expired_token_fails_the_script(local: LocalEmulator) -> None:
    admin = ArmAdmin(local.handle, str(uuid.uuid4()))
    pool_id = host_pool(admin)
    vm_id = vm(admin)
    token = new_token(admin, pool_id, hours=1.5)
    local.ctx.clock = lambda: time.time() + 2 * 3600  # two hours later
    failed = install_agent(admin, vm_id, token)
    assert failed["properties"]["instanceView"]["executionState"] == "Failed"
    assert hosts(admin, pool_id) == []
