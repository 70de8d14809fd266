"""Microsoft.Network virtual networks and subnets, and the private addresses a subnet hands out.

A subnet keeps its allocations in meta (`{ip: ipConfiguration id}`), which is what a NIC create takes from
and what `ipConfigurations`, `usages` and `checkIPAddressAvailability` read. Azure reserves the first four
addresses of a subnet and the last one.
"""

from __future__ import annotations

import ipaddress
import itertools
import uuid
from collections.abc import Iterator
from typing import Any

from azure_emulator.arm import common, operations, routing
from azure_emulator.server import ApiError, Context, Request, Response

NS = "Microsoft.Network"
VNET = common.RG + r"/providers/Microsoft\.Network/virtualNetworks/(?P<vnet>[^/]+)"
RESERVED_AT_START, RESERVED_AT_END = 4, 1


def usable_count(prefix: str) -> int:
    return max(0, ipaddress.ip_network(prefix, strict=False).num_addresses - RESERVED_AT_START - RESERVED_AT_END)


def usable_hosts(prefix: str) -> Iterator[str]:
    """The subnet's addresses Azure hands out, lowest first (lazily: a /16 has 65,531 of them)."""
    network = ipaddress.ip_network(prefix, strict=False)
    for index in range(RESERVED_AT_START, network.num_addresses - RESERVED_AT_END):
        yield str(network[index])


def is_usable(prefix: str, address: str) -> bool:
    network = ipaddress.ip_network(prefix, strict=False)
    offset = int(ipaddress.ip_address(address)) - int(network.network_address)
    return RESERVED_AT_START <= offset < network.num_addresses - RESERVED_AT_END


def _within(network: ipaddress.IPv4Network | ipaddress.IPv6Network, space: Any) -> bool:
    """Whether a subnet's range lies inside one prefix of its virtual network's address space."""
    try:
        outer = ipaddress.ip_network(str(space), strict=False)
    except ValueError:
        return False
    return network.version == outer.version and network.subnet_of(outer)  # type: ignore[arg-type]


def _etag() -> str:
    return f'W/"{uuid.uuid4()}"'


def _subnet_doc(
    vnet_id: str, raw: dict[str, Any], existing: dict[str, Any] | None, address_space: list[Any]
) -> dict[str, Any]:
    name = raw.get("name")
    props = raw.get("properties") or {}
    prefix = props.get("addressPrefix") or (props.get("addressPrefixes") or [None])[0]
    if not isinstance(name, str) or not name or not isinstance(prefix, str):
        raise ApiError(400, "InvalidRequestFormat", "Each subnet needs a name and properties.addressPrefix.")
    try:
        network = ipaddress.ip_network(prefix, strict=False)
    except ValueError:
        raise ApiError(400, "InvalidAddressPrefixFormat", f"'{prefix}' is not a valid address prefix.") from None
    if not any(_within(network, space) for space in address_space):
        # Azure's code and words (e.g. quoted in az CLI output of `az network vnet subnet create`)
        vnet_name = vnet_id.rsplit("/", 1)[-1]
        raise ApiError(
            400,
            "NetcfgSubnetRangeOutsideVnet",
            f"Subnet '{name}' is not valid because its IP address "
            f"range is outside the IP address range of virtual network '{vnet_name}'.",
        )
    meta = existing["meta"] if existing else {"allocations": {}}
    if existing and existing["resource"]["properties"]["addressPrefix"] != prefix and meta["allocations"]:
        raise ApiError(400, "InUseSubnetCannotBeUpdated", f"Subnet '{name}' is in use and cannot change its prefix.")
    kept = {k: v for k, v in props.items() if k not in ("addressPrefix", "addressPrefixes", "ipConfigurations")}
    return {
        "resource": {
            "id": f"{vnet_id}/subnets/{name}",
            "name": name,
            "type": "Microsoft.Network/virtualNetworks/subnets",
            "etag": _etag(),
            "properties": {
                **kept,
                "addressPrefix": prefix,
                "provisioningState": "Succeeded",
                "privateEndpointNetworkPolicies": props.get("privateEndpointNetworkPolicies", "Disabled"),
            },
        },
        "meta": meta,
    }


def subnet_view(doc: dict[str, Any]) -> dict[str, Any]:
    """A subnet as ARM shows it: with the ipConfigurations of the NICs in it."""
    shown = common.shown(doc)
    configs = sorted(set(doc["meta"]["allocations"].values()))
    if configs:
        shown["properties"]["ipConfigurations"] = [{"id": c} for c in configs]
    return shown


