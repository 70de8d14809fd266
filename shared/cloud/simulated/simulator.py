"""The simulated cloud as one object: its ports for the app, its admin handles for /sim routes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shared.cloud.simulated.compute import SimulatedCompute
from shared.cloud.simulated.directory import SimulatedDirectory
from shared.cloud.simulated.faults import FaultInjector
from shared.cloud.simulated.network import SimulatedNetworkChecks
from shared.events import EventPublisher
from shared.storage.tables import TableStorage

# Steps a fault can be armed for (API.md's list, plus the checks and reads this simulator adds).
SIMULATED_STEPS = frozenset(
    {
        "allocateCapacity", "createVm", "attachNetwork", "joinEntra", "enrollIntune", "assignPrimaryUser",
        "hideStartMenuPowerIcons", "disableWindowsReset", "addLocalAdmin", "setTeamsVdiMode",
        "enableTimeZoneRedirection", "resizeOsDisk", "assignUser",
        "dnsResolution", "adDomainJoin", "endpointConnectivity", "subnetIpUsage",
        "virtualNetworkReadiness", "subscriptionPermissions", "entraDeviceSync", "getManagedImage",
    }
)  # fmt: skip


@dataclass(frozen=True)
class Simulator:
    directory: SimulatedDirectory
    faults: FaultInjector
    compute: SimulatedCompute
    network: SimulatedNetworkChecks

    def resources(self, tenant_id: str) -> dict[str, Any]:
        """What exists in the simulated cloud for a tenant, as the /sim resources route shows it."""
        return {
            "virtualMachines": [],
            "networkInterfaces": [],
            "entraDevices": [],
            "intuneDevices": [],
            "adComputerAccounts": [],
            "managedImages": [i.model_dump(mode="json") for i in self.compute.list_managed_images(tenant_id)],
        }

    @classmethod
    def create(cls, storage: TableStorage, events: EventPublisher) -> Simulator:
        faults = FaultInjector(storage)
        return cls(
            directory=SimulatedDirectory(storage, events),
            faults=faults,
            compute=SimulatedCompute(storage, faults),
            network=SimulatedNetworkChecks(faults),
        )
