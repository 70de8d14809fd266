"""DeviceDirectory and DeviceManagement: the ARM halves (join extensions, Intune enrolment, sign-in roles,
disabling AD computer accounts) composed with the Graph halves (finding and deleting devices, primary user).

- Entra join: the `AADLoginForWindows` extension (the VM has a system-assigned identity) with the Intune
  `mdmId` setting, so the device is enrolled as it joins; then wait until Graph shows the device, and (the
  enrolment step) the managed device. Hybrid join: the `JsonADDomainExtension` (password in protectedSettings);
  then wait for Entra Connect to sync the device (minutes); enrolment is Windows' own MDM auto-enrolment,
  triggered by a Run Command (`deviceenroller.exe /c /AutoEnrollMDM`).
- Sign-in: the Azure role `Virtual Machine User Login` (or `... Administrator Login`) on the VM, under a
  role-assignment GUID derived from (VM, user, role): a repeat finds it there (ARM: 409 RoleAssignmentExists).
- Disabling an on-premises computer account: Azure has no API for on-premises AD, so the app runs
  `Disable-ADComputer` (RSAT, with the connection's join account) as a Run Command on a short-lived probe VM
  in the connection's subnet - the one place the app can reach the domain controllers from - and removes
  the probe afterwards. The account is only disabled, never deleted; a missing account counts as done.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any, Protocol, cast

from azure.core.exceptions import HttpResponseError
from azure.mgmt.authorization.v2022_04_01.models import RoleAssignmentCreateParameters
from azure.mgmt.compute import types as compute_json

from shared.catalog.app_access import VM_ADMIN_LOGIN, VM_USER_LOGIN
from shared.cloud.azure import arm_lro
from shared.cloud.azure.arm_clients import ArmClients
from shared.cloud.azure.arm_commands import RunCommands
from shared.cloud.azure.arm_compute import AzureProvisioningCompute
from shared.cloud.azure.arm_ids import vm_id
from shared.cloud.azure.arm_probe import Probe, ProbeVms
from shared.ports.cloud_errors import CloudError
from shared.ports.compute import Placement
from shared.ports.devices import JoinSpec
from shared.ports.progress import Progress
from shared.ports.secret_store import SecretStore

INTUNE_MDM_ID = "0000000a-0000-0000-c000-000000000000"
USER_LOGIN, ADMIN_LOGIN = VM_USER_LOGIN, VM_ADMIN_LOGIN
ENTRA_EXTENSION, DOMAIN_EXTENSION = "AADLoginForWindows", "JsonADDomainExtension"
ENTRA_SYNC_WAIT_S, HYBRID_SYNC_WAIT_S = 10.0, 60.0  # Entra Connect syncs every ~30 minutes at most
ASSIGNMENT_NAMESPACE = uuid.UUID("4f7f8a52-3c36-4d0e-9a43-9b2b6c1e5d10")
NETBIOS = re.compile(r"^[A-Za-z0-9-]{1,15}$")
DOMAIN = re.compile(r"^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
AUTO_ENROLL = [
    'Start-Process -FilePath "$env:windir\\system32\\deviceenroller.exe" -ArgumentList "/c /AutoEnrollMDM" -Wait'
]


class DeviceFinder(Protocol):
    """What the waits need from Graph (GraphDevices in shared.cloud.azure.graph_devices)."""

    def find_device(self, tenant_id: str, display_name: str) -> str | None: ...

    def find_managed_device(self, tenant_id: str, device_name: str) -> str | None: ...


class GraphDeviceObjects(DeviceFinder, Protocol):
    def delete_device(self, tenant_id: str, device_name: str) -> Progress: ...

    def delete_managed_device(self, tenant_id: str, device_name: str) -> Progress: ...

    def set_primary_user(self, tenant_id: str, device_name: str, user_id: str) -> Progress: ...


def assignment_name(scope: str, user_id: str, role: str) -> str:
    return str(uuid.uuid5(ASSIGNMENT_NAMESPACE, f"{scope.lower()}|{user_id.lower()}|{role}"))


class AzureDevices:
    """Implements DeviceDirectory and DeviceManagement (shared.ports.devices)."""

    def __init__(self, compute: AzureProvisioningCompute, graph: GraphDeviceObjects, secrets: SecretStore) -> None:
        self._clients: ArmClients = compute.clients
        self._commands = RunCommands(compute.clients)
        self._probes = ProbeVms(compute)
        self._graph = graph
        self._secrets = secrets

    # --- Graph-only halves ------------------------------------------------------------------------------
    def delete_device(self, tenant_id: str, device_name: str) -> Progress:
        return self._graph.delete_device(tenant_id, device_name)

    def delete_managed_device(self, tenant_id: str, device_name: str) -> Progress:
        return self._graph.delete_managed_device(tenant_id, device_name)

    def set_primary_user(self, tenant_id: str, device_name: str, user_id: str) -> Progress:
        return self._graph.set_primary_user(tenant_id, device_name, user_id)

    # --- join and enrolment -----------------------------------------------------------------------------
    @arm_lro.hand_back("joinEntra")
    def join_device(
        self, tenant_id: str, placement: Placement, vm_name: str, join: JoinSpec, operation: str | None = None
    ) -> Progress:
        step = "joinEntra"
        hybrid = join.join_type == "hybridAzureADJoin"
        phase, url = arm_lro.decode(operation)
        if phase != "device":
            if hybrid:  # the password is read only when the extension is to be made
                settings = self._domain_settings(join, step)
                secret = lambda: {"Password": self._password(join, step)}  # noqa: E731 - read late, on purpose
                waiting = self._extension(
                    tenant_id,
                    placement,
                    vm_name,
                    DOMAIN_EXTENSION,
                    "Microsoft.Compute",
                    "1.3",
                    settings,
                    secret,
                    step,
                    url,
                )
            else:  # joined and enrolled in Intune at once: the extension's mdmId setting
                waiting = self._extension(
                    tenant_id,
                    placement,
                    vm_name,
                    ENTRA_EXTENSION,
                    "Microsoft.Azure.ActiveDirectory",
                    "2.0",
                    {"mdmId": INTUNE_MDM_ID},
                    None,
                    step,
                    url,
                )
            if waiting is not None:
                return waiting
        wait = HYBRID_SYNC_WAIT_S if hybrid else ENTRA_SYNC_WAIT_S
        return self._wait(lambda: self._graph.find_device(tenant_id, join.device_name), wait)

    @arm_lro.hand_back("enrollIntune")
    def enroll_device(
        self, tenant_id: str, placement: Placement, vm_name: str, join: JoinSpec, operation: str | None = None
    ) -> Progress:
        """Entra join enrolled the device already (mdmId); a hybrid-joined one enrols through Windows' own MDM
        auto-enrolment. Either way, done once Intune shows the managed device."""
        step = "enrollIntune"
        phase, _ = arm_lro.decode(operation)
        if join.join_type == "hybridAzureADJoin" and phase != "device":
            ran = self._commands.run(
                tenant_id, placement, vm_name, step, "\n".join(AUTO_ENROLL), step=step, operation=operation
            )
            if not ran.done:
                return ran
        return self._wait(lambda: self._graph.find_managed_device(tenant_id, join.device_name), ENTRA_SYNC_WAIT_S)

    def _domain_settings(self, join: JoinSpec, step: str) -> dict[str, Any]:
        if not join.domain_name or not join.domain_username or not join.password_secret_name:
            raise CloudError(
                step, "DomainRequired", "A hybrid join needs the domain, the join account and its password."
            )
        return {
            "Name": join.domain_name,
            "OUPath": join.organizational_unit or "",
            "User": join.domain_username,
            "Restart": "true",
            "Options": "3",
        }

    def _password(self, join: JoinSpec, step: str) -> str:
        try:
            return self._secrets.get_secret(str(join.password_secret_name))
        except Exception as exc:  # any store error: the admin must enter the password again
            raise CloudError(step, "credentialsUnavailable", "The domain-join password cannot be read.") from exc

    def _extension(
        self,
        tenant_id: str,
        placement: Placement,
        vm_name: str,
        name: str,
        publisher: str,
        version: str,
        settings: dict[str, Any],
        protected: Callable[[], dict[str, Any]] | None,
        step: str,
        url: str | None,
    ) -> Progress | None:
        """The extension with these settings; None when it has succeeded. A PUT of the same extension is
        idempotent in Azure, so a repeated call simply puts it again (and polls what that answers)."""
        if url:
            polled = arm_lro.poll(self._clients, tenant_id, placement.subscription_id, url, step)
            return arm_lro.progress(polled, "extension") if isinstance(polled, arm_lro.Later) else None
        props: dict[str, Any] = {
            "publisher": publisher,
            "type": name,
            "typeHandlerVersion": version,
            "autoUpgradeMinorVersion": True,
            "settings": settings,
        }
        if protected is not None:
            props["protectedSettings"] = protected()
        extension = cast(compute_json.VirtualMachineExtension, {"location": placement.region_name, "properties": props})
        compute = self._clients.compute(tenant_id, placement.subscription_id)
        started = arm_lro.start(
            lambda **kw: compute.virtual_machine_extensions.begin_create_or_update(
                placement.resource_group, vm_name, name, extension, **kw
            ),
            step,
        )
        return arm_lro.progress(started, "extension") if isinstance(started, arm_lro.Later) else None

    def _wait(self, find: Any, wait_s: float) -> Progress:
        """Done once Graph shows the object; a throttled Graph read is another wait, not a failure."""
        try:
            object_id = find()
        except CloudError as exc:
            if exc.status == 429:
                return Progress(
                    done=False,
                    retry_after_s=getattr(exc, "retry_after_s", None) or wait_s,
                    operation="device",
                    held=exc.code,
                    reason=exc.reason,
                )
            raise
        if object_id is None:
            return Progress(
                done=False,
                retry_after_s=wait_s,
                operation="device",
                reason="Microsoft Graph does not show the device yet",
            )
        return Progress(done=True, resource_id=object_id)

    # --- sign-in role -----------------------------------------------------------------------------------
    @arm_lro.hand_back("assignUser")
    def assign_user(
        self, tenant_id: str, placement: Placement, vm_name: str, user_id: str, administrator: bool
    ) -> Progress:
        step = "assignUser"
        role = ADMIN_LOGIN if administrator else USER_LOGIN
        # the VM itself is the scope, one write a Cloud PC: a resource group's or a group's role would let a user sign
        # in to Cloud PCs not theirs, and a role assignment's condition cannot narrow the login data action (conditions
        # cover Blob and Queue storage's data actions only,
        # https://learn.microsoft.com/azure/role-based-access-control/conditions-role-assignments-portal)
        scope = vm_id(placement, vm_name)
        name = assignment_name(scope, user_id, role)
        assignment_id = f"{scope}/providers/Microsoft.Authorization/roleAssignments/{name}"
        parameters = RoleAssignmentCreateParameters(
            role_definition_id=f"/subscriptions/{placement.subscription_id}/providers/Microsoft.Authorization/"
            f"roleDefinitions/{role}",
            principal_id=user_id,
            principal_type="User",
        )
        authorization = self._clients.user_roles(tenant_id, placement.subscription_id)
        try:
            authorization.role_assignments.create(scope, name, parameters)
        except HttpResponseError as exc:
            if exc.status_code == 409 and arm_lro.error_code(exc) == "RoleAssignmentExists":
                return Progress(done=True, resource_id=assignment_id)
            if arm_lro.error_code(exc) == "PrincipalNotFound":  # a new user takes a while to reach ARM
                return Progress(
                    done=False,
                    retry_after_s=ENTRA_SYNC_WAIT_S,
                    held=arm_lro.PRINCIPAL_NOT_FOUND,
                    reason=arm_lro.NOT_REPLICATED,
                )
            arm_lro.raise_for(exc, step)
        return Progress(done=True, resource_id=assignment_id)

    # --- on-premises computer accounts ------------------------------------------------------------------
    @arm_lro.hand_back("disableComputerAccount")
    def disable_computer_account(
        self, tenant_id: str, placement: Placement, join: JoinSpec, subnet_id: str | None, operation: str | None = None
    ) -> Progress:
        """Probe VM in the subnet -> Run Command `Disable-ADComputer` -> probe removed (phases in `operation`)."""
        step = "disableComputerAccount"
        if join.join_type != "hybridAzureADJoin" or not join.domain_name:
            return Progress(done=True)  # an Entra-joined device has no on-premises account
        if not subnet_id:
            raise CloudError(step, "SubnetRequired", "A hybrid-joined device's connection names no subnet.")
        if not NETBIOS.match(join.device_name) or not DOMAIN.match(join.domain_name):
            raise CloudError(step, "InvalidName", "The device or domain name is not a valid AD name.")
        probe = Probe(f"disable/{join.domain_name}/{join.device_name}")
        phase = arm_lro.named(arm_lro.decode(operation)[0])
        if phase in (None, "nic", "vm"):
            ready = self._probes.ensure(tenant_id, placement, probe, subnet_id, step, operation)
            if not ready.done:
                return ready
            operation = None
        if phase in (None, "nic", "vm", "command"):
            settings = self._domain_settings(join, step)
            protected = {"Password": self._password(join, step)} if operation is None else None
            script = _disable_script(join.device_name, join.domain_name)
            ran = self._commands.run(
                tenant_id,
                placement,
                probe.vm_name,
                "disableComputerAccount",
                script,
                step=step,
                parameters={"User": settings["User"]},
                protected=protected,
                operation=operation,
            )
            if not ran.done:
                return ran
            operation = None
        return self._probes.remove(tenant_id, placement, probe, operation)


def _disable_script(device_name: str, domain: str) -> str:
    """Names are validated above (NetBIOS name, DNS domain), so embedding them is safe; secrets are parameters."""
    return "\n".join(
        [
            "param([string]$User, [string]$Password)",
            "$ErrorActionPreference = 'Stop'",
            "Install-WindowsFeature RSAT-AD-PowerShell | Out-Null",
            "Import-Module ActiveDirectory",
            "$secret = ConvertTo-SecureString $Password -AsPlainText -Force",
            "$credential = New-Object System.Management.Automation.PSCredential($User, $secret)",
            f"$found = Get-ADComputer -Filter \"Name -eq '{device_name}'\" -Server '{domain}' -Credential $credential",
            "if (-not $found) { 'no such computer account'; exit 0 }",
            f"Disable-ADComputer -Identity {device_name} -Server '{domain}' -Credential $credential",
            f"'{device_name} disabled'",
        ]
    )