def vnet_view(ctx: Context, doc: dict[str, Any]) -> dict[str, Any]:
    """The vnet with its subnets inline, in the order they were given (as ARM keeps them)."""
    shown = common.shown(doc)
    order = [n.lower() for n in doc["meta"].get("subnets", [])]
    subnets = common.children(ctx, doc["resource"]["id"], "subnets")
    subnets.sort(
        key=lambda s: (
            order.index(s["resource"]["name"].lower()) if s["resource"]["name"].lower() in order else len(order)
        )
    )
    shown["properties"]["subnets"] = [subnet_view(s) for s in subnets]
    return shown


def allocate(ctx: Context, subnet: dict[str, Any], config_id: str) -> str:
    """The lowest free address of the subnet, now held by `config_id`; SubnetIsFull when none is left."""
    taken = subnet["meta"]["allocations"]
    for address in usable_hosts(subnet["resource"]["properties"]["addressPrefix"]):
        if address not in taken:
            taken[address] = config_id
            common.put(ctx, subnet)
            return address
    prefix = subnet["resource"]["properties"]["addressPrefix"]
    raise ApiError(
        400, "SubnetIsFull", f"Subnet {subnet['resource']['name']} with address prefix {prefix} has no free address."
    )


def release(ctx: Context, nic: dict[str, Any]) -> None:
    for config in nic["resource"]["properties"].get("ipConfigurations", []):
        subnet = common.get(ctx, config["properties"]["subnet"]["id"])
        if subnet is not None:
            subnet["meta"]["allocations"].pop(config["properties"].get("privateIPAddress"), None)
            common.put(ctx, subnet)


