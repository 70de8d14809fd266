"""What an admin does to a provisioned Cloud PC's VM: power, resize, a bigger disk, and troubleshooting's reads."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol

from shared.ports.compute import Placement
from shared.ports.devices import DeviceRecord, ManagedDeviceRecord
from shared.ports.progress import Progress

# What an admin does to a provisioned Cloud PC's VM (named by provisioning_steps.vm_name, at its Placement).
# The writes are idempotent and answer Progress as provisioning's calls do (done: resource_id is the VM's);
# the reads answer at once, and a throttled read raises CloudThrottled.

# a powered-off Cloud PC is deallocated: it bills no compute; hibernate deallocates a VM made with hibernation enabled,
# its memory kept on its OS disk
PowerAction = Literal["start", "restart", "deallocate", "hibernate"]


@dataclass(frozen=True)
class VmInspection:
    """A VM as Azure shows it: `power_state` as Azure names it (running, deallocated, stopped, starting, ...;
    "unknown" when it shows none), and each extension's provisioningState by the extension's name."""

    power_state: str
    provisioning_state: str
    vm_size: str
    os_disk_size_gb: int | None
    extensions: dict[str, str] = field(default_factory=dict)
    hibernation_enabled: bool = False  # additionalCapabilities.hibernationEnabled: it may be hibernated


class CloudPcOperations(Protocol):
    """Power, resize and a bigger OS disk for a Cloud PC's VM, and the read-only checks of troubleshooting."""

    def power_vm(
        self, tenant_id: str, placement: Placement, vm_name: str, action: PowerAction, operation: str | None = None
    ) -> Progress:
        """Azure's VM action `action`, done once its operation succeeded; CloudError vmNotFound without the VM."""
        ...

    def resize_vm(
        self, tenant_id: str, placement: Placement, vm_name: str, vm_size: str, operation: str | None = None
    ) -> Progress:
        """hardwareProfile.vmSize (a running VM restarts); done at once when the VM has that size already."""
        ...

    def grow_os_disk(
        self, tenant_id: str, placement: Placement, vm_name: str, size_gb: int, operation: str | None = None
    ) -> Progress:
        """The managed OS disk to at least `size_gb`, never shrunk; Azure grows it only while the VM is deallocated."""
        ...

    def inspect_vm(self, tenant_id: str, placement: Placement, vm_name: str) -> VmInspection | None:
        """Power and provisioning state, size, OS disk size and extensions, in one read; None without the VM."""
        ...

    def find_device(self, tenant_id: str, device_name: str) -> DeviceRecord | None:
        """The Entra device with that display name, if any."""
        ...

    def find_managed_device(self, tenant_id: str, device_name: str) -> ManagedDeviceRecord | None:
        """The Intune managed device with that device name, if any."""
        ...

    def has_sign_in_role(self, tenant_id: str, placement: Placement, vm_name: str, user_id: str) -> bool:
        """The user itself holds Virtual Machine User Login or Administrator Login on the VM (or a scope above)."""
        ...
