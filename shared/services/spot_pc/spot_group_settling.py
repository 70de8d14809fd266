"""How a Spot Group's run ends on its record: settled `ready` or `failed`, or forgotten once removed."""

from __future__ import annotations

from typing import Protocol

from shared.models.failures import StepDetail
from shared.models.image_updates import ImageUpdate
from shared.models.orchestrations import SpotGroupRun
from shared.models.spot_group_records import SpotGroupEvent
from shared.models.spot_groups import SpotGroup
from shared.models.words import counted
from shared.ports.access_stores import UniqueValueStore
from shared.ports.spot_group_work_ports import SpotGroupRecordPorts
from shared.ports.spot_pc_stores import SpotGroupScheduleStore
from shared.services.spot_pc.host_records import count_hosts
from shared.services.spot_pc.spot_groups import names_scope
from shared.services.spot_pc.spot_pc_transitions import IMAGE_UPDATES, OUTCOMES, SPOT_GROUPS, SpotGroupAction


class SettlingPorts(SpotGroupRecordPorts, Protocol):
    """The group's record and its hosts' rows, its timeline, and its name for another group to take."""

    @property
    def schedules(self) -> SpotGroupScheduleStore: ...
    @property
    def unique(self) -> UniqueValueStore: ...


def move_group(ports: SettlingPorts, group: SpotGroup, action: SpotGroupAction, **fields: object) -> SpotGroup:
    current = ports.spot_groups.get_spot_group(group.tenant_id, group.id)
    changed = SPOT_GROUPS.move(current, action, **fields, last_modified_date_time=ports.clock())
    return ports.spot_groups.put_spot_group(changed, if_match=current.etag)


def settle(ports: SettlingPorts, group: SpotGroup, run: SpotGroupRun) -> None:
    """`ready` while a host runs, with the failed ones named; `failed` when none could be deployed. An image
    update ends as the orchestrator saw it (a rolled-back one leaves the group on its old version)."""
    hosts = ports.spot_groups.list_hosts(group.tenant_id, group.id)
    counts = count_hosts(hosts)
    failed = [h.name for h in hosts if h.status == "failed"]
    # a scaling group may have no host while nobody needs one (a base of 0)
    action: SpotGroupAction = "finish" if counts.running or (group.scaling is not None and not failed) else "fail"
    fields: dict[str, object] = {"status_detail": None, "session_host_counts": counts}
    if failed:
        fields["status_detail"] = StepDetail(
            code="sessionHostsFailed",
            step="deploy",
            message=f"{len(failed)} of {len(hosts)} session hosts failed: {', '.join(failed[:10])}.",
        )
    if run.image_update_id is not None:
        update = ports.spot_groups.get_image_update(group.tenant_id, group.id, run.image_update_id)
        outcome = run.update_outcome or "succeeded"
        if outcome in ("rolledBack", "cancelled") and run.previous is not None:  # new hosts come on the old version
            fields["image_version"], fields["image_version_id"] = run.previous
        on_new = sum(h.status == "running" and h.image_version == update.to_version for h in hosts)
        remaining = sum(h.status == "running" for h in hosts) - on_new
        if outcome == "cancelled":
            fields["status_detail"] = _cancelled_line(ports, group, update, on_new, remaining)
        elif outcome != "succeeded":
            fields["status_detail"] = StepDetail(
                code="imageUpdateRolledBack" if outcome == "rolledBack" else "imageUpdateFailed",
                step="imageUpdate",
                message=f"The update to {update.to_version} did not complete ({outcome}); see imageUpdates.",
            )
        ended = IMAGE_UPDATES.move(
            update,
            OUTCOMES[outcome],
            replaced=on_new,
            remaining=remaining,
            next_window_date_time=None,
            **({"status_detail": fields["status_detail"]} if outcome == "cancelled" else {}),
        )
        ports.spot_groups.put_image_update(ended, if_match=update.etag)
    move_group(ports, group, action, **fields)


def _cancelled_line(
    ports: SettlingPorts, group: SpotGroup, update: ImageUpdate, on_new: int, remaining: int
) -> StepDetail:
    """A cancelled update in words, on the group and its timeline: which hosts run which version now."""
    run = "runs" if on_new == 1 else "run"
    stay = "stays" if remaining == 1 else "stay"
    message = (
        f"The update to {update.to_version} was cancelled: {counted(on_new, 'host')} {run} {update.to_version}, "
        f"{remaining} {stay} on {update.from_version}; new hosts come on {update.from_version}."
    )
    now = ports.clock()
    line = SpotGroupEvent(
        id=f"{update.id}-cancelled",
        date_time=now,
        host=group.host_pool_name,
        action="cancelImageUpdate",
        reason=message,
        outcome="done",
    )
    ports.schedules.put_events(group.tenant_id, group.id, update.last_modified_date_time, [line])
    return StepDetail(code="imageUpdateCancelled", step="imageUpdate", message=message)


def forget(ports: SettlingPorts, group: SpotGroup) -> None:
    """The records of a removed group, and its name for another group to take."""
    for host in ports.spot_groups.list_hosts(group.tenant_id, group.id):
        ports.spot_groups.delete_host(group.tenant_id, group.id, host.index)
    ports.schedules.forget_group(group.tenant_id, group.id)
    ports.spot_groups.delete_spot_group(group.tenant_id, group.id)
    ports.unique.release(names_scope(group.tenant_id), group.name, group.id)
