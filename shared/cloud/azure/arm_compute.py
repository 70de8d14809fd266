"""ProvisioningCompute over ARM, the one port the provisioning steps call: a VM, its network, Run Commands, deletes.

Each call answers a Progress; the capacity check is in arm_capacity.py, the pacing of creates in arm_vm_turns.py.

Every write is create-only by its deterministic name: a repeated activity finds its own work done (a VM's second
create is refused by Azure, its new password not taken, and the VM read then; other writes read first), and a
long-running operation is started, never waited for - its status URL goes
back in `Progress.operation` and the next call polls it once. `create_vm` walks the hosted network (where the
Cloud PC uses it) -> the VM, which makes its own NIC; its operation names the phase being waited for, so a poll that
finds the network made goes on to the VM.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any, cast

from azure.core.exceptions import HttpResponseError
from azure.mgmt.compute import types as compute_json
from azure.mgmt.network import models as network_models

from shared.cloud.azure import arm_lro, arm_vm
from shared.cloud.azure.arm_capacity import RegionCapacity, capability
from shared.cloud.azure.arm_clients import NEW_WORK, ArmClients, held_for
from shared.cloud.azure.arm_commands import RunCommands
from shared.cloud.azure.arm_ids import vm_id, vnet_id
from shared.cloud.azure.arm_vm_turns import WRITE_PACE_S, WRITE_ROOM_S, Turns, vm_line
from shared.ports.cloud_errors import CloudError, CloudThrottled
from shared.ports.compute import Placement, StartPace, VmSpec
from shared.ports.progress import Progress

THROTTLED = "throttled"  # the operation phase of a create that was refused for now (its network is made)
PENDING_STATES = {"creating", "updating", "deleting", "accepted", "running", ""}
NIC_RESERVED = "NicReservedForAnotherVm"
PROPERTY_CHANGE_NOT_ALLOWED = "PropertyChangeNotAllowed"
NIC_RESERVED_RETRY_S = 30.0  # a part of Azure's 180 s reservation: the NIC is deleted soon after it ends


class AzureProvisioningCompute(RegionCapacity):
    """The ProvisioningCompute port (shared.ports.compute) on the Compute and Network resource providers: the
    capacity check in its part (arm_capacity.py), VM creates paced by their region's line (arm_vm_turns.py)."""

    def __init__(self, clients: ArmClients, clock: Any = time.monotonic) -> None:
        super().__init__(clients, clock)
        self._commands = RunCommands(clients)
        self._networks: set[str] = set()  # hosted networks known to exist
        self._turns = Turns(clock)

    def start_pace(self) -> StartPace:
        return StartPace(at_once=int(WRITE_ROOM_S / WRITE_PACE_S), seconds_apart=WRITE_PACE_S)

    # --- VM ---------------------------------------------------------------------------------------------
    @arm_lro.hand_back("createVm")
    def create_vm(self, tenant_id: str, spec: VmSpec, operation: str | None = None) -> Progress:
        step, placement = "createVm", spec.placement
        phase, url = arm_lro.decode(operation)
        if url:
            polled = arm_lro.poll(self.clients, tenant_id, placement.subscription_id, url, step)
            if isinstance(polled, arm_lro.Later):
                return arm_lro.progress(polled, phase or "vm")
            made, _, principal = (phase or "").partition(":")
            if made == "vm":
                return Progress(done=True, resource_id=vm_id(placement, spec.name), principal_id=principal or None)
        subnet_id = spec.subnet_id
        if subnet_id is None and phase != THROTTLED:  # a create refused for now had its network made before
            waiting = self.ensure_hosted_network(tenant_id, placement, step)
            if waiting is not None:
                return waiting
        subnet_id = subnet_id or self.hosted_subnet(placement)
        try:
            body = self._vm_body(spec, subnet_id)
            if spec.hibernation and self._hibernation_supported(tenant_id, spec):
                body["properties"]["additionalCapabilities"] = {"hibernationEnabled": True}
            body["properties"].update(arm_vm.priority(spec))
            return self.put_vm(tenant_id, placement, spec.name, body, step)
        except CloudError as exc:
            # the VM exists already (a repeated call whose first PUT went through, or another instance's): its PUT
            # carried a new random password, which Azure refuses for an existing VM, and changed nothing; the VM is
            # read and adopted as it is. Refused this way, a repeat costs a write; read first, every create would
            # cost a read, and ARM's read budget bounds provisioning as much as its write budget does.
            if exc.code != PROPERTY_CHANGE_NOT_ALLOWED:
                raise
            existing = self.vm_state(tenant_id, placement, spec.name, step)
            if existing is None:
                raise
            self._turns.done(vm_line(placement), spec.name)
            return existing

    @staticmethod
    def hosted_subnet(placement: Placement) -> str:
        """The subnet of the app's own network in the placement's region (the Microsoft-hosted network)."""
        return f"{vnet_id(placement, arm_vm.hosted_vnet_name(placement.region_name))}/subnets/{arm_vm.HOSTED_SUBNET}"

    def _vm_body(self, spec: VmSpec, subnet_id: str) -> dict[str, Any]:
        return arm_vm.vm_body(
            region=spec.placement.region_name,
            vm_size=spec.vm_size,
            image=arm_vm.image_reference(spec.image_id, "createVm"),
            os_disk_gb=spec.os_disk_size_gb,
            computer_name=spec.computer_name,
            network=arm_vm.own_nic(spec.nic_name, subnet_id),
        )

    def _hibernation_supported(self, tenant_id: str, spec: VmSpec) -> bool:
        """Azure makes a VM with hibernation enabled only of a size whose SKU says HibernationSupported and, from a
        gallery image, of a definition that says IsHibernateSupported
        (https://learn.microsoft.com/azure/virtual-machines/hibernate-resume, its prerequisites): read from the
        region's SKUs (kept a while) and the image's definition (one read, for these VMs only)."""
        placement = spec.placement
        skus = self.region_skus(tenant_id, placement.subscription_id, placement.region_name.lower())
        sku = skus.get(spec.vm_size.lower()) or {}
        if not capability(sku, "HibernationSupported"):
            return False
        if "/galleries/" not in spec.image_id.lower():  # hosts come from gallery images; no other image is read
            return False
        _, _, _, _, rg, _, _, _, gallery, _, definition, *_ = spec.image_id.split("/")
        compute = self.clients.compute(tenant_id, placement.subscription_id)
        found = arm_lro.found(lambda: compute.gallery_images.get(rg, gallery, definition), "createVm")
        features = (dict(found).get("properties") or {}).get("features") or [] if found is not None else []
        return any(
            str(f.get("name")) == "IsHibernateSupported" and str(f.get("value")).lower() == "true" for f in features
        )

    def put_vm(self, tenant_id: str, placement: Placement, vm_name: str, body: dict[str, Any], step: str) -> Progress:
        """PUT the VM (the body's password goes to Azure only); done, or the operation to poll."""
        line = vm_line(placement)
        wait = held_for(lambda: self._turns.admit(line, vm_name), self.clients.sleep)
        if wait > 0:
            return Progress(
                done=False,
                retry_after_s=wait,
                operation=THROTTLED,
                reason="its turn among the region's VM creates, which the app paces, is ahead",
            )
        compute = self.clients.compute(tenant_id, placement.subscription_id)
        # the body goes as the SDK's JSON: made a model first, it cost 0.16 ms of CPU, only to be serialised back
        machine = cast(compute_json.VirtualMachine, body)
        try:
            new_work: dict[str, Any] = {NEW_WORK: True}  # the request budget's option (arm_clients.BudgetPolicy)
            started = arm_lro.start(
                lambda **kw: compute.virtual_machines.begin_create_or_update(
                    placement.resource_group, vm_name, machine, **new_work, **kw
                ),
                step,
            )
        except (arm_lro.Throttled, CloudThrottled) as refused:  # Azure's 429 teaches the line; the write budget,
            by_azure = isinstance(refused, arm_lro.Throttled)  # keeping its room for work under way, does not
            turn = self._turns.throttled(line, vm_name, refused.retry_after_s or 0.0, by_azure=by_azure)
            return Progress(
                done=False, retry_after_s=turn, operation=THROTTLED, held=refused.code, reason=refused.reason
            )
        self._turns.done(line, vm_name)
        principal = _principal_of(started.body)
        if isinstance(started, arm_lro.Later):  # the identity, in the PUT's first answer only, rides in the operation
            return arm_lro.progress(started, f"vm:{principal}" if principal else "vm")
        return Progress(done=True, resource_id=vm_id(placement, vm_name), principal_id=principal)

    def vm_state(self, tenant_id: str, placement: Placement, vm_name: str, step: str) -> Progress | None:
        """What a VM that already exists says: done, still being made, or failed (None: there is none)."""
        compute = self.clients.compute(tenant_id, placement.subscription_id)
        vm = arm_lro.found(lambda: compute.virtual_machines.get(placement.resource_group, vm_name), step)
        if vm is None:
            return None
        state = str(vm["properties"].get("provisioningState") or "").lower()
        if state == "succeeded":
            return Progress(done=True, resource_id=str(vm["id"]), principal_id=_principal_of(dict(vm)))
        if state == "failed":
            view = compute.virtual_machines.instance_view(placement.resource_group, vm_name)
            code = arm_lro.failure_code(view.get("statuses"))
            raise CloudError(step, code, f"The VM {vm_name} failed to provision ({code}).")
        return Progress(done=False, retry_after_s=arm_lro.DEFAULT_POLL_S, reason=arm_lro.RUNNING)

    # --- network ----------------------------------------------------------------------------------------
    def ensure_hosted_network(self, tenant_id: str, placement: Placement, step: str) -> Progress | None:
        """The app's own network in the placement's region, made on first use; None once it is there.

        Once seen, it is remembered for the process: a network outlives its VMs, and its GET grows with them."""
        network = self.clients.network(tenant_id, placement.subscription_id)
        name = arm_vm.hosted_vnet_name(placement.region_name)
        known = vnet_id(placement, name).lower()
        if known in self._networks:
            return None
        try:
            found = network.virtual_networks.get(placement.resource_group, name)
            state = str(found["properties"].get("provisioningState") or "").lower()
            if state != "succeeded":
                return Progress(done=False, retry_after_s=arm_lro.DEFAULT_POLL_S, reason=arm_lro.RUNNING)
            self._networks.add(known)
            return None
        except HttpResponseError as exc:
            if not arm_lro.is_not_found(exc):
                arm_lro.raise_for(exc, step)
        vnet = network_models.VirtualNetwork(arm_vm.hosted_vnet_body(placement.region_name))
        started = arm_lro.start(
            lambda **kw: network.virtual_networks.begin_create_or_update(placement.resource_group, name, vnet, **kw),
            step,
        )
        return arm_lro.progress(started, "vnet") if isinstance(started, arm_lro.Later) else None

    @arm_lro.hand_back("attachNetwork")
    def attached_nic(self, tenant_id: str, placement: Placement, nic_name: str) -> Progress:
        step = "attachNetwork"
        network = self.clients.network(tenant_id, placement.subscription_id)
        nic = arm_lro.found_json(
            lambda **kw: network.network_interfaces.get(placement.resource_group, nic_name, **kw), step
        )
        if nic is None:
            raise CloudError(step, "NetworkInterfaceNotFound", f"The network interface {nic_name} does not exist.")
        props = nic.get("properties") or {}
        addresses = [c.get("properties", {}).get("privateIPAddress") for c in props.get("ipConfigurations") or []]
        if props.get("virtualMachine") and any(addresses):
            return Progress(done=True, resource_id=str(nic["id"]))
        return Progress(done=False, retry_after_s=arm_lro.DEFAULT_POLL_S, reason=arm_lro.RUNNING)

    # --- run command and deletes ------------------------------------------------------------------------
    @arm_lro.hand_back("runCommand")
    def run_command(
        self,
        tenant_id: str,
        placement: Placement,
        vm_name: str,
        command: str,
        script: list[str],
        operation: str | None = None,
        parameters: Mapping[str, str] | None = None,
    ) -> Progress:
        # the post-provisioning scripts are idempotent: a repeated call may run one again rather than every
        # call paying a read first
        return self._commands.run(
            tenant_id,
            placement,
            vm_name,
            command,
            "\n".join(script),
            step=command,
            operation=operation,
            create_only=False,
            parameters=dict(parameters or {}),
        )

    @arm_lro.hand_back("runCommand")
    def run_steps(
        self,
        tenant_id: str,
        placement: Placement,
        vm_name: str,
        command: str,
        script: list[str],
        step: str,
        operation: str | None = None,
        protected: Callable[[], Mapping[str, str]] | None = None,
    ) -> Progress:
        # the command's own state is read at each call (RunCommands.run_step): its operation is not needed
        return self._commands.run_step(
            tenant_id, placement, vm_name, command, "\n".join(script), step=step, protected=protected
        )

    @arm_lro.hand_back("deleteVm")
    def delete_vm(self, tenant_id: str, placement: Placement, vm_name: str, operation: str | None = None) -> Progress:
        """The VM goes with its OS disk and NIC (deleteOption Delete) and, in ARM, the role assignments on it."""
        compute = self.clients.compute(tenant_id, placement.subscription_id)
        return self._delete(
            tenant_id,
            placement,
            "deleteVm",
            operation,
            lambda **kw: compute.virtual_machines.begin_delete(placement.resource_group, vm_name, **kw),
        )

    @arm_lro.hand_back("deleteNic")
    def delete_nic(self, tenant_id: str, placement: Placement, nic_name: str, operation: str | None = None) -> Progress:
        """Azure keeps a NIC for its VM a while after that VM was deleted or its create refused (400
        NicReservedForAnotherVm, up to 180 s): a delete that comes early is not done yet, not a failure."""
        network = self.clients.network(tenant_id, placement.subscription_id)
        try:
            return self._delete(
                tenant_id,
                placement,
                "deleteNic",
                operation,
                lambda **kw: network.network_interfaces.begin_delete(placement.resource_group, nic_name, **kw),
            )
        except CloudError as exc:
            if exc.code != NIC_RESERVED:
                raise
            return Progress(
                done=False,
                retry_after_s=NIC_RESERVED_RETRY_S,
                held=NIC_RESERVED,
                reason="Azure keeps the NIC reserved for its former VM a while",
            )

    def _delete(self, tenant_id: str, placement: Placement, step: str, operation: str | None, call: Any) -> Progress:
        _, url = arm_lro.decode(operation)
        if url:
            polled = arm_lro.poll(self.clients, tenant_id, placement.subscription_id, url, step)
            return arm_lro.progress(polled, step) if isinstance(polled, arm_lro.Later) else Progress(done=True)
        try:
            started = arm_lro.start(call, step)
        except CloudError as exc:
            if exc.code in ("ResourceNotFound", "NotFound", "ResourceGroupNotFound"):
                return Progress(done=True)  # gone already, with its resource group
            raise
        return arm_lro.progress(started, step) if isinstance(started, arm_lro.Later) else Progress(done=True)


def _principal_of(vm: dict[str, Any]) -> str | None:
    """The VM's system-assigned identity's object id, as its PUT or GET answers it (`identity.principalId`)."""
    principal = (vm.get("identity") or {}).get("principalId")
    return str(principal).lower() if principal else None
