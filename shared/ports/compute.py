"""Azure Compute and Network as provisioning uses them: where a Cloud PC's VM lives, how it is made and run."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal, Protocol

from shared.ports.progress import Progress

# How a Run Command that takes several steps reports each: a line `STEP_OUTCOME <step> succeeded`, or
# `STEP_OUTCOME <step> failed ERRORTYPE=<code> <message>` (ProvisioningCompute.run_steps)
STEP_OUTCOME = "CPCSTEP"
VmPriority = Literal["Regular", "Spot"]


@dataclass(frozen=True)
class Placement:
    """Where a Cloud PC's Azure resources live: the site's subscription and resource group, and the region."""

    subscription_id: str
    resource_group: str
    region_name: str


@dataclass(frozen=True)
class VmSpec:
    name: str  # deterministic, unique per Cloud PC, run and provisioning attempt
    nic_name: str  # likewise; the NIC is made first, in `subnet_id`
    computer_name: str  # the device (NetBIOS) name from the naming template
    placement: Placement
    vm_size: str
    image_type: str  # "gallery" | "custom"
    image_id: str  # gallery id (publisher_offer_sku), managed image or gallery image version resource id
    os_disk_size_gb: int
    subnet_id: str | None  # None: the Microsoft-hosted network (the app's own network in the region)
    # hibernation enabled, where the size and the image support it (the adapter reads both); only a VM made so can
    # be hibernated, and VmInspection.hibernation_enabled says whether it was
    hibernation: bool = False
    # an Azure Spot VM (https://learn.microsoft.com/azure/virtual-machines/spot-vms): evicted when Azure needs the
    # capacity back, under its eviction policy (None: Azure's, Deallocate); max_price in USD an hour, None for -1,
    # up to the on-demand price and never evicted for price. Azure refuses both on a Regular VM.
    priority: VmPriority = "Regular"
    eviction_policy: Literal["Deallocate", "Delete"] | None = None
    max_price: float | None = None


@dataclass(frozen=True)
class StartPace:
    """How fast a subscription takes new Cloud PCs: `at_once` at first, then one every `seconds_apart` (ARM's write
    budget over a Cloud PC's writes). A burst's runs start that far apart, so their first steps (a few Table reads
    and writes each) do not all queue on the host ahead of the VM creates whose turn has come."""

    at_once: int
    seconds_apart: float


class ProvisioningCompute(Protocol):
    """Azure Compute and Network (ARM) as provisioning uses them."""

    def start_pace(self) -> StartPace:
        """The pace at which a burst of new Cloud PCs is started."""
        ...

    def allocate_capacity(
        self, tenant_id: str, placement: Placement, vm_size: str, priority: VmPriority = "Regular"
    ) -> Progress:
        """The VM size is offered in the region (resource SKUs) and the vCPU quotas a VM of `priority` counts
        against have room (usages): a Regular VM's family and regional total, a Spot VM's own pool. Refused with
        QuotaExceeded, whose message names the quota that ran out with its numbers."""
        ...

    def create_vm(self, tenant_id: str, spec: VmSpec, operation: str | None = None) -> Progress:
        """The VM with its own NIC (system identity, the plan's size and disk, the image); resource_id: the VM's."""
        ...

    def attached_nic(self, tenant_id: str, placement: Placement, nic_name: str) -> Progress:
        """Done once the NIC is attached to its VM with a private address; resource_id: the NIC's."""
        ...

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
        """Run Command `command` on the VM, given `parameters` (the script's named parameters, which Azure keeps and
        shows: no secret); a failed script raises CloudError."""
        ...

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
        """`step` of the Run Command `command`, whose script takes several steps and writes each one's outcome as a
        STEP_OUTCOME line: the command is made once (one ARM write for all its steps) and read by each step after.
        Done once the command reached `step` and it succeeded; CloudError with the step's own code when it failed.
        `protected`, asked only when the command is made: its protected parameters (secrets Azure never shows)."""
        ...

    def delete_vm(self, tenant_id: str, placement: Placement, vm_name: str, operation: str | None = None) -> Progress:
        """The VM with its OS disk (and the role assignments scoped to it); done when gone."""
        ...

    def delete_nic(
        self, tenant_id: str, placement: Placement, nic_name: str, operation: str | None = None
    ) -> Progress: ...
