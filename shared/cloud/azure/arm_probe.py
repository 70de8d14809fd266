"""Short-lived probe VMs: a small Windows Server VM in a customer subnet, to run commands inside that network.

Azure has no API into a customer's network or on-premises Active Directory; what must happen there (the
connection health checks, disabling a computer account) runs as Run Commands on a probe VM with a NIC in
the connection's subnet, which is then removed. Probes are made and removed with Progress-based calls, by
deterministic names, exactly like a Cloud PC's VM (same NIC/VM code path, and the NIC and disk go with the VM).
"""

from __future__ import annotations

import hashlib

from shared.cloud.azure import arm_lro, arm_vm
from shared.cloud.azure.arm_compute import AzureProvisioningCompute
from shared.ports.compute import Placement
from shared.ports.progress import Progress

PROBE_SIZE = "Standard_D2s_v5"
PROBE_IMAGE = "MicrosoftWindowsServer_WindowsServer_2022-datacenter-azure-edition-core-smalldisk"


class Probe:
    """One probe's names, derived from what it is for (a connection's check run, a computer account)."""

    def __init__(self, purpose: str) -> None:
        digest = hashlib.sha256(purpose.lower().encode()).hexdigest()
        self.vm_name = f"probe-{digest[:16]}"
        self.nic_name = f"probe-{digest[:16]}-nic"
        self.computer_name = f"PRB{digest[:12].upper()}"  # 15 characters, a Windows computer name


class ProbeVms:
    def __init__(self, compute: AzureProvisioningCompute) -> None:
        self._compute = compute

    def ensure(
        self, tenant_id: str, placement: Placement, probe: Probe, subnet_id: str, step: str, operation: str | None
    ) -> Progress:
        """Done once the probe VM runs with its NIC in `subnet_id`; its operation's phase is `vm`."""
        phase, url = arm_lro.decode(operation)
        if url:
            polled = arm_lro.poll(self._compute.clients, tenant_id, placement.subscription_id, url, step)
            if isinstance(polled, arm_lro.Later):
                return arm_lro.progress(polled, phase or "vm")
            if arm_lro.named(phase) == "vm":
                return Progress(done=True)
        existing = self._compute.vm_state(tenant_id, placement, probe.vm_name, step)
        if existing is not None:
            return existing
        body = arm_vm.vm_body(
            region=placement.region_name,
            vm_size=PROBE_SIZE,
            image=arm_vm.image_reference(PROBE_IMAGE, step),
            os_disk_gb=None,
            computer_name=probe.computer_name,
            network=arm_vm.own_nic(probe.nic_name, subnet_id),
            tags={"purpose": "cloudpc-probe"},
            license_type=None,
        )
        return self._compute.put_vm(tenant_id, placement, probe.vm_name, body, step)

    def remove(self, tenant_id: str, placement: Placement, probe: Probe, operation: str | None) -> Progress:
        """The probe VM, with its NIC and disk; done once gone. A NIC left by a VM that was never made goes too."""
        phase, _ = arm_lro.decode(operation)
        if phase != "deleteNic":
            removed = self._compute.delete_vm(tenant_id, placement, probe.vm_name, operation)
            if not removed.done:
                return removed
            operation = None
        return self._compute.delete_nic(tenant_id, placement, probe.nic_name, operation)
