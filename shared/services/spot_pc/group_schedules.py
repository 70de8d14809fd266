"""A pooled Spot Group's schedule as admins keep it: read (the default while none is saved), saved, removed, tried
against a load before it is saved, and the timeline of what the optimization decided by it."""

from __future__ import annotations

from collections.abc import Collection
from datetime import timedelta
from typing import Protocol

from shared.errors import Conflict
from shared.models.schedule_replays import REPLAY_SPAN, LoadPoint, ReplayHour, ScheduleReplay, ScheduleTrial
from shared.models.spot_group_records import SavedSchedule, SpotGroupEvent
from shared.models.spot_groups import SpotGroup
from shared.models.spot_schedules import SpotGroupSchedule, default_schedule
from shared.ports.spot_group_work_ports import SpotGroupRecordPorts
from shared.ports.spot_pc_stores import SpotGroupScheduleStore
from shared.services.spot_pc.schedule_replay import CREATE_DELAY, START_DELAY, STEP, Scaling, replay
from shared.services.spot_pc.spot_group_checks import refuse_scaling
from shared.services.spot_pc.spot_groups import ceiling

MINUTE = timedelta(minutes=1)


class GroupSchedulePorts(SpotGroupRecordPorts, Protocol):
    """A pooled group's schedule, kept beside its record, and tried against its recorded load."""

    @property
    def schedules(self) -> SpotGroupScheduleStore: ...


def pooled_group(ports: GroupSchedulePorts, tenant_id: str, spot_group_id: str) -> SpotGroup:
    """The group (404 when there is none); 409 notPooled for a personal one, whose hosts follow their users. Looked
    up before a body is read: a group that is not there, or not pooled, is the answer whatever the body says."""
    group = ports.spot_groups.get_spot_group(tenant_id, spot_group_id)
    if group.user_type != "pooled":
        raise Conflict(
            "A personal Spot Group has no schedule: each host is one user's, and runs when they use it.",
            code="notPooled",
            target="userType",
        )
    return group


def _saved(group: SpotGroup, schedule: SpotGroupSchedule, **fields: object) -> SavedSchedule:
    return SavedSchedule.model_validate(
        {**schedule.model_dump(), "tenant_id": group.tenant_id, "spot_group_id": group.id, **fields}
    )


def read_schedule(ports: GroupSchedulePorts, tenant_id: str, spot_group_id: str) -> SavedSchedule:
    group = pooled_group(ports, tenant_id, spot_group_id)
    saved = ports.schedules.find_schedule(tenant_id, group.id)
    return saved if saved is not None else _saved(group, default_schedule(), is_default=True)


def save_schedule(
    ports: GroupSchedulePorts, group: SpotGroup, schedule: SpotGroupSchedule, *, if_match: str | None
) -> SavedSchedule:
    """A pooled group's schedule from now on (the next optimization follows it); with If-Match, only over that one."""
    saved = _saved(group, schedule, last_modified_date_time=ports.clock())
    return ports.schedules.put_schedule(saved, if_match=if_match)


def delete_schedule(ports: GroupSchedulePorts, tenant_id: str, spot_group_id: str, *, if_match: str | None) -> None:
    """Back to the default schedule; idempotent."""
    group = pooled_group(ports, tenant_id, spot_group_id)
    ports.schedules.delete_schedule(tenant_id, group.id, if_match=if_match)


def try_schedule(ports: GroupSchedulePorts, group: SpotGroup, trial: ScheduleTrial) -> ScheduleReplay:
    """The proposed schedule (with the proposed scaling, or the group's) and the current one (with the group's
    scaling) replayed over the trial's load curve, or over the sessions the optimization recorded in the last 14
    days, on a pooled group's hosts. Nothing is saved."""
    tenant_id = group.tenant_id
    if trial.scaling is not None:
        refuse_scaling(trial.scaling.refusals(group.license_count, group.max_sessions_per_host, group.vm_size))
    proposing = group if trial.scaling is None else group.model_copy(update={"scaling": trial.scaling})
    hosts = sorted(
        (h for h in ports.spot_groups.list_hosts(tenant_id, group.id) if h.status == "running"), key=lambda h: h.index
    )
    if not hosts and group.scaling is None and proposing.scaling is None:
        raise Conflict(
            "The Spot Group has no session host running yet to replay a schedule on.",
            code="noSessionHosts",
            target="spotGroupId",
        )
    curve = trial.load_curve
    if curve is None:
        since = ports.clock() - REPLAY_SPAN
        curve = [
            LoadPoint(date_time=s.date_time, sessions=s.sessions)
            for s in ports.schedules.list_loads(tenant_id, group.id, since)
        ]
        if not curve:
            raise Conflict(
                "No sessions were recorded for this Spot Group in the last 14 days: give a loadCurve.",
                code="noRecordedSessions",
                target="loadCurve",
            )
    saved = ports.schedules.find_schedule(tenant_id, group.id)
    names, most = [h.name for h in hosts], group.max_sessions_per_host
    proposed = replay(trial.schedule(), curve, names, most, scaling=_scaling(proposing))
    current = replay(saved or default_schedule(), curve, names, most, saved=saved is not None, scaling=_scaling(group))
    hours = [  # both stepped over the same times: the same hours
        ReplayHour(start=mine.start, peak_sessions=mine.peak_sessions, proposed=mine.figures, current=theirs.figures)
        for mine, theirs in zip(proposed.hours, current.hours, strict=True)
    ]
    return ScheduleReplay(
        source="loadCurve" if trial.load_curve is not None else "recordedSessions",
        from_date_time=curve[0].date_time,
        to_date_time=proposed.end or curve[-1].date_time,
        session_hosts=len(hosts),
        max_sessions_per_host=group.max_sessions_per_host,
        step_minutes=STEP // MINUTE,
        start_delay_minutes=START_DELAY // MINUTE,
        create_delay_minutes=CREATE_DELAY // MINUTE,
        current_is_default=saved is None,
        proposed=proposed.total,
        current=current.total,
        hours=hours,
    )


def _scaling(group: SpotGroup) -> Scaling | None:
    return Scaling(group.scaling, ceiling(group)) if group.scaling is not None else None


def list_events(
    ports: GroupSchedulePorts,
    tenant_id: str,
    spot_group_id: str,
    *,
    top: int,
    skip_token: str | None,
    actions: Collection[str] | None = None,
) -> tuple[list[SpotGroupEvent], str | None]:
    """The group's timeline, newest first (any group: a personal one's is empty); with `actions`, their lines only."""
    group = ports.spot_groups.get_spot_group(tenant_id, spot_group_id)
    return ports.schedules.list_events(tenant_id, group.id, top=top, skip_token=skip_token, actions=actions)
