"""CloudPcOperations over ARM and Graph: an admin's power, resize and disk actions on a Cloud PC's VM, and the reads
troubleshooting makes (the VM with its instance view, the Entra and Intune devices, the sign-in role).

The writes work as provisioning's do: a long-running operation is started with polling off and its status URL
handed back in `Progress.operation` (`"<phase> <url>"`), which the next call polls once; a 429 (or a busy VM) is
`Progress(done=False, retry_after_s=Retry-After)`. Each write reads first where that makes a repeat free: a VM that
has the size already is not resized, a disk that is big enough is not grown. Power actions are sent as they are:
Azure answers a start of a running VM, or a deallocation of a deallocated one, as done.
The reads answer at once; a throttled read raises CloudThrottled with the wait Azure or Graph asked for.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NoReturn

from azure.core.exceptions import HttpResponseError
from azure.mgmt.compute import models as compute_models

from shared.cloud.azure import arm_lro
from shared.cloud.azure.arm_clients import ArmClients
from shared.cloud.azure.arm_devices import ADMIN_LOGIN, USER_LOGIN
from shared.cloud.azure.arm_ids import parse_id, vm_id
from shared.cloud.azure.graph_client import GraphError, odata_string
from shared.cloud.azure.graph_devices import THROTTLE_DEFAULT_S, GraphDevices
from shared.ports.cloud_errors import CloudError, CloudThrottled
from shared.ports.cloud_pc_operations import PowerAction, VmInspection
from shared.ports.compute import Placement
from shared.ports.devices import DeviceRecord, ManagedDeviceRecord
from shared.ports.progress import Progress

POWER_ACTIONS = ("start", "restart", "deallocate", "hibernate")
SIGN_IN_ROLES = {USER_LOGIN, ADMIN_LOGIN}
NOT_FOUND = {"ResourceNotFound", "NotFound", "ResourceGroupNotFound"}
POWER_STATE = "PowerState/"


class AzureCloudPcOperations:
    """The CloudPcOperations port (shared.ports.cloud_pc_operations) on Microsoft.Compute, Microsoft.Authorization
    and Graph."""

    def __init__(self, clients: ArmClients, graph: GraphDevices) -> None:
        self.clients = clients
        self._graph = graph

    # --- writes -----------------------------------------------------------------------------------------
    @arm_lro.hand_back("powerVm")
    def power_vm(
        self, tenant_id: str, placement: Placement, vm_name: str, action: PowerAction, operation: str | None = None
    ) -> Progress:
        step = "powerVm"
        if action not in POWER_ACTIONS:
            raise ValueError(f"'{action}' is not one of {', '.join(POWER_ACTIONS)}.")
        waiting = self._poll(tenant_id, placement, vm_name, operation, step)
        if waiting is not None:
            return waiting
        machines = self.clients.compute(tenant_id, placement.subscription_id).virtual_machines
        begin = {
            "start": machines.begin_start,
            "restart": machines.begin_restart,
            "deallocate": machines.begin_deallocate,
            "hibernate": machines.begin_deallocate,
        }[action]
        # hibernation is a deallocate that keeps the memory (its `hibernate` parameter), for a VM made with it enabled
        options = {"hibernate": True} if action == "hibernate" else {}
        return self._start(
            tenant_id,
            placement,
            vm_name,
            action,
            step,
            lambda **kw: begin(placement.resource_group, vm_name, **options, **kw),
        )

    @arm_lro.hand_back("resizeVm")
    def resize_vm(
        self, tenant_id: str, placement: Placement, vm_name: str, vm_size: str, operation: str | None = None
    ) -> Progress:
        step = "resizeVm"
        waiting = self._poll(tenant_id, placement, vm_name, operation, step)
        if waiting is not None:
            return waiting
        vm = self._vm(tenant_id, placement, vm_name, step)
        if str(vm["properties"]["hardwareProfile"]["vmSize"]).lower() == vm_size.lower():
            return Progress(done=True, resource_id=vm_id(placement, vm_name))
        # a PATCH names only the size, so nothing else of the VM is sent back (or raced with)
        update = compute_models.VirtualMachineUpdate({"properties": {"hardwareProfile": {"vmSize": vm_size}}})
        machines = self.clients.compute(tenant_id, placement.subscription_id).virtual_machines
        return self._start(
            tenant_id,
            placement,
            vm_name,
            "resize",
            step,
            lambda **kw: machines.begin_update(placement.resource_group, vm_name, update, **kw),
        )

    @arm_lro.hand_back("growOsDisk")
    def grow_os_disk(
        self, tenant_id: str, placement: Placement, vm_name: str, size_gb: int, operation: str | None = None
    ) -> Progress:
        """Azure refuses to grow the disk of a VM that is not deallocated (409 OperationNotAllowed, raised as the
        step's CloudError): the caller deallocates the VM first and starts it again afterwards."""
        step = "growOsDisk"
        waiting = self._poll(tenant_id, placement, vm_name, operation, step)
        if waiting is not None:
            return waiting
        vm = self._vm(tenant_id, placement, vm_name, step)
        os_disk = vm["properties"]["storageProfile"]["osDisk"]
        if int(os_disk.get("diskSizeGB") or 0) >= size_gb:
            return Progress(done=True, resource_id=vm_id(placement, vm_name))
        disk_id = str((os_disk.get("managedDisk") or {}).get("id") or "")
        parts = parse_id(disk_id)
        if not parts.get("disks") or not parts.get("resourcegroups") or not parts.get("subscriptions"):
            raise CloudError(step, "unmanagedOsDisk", f"The OS disk of {vm_name} is not a managed disk.")
        disks = self.clients.compute(tenant_id, parts["subscriptions"]).disks
        update = compute_models.DiskUpdate({"properties": {"diskSizeGB": size_gb}})
        return self._start(
            tenant_id,
            placement,
            vm_name,
            "disk",
            step,
            lambda **kw: disks.begin_update(parts["resourcegroups"], parts["disks"], update, **kw),
        )

    def _poll(
        self, tenant_id: str, placement: Placement, vm_name: str, operation: str | None, step: str
    ) -> Progress | None:
        """With an operation handed back: poll it once (done, or not yet). None without one, or when Azure has
        forgotten it (operations expire): the caller starts over, which a resize or disk finds done already."""
        phase, url = arm_lro.decode(operation)
        if not url:
            return None
        polled = arm_lro.poll(self.clients, tenant_id, placement.subscription_id, url, step)
        if isinstance(polled, arm_lro.Later):
            return arm_lro.progress(polled, phase or step) if polled.url else None
        return Progress(done=True, resource_id=vm_id(placement, vm_name))

    def _start(
        self, tenant_id: str, placement: Placement, vm_name: str, phase: str, step: str, call: Callable[..., Any]
    ) -> Progress:
        try:
            started = arm_lro.start(call, step)
        except CloudError as exc:
            if exc.code in NOT_FOUND:
                raise _vm_not_found(step, vm_name) from exc
            raise
        if isinstance(started, arm_lro.Later):
            return arm_lro.progress(started, phase)
        return Progress(done=True, resource_id=vm_id(placement, vm_name))

    def _vm(self, tenant_id: str, placement: Placement, vm_name: str, step: str) -> Any:
        """The VM (ARM's JSON); CloudError vmNotFound when it does not exist."""
        found = self._read_vm(tenant_id, placement, vm_name, step)
        if found is None:
            raise _vm_not_found(step, vm_name)
        return found

    def _read_vm(self, tenant_id: str, placement: Placement, vm_name: str, step: str, expand: str | None = None) -> Any:
        compute = self.clients.compute(tenant_id, placement.subscription_id)
        return arm_lro.found(
            lambda: compute.virtual_machines.get(placement.resource_group, vm_name, expand=expand), step
        )

    # --- reads ------------------------------------------------------------------------------------------
    def inspect_vm(self, tenant_id: str, placement: Placement, vm_name: str) -> VmInspection | None:
        step = "inspectVm"
        try:
            vm = self._read_vm(tenant_id, placement, vm_name, step, expand="instanceView")
        except arm_lro.Throttled as exc:
            raise CloudThrottled(step, exc.retry_after_s, exc.code) from exc
        if vm is None:
            return None
        props = vm["properties"]
        statuses = (props.get("instanceView") or {}).get("statuses") or []
        power = next(
            (str(s["code"])[len(POWER_STATE) :] for s in statuses if str(s.get("code") or "").startswith(POWER_STATE)),
            "unknown",
        )
        size = ((props.get("storageProfile") or {}).get("osDisk") or {}).get("diskSizeGB")
        # the extensions are the VM's child resources, which ARM lists with the VM
        extensions = {
            str(e["name"]): str((e.get("properties") or {}).get("provisioningState") or "")
            for e in vm.get("resources") or []
        }
        return VmInspection(
            power_state=power,
            provisioning_state=str(props.get("provisioningState") or ""),
            vm_size=str((props.get("hardwareProfile") or {}).get("vmSize") or ""),
            os_disk_size_gb=int(size) if size is not None else None,
            extensions=extensions,
            hibernation_enabled=bool((props.get("additionalCapabilities") or {}).get("hibernationEnabled")),
        )

    def find_device(self, tenant_id: str, device_name: str) -> DeviceRecord | None:
        found = _graph_read("findDevice", lambda: self._graph.device(tenant_id, device_name))
        if found is None:
            return None
        return DeviceRecord(
            id=str(found["id"]), account_enabled=bool(found.get("accountEnabled")), trust_type=found.get("trustType")
        )

    def find_managed_device(self, tenant_id: str, device_name: str) -> ManagedDeviceRecord | None:
        found = _graph_read("findManagedDevice", lambda: self._graph.managed_device(tenant_id, device_name))
        if found is None:
            return None
        return ManagedDeviceRecord(
            id=str(found["id"]),
            primary_user_id=found.get("userId") or None,
            compliance_state=found.get("complianceState") or None,
        )

    def has_sign_in_role(self, tenant_id: str, placement: Placement, vm_name: str, user_id: str) -> bool:
        """Only the user's own assignments count (`principalId eq`, at the VM or inherited from above): the app
        assigns the role to the user, and a group's assignment is not what provisioning made."""
        step = "checkSignInRole"
        authorization = self.clients.user_roles(tenant_id, placement.subscription_id)
        try:
            assignments = authorization.role_assignments.list_for_scope(
                vm_id(placement, vm_name), filter=f"principalId eq {odata_string(user_id)}"
            )
            for assignment in assignments:
                role = str(assignment.role_definition_id or "").rstrip("/").rsplit("/", 1)[-1].lower()
                if role in SIGN_IN_ROLES:
                    return True
        except HttpResponseError as exc:
            if arm_lro.is_not_found(exc):  # no VM, no role on it
                return False
            _read_failed(exc, step)
        return False


def _vm_not_found(step: str, vm_name: str) -> CloudError:
    return CloudError(step, "vmNotFound", f"The VM {vm_name} does not exist.")


def _read_failed(exc: HttpResponseError, step: str) -> NoReturn:
    """A failed ARM read as the port has it: CloudThrottled when Azure said not now, else the step's CloudError."""
    try:
        arm_lro.raise_for(exc, step)
    except arm_lro.Throttled as throttled:
        raise CloudThrottled(step, throttled.retry_after_s, throttled.code) from exc


def _graph_read(step: str, read: Callable[[], dict[str, Any] | None]) -> dict[str, Any] | None:
    """A Graph read; a 429 that Graph's own retries did not outwait becomes CloudThrottled."""
    try:
        return read()
    except GraphError as exc:
        if exc.status == 429:
            raise CloudThrottled(step, exc.retry_after_s or THROTTLE_DEFAULT_S) from exc
        raise
