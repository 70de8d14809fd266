"""Microsoft.Network network interfaces: a private address from their subnet, attached to the VM that uses them.

A NIC whose VM was deleted, or whose VM create was refused, stays reserved for that VM a while: deleting it, or
giving it to another VM, is refused meanwhile (NicReservedForAnotherVm). Azure's period is 180 s; the emulator's
`nicReservation` timer (controls.py) lets a test change it instead of waiting.
"""

from __future__ import annotations

import uuid
from typing import Any

from azure_emulator.arm import common, network, operations, rbac, routing
from azure_emulator.server import ApiError, Context, Request, Response

NS = network.NS
NIC = common.RG + r"/providers/Microsoft\.Network/networkInterfaces/(?P<nic>[^/]+)"
# Sources: Azure/karpenter-provider-azure#92 (a refused VM create, then its NIC's delete refused with
# NicReservedForAnotherVm) and that project's NIC garbage-collection design (Azure makes one wait 180 s); Azure's
# SDK error helpers point at https://aka.ms/deletenic for it. The HTTP status was not found on a Microsoft page:
# 400, as the other refusals of a NIC's delete (NicInUse).
RESERVATION_TIMER = "nicReservation"
RESERVATION_S = 180.0


def attach(ctx: Context, nic_id: str, vm_id: str) -> None:
    """The NIC is now used by the VM (Azure sets its `virtualMachine` and a MAC address)."""
    nic = common.require(ctx, nic_id, "network interface")
    props = nic["resource"]["properties"]
    props["virtualMachine"] = {"id": vm_id}
    props.setdefault("macAddress", "00-0D-3A-" + "-".join(uuid.uuid4().hex[i : i + 2].upper() for i in (0, 2, 4)))
    common.put(ctx, nic)


def detach(ctx: Context, nic_id: str, vm_id: str) -> None:
    """The VM is gone: the NIC is free, but reserved for that VM for a while."""
    nic = common.get(ctx, nic_id)
    if nic is not None:
        nic["resource"]["properties"].pop("virtualMachine", None)
        common.put(ctx, nic)
        reserve(ctx, nic_id, vm_id)


def reserve(ctx: Context, nic_id: str, vm_id: str) -> None:
    """Azure keeps the NIC for `vm_id` after that VM went or its create was refused."""
    nic = common.get(ctx, nic_id)
    if nic is not None:
        nic["meta"]["reservedFor"] = {"vm": vm_id, "since": ctx.clock()}
        common.put(ctx, nic)


def refuse_if_reserved(ctx: Context, nic: dict[str, Any], vm_id: str | None = None) -> None:
    """400 NicReservedForAnotherVm while the NIC's reservation lasts for a VM other than `vm_id`."""
    reservation = nic["meta"].get("reservedFor")
    if not reservation or (vm_id is not None and reservation["vm"].lower() == vm_id.lower()):
        return
    period = ctx.controls.timer(RESERVATION_TIMER, RESERVATION_S)
    if ctx.clock() < reservation["since"] + period:
        raise ApiError(
            400,
            "NicReservedForAnotherVm",
            f"Network interface {nic['resource']['id']} is reserved "
            f"for virtual machine {reservation['vm']} for {period:g} seconds after that VM was deleted "
            "or failed. Use another network interface, or retry after that time.",
        )


