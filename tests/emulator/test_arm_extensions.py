"""Join extensions, Run Commands and role assignments in the emulator, and the directory objects they bring about."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError

from azure_emulator.launcher import EmulatorProcess
from tests.utils.arm_admin import ArmAdmin, Controls, Sdk, emulator_token
from tests.utils.graph_admin import GraphAdmin

REGION = "westeurope"
MDM = "0000000a-0000-0000-c000-000000000000"
USER_LOGIN = "fb879df8-f326-4884-b1cf-06f3ad86be52"


def vm(admin: ArmAdmin, sdk: Sdk, name: str = "vm1", computer: str = "CPC-EXT-01", identity: bool = True) -> str:
    subnet = admin.virtual_network("rg", "vnet")
    nic = sdk.network.network_interfaces.begin_create_or_update(
        "rg",
        f"{name}-nic",
        {
            "location": REGION,
            "properties": {"ipConfigurations": [{"name": "ipconfig1", "properties": {"subnet": {"id": subnet}}}]},
        },
    ).result()
    image = {"publisher": "microsoftwindowsdesktop", "offer": "windows-ent-cpc", "sku": "win11-24h2-ent-cpc"}
    body: dict[str, Any] = {
        "location": REGION,
        "properties": {
            "hardwareProfile": {"vmSize": "Standard_D2s_v5"},
            "storageProfile": {"imageReference": image},
            "osProfile": {"computerName": computer, "adminUsername": "cpcadmin", "adminPassword": "Pa55w0rd!Pa55w0rd!"},
            "networkProfile": {"networkInterfaces": [{"id": nic["id"]}]},
        },
    }
    if identity:
        body["identity"] = {"type": "SystemAssigned"}
    return str(sdk.compute.virtual_machines.begin_create_or_update("rg", name, body).result()["id"])


def graph(emulator: EmulatorProcess, tenant_id: str, path: str) -> list[dict[str, Any]]:
    token = emulator_token(emulator, tenant_id, "https://graph.microsoft.com")[0]
    reply = emulator.session().get(
        f"{emulator.base_url}/graph/v1.0/{path}", headers={"Authorization": f"Bearer {token}"}, timeout=30
    )
    assert reply.status_code == 200, reply.text
    return list(reply.json()["value"])


def entra_join(mdm: bool = False) -> dict[str, Any]:
    settings = {"mdmId": MDM} if mdm else {}
    return {
        "location": REGION,
        "properties": {
            "publisher": "Microsoft.Azure.ActiveDirectory",
            "type": "AADLoginForWindows",
            "typeHandlerVersion": "2.0",
            "settings": settings,
        },
    }


def test_entra_join_makes_the_device_and_mdm_id_the_managed_device_in_the_creators_tenant(
    azure_emulator: EmulatorProcess, admin: ArmAdmin, sdk: Sdk
) -> None:
    vm(admin, sdk, computer="CPC-JOIN-01")
    joined = sdk.compute.virtual_machine_extensions.begin_create_or_update(
        "rg", "vm1", "AADLoginForWindows", entra_join()
    ).result()
    assert joined["properties"]["provisioningState"] == "Succeeded"
    [device] = graph(azure_emulator, admin.tenant_id, "devices?$filter=displayName eq 'CPC-JOIN-01'")
    assert device["trustType"] == "AzureAd"
    assert graph(azure_emulator, admin.tenant_id, "deviceManagement/managedDevices") == []
    assert graph(azure_emulator, str(uuid.uuid4()), "devices") == []  # another tenant sees nothing
    sdk.compute.virtual_machine_extensions.begin_create_or_update(
        "rg", "vm1", "AADLoginForWindows", entra_join(mdm=True)
    ).result()
    [managed] = graph(azure_emulator, admin.tenant_id, "deviceManagement/managedDevices")
    assert managed["deviceName"] == "CPC-JOIN-01" and managed["azureADDeviceId"] == device["deviceId"]


def test_entra_join_without_a_managed_identity_fails_the_extension(admin: ArmAdmin, sdk: Sdk) -> None:
    vm(admin, sdk, identity=False)
    with pytest.raises(HttpResponseError) as failed:
        sdk.compute.virtual_machine_extensions.begin_create_or_update(
            "rg", "vm1", "AADLoginForWindows", entra_join()
        ).result()
    assert failed.value.error is not None and failed.value.error.code == "VMExtensionProvisioningError"
    found = sdk.compute.virtual_machine_extensions.get("rg", "vm1", "AADLoginForWindows", expand="instanceView")
    assert found["properties"]["provisioningState"] == "Failed"


def test_a_failing_extension_is_answered_creating_and_its_failure_shows_in_the_operation_and_instance_view(
    admin: ArmAdmin, sdk: Sdk
) -> None:
    vm_id = vm(admin, sdk, identity=False)
    reply = admin.call("PUT", f"{vm_id}/extensions/AADLoginForWindows", entra_join())
    assert reply.status_code == 201 and reply.json()["properties"]["provisioningState"] == "Creating"
    status = admin.finished(reply)
    assert status["status"] == "Failed" and status["error"]["code"] == "VMExtensionProvisioningError"
    assert "system-assigned managed identity" in status["error"]["message"]
    found = sdk.compute.virtual_machine_extensions.get("rg", "vm1", "AADLoginForWindows", expand="instanceView")
    [shown] = found["properties"]["instanceView"]["statuses"]
    assert shown["code"] == "ProvisioningState/failed/VMExtensionProvisioningError" and shown["level"] == "Error"


def test_join_and_enrolment_faults_and_latency_apply_to_their_halves(
    azure_emulator: EmulatorProcess, admin: ArmAdmin, sdk: Sdk
) -> None:
    controls = Controls(azure_emulator, admin.tenant_id)
    vm(admin, sdk)
    controls.latency("joinEntra", 1)
    reply = admin.call(
        "PUT",
        f"{admin.resource_id('rg', 'Microsoft.Compute', 'virtualMachines', 'vm1')}/extensions/AADLoginForWindows",
        entra_join(),
    )
    assert reply.status_code == 201 and reply.headers["Azure-AsyncOperation"]
    assert admin.finished(reply)["status"] == "Succeeded"
    controls.fault("enrollIntune", 1, "MdmEnrollmentFailed")
    with pytest.raises(HttpResponseError) as failed:
        sdk.compute.virtual_machine_extensions.begin_create_or_update(
            "rg", "vm1", "AADLoginForWindows", entra_join(mdm=True)
        ).result()
    assert failed.value.error is not None and failed.value.error.code == "MdmEnrollmentFailed"
    assert graph(azure_emulator, admin.tenant_id, "deviceManagement/managedDevices") == []


def test_domain_join_makes_the_computer_account_and_a_run_command_disables_it(
    azure_emulator: EmulatorProcess, admin: ArmAdmin, sdk: Sdk
) -> None:
    domain = f"{uuid.uuid4().hex[:8]}.contoso.com"
    vm(admin, sdk, computer="CPC-HYB-01")
    secret = "Never-Shown-1!"
    body = {
        "location": REGION,
        "properties": {
            "publisher": "Microsoft.Compute",
            "type": "JsonADDomainExtension",
            "typeHandlerVersion": "1.3",
            "settings": {
                "Name": domain,
                "OUPath": "OU=CloudPCs,DC=contoso,DC=com",
                "User": "join@contoso.com",
                "Restart": "true",
                "Options": "3",
            },
            "protectedSettings": {"Password": secret},
        },
    }
    joined = sdk.compute.virtual_machine_extensions.begin_create_or_update("rg", "vm1", "JsonADDomainExtension", body)
    shown = joined.result()
    assert "protectedSettings" not in shown["properties"]
    computers = azure_emulator.session().get(f"{azure_emulator.base_url}/emulator/activeDirectory/computers").json()
    assert {"name": "CPC-HYB-01", "domain": domain, "enabled": True} in [
        {k: c[k] for k in ("name", "domain", "enabled")} for c in computers["value"]
    ]
    [device] = graph(azure_emulator, admin.tenant_id, "devices?$filter=displayName eq 'CPC-HYB-01'")
    assert device["trustType"] == "ServerAd"
    assert len(graph(azure_emulator, admin.tenant_id, "deviceManagement/managedDevices")) == 1
    script = f"Disable-ADComputer -Identity CPC-HYB-01 -Server '{domain}' -Credential $credential"
    command = {
        "location": REGION,
        "properties": {"source": {"script": script}, "protectedParameters": [{"name": "Password", "value": secret}]},
    }
    sdk.compute.virtual_machine_run_commands.begin_create_or_update("rg", "vm1", "disableAccount", command).result()
    computers = azure_emulator.session().get(f"{azure_emulator.base_url}/emulator/activeDirectory/computers").json()
    assert [c["enabled"] for c in computers["value"] if c["domain"] == domain] == [False]
    ran = sdk.compute.virtual_machine_run_commands.get_by_virtual_machine(
        "rg", "vm1", "disableAccount", expand="instanceView"
    )
    assert ran["properties"]["instanceView"]["executionState"] == "Succeeded"
    assert ran["properties"]["instanceView"]["exitCode"] == 0
    assert secret not in str(ran) and secret not in str(shown)
    logged = Controls(azure_emulator).log("runCommand")
    assert secret not in str(logged) and secret not in str(Controls(azure_emulator).log("joinEntra"))


def test_a_fault_under_the_command_name_fails_that_run_command_only(
    azure_emulator: EmulatorProcess, admin: ArmAdmin, sdk: Sdk
) -> None:
    controls = Controls(azure_emulator, admin.tenant_id)
    vm(admin, sdk)
    controls.fault("resizeOsDisk", 1, "ScriptTimeout")
    ok = {"location": REGION, "properties": {"source": {"script": "reagentc.exe /disable"}}}
    sdk.compute.virtual_machine_run_commands.begin_create_or_update("rg", "vm1", "disableWindowsReset", ok).result()
    with pytest.raises(HttpResponseError) as failed:
        sdk.compute.virtual_machine_run_commands.begin_create_or_update("rg", "vm1", "resizeOsDisk", ok).result()
    assert failed.value.error is not None and failed.value.error.code == "ScriptTimeout"
    ran = sdk.compute.virtual_machine_run_commands.get_by_virtual_machine(
        "rg", "vm1", "resizeOsDisk", expand="instanceView"
    )
    view = ran["properties"]["instanceView"]
    assert view["executionState"] == "Failed" and view["exitCode"] != 0 and "ScriptTimeout" in view["error"]
    assert [c["name"] for c in admin.run_commands("rg", "vm1")] == ["disableWindowsReset", "resizeOsDisk"]


def test_role_assignments_at_a_vm_refuse_duplicates_and_list_by_scope_and_principal(
    admin: ArmAdmin, sdk: Sdk, directory: GraphAdmin
) -> None:
    vm_id = vm(admin, sdk)
    user = directory.create_user()  # a principal of the tenant's directory, as ARM requires
    role = f"/subscriptions/{admin.subscription_id}/providers/Microsoft.Authorization/roleDefinitions/{USER_LOGIN}"
    body = {"properties": {"roleDefinitionId": role, "principalId": user, "principalType": "User"}}
    name = str(uuid.uuid4())
    created = sdk.authorization.role_assignments.create(vm_id, name, body)
    assert created.scope == vm_id and created.principal_id == user
    assert sdk.authorization.role_assignments.create(vm_id, name, body).id == created.id  # the same again: unchanged
    with pytest.raises(HttpResponseError) as duplicate:
        sdk.authorization.role_assignments.create(vm_id, str(uuid.uuid4()), body)
    assert duplicate.value.status_code == 409
    assert duplicate.value.error is not None and duplicate.value.error.code == "RoleAssignmentExists"
    at_vm = list(sdk.authorization.role_assignments.list_for_scope(vm_id, filter="atScope()"))
    assert [a.id for a in at_vm] == [created.id]
    group = admin.group_id("rg")
    assert list(sdk.authorization.role_assignments.list_for_scope(group, filter="atScope()")) == []
    mine = list(sdk.authorization.role_assignments.list_for_scope(group, filter=f"principalId eq '{user}'"))
    assert [a.id for a in mine] == [created.id]
    permissions = list(sdk.authorization.permissions.list_for_resource_group("rg"))
    assert permissions[0].actions == ["*"]
