"""Simulated Azure compute for provisioning: capacity reservations and virtual machines, rate-limited."""

from __future__ import annotations

import uuid

from shared.cloud.ports import CloudError, Progress, VmSpec
from shared.cloud.simulated.latency import Clock, StepRunner, create_if_absent, name_key
from shared.cloud.simulated.models import SimCapacityReservation, SimVirtualMachine
from shared.cloud.simulated.throttle import TokenBucket
from shared.storage.tables import EntityRepository, TableStorage

RESOURCE_GROUP = "rg-cloudpc-sim"


def arm_id(tenant_id: str, provider: str, name: str) -> str:
    """An ARM-shaped id in the tenant's simulated subscription (stable: derived from the tenant id)."""
    subscription = uuid.uuid5(uuid.NAMESPACE_URL, f"simulated-subscription:{tenant_id}")
    return f"/subscriptions/{subscription}/resourceGroups/{RESOURCE_GROUP}/providers/{provider}/{name}"


class SimulatedProvisioningCompute:
    """The ProvisioningCompute port: a VM per name, created at most once, deleted idempotently."""

    def __init__(self, storage: TableStorage, runner: StepRunner, creates: TokenBucket, clock: Clock) -> None:
        self._reservations = EntityRepository(
            storage, "SimCapacity", SimCapacityReservation, kind="Capacity reservation"
        )
        self._vms = EntityRepository(storage, "SimVirtualMachines", SimVirtualMachine, kind="Virtual machine")
        self._runner = runner
        self._creates = creates
        self._clock = clock

    def allocate_capacity(self, tenant_id: str, region_name: str, vm_size: str, name: str) -> Progress:
        key = name_key(name)

        def current() -> Progress | None:
            found = self._reservations.find(tenant_id, key)
            return None if found is None else Progress(done=True, resource_id=found.id)

        def apply() -> str:
            reservation = SimCapacityReservation(
                id=arm_id(tenant_id, "Microsoft.Compute/capacityReservationGroups/cloudpc/capacityReservations", name),
                name=name,
                region_name=region_name,
                vm_size=vm_size,
                reserved_date_time=self._clock(),
            )
            return create_if_absent(self._reservations, tenant_id, key, reservation).id

        return self._runner.run(tenant_id, "allocateCapacity", name, current=current, apply=apply)

    def create_vm(self, tenant_id: str, spec: VmSpec) -> Progress:
        key = name_key(spec.name)

        def same_spec(vm: SimVirtualMachine) -> str:
            if vm.vm_size != spec.vm_size or vm.image_id != spec.image_id:
                # Azure refuses to change size or image through a create; a name reused with another spec is a bug
                raise CloudError("createVm", "PropertyChangeNotAllowed", f"VM '{spec.name}' exists with another spec.")
            return vm.id

        def current() -> Progress | None:
            found = self._vms.find(tenant_id, key)
            if found is None:
                return None
            self._creates.give_back(tenant_id, spec.name)  # an existing VM never waits for its turn
            return Progress(done=True, resource_id=same_spec(found))

        def apply() -> str:
            vm = SimVirtualMachine(
                id=arm_id(tenant_id, "Microsoft.Compute/virtualMachines", spec.name),
                vm_id=str(uuid.uuid4()),
                name=spec.name,
                region_name=spec.region_name,
                vm_size=spec.vm_size,
                image_type=spec.image_type,
                image_id=spec.image_id,
                os_disk_size_gb=spec.os_disk_size_gb,
                created_date_time=self._clock(),
            )
            return same_spec(create_if_absent(self._vms, tenant_id, key, vm))

        return self._runner.run(
            tenant_id,
            "createVm",
            spec.name,
            current=current,
            apply=apply,
            admit=lambda: self._creates.take(tenant_id, spec.name),
        )

    def delete_vm(self, tenant_id: str, name: str) -> Progress:
        """Deletes the VM and releases its capacity reservation; NICs are the network's to delete."""
        key = name_key(name)

        def current() -> Progress | None:
            gone = self._vms.find(tenant_id, key) is None and self._reservations.find(tenant_id, key) is None
            return Progress(done=True) if gone else None

        def apply() -> None:
            self._vms.delete(tenant_id, key)
            self._reservations.delete(tenant_id, key)
            self._runner.forget(tenant_id, "createVm", name)
            self._runner.forget(tenant_id, "allocateCapacity", name)

        return self._runner.run(tenant_id, "deleteVm", name, current=current, apply=apply)

    def get_vm(self, tenant_id: str, name: str) -> SimVirtualMachine | None:
        return self._vms.find(tenant_id, name_key(name))

    def list_vms(self, tenant_id: str) -> list[SimVirtualMachine]:
        return list(self._vms.scan("PartitionKey eq @t", {"t": tenant_id}))

    def list_reservations(self, tenant_id: str) -> list[SimCapacityReservation]:
        return list(self._reservations.scan("PartitionKey eq @t", {"t": tenant_id}))
