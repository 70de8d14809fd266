"""ARM resource ids: made from a placement and a name, and read back into their segments."""

from __future__ import annotations

from shared.ports.compute import Placement


def group_id(placement: Placement) -> str:
    return f"/subscriptions/{placement.subscription_id}/resourceGroups/{placement.resource_group}"


def vm_id(placement: Placement, vm_name: str) -> str:
    return f"{group_id(placement)}/providers/Microsoft.Compute/virtualMachines/{vm_name}"


def nic_id(placement: Placement, nic_name: str) -> str:
    return f"{group_id(placement)}/providers/Microsoft.Network/networkInterfaces/{nic_name}"


def vnet_id(placement: Placement, vnet_name: str) -> str:
    return f"{group_id(placement)}/providers/Microsoft.Network/virtualNetworks/{vnet_name}"


def parse_id(resource_id: str) -> dict[str, str]:
    """`/subscriptions/s/resourceGroups/r/providers/NS/type/name/...` -> {subscriptions: s, resourceGroups: r, ...}.

    Keys are the id's segment names as written, case-folded (`resourcegroups`, `virtualnetworks`, `subnets`).
    """
    parts = resource_id.strip("/").split("/")
    found: dict[str, str] = {}
    index = 0
    while index + 1 < len(parts):
        if parts[index].lower() == "providers":
            found["namespace"] = parts[index + 1]
            index += 2
            continue
        found[parts[index].lower()] = parts[index + 1]
        index += 2
    return found