def register(ctx: Context) -> None:
    @routing.route(
        ctx, "PUT", NIC, operation="createNic", action="Microsoft.Network/networkInterfaces/write", faults=False
    )
    def put_nic(request: Request) -> Response:
        sub, rg, name = request.params["sub"], request.params["rg"], request.params["nic"]
        common.require_group(ctx, sub, rg)
        body = common.body_object(request)
        props = common.properties(body)
        nic_id = common.provider_id(sub, rg, NS, "networkInterfaces", name)
        existing = common.get(ctx, nic_id)
        if existing is not None:  # same NIC again: its address and attachment stay
            return Response(200, common.shown(existing))
        location = common.location_of(body)
        store(ctx, request, nic_id, location, props.get("ipConfigurations") or [], body.get("tags") or {})
        return operations.respond(
            ctx, request, resource_id=nic_id, action="create", names=("createNic",), sync_status=201, location=location
        )

    @routing.route(ctx, "GET", NIC, operation="getNic", action="Microsoft.Network/networkInterfaces/read")
    def get_nic(request: Request) -> Response:
        return Response(200, common.shown(common.require(ctx, _nic_id(request), "network interface")))

    @routing.route(
        ctx, "DELETE", NIC, operation="deleteNic", action="Microsoft.Network/networkInterfaces/delete", faults=False
    )
    def delete_nic(request: Request) -> Response:
        nic = common.get(ctx, _nic_id(request))
        if nic is None:
            return Response(204)
        used_by = nic["resource"]["properties"].get("virtualMachine")
        if used_by:
            raise ApiError(
                400,
                "NicInUse",
                f"Network Interface {nic['resource']['id']} is used by existing resource {used_by['id']}. "
                "In order to delete the network interface, it must be dissociated from the resource.",
            )
        refuse_if_reserved(ctx, nic)
        return operations.respond(
            ctx,
            request,
            resource_id=nic["resource"]["id"],
            action="delete",
            names=("deleteNic",),
            sync_status=200,
            location=nic["resource"]["location"],
        )

    @operations.on("microsoft.network/networkinterfaces", "delete")
    def _free_addresses(ctx: Context, resource_id: str, op: dict[str, Any]) -> None:
        nic = common.get(ctx, resource_id)
        if nic is not None:
            network.release(ctx, nic)
            common.delete(ctx, resource_id)


def store(
    ctx: Context, request: Request, nic_id: str, location: str, configs_in: list[Any], tags: dict[str, Any]
) -> None:
    """Make the NIC: each ipConfiguration's subnet checked and joined (the caller's join permission on it), and
    given the subnet's next free address."""
    if not configs_in:
        raise ApiError(400, "InvalidRequestFormat", "A network interface needs at least one ipConfiguration.")
    sub = nic_id.split("/")[2]
    configs = []
    for index, raw in enumerate(configs_in):
        config_name = raw.get("name") or f"ipconfig{index + 1}"
        subnet_ref = ((raw.get("properties") or {}).get("subnet") or {}).get("id")
        subnet = _subnet_of(ctx, subnet_ref, nic_id, sub, location)
        # ARM's linked access check: placing a NIC in a subnet is the subnet's join action (rbac.py)
        rbac.authorize(ctx, request, "Microsoft.Network/virtualNetworks/subnets/join/action", subnet_ref)
        config_id = f"{nic_id}/ipConfigurations/{config_name}"
        address = network.allocate(ctx, subnet, config_id)
        configs.append(
            {
                "id": config_id,
                "name": config_name,
                "type": "Microsoft.Network/networkInterfaces/ipConfigurations",
                "properties": {
                    "provisioningState": "Succeeded",
                    "privateIPAddress": address,
                    "privateIPAllocationMethod": "Dynamic",
                    "privateIPAddressVersion": "IPv4",
                    "subnet": {"id": subnet["resource"]["id"]},
                    "primary": index == 0,
                },
            }
        )
    doc = {
        "resource": {
            "id": nic_id,
            "name": nic_id.rsplit("/", 1)[-1],
            "type": "Microsoft.Network/networkInterfaces",
            "location": location,
            "tags": tags,
            "etag": f'W/"{uuid.uuid4()}"',
            "properties": {
                "provisioningState": "Succeeded",
                "resourceGuid": str(uuid.uuid4()),
                "ipConfigurations": configs,
                "enableAcceleratedNetworking": False,
                "enableIPForwarding": False,
                "nicType": "Standard",
                "primary": True,
            },
        },
        "meta": {"tid": common.tid_of(request)},
    }
    common.put(ctx, doc)


