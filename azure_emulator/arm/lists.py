"""ARM lists of one resource type, in a resource group or across a whole subscription, from one table of types.

`GET /subscriptions/{s}/resourceGroups/{rg}/providers/{namespace}/{type}` (the SDKs' `list`) and
`GET /subscriptions/{s}/providers/{namespace}/{type}` (`list_all`, `az vm list` without a group) are one scan of
the resource store, shown as each type's GET shows it and paged by `common.listing`. Lists that are more than a
scan (role assignments at any scope, a VM's extensions, a host pool's session hosts) keep routes of their own,
registered before this one, which also pass through `common.listing`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from azure_emulator import controls
from azure_emulator.arm import common, compute, desktop_virtualization, network, rbac, routing
from azure_emulator.server import ApiError, Context, Request, Response

Show = Callable[[Context, Request, common.Doc], dict[str, Any]]


def _as_stored(ctx: Context, request: Request, doc: common.Doc) -> dict[str, Any]:
    return common.shown(doc)


def _vm(ctx: Context, request: Request, doc: common.Doc) -> dict[str, Any]:
    return compute.view(ctx, doc, request.q("$expand"))


def _vnet(ctx: Context, request: Request, doc: common.Doc) -> dict[str, Any]:
    return network.vnet_view(ctx, doc)


def _host_pool(ctx: Context, request: Request, doc: common.Doc) -> dict[str, Any]:
    return desktop_virtualization.pool_view(ctx, doc)  # a list never shows a registration token


# lower-cased `namespace/type` -> the list's operation name (counted, faulted and paged under it) and its view
LISTED: dict[str, tuple[str, Show]] = {
    "microsoft.compute/virtualmachines": ("listVms", _vm),
    "microsoft.compute/disks": ("listDisks", _as_stored),
    "microsoft.compute/images": ("listImages", _as_stored),
    "microsoft.compute/galleries": ("listGalleries", _as_stored),
    "microsoft.network/networkinterfaces": ("listNics", _as_stored),
    "microsoft.network/virtualnetworks": ("listVirtualNetworks", _vnet),
    "microsoft.desktopvirtualization/hostpools": ("listHostPools", _host_pool),
    "microsoft.desktopvirtualization/applicationgroups": ("listApplicationGroups", _as_stored),
    "microsoft.desktopvirtualization/workspaces": ("listWorkspaces", _as_stored),
}
LIST = common.SUB + r"(?:/resourceGroups/(?P<rg>[^/]+))?/providers/(?P<ns>[^/]+)/(?P<type>[^/]+)"


def register(ctx: Context) -> None:
    controls.EXTRA_OPERATIONS.update(operation for operation, _ in LISTED.values())
    rbac.OPERATIONS.update(f"{listed}/read" for listed in LISTED)

    @routing.route(ctx, "GET", LIST, operation="listResources", action="{ns}/{type}/read", faults=False)
    def list_resources(request: Request) -> Response:
        p = request.params
        wanted = f"{p['ns']}/{p['type']}".lower()
        if wanted not in LISTED:
            raise ApiError(404, "NotFound", f"No emulated API at {request.path}.")
        request.operation, show = LISTED[wanted]
        ctx.controls.raise_fault(request.operation)
        prefix = f"/subscriptions/{p['sub']}/resourcegroups/".lower()
        if "rg" in p:
            common.require_group(ctx, p["sub"], p["rg"])
            prefix = common.key(common.group_id(p["sub"], p["rg"])) + "/"
        docs = ctx.store.scan(common.RESOURCE, prefix, where=lambda d: d["resource"]["type"].lower() == wanted)
        return common.listing(ctx, request, docs, lambda doc: show(ctx, request, doc))
