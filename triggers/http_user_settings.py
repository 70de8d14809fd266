"""HTTP routes of Windows 365's user settings (local admin, reset, restore points), with their assignment."""

from __future__ import annotations

from typing import Any

import azure.durable_functions as df

from shared.models.base import Page
from shared.models.policies import AssignRequest
from shared.models.user_settings import UserSetting, UserSettingCreate, UserSettingUpdate
from shared.ports.admin_ports import AdminPorts
from shared.services.backends import user_settings as service
from triggers.http_api import Api, created, page_of, updated
from triggers.http_request import PAGING, VALIDATE_ONLY, ApiRequest
from triggers.http_responses import ApiResponse

SETTINGS = "tenants/{tenantId}/userSettings"
SETTING = "tenants/{tenantId}/userSettings/{userSettingId}"


def blueprint(api: Api, ports: AdminPorts) -> df.Blueprint:
    bp = df.Blueprint()
    routes = api.section(bp, "User settings (Windows 365)")

    @routes.post(
        SETTINGS,
        "createUserSetting",
        "Create a user setting in Windows 365",
        body=UserSettingCreate,
        response=UserSetting,
        status=201,
        query=(VALIDATE_ONLY,),
    )
    def create_setting(req: ApiRequest) -> ApiResponse:
        tenant_id = req.param("tenantId")
        setting = service.create_user_setting(ports, tenant_id, req.body(UserSettingCreate), dry_run=req.validate_only)
        return created(req, setting, f"tenants/{tenant_id}/userSettings/{setting.id}")

    @routes.get(SETTINGS, "listUserSettings", "List user settings", response=Page[UserSetting], query=PAGING)
    def list_settings(req: ApiRequest) -> dict[str, Any]:
        tenant_id = req.param("tenantId")
        return page_of(req, *ports.user_settings.list_user_settings(tenant_id, top=req.top, skip_token=req.skip_token))

    @routes.get(SETTING, "getUserSetting", "Get a user setting", response=UserSetting)
    def get_setting(req: ApiRequest) -> UserSetting:
        return ports.user_settings.get_user_setting(req.param("tenantId"), req.param("userSettingId"))

    @routes.patch(
        SETTING,
        "updateUserSetting",
        "Update a user setting (Windows 365 applies it to its Cloud PCs)",
        body=UserSettingUpdate,
        response=UserSetting,
        query=(VALIDATE_ONLY,),
    )
    def update_setting(req: ApiRequest) -> ApiResponse:
        setting = service.update_user_setting(
            ports,
            req.param("tenantId"),
            req.param("userSettingId"),
            req.body(UserSettingUpdate),
            if_match=req.if_match,
            dry_run=req.validate_only,
        )
        return updated(req, setting)

    @routes.post(
        f"{SETTING}/assign",
        "assignUserSetting",
        "Replace the groups a user setting is assigned to",
        body=AssignRequest,
        response=UserSetting,
        query=(VALIDATE_ONLY,),
        review=False,
    )
    def assign_setting(req: ApiRequest) -> UserSetting:
        return service.assign_user_setting(
            ports, req.param("tenantId"), req.param("userSettingId"), req.body(AssignRequest), dry_run=req.validate_only
        )

    @routes.delete(SETTING, "deleteUserSetting", "Delete a user setting that has no assignments")
    def delete_setting(req: ApiRequest) -> ApiResponse:
        service.delete_user_setting(ports, req.param("tenantId"), req.param("userSettingId"), if_match=req.if_match)
        return ApiResponse(204)

    return bp
