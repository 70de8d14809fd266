"""Simulated Azure networking for provisioning: NICs with private IPs, one network security group per subnet."""

from __future__ import annotations

import hashlib
import threading

from shared.cloud.ports import CloudError, Progress
from shared.cloud.simulated.latency import Clock, StepRunner, create_if_absent, name_key
from shared.cloud.simulated.models import SimNetworkInterface, SimNetworkSecurityGroup
from shared.cloud.simulated.vms import SimulatedProvisioningCompute, arm_id
from shared.errors import NotFound, PreconditionFailed
from shared.storage.tables import EntityRepository, TableStorage

MICROSOFT_HOSTED = "microsoftHosted"
RESERVED_HOSTS = 4  # Azure keeps the first four addresses of every subnet for itself


class SimulatedProvisioningNetwork:
    """The ProvisioningNetwork port. NSGs are shared by every NIC of a subnet, so deleting a NIC keeps them."""

    def __init__(
        self, storage: TableStorage, runner: StepRunner, compute: SimulatedProvisioningCompute, clock: Clock
    ) -> None:
        self._nics = EntityRepository(storage, "SimNetworkInterfaces", SimNetworkInterface, kind="Network interface")
        self._nsgs = EntityRepository(
            storage, "SimNetworkSecurityGroups", SimNetworkSecurityGroup, kind="Network security group"
        )
        self._runner = runner
        self._compute = compute
        self._clock = clock
        self._known_nsgs: dict[tuple[str, str], SimNetworkSecurityGroup] = {}
        self._addresses_lock = threading.Lock()

    def attach_nic(self, tenant_id: str, name: str, vm_name: str, subnet_id: str | None) -> Progress:
        key = name_key(name)

        def require_vm() -> None:
            if self._compute.get_vm(tenant_id, vm_name) is None:
                raise CloudError("attachNetwork", "VmNotFound", f"VM '{vm_name}' does not exist to attach a NIC to.")

        def attached(nic: SimNetworkInterface) -> str:
            if nic.vm_name.lower() != vm_name.lower():
                raise CloudError("attachNetwork", "NicInUse", f"NIC '{name}' is attached to VM '{nic.vm_name}'.")
            return nic.id

        def current() -> Progress | None:
            require_vm()
            nic = self._nics.find(tenant_id, key)
            return None if nic is None else Progress(done=True, resource_id=attached(nic))

        def apply() -> str:
            require_vm()
            nsg, address = self._next_address(tenant_id, subnet_id)
            nic = SimNetworkInterface(
                id=arm_id(tenant_id, "Microsoft.Network/networkInterfaces", name),
                name=name,
                vm_name=vm_name,
                subnet_id=subnet_id,
                private_ip_address=address,
                network_security_group_id=nsg.id,
                created_date_time=self._clock(),
            )
            return attached(create_if_absent(self._nics, tenant_id, key, nic))

        return self._runner.run(tenant_id, "attachNetwork", name, current=current, apply=apply)

    def delete_nic(self, tenant_id: str, name: str) -> Progress:
        key = name_key(name)

        def current() -> Progress | None:
            return Progress(done=True) if self._nics.find(tenant_id, key) is None else None

        def apply() -> None:
            self._nics.delete(tenant_id, key)
            self._runner.forget(tenant_id, "attachNetwork", name)

        return self._runner.run(tenant_id, "deleteNic", name, current=current, apply=apply)

    def list_nics(self, tenant_id: str) -> list[SimNetworkInterface]:
        return list(self._nics.scan("PartitionKey eq @t", {"t": tenant_id}))

    def list_nsgs(self, tenant_id: str) -> list[SimNetworkSecurityGroup]:
        return list(self._nsgs.scan("PartitionKey eq @t", {"t": tenant_id}))

    def _ensure_nsg(self, tenant_id: str, subnet_id: str | None) -> SimNetworkSecurityGroup:
        network = subnet_id or MICROSOFT_HOSTED
        existing = self._nsgs.find(tenant_id, name_key("nsg", network))
        if existing is not None:  # the common case: one read instead of a refused create and a read
            return existing
        digest = hashlib.sha256(network.lower().encode()).hexdigest()
        name = "nsg-microsoft-hosted" if subnet_id is None else f"nsg-cloudpc-{digest[:12]}"
        # a stable, distinct /16 per subnet keeps the simulated addresses readable
        second_octet = 250 if subnet_id is None else int(digest[:8], 16) % 250
        nsg = SimNetworkSecurityGroup(
            id=arm_id(tenant_id, "Microsoft.Network/networkSecurityGroups", name),
            name=name,
            subnet_id=subnet_id,
            address_prefix=f"10.{second_octet}.0.0/16",
            created_date_time=self._clock(),
        )
        return create_if_absent(self._nsgs, tenant_id, name_key("nsg", network), nsg)

    def _next_address(self, tenant_id: str, subnet_id: str | None) -> tuple[SimNetworkSecurityGroup, str]:
        """Hands out the subnet's next free address; the etag keeps two NICs from getting the same one.

        The row is remembered with its etag and this process's NICs take turns, so handing out an address
        is one conditional write; a stale etag (another process took one) costs a read and another try.
        """
        key = (tenant_id, subnet_id or MICROSOFT_HOSTED)
        with self._addresses_lock:
            nsg = self._known_nsgs.get(key) or self._ensure_nsg(tenant_id, subnet_id)
            while True:
                try:
                    saved = self._nsgs.put(
                        nsg.model_copy(update={"next_host": nsg.next_host + 1}),
                        tenant_id,
                        name_key("nsg", key[1]),
                        if_match=nsg.etag,
                    )
                except (PreconditionFailed, NotFound):
                    nsg = self._ensure_nsg(tenant_id, subnet_id)
                    continue
                self._known_nsgs[key] = saved
                host = nsg.next_host + RESERVED_HOSTS
                network = nsg.address_prefix.split(".")
                return saved, f"{network[0]}.{network[1]}.{host // 256}.{host % 256}"
