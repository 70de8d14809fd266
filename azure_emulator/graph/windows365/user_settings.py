"""Windows 365's user settings (https://learn.microsoft.com/graph/api/resources/cloudpcusersetting): what a Cloud PC's
user may do on it, created, read, updated, deleted and assigned to groups. The settings change nothing the
emulator's Cloud PCs show (Graph's cloudPC has no field for them)."""

from __future__ import annotations

import uuid
from typing import Any

from azure_emulator.graph.common import GraphRoutes, bad_request, odata_context
from azure_emulator.graph.common import select_fields as selected
from azure_emulator.graph.windows365 import records
from azure_emulator.graph.windows365.cloud_pc_service import assigned_groups, assigned_view, iso_now
from azure_emulator.server import ApiError, Context, Request, Response

USER_SETTINGS = records.BASE + "/userSettings"
SETTING_TYPE = "#microsoft.graph.cloudPcUserSetting"
FIELDS = ("displayName", "localAdminEnabled", "resetEnabled", "restorePointSetting")
# cloudPcRestorePointFrequencyType (https://learn.microsoft.com/graph/api/resources/cloudpcrestorepointsetting)
FREQUENCIES = ("default", "fourHours", "sixHours", "twelveHours", "sixteenHours", "twentyFourHours")


def _checked(body: dict[str, Any], current: dict[str, Any] | None) -> dict[str, Any]:
    """Graph's validation of a user setting (its messages are not documented: the wording is the emulator's, each
    naming the field)."""
    unknown = sorted(set(body) - {*FIELDS, "@odata.type", "id", "createdDateTime", "lastModifiedDateTime"})
    if unknown:
        raise bad_request(
            f"Property '{unknown[0]}' does not exist on type 'microsoft.graph.cloudPcUserSetting' or "
            "cannot be written.",
            "BadRequest",
        )
    merged = {**(current or {}), **{k: v for k, v in body.items() if k in FIELDS}}
    name = merged.get("displayName")
    if not isinstance(name, str) or not name.strip():  # "required when you create"
        raise bad_request("displayName is required.", "BadRequest")
    for flag in ("localAdminEnabled", "resetEnabled"):
        merged.setdefault(flag, False)  # "The default value is false"
        if not isinstance(merged[flag], bool):
            raise bad_request(f"{flag} must be a Boolean.", "BadRequest")
    restore = merged.get("restorePointSetting") or {}
    if not isinstance(restore, dict):
        raise bad_request("restorePointSetting must be an object.", "BadRequest")
    frequency = restore.get("frequencyType", "default")
    if frequency not in FREQUENCIES:
        raise bad_request(f"restorePointSetting.frequencyType must be one of {', '.join(FREQUENCIES)}.", "BadRequest")
    user_restore = restore.get("userRestoreEnabled", False)
    if not isinstance(user_restore, bool):
        raise bad_request("restorePointSetting.userRestoreEnabled must be a Boolean.", "BadRequest")
    merged["restorePointSetting"] = {"frequencyType": frequency, "userRestoreEnabled": user_restore}
    return merged


def register(ctx: Context, routes: GraphRoutes) -> None:
    store = ctx.store

    def get(request: Request) -> dict[str, Any]:
        found = store.get(records.USER_SETTING, records.key(request.tenant, request.params["id"]))
        if found is None:
            raise ApiError(404, "ResourceNotFound", f"The user setting '{request.params['id']}' was not found.")
        return found

    @routes.route("GET", USER_SETTINGS, "listCloudPcUserSettings", service="intune")
    def list_settings(request: Request) -> Response:
        expand = request.q("$expand") == "assignments"
        docs = store.scan(records.USER_SETTING, f"{request.tenant}/")
        found = [assigned_view(doc, selected(request), expand) for doc in docs]
        context = odata_context(request, "deviceManagement/virtualEndpoint/userSettings")
        return Response(200, {"@odata.context": context, "value": found})

    @routes.route("GET", USER_SETTINGS + r"/(?P<id>[^/]+)", "getCloudPcUserSetting", service="intune")
    def get_setting(request: Request) -> Response:
        return Response(200, assigned_view(get(request), selected(request), request.q("$expand") == "assignments"))

    @routes.route("POST", USER_SETTINGS, "createCloudPcUserSetting", service="intune")
    def create_setting(request: Request) -> Response:
        now = iso_now(ctx)
        doc = _checked(request.json(), None) | {
            "@odata.type": SETTING_TYPE,
            "id": str(uuid.uuid4()),
            "createdDateTime": now,
            "lastModifiedDateTime": now,
            "_assignments": [],
        }
        store.put(records.USER_SETTING, records.key(request.tenant, doc["id"]), doc)
        return Response(201, assigned_view(doc, None, False))

    @routes.route("PATCH", USER_SETTINGS + r"/(?P<id>[^/]+)", "updateCloudPcUserSetting", service="intune")
    def update_setting(request: Request) -> Response:
        doc = _checked(request.json(), get(request)) | {"lastModifiedDateTime": iso_now(ctx)}
        store.put(records.USER_SETTING, records.key(request.tenant, doc["id"]), doc)
        return Response(204)

    @routes.route("DELETE", USER_SETTINGS + r"/(?P<id>[^/]+)", "deleteCloudPcUserSetting", service="intune")
    def delete_setting(request: Request) -> Response:
        doc = get(request)
        store.delete(records.USER_SETTING, records.key(request.tenant, doc["id"]))
        return Response(204)

    @routes.route("POST", USER_SETTINGS + r"/(?P<id>[^/]+)/assign", "assignCloudPcUserSetting", service="intune")
    def assign_setting(request: Request) -> Response:
        doc = get(request)
        doc["_assignments"] = assigned_groups(ctx, request, doc)
        store.put(records.USER_SETTING, records.key(request.tenant, doc["id"]), doc)
        return Response(204)
