"""Driving an adapter's Progress-answering calls to their end, as an orchestrator does, for contract tests."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

from shared.ports.compute import Placement, ProvisioningCompute, VmSpec
from shared.ports.progress import Progress


def until_done(call: Callable[[str | None], Progress], progress: Progress | None = None, limit: int = 40) -> Progress:
    """Call again with the operation handed back, as the orchestrator does (its timer's wait cut short)."""
    progress = call(None) if progress is None else progress
    for _ in range(limit):
        if progress.done:
            return progress
        time.sleep(min(progress.retry_after_s, 1.0))
        progress = call(progress.operation)
    raise AssertionError(f"not done after {limit} calls: {progress}")


def marketplace_vm(
    compute: ProvisioningCompute, tenant_id: str, placement: Placement, image_id: str, prefix: str
) -> str:
    """A running VM from a marketplace image, made as provisioning makes a Cloud PC's; its name."""
    name = f"{prefix}-{uuid.uuid4().hex[:8]}"
    spec = VmSpec(
        name=name,
        nic_name=f"{name}-nic",
        computer_name=name[:15].upper(),
        placement=placement,
        vm_size="Standard_D2s_v5",
        image_type="gallery",
        image_id=image_id,
        os_disk_size_gb=128,
        subnet_id=None,
    )
    assert until_done(lambda op: compute.create_vm(tenant_id, spec, op)).done
    return name
