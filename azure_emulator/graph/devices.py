"""Entra devices and Intune managed devices as Graph serves them, plus the on-premises AD computer accounts.

The objects themselves are made by ARM-side events (a join extension succeeding) through
`azure_emulator.directory_objects`; this module only reads, deletes and sets the Intune primary user.
"""

from __future__ import annotations

from typing import Any

from azure_emulator import directory_objects as objects
from azure_emulator.graph import users
from azure_emulator.graph.common import ID, GraphRoutes, bad_request, not_found, odata_context
from azure_emulator.graph.common import select as project
from azure_emulator.graph.common import select_fields as selected
from azure_emulator.graph.odata import directory_query, paged, parse_filter
from azure_emulator.server import ApiError, Context, Request, Response

DEVICE_TYPE, MANAGED_DEVICE_TYPE = "#microsoft.graph.device", "#microsoft.graph.managedDevice"


def _get(ctx: Context, kind: str, tid: str, object_id: str) -> dict[str, Any]:
    found = ctx.store.get(kind, f"{tid}/{object_id.lower()}")
    if found is None:
        if kind == objects.MANAGED_DEVICE:
            raise ApiError(404, "ResourceNotFound", f"The managed device '{object_id}' was not found.")
        raise not_found(object_id)
    return found


def register(ctx: Context, routes: GraphRoutes) -> None:
    store = ctx.store

    @routes.route("GET", r"/devices", "listDevices")
    def list_devices(request: Request) -> Response:
        query = directory_query(request, "Device")
        found = store.scan(objects.DEVICE, f"{request.tenant}/", where=query.matches)
        fields = selected(request)
        context = odata_context(request, "devices")
        return Response(200, paged(request, found, context, lambda d: project(d, fields), count=query.count))

    @routes.route("GET", rf"/devices/(?P<device>{ID})", "getDevice")
    def get_device(request: Request) -> Response:
        device = _get(ctx, objects.DEVICE, request.tenant, request.params["device"])
        return Response(
            200, {"@odata.context": odata_context(request, "devices/$entity"), **project(device, selected(request))}
        )

    @routes.route("DELETE", rf"/devices/(?P<device>{ID})", "deleteDevice")
    def delete_device(request: Request) -> Response:
        device = _get(ctx, objects.DEVICE, request.tenant, request.params["device"])
        store.delete(objects.DEVICE, f"{request.tenant}/{device['id']}")
        return Response(204)

    @routes.route("GET", r"/deviceManagement/managedDevices", "listManagedDevices", service="intune")
    def list_managed_devices(request: Request) -> Response:
        matches = parse_filter(request.q("$filter"))
        found = store.scan(objects.MANAGED_DEVICE, f"{request.tenant}/", where=matches)
        fields = selected(request)
        context = odata_context(request, "deviceManagement/managedDevices")
        counting = (request.q("$count") or "").lower() == "true"  # Intune, not the directory: no advanced queries
        return Response(200, paged(request, found, context, lambda d: project(d, fields), count=counting))

    @routes.route("GET", rf"/deviceManagement/managedDevices/(?P<device>{ID})", "getManagedDevice", service="intune")
    def get_managed_device(request: Request) -> Response:
        device = _get(ctx, objects.MANAGED_DEVICE, request.tenant, request.params["device"])
        return Response(200, project(device, selected(request)))

    @routes.route(
        "DELETE",
        rf"/deviceManagement/managedDevices/(?P<device>{ID})",
        "deleteManagedDevice",
        service="intune",
    )
    def delete_managed_device(request: Request) -> Response:
        device = _get(ctx, objects.MANAGED_DEVICE, request.tenant, request.params["device"])
        store.delete(objects.MANAGED_DEVICE, f"{request.tenant}/{device['id']}")
        return Response(204)

    @routes.route(
        "POST",
        rf"/deviceManagement/managedDevices/(?P<device>{ID})/users/\$ref",
        "assignPrimaryUser",
        versions=("beta",),
        service="intune",
    )
    def assign_primary_user(request: Request) -> Response:
        tid = request.tenant
        reference = str(request.json().get("@odata.id") or "")
        user_id = reference.rstrip("/").rsplit("/", 1)[-1]
        if not user_id:
            raise bad_request("The @odata.id of the user is required.", code="BadRequest")
        with store.transaction():
            device = _get(ctx, objects.MANAGED_DEVICE, tid, request.params["device"])
            user = users.get_user(store, tid, user_id)
            device.update({"userId": user["id"], "userPrincipalName": user["userPrincipalName"]})
            store.put(objects.MANAGED_DEVICE, f"{tid}/{device['id']}", device)
        return Response(204)

    @routes.route(
        "GET",
        rf"/deviceManagement/managedDevices/(?P<device>{ID})/users",
        "listManagedDeviceUsers",
        versions=("beta",),
        service="intune",
    )
    def managed_device_users(request: Request) -> Response:
        tid = request.tenant
        device = _get(ctx, objects.MANAGED_DEVICE, tid, request.params["device"])
        primary = users.find_user(store, tid, device["userId"]) if device.get("userId") else None
        value = [users.as_directory_object(primary, None)] if primary else []
        return Response(200, {"@odata.context": odata_context(request, "users"), "value": value})

    @ctx.router.route(
        "GET", r"/emulator/activeDirectory/computers", operation="emulatorControl", api="emulator", auth=False
    )
    def computers(request: Request) -> Response:
        return Response(200, {"value": objects.list_computers(store)})
