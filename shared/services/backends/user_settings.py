"""Windows 365 user settings on a windows365 tenant: kept by the app, held by Windows 365 (made, changed, assigned and
deleted there first, so that what the admin sees is what Windows 365 applies)."""

from __future__ import annotations

from typing import Protocol

from shared.errors import Conflict, ErrorDetail, ValidationFailed
from shared.models.policies import Assignment, AssignRequest
from shared.models.user_settings import UserSetting, UserSettingCreate, UserSettingUpdate
from shared.ports.cloud_errors import CloudError
from shared.ports.directory import Directory
from shared.ports.new_records import NewRecordPorts
from shared.ports.stores import UserSettingStore
from shared.ports.windows365 import Windows365Provisioning, Windows365UserSettingSpec
from shared.services.engine.updates import merge_patch, update_with_etag
from shared.services.engine.windows365_refusals import refused_against_field, refused_as_conflict

# Graph's names of the fields, to show its refusal against the one it names
GRAPH_FIELDS = {
    "displayName": "displayName",
    "localAdminEnabled": "localAdminEnabled",
    "resetEnabled": "resetEnabled",
    "restorePointSetting": "restorePointSetting",
    "frequencyType": "restorePointSetting.frequencyType",
}


class UserSettingPorts(NewRecordPorts, Protocol):
    """A windows365 tenant's user settings: kept here, held by Windows 365, assigned to its directory's groups."""

    @property
    def user_settings(self) -> UserSettingStore: ...
    @property
    def windows365_provisioning(self) -> Windows365Provisioning: ...
    @property
    def directory(self) -> Directory: ...


def setting_spec(setting: UserSetting) -> Windows365UserSettingSpec:
    return Windows365UserSettingSpec(
        display_name=setting.display_name,
        local_admin_enabled=setting.local_admin_enabled,
        reset_enabled=setting.reset_enabled,
        restore_point_frequency=setting.restore_point_setting.frequency_type,
        user_restore_enabled=setting.restore_point_setting.user_restore_enabled,
    )


def _refused(exc: CloudError) -> Exception:
    return refused_against_field(exc, "user setting", GRAPH_FIELDS)


def create_user_setting(
    ports: UserSettingPorts, tenant_id: str, data: UserSettingCreate, *, dry_run: bool = False
) -> UserSetting:
    now = ports.clock()
    setting = UserSetting.model_validate(
        {
            **data.model_dump(),
            "id": ports.new_id(),
            "tenant_id": tenant_id,
            "created_date_time": now,
            "last_modified_date_time": now,
        }
    )
    if dry_run:
        return setting
    windows365, spec = ports.windows365_provisioning, setting_spec(setting)
    try:  # one made by an earlier attempt whose answer was lost is adopted, not made twice
        remote = windows365.find_user_setting(tenant_id, spec.display_name)
        if remote is None:
            remote = windows365.create_user_setting(tenant_id, spec)
        else:
            windows365.update_user_setting(tenant_id, remote, spec)
    except CloudError as exc:
        raise _refused(exc) from exc
    return ports.user_settings.upsert_user_setting(
        setting.model_copy(update={"windows365_id": remote}), if_none_match=True
    )


def update_user_setting(
    ports: UserSettingPorts,
    tenant_id: str,
    setting_id: str,
    patch: UserSettingUpdate,
    *,
    if_match: str | None,
    dry_run: bool = False,
) -> UserSetting:
    def change(current: UserSetting) -> UserSetting:
        return merge_patch(current, patch, UserSettingCreate, ports.clock())

    def save(setting: UserSetting, etag: str | None) -> UserSetting:
        if setting.windows365_id:
            try:
                ports.windows365_provisioning.update_user_setting(
                    tenant_id, setting.windows365_id, setting_spec(setting)
                )
            except CloudError as exc:
                raise _refused(exc) from exc
        return ports.user_settings.upsert_user_setting(setting, if_match=etag)

    return update_with_etag(
        lambda: ports.user_settings.get_user_setting(tenant_id, setting_id),
        change,
        save,
        if_match=if_match,
        dry_run=dry_run,
    )


def assign_user_setting(
    ports: UserSettingPorts, tenant_id: str, setting_id: str, request: AssignRequest, *, dry_run: bool = False
) -> UserSetting:
    """Replace the groups the setting applies to; groups that stay keep their assignment. Windows 365 applies the
    setting to the Cloud PCs of their members."""
    ports.user_settings.get_user_setting(tenant_id, setting_id)  # an unknown setting is a 404 first
    group_ids = list(dict.fromkeys(a.group_id for a in request.assignments))
    missing = [
        ErrorDetail("groupNotFound", f"Group '{group_id}' does not exist.", f"assignments[{index}].groupId")
        for index, group_id in enumerate(group_ids)
        if ports.directory.list_group_members(tenant_id, group_id) is None
    ]
    if missing:
        raise ValidationFailed.of(*missing)
    now = ports.clock()

    def change(current: UserSetting) -> UserSetting:
        kept = {a.group_id: a for a in current.assignments}
        assignments = [
            kept.get(g) or Assignment(id=ports.new_id(), group_id=g, assigned_date_time=now) for g in group_ids
        ]
        return current.model_copy(update={"assignments": assignments, "last_modified_date_time": now})

    def save(setting: UserSetting, etag: str | None) -> UserSetting:
        if setting.windows365_id:
            try:
                ports.windows365_provisioning.assign_user_setting(tenant_id, setting.windows365_id, group_ids)
            except CloudError as exc:
                raise _refused(exc) from exc
        return ports.user_settings.upsert_user_setting(setting, if_match=etag)

    return update_with_etag(
        lambda: ports.user_settings.get_user_setting(tenant_id, setting_id),
        change,
        save,
        if_match=None,
        dry_run=dry_run,
    )


def delete_user_setting(ports: UserSettingPorts, tenant_id: str, setting_id: str, *, if_match: str | None) -> None:
    """Only an unassigned one, as with policies: what its users may do does not change by a deletion."""
    setting = ports.user_settings.get_user_setting(tenant_id, setting_id)
    if setting.assignments:
        groups = ", ".join(a.group_id for a in setting.assignments)
        raise Conflict(
            f"User setting '{setting.display_name}' is assigned to {groups}; remove its assignments first.",
            code="userSettingAssigned",
            target="assignments",
        )
    if setting.windows365_id:
        with refused_as_conflict(f"delete user setting '{setting.display_name}'", "userSettingId"):
            ports.windows365_provisioning.delete_user_setting(tenant_id, setting.windows365_id)
    ports.user_settings.delete_user_setting(tenant_id, setting_id, if_match=if_match or setting.etag)
