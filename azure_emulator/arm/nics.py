"""Microsoft.Network network interfaces: a private address from their subnet, attached to the VM that uses them."""

from __future__ import annotations

import uuid
from typing import Any

from azure_emulator.arm import common, network, operations, rbac
from azure_emulator.server import ApiError, Context, Request, Response

NS = network.NS
NIC = common.RG + r"/providers/Microsoft\.Network/networkInterfaces/(?P<nic>[^/]+)"


def attach(ctx: Context, nic_id: str, vm_id: str) -> None:
    """The NIC is now used by the VM (Azure sets its `virtualMachine` and a MAC address)."""
    nic = common.require(ctx, nic_id, "network interface")
    props = nic["resource"]["properties"]
    props["virtualMachine"] = {"id": vm_id}
    props.setdefault("macAddress", "00-0D-3A-" + "-".join(uuid.uuid4().hex[i : i + 2].upper() for i in (0, 2, 4)))
    common.put(ctx, nic)


def detach(ctx: Context, nic_id: str) -> None:
    nic = common.get(ctx, nic_id)
    if nic is not None:
        nic["resource"]["properties"].pop("virtualMachine", None)
        common.put(ctx, nic)


def register(ctx: Context) -> None:
    @common.route(
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
        configs_in = props.get("ipConfigurations") or []
        if not configs_in:
            raise ApiError(400, "InvalidRequestFormat", "A network interface needs at least one ipConfiguration.")
        location = common.location_of(body)
        configs = []
        for index, raw in enumerate(configs_in):
            config_name = raw.get("name") or f"ipconfig{index + 1}"
            subnet_ref = ((raw.get("properties") or {}).get("subnet") or {}).get("id")
            subnet = common.get(ctx, subnet_ref) if isinstance(subnet_ref, str) else None
            if subnet is None:
                raise ApiError(
                    400, "InvalidResourceReference", f"Subnet {subnet_ref} referenced by {nic_id} was not found."
                )
            # ARM's linked access check: placing a NIC in a subnet is the subnet's join action (rbac.py)
            rbac.authorize(ctx, request, "Microsoft.Network/virtualNetworks/subnets/join/action", subnet_ref)
            vnet = common.require(ctx, common.parent_of(subnet["resource"]["id"]), "virtual network")
            if vnet["resource"]["location"] != location:
                where = vnet["resource"]["location"]
                raise ApiError(400, "InvalidResourceReference", f"The NIC is in {location}, its network in {where}.")
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
                "name": name,
                "type": "Microsoft.Network/networkInterfaces",
                "location": location,
                "tags": body.get("tags") or {},
                "etag": f'W/"{uuid.uuid4()}"',
                "properties": {
                    "provisioningState": "Succeeded",
                    "resourceGuid": str(uuid.uuid4()),
                    "ipConfigurations": configs,
                    "enableAcceleratedNetworking": bool(props.get("enableAcceleratedNetworking", False)),
                    "enableIPForwarding": False,
                    "nicType": "Standard",
                    "primary": True,
                },
            },
            "meta": {"tid": common.tid_of(request)},
        }
        common.put(ctx, doc)
        return operations.respond(
            ctx, request, resource_id=nic_id, action="create", names=("createNic",), sync_status=201, location=location
        )

    @common.route(ctx, "GET", NIC, operation="getNic", action="Microsoft.Network/networkInterfaces/read")
    def get_nic(request: Request) -> Response:
        return Response(200, common.shown(common.require(ctx, _nic_id(request), "network interface")))

    @common.route(
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
        return operations.respond(
            ctx, request, resource_id=nic["resource"]["id"], action="delete", names=("deleteNic",), sync_status=200,
            location=nic["resource"]["location"],
        )  # fmt: skip

    @operations.on("microsoft.network/networkinterfaces", "delete")
    def _free_addresses(ctx: Context, resource_id: str, op: dict[str, Any]) -> None:
        nic = common.get(ctx, resource_id)
        if nic is not None:
            network.release(ctx, nic)
            common.delete(ctx, resource_id)


def _nic_id(request: Request) -> str:
    return common.provider_id(
        request.params["sub"], request.params["rg"], NS, "networkInterfaces", request.params["nic"]
    )
