"""Windows 365 user settings: what a Cloud PC's user may do on it (local admin, reset, restore points), assigned to
Entra groups (Graph's cloudPcUserSetting: https://learn.microsoft.com/graph/api/resources/cloudpcusersetting)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, StrictBool

from shared.models.base import DisplayName, InputModel, Resource
from shared.models.json_schema import omittable
from shared.models.policies import Assignment

# how often Windows 365 takes a restore point (cloudPcRestorePointFrequencyType; `default` is 12 hours)
RestorePointFrequency = Literal["default", "fourHours", "sixHours", "twelveHours", "sixteenHours", "twentyFourHours"]


class RestorePointSetting(InputModel):
    frequency_type: RestorePointFrequency = "default"
    user_restore_enabled: StrictBool = False


class UserSettingFields(InputModel):
    display_name: DisplayName
    local_admin_enabled: StrictBool = False
    reset_enabled: StrictBool = False
    restore_point_setting: RestorePointSetting = RestorePointSetting()


class UserSettingCreate(UserSettingFields):
    pass


class UserSettingUpdate(InputModel):
    """Merge patch; Windows 365 applies a change to the Cloud PCs of the groups assigned."""

    display_name: DisplayName | None = omittable()
    local_admin_enabled: StrictBool | None = omittable()
    reset_enabled: StrictBool | None = omittable()
    restore_point_setting: RestorePointSetting | None = omittable()


class UserSetting(Resource):
    tenant_id: str
    display_name: str
    local_admin_enabled: bool = False
    reset_enabled: bool = False
    restore_point_setting: RestorePointSetting = RestorePointSetting()
    assignments: list[Assignment] = []
    windows365_id: str | None = Field(default=None, description="Its id in Windows 365 (Graph's cloudPcUserSetting).")