def register(ctx: Context) -> None:
    @routing.route(
        ctx,
        "PUT",
        VNET,
        operation="createVirtualNetwork",
        action="Microsoft.Network/virtualNetworks/write",
        faults=False,
    )
    def put_vnet(request: Request) -> Response:
        sub, rg, name = request.params["sub"], request.params["rg"], request.params["vnet"]
        common.require_group(ctx, sub, rg)
        body = common.body_object(request)
        props = common.properties(body)
        prefixes = (props.get("addressSpace") or {}).get("addressPrefixes") or []
        if not prefixes:
            raise ApiError(400, "InvalidRequestFormat", "properties.addressSpace.addressPrefixes is required.")
        vnet_id = common.provider_id(sub, rg, NS, "virtualNetworks", name)
        existing = common.get(ctx, vnet_id)
        old_subnets = {s["resource"]["name"].lower(): s for s in common.children(ctx, vnet_id, "subnets")}
        new_subnets = [
            _subnet_doc(vnet_id, raw, old_subnets.get(str(raw.get("name", "")).lower()), prefixes)
            for raw in props.get("subnets") or []
        ]
        kept_names = {s["resource"]["name"].lower() for s in new_subnets}
        for lower, old in old_subnets.items():
            if lower not in kept_names and old["meta"]["allocations"]:
                raise ApiError(400, "InUseSubnetCannotBeDeleted", f"Subnet '{old['resource']['name']}' is in use.")
        for lower, old in old_subnets.items():
            if lower not in kept_names:
                common.delete(ctx, old["resource"]["id"])
        for subnet in new_subnets:
            common.put(ctx, subnet)
        location = common.location_of(body, existing["resource"]["location"] if existing else None)
        doc = {
            "resource": {
                "id": vnet_id,
                "name": name,
                "type": "Microsoft.Network/virtualNetworks",
                "location": location,
                "tags": body.get("tags") or {},
                "etag": _etag(),
                "properties": {
                    "provisioningState": "Succeeded",
                    "resourceGuid": existing["resource"]["properties"]["resourceGuid"]
                    if existing
                    else str(uuid.uuid4()),
                    "addressSpace": {"addressPrefixes": prefixes},
                    "dhcpOptions": props.get("dhcpOptions") or {"dnsServers": []},
                    "enableDdosProtection": False,
                },
            },
            "meta": {
                **(existing["meta"] if existing else {"tid": common.tid_of(request)}),
                "subnets": [subnet["resource"]["name"] for subnet in new_subnets],
            },
        }
        common.put(ctx, doc)
        response = operations.respond(
            ctx,
            request,
            resource_id=vnet_id,
            action="update" if existing else "create",
            names=("createVirtualNetwork",),
            sync_status=200 if existing else 201,
            location=location,
        )
        if isinstance(response.body, dict):
            response.body = vnet_view(ctx, common.require(ctx, vnet_id))
        return response

    @routing.route(ctx, "GET", VNET, operation="getVirtualNetwork", action="Microsoft.Network/virtualNetworks/read")
    def get_vnet(request: Request) -> Response:
        doc = common.require(ctx, _vnet_id(request), "virtual network")
        ctx.controls.raise_fault("virtualNetworkReadiness")  # the connection check that reads the network
        return Response(200, vnet_view(ctx, doc))

    @routing.route(
        ctx,
        "GET",
        VNET + r"/subnets/(?P<subnet>[^/]+)",
        operation="getSubnet",
        action="Microsoft.Network/virtualNetworks/subnets/read",
    )
    def get_subnet(request: Request) -> Response:
        subnet_id = f"{_vnet_id(request)}/subnets/{request.params['subnet']}"
        return Response(200, subnet_view(common.require(ctx, subnet_id, "subnet")))

    @routing.route(
        ctx,
        "PUT",
        VNET + r"/subnets/(?P<subnet>[^/]+)",
        operation="createSubnet",
        action="Microsoft.Network/virtualNetworks/subnets/write",
    )
    def put_subnet(request: Request) -> Response:
        vnet = common.require(ctx, _vnet_id(request), "virtual network")
        subnet_id = f"{vnet['resource']['id']}/subnets/{request.params['subnet']}"
        existing = common.get(ctx, subnet_id)
        raw = {**common.body_object(request), "name": request.params["subnet"]}
        space = vnet["resource"]["properties"]["addressSpace"]["addressPrefixes"]
        doc = _subnet_doc(vnet["resource"]["id"], raw, existing, space)
        common.put(ctx, doc)
        if existing is None:
            vnet["meta"]["subnets"] = [*vnet["meta"].get("subnets", []), doc["resource"]["name"]]
            common.put(ctx, vnet)
        return Response(200 if existing else 201, subnet_view(doc))

    @routing.route(
        ctx,
        "GET",
        VNET + r"/usages",
        operation="listVirtualNetworkUsage",
        action="Microsoft.Network/virtualNetworks/usages/read",
    )
    def vnet_usage(request: Request) -> Response:
        vnet = common.require(ctx, _vnet_id(request), "virtual network")
        ctx.controls.raise_fault("subnetIpUsage")  # the connection check that reads it
        rows = []
        for subnet in common.children(ctx, vnet["resource"]["id"], "subnets"):
            limit = usable_count(subnet["resource"]["properties"]["addressPrefix"])
            rows.append(
                {
                    "id": subnet["resource"]["id"],
                    "currentValue": float(len(subnet["meta"]["allocations"])),
                    "limit": float(limit),
                    "name": {"value": "Subnet size and usage", "localizedValue": "Subnet size and usage"},
                    "unit": "Count",
                }
            )
        return Response(200, {"value": rows})

    @routing.route(
        ctx,
        "GET",
        VNET + r"/checkIPAddressAvailability",
        operation="checkIpAddressAvailability",
        action="Microsoft.Network/virtualNetworks/CheckIPAddressAvailability/read",
    )
    def check_ip(request: Request) -> Response:
        vnet = common.require(ctx, _vnet_id(request), "virtual network")
        wanted = request.q("ipAddress") or ""
        for subnet in common.children(ctx, vnet["resource"]["id"], "subnets"):
            prefix = subnet["resource"]["properties"]["addressPrefix"]
            try:
                inside = ipaddress.ip_address(wanted) in ipaddress.ip_network(prefix, strict=False)
            except ValueError:
                raise ApiError(400, "InvalidRequestFormat", f"'{wanted}' is not an IP address.") from None
            if inside:
                taken = subnet["meta"]["allocations"]
                free = list(itertools.islice((h for h in usable_hosts(prefix) if h not in taken), 5))
                available = is_usable(prefix, wanted) and wanted not in taken
                return Response(200, {"available": available, "availableIPAddresses": free})
        raise ApiError(400, "PrivateIPAddressNotInAnySubnet", f"{wanted} is in no subnet of the virtual network.")


def _vnet_id(request: Request) -> str:
    return common.provider_id(
        request.params["sub"], request.params["rg"], NS, "virtualNetworks", request.params["vnet"]
    )
