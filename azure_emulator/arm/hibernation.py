"""Azure VM hibernation: which VMs Compute makes with it enabled, and which it lets hibernate.

Azure's rules, each with its source:
- A VM made with `additionalCapabilities.hibernationEnabled` must be of a size that supports it (the SKU's
  HibernationSupported capability, capacity.py) and come from an image that does (a gallery image whose definition
  says IsHibernateSupported; never a managed image; which marketplace images do is not modelled, so none is taken),
  with an OS disk bigger than its memory (https://learn.microsoft.com/azure/virtual-machines/hibernate-resume,
  "Supported configurations" and "Prerequisites"). Refused, Compute answers OperationNotAllowed with the messages of
  "Unable to create a VM with hibernation enabled" in Troubleshooting VM hibernation
  (https://learn.microsoft.com/azure/virtual-machines/hibernate-resume-troubleshooting); that page gives none for a
  size, so that message is the emulator's own, and the status (409, Compute's for OperationNotAllowed elsewhere) is
  not confirmed for these.
- A deallocate with `hibernate=true` is refused (OperationNotAllowed, the same page's "Common error codes") for a VM
  made without hibernation, or one that is not running. Hibernated, the VM is deallocated with its memory kept on its
  OS disk, and its Azure Virtual Desktop sessions wait, disconnected, for it (vm_actions.py).
"""

from __future__ import annotations

from typing import Any

from azure_emulator.arm import capacity
from azure_emulator.server import ApiError

GIB = 2**30


def check_create(reference: dict[str, Any], size: capacity.VmSku, image: dict[str, Any], disk_gb: int) -> None:
    """A VM made with hibernation enabled: its size, its image (images.resolve's `hibernation`) and its disk."""
    if not size.hibernation:
        raise ApiError(
            409,
            "OperationNotAllowed",
            f"Hibernation capability is not supported for the VM size "
            f"{size.name}; see the supported VM sizes of Azure VM hibernation.",
        )
    image_id = str(reference.get("id") or "")
    if not image["hibernation"]:
        if image_id and "/galleries/" not in image_id.lower():
            raise ApiError(
                409, "OperationNotAllowed", "User VM Image isn't supported for a VM with Hibernation capability."
            )
        what = "shared gallery image" if image_id else "platform image"
        raise ApiError(
            409,
            "OperationNotAllowed",
            f"The referenced {what} should support hibernation for a VM with hibernation capability.",
        )
    if disk_gb and disk_gb * GIB <= size.memory_gb * GIB:
        raise ApiError(
            409,
            "OperationNotAllowed",
            f"Hibernation can't be enabled on Virtual Machine since the OS Disk "
            f"Size ({disk_gb * GIB} bytes) should at least be greater than the VM memory "
            f"({int(size.memory_gb * GIB)} bytes).",
        )


def check_hibernate(vm: dict[str, Any]) -> None:
    """A deallocate with hibernate=true, of this VM."""
    if not (vm["resource"]["properties"].get("additionalCapabilities") or {}).get("hibernationEnabled"):
        raise ApiError(
            409,
            "OperationNotAllowed",
            "The Hibernate-Deallocate Operation can only be triggered on a VM "
            "that is enabled for hibernation. Enable the property additionalCapabilities.hibernationEnabled "
            "during VM creation, or after stopping and deallocating the VM.",
        )
    if vm["meta"].get("power") != "running":
        raise ApiError(
            409,
            "OperationNotAllowed",
            "The Hibernate-Deallocate Operation can only be triggered on a VM "
            "that is successfully provisioned and is running.",
        )
