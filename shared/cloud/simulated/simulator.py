"""The simulated cloud as one object: its ports for the app, its admin handles for /sim routes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from shared.cloud.simulated.compute import SimulatedCompute
from shared.cloud.simulated.devices import SimulatedDeviceDirectory, SimulatedDeviceManagement
from shared.cloud.simulated.directory import SimulatedDirectory
from shared.cloud.simulated.faults import FaultInjector
from shared.cloud.simulated.latency import PROVISIONING_STEPS, Clock, StepLatency, StepRunner
from shared.cloud.simulated.network import SimulatedNetworkChecks
from shared.cloud.simulated.nics import SimulatedProvisioningNetwork
from shared.cloud.simulated.throttle import TokenBucket
from shared.cloud.simulated.vms import SimulatedProvisioningCompute
from shared.events import EventPublisher
from shared.models.base import utc_now
from shared.storage.tables import TableStorage

# Steps a fault can be armed for (API.md's list, plus the checks, reads and clean-up steps this simulator adds).
SIMULATED_STEPS = frozenset(
    {
        "allocateCapacity", "createVm", "attachNetwork", "joinEntra", "enrollIntune", "assignPrimaryUser",
        "hideStartMenuPowerIcons", "disableWindowsReset", "addLocalAdmin", "setTeamsVdiMode",
        "enableTimeZoneRedirection", "resizeOsDisk", "assignUser",
        "dnsResolution", "adDomainJoin", "endpointConnectivity", "subnetIpUsage",
        "virtualNetworkReadiness", "subscriptionPermissions", "entraDeviceSync", "getManagedImage",
    }
) | PROVISIONING_STEPS  # fmt: skip
VM_CREATE_BUCKET = 1500  # Azure: a subscription's bucket of VM creates per region


@dataclass(frozen=True)
class Simulator:
    directory: SimulatedDirectory
    faults: FaultInjector
    compute: SimulatedCompute
    network: SimulatedNetworkChecks
    latency: StepLatency
    provisioning_compute: SimulatedProvisioningCompute
    provisioning_network: SimulatedProvisioningNetwork
    devices: SimulatedDeviceDirectory
    intune: SimulatedDeviceManagement

    def resources(self, tenant_id: str) -> dict[str, Any]:
        """What exists in the simulated cloud for a tenant, as the /sim resources route shows it."""
        nics = self.provisioning_network.list_nics(tenant_id)
        return {
            "virtualMachines": [
                {
                    **vm.model_dump(mode="json"),
                    "networkInterfaces": [n.id for n in nics if n.vm_name.lower() == vm.name.lower()],
                }
                for vm in self.provisioning_compute.list_vms(tenant_id)
            ],
            "capacityReservations": [
                r.model_dump(mode="json") for r in self.provisioning_compute.list_reservations(tenant_id)
            ],
            "networkInterfaces": [n.model_dump(mode="json") for n in nics],
            "networkSecurityGroups": [
                g.model_dump(mode="json", exclude={"etag", "next_host"})
                for g in self.provisioning_network.list_nsgs(tenant_id)
            ],
            "entraDevices": [d.model_dump(mode="json") for d in self.devices.list_devices(tenant_id)],
            "intuneDevices": [
                d.model_dump(mode="json", exclude={"etag"}) for d in self.intune.list_managed_devices(tenant_id)
            ],
            "adComputerAccounts": [
                a.model_dump(mode="json", exclude={"etag"}) for a in self.devices.list_computer_accounts(tenant_id)
            ],
            "managedImages": [i.model_dump(mode="json") for i in self.compute.list_managed_images(tenant_id)],
        }

    @classmethod
    def create(
        cls,
        storage: TableStorage,
        events: EventPublisher,
        *,
        step_latency: timedelta = timedelta(0),
        vm_creates_per_minute: float = 500,
        vm_create_bucket: float = VM_CREATE_BUCKET,
        clock: Clock = utc_now,
    ) -> Simulator:
        faults = FaultInjector(storage)
        latency = StepLatency(storage, step_latency)
        runner = StepRunner(storage, faults, latency, clock)
        creates = TokenBucket(storage, "vmCreates", clock, per_minute=vm_creates_per_minute, capacity=vm_create_bucket)
        provisioning_compute = SimulatedProvisioningCompute(storage, runner, creates, clock)
        devices = SimulatedDeviceDirectory(storage, runner, clock)
        return cls(
            directory=SimulatedDirectory(storage, events),
            faults=faults,
            compute=SimulatedCompute(storage, faults),
            network=SimulatedNetworkChecks(faults),
            latency=latency,
            provisioning_compute=provisioning_compute,
            provisioning_network=SimulatedProvisioningNetwork(storage, runner, provisioning_compute, clock),
            devices=devices,
            intune=SimulatedDeviceManagement(storage, runner, devices, clock),
        )
