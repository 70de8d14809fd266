"""The kinds a template makes: the registry's, with a pooled Spot Group's schedule as one of the group's fields."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shared.errors import ErrorDetail, ValidationFailed
from shared.models.spot_group_records import SavedSchedule
from shared.models.spot_groups import SpotGroup
from shared.models.spot_schedules import SpotGroupSchedule
from shared.models.templates import SpotGroupWithSchedule, SpotGroupWithScheduleUpdate
from shared.services.configuration.configurable import (
    BY_KIND,
    SCHEDULES,
    SPOT_GROUPS,
    Body,
    Configurable,
    ConfigurationPorts,
    GroupSchedule,
    Written,
)
from shared.services.spot_pc import group_schedules


@dataclass(frozen=True)
class ScheduledGroup:
    """A Spot Group and its saved schedule (None while it follows the default, or for a personal group)."""

    group: SpotGroup
    schedule: SavedSchedule | None

    @property
    def id(self) -> str:
        return self.group.id

    @property
    def etag(self) -> str | None:
        return self.group.etag


def _scheduled_groups(ports: ConfigurationPorts, tenant_id: str) -> list[ScheduledGroup]:
    return [
        ScheduledGroup(
            group, ports.schedules.find_schedule(tenant_id, group.id) if group.user_type == "pooled" else None
        )
        for group in SPOT_GROUPS.list_all(ports, tenant_id)
    ]


def _fields(item: ScheduledGroup) -> Body:
    body = SPOT_GROUPS.fields(item.group)
    if item.schedule is not None:
        saved = SCHEDULES.fields(GroupSchedule(item.group, item.schedule))
        body["schedule"] = {name: value for name, value in saved.items() if name != "spotGroupId"}
    return body


def _split(body: Body) -> tuple[Body, SpotGroupSchedule | None]:
    group = {name: value for name, value in body.items() if name != "schedule"}
    given = body.get("schedule")
    return group, SpotGroupSchedule.model_validate(given) if given is not None else None


NOT_POOLED = ErrorDetail(
    "notPooled",
    "schedule: a personal Spot Group has no schedule: each host is one user's, and runs when they use it.",
    "schedule",
)


def _personal_rules(body: Body) -> list[ErrorDetail]:
    return [NOT_POOLED] if body.get("schedule") is not None and body.get("userType") == "personal" else []


def _refuse_personal(user_type: str | None) -> None:
    if user_type != "pooled":
        raise ValidationFailed.of(NOT_POOLED)


def _create(ports: ConfigurationPorts, tenant_id: str, body: Body, dry_run: bool) -> Written:
    group_body, schedule = _split(body)
    if schedule is not None:
        _refuse_personal(group_body.get("userType"))
    written = SPOT_GROUPS.create(ports, tenant_id, group_body, dry_run)
    group: SpotGroup = written.value
    if dry_run or schedule is None:
        return Written(ScheduledGroup(group, None), written.work)
    saved = group_schedules.save_schedule(ports, group, schedule, if_match=None)
    return Written(ScheduledGroup(group, saved), written.work)


def _patch(ports: ConfigurationPorts, tenant_id: str, item: ScheduledGroup, body: Body, dry_run: bool) -> Written:
    group_body, schedule = _split(body)
    if schedule is not None:
        _refuse_personal(item.group.user_type)
    written = (
        SPOT_GROUPS.patch(ports, tenant_id, item.group, group_body, dry_run) if group_body else Written(item.group)
    )
    group: SpotGroup = written.value
    if dry_run or schedule is None:
        return Written(ScheduledGroup(group, item.schedule), written.work)
    etag = item.schedule.etag if item.schedule is not None else None
    saved = group_schedules.save_schedule(ports, group, schedule, if_match=etag)
    return Written(ScheduledGroup(group, saved), written.work)


SCHEDULED_SPOT_GROUPS = Configurable[ScheduledGroup](
    kind="spotGroup",
    create_model=SpotGroupWithSchedule,
    update_model=SpotGroupWithScheduleUpdate,
    list_all=_scheduled_groups,
    name=lambda item: item.group.name,
    name_field="name",
    fields=_fields,
    create=_create,
    patch=_patch,
    rules=_personal_rules,
)
TEMPLATE_KINDS: dict[str, Configurable[Any]] = {**BY_KIND, "spotGroup": SCHEDULED_SPOT_GROUPS}