def inline(
    ctx: Context, request: Request, vm_id: str, location: str, network_profile: dict[str, Any]
) -> list[dict[str, Any]] | None:
    """The NICs a VM create makes itself (`networkInterfaceConfigurations`), made now, as the VM's references; None
    when the VM names existing NICs instead.

    The VM REST API (learn.microsoft.com/rest/api/compute/virtual-machines/create-or-update,
    VirtualMachineNetworkInterfaceConfiguration) makes each configuration a NIC of its name in the VM's resource group,
    with the Microsoft.Network API version `networkApiVersion` names, which such a VM must give; the caller needs the
    NIC's write permission and its subnet's join, as for a NIC of its own.
    """
    configurations = network_profile.get("networkInterfaceConfigurations")
    if not configurations:
        return None
    if network_profile.get("networkInterfaces"):
        raise ApiError(
            400,
            "InvalidParameter",
            "Give either networkProfile.networkInterfaces or networkProfile.networkInterfaceConfigurations, not both.",
            target="networkProfile",
        )
    if not network_profile.get("networkApiVersion"):
        raise ApiError(
            400,
            "InvalidParameter",
            "networkProfile.networkApiVersion is required with networkInterfaceConfigurations.",
            target="networkProfile.networkApiVersion",
        )
    group = vm_id.split("/providers/")[0]
    refs = []
    for index, configuration in enumerate(configurations):
        name = configuration.get("name")
        if not isinstance(name, str) or not name:
            raise ApiError(
                400,
                "InvalidParameter",
                "Each network interface configuration needs a name.",
                target="networkProfile.networkInterfaceConfigurations.name",
            )
        props = configuration.get("properties") or {}
        nic_id = f"{group}/providers/{NS}/networkInterfaces/{name}"
        if common.get(ctx, nic_id) is not None:
            raise ApiError(409, "Conflict", f"Network interface {nic_id} already exists.")
        rbac.authorize(ctx, request, "Microsoft.Network/networkInterfaces/write", nic_id)
        ctx.controls.raise_fault("createNic")  # the NIC's own failure, as if it had been PUT on its own
        store(ctx, request, nic_id, location, props.get("ipConfigurations") or [], {})
        primary, delete_option = props.get("primary", index == 0), props.get("deleteOption", "Detach")
        refs.append({"id": nic_id, "properties": {"primary": primary, "deleteOption": delete_option}})
    return refs


def _subnet_of(ctx: Context, subnet_ref: Any, nic_id: str, sub: str, location: str) -> dict[str, Any]:
    """The subnet a NIC's ipConfiguration names, which must exist in the NIC's own subscription and region.

    Azure joins a NIC only to a virtual network of its subscription and location ("Create a network interface",
    https://learn.microsoft.com/azure/virtual-network/virtual-network-network-interface). It answers any other subnet
    as if missing: 400 InvalidResourceReference, the subnet "referenced by" the NIC "was not found", both resources to
    be in the same region (the answer to a subnet of another subscription is quoted in Azure/azure-cli issue 13258;
    to a missing one in MicrosoftDocs/azure-docs issue 81734). Not confirmed: whether ARM checks this before or after
    the caller's join permission on the subnet; the emulator checks it first.
    """
    subnet = common.get(ctx, subnet_ref) if isinstance(subnet_ref, str) else None
    vnet = common.get(ctx, common.parent_of(subnet["resource"]["id"])) if subnet is not None else None
    # a subnet found in the store has a well-formed id: /subscriptions/<sub>/resourceGroups/...
    same_subscription = subnet is not None and subnet["resource"]["id"].split("/")[2].lower() == sub.lower()
    if subnet is None or vnet is None or not same_subscription or vnet["resource"]["location"] != location:
        raise ApiError(
            400,
            "InvalidResourceReference",
            f"Resource {subnet_ref} referenced by resource {nic_id} was "
            "not found: the subnet must exist, in the network interface's subscription and "
            "region.",
        )
    return subnet


def _nic_id(request: Request) -> str:
    return common.provider_id(
        request.params["sub"], request.params["rg"], NS, "networkInterfaces", request.params["nic"]
    )
