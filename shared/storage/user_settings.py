"""User-setting repository: partition key = tenant id, row key = user setting id."""

from __future__ import annotations

from shared.models.user_settings import UserSetting
from shared.storage.table_service import TableStorage
from shared.storage.tables import EntityRepository


class UserSettingRepository:
    def __init__(self, storage: TableStorage) -> None:
        self._rows = EntityRepository(storage, "UserSettings", UserSetting, kind="User setting")

    def get_user_setting(self, tenant_id: str, setting_id: str) -> UserSetting:
        return self._rows.get(tenant_id, setting_id, target="userSettingId")

    def list_user_settings(
        self, tenant_id: str, *, top: int = 100, skip_token: str | None = None
    ) -> tuple[list[UserSetting], str | None]:
        return self._rows.page("PartitionKey eq @t", {"t": tenant_id}, top=top, skip_token=skip_token)

    def upsert_user_setting(
        self, setting: UserSetting, *, if_match: str | None = None, if_none_match: bool = False
    ) -> UserSetting:
        return self._rows.put(setting, setting.tenant_id, setting.id, if_match=if_match, if_none_match=if_none_match)

    def delete_user_setting(self, tenant_id: str, setting_id: str, *, if_match: str | None = None) -> None:
        self._rows.delete(tenant_id, setting_id, if_match=if_match)
