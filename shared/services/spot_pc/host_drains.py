"""A host's drain in an image update: the cancel heard, its turn in the maintenance window, its users told.

An image update with a maintenance window drains a host only in its turn there
(shared/services/spot_pc/maintenance_windows.py); once drained, its users are given their time to sign out.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from shared.models.failures import StepDetail
from shared.models.image_updates import UPDATE_RUNNING
from shared.models.orchestrations import SpotGroupRun
from shared.models.session_hosts import SessionHost
from shared.models.sites import Site
from shared.models.spot_groups import SpotGroup
from shared.models.words import counted
from shared.ports.cloud_errors import SESSION_GONE, CloudError
from shared.ports.progress import Progress
from shared.ports.spot_group_work_ports import SpotGroupRecordPorts, SpotHostPorts
from shared.services.spot_pc.host_records import placement_of
from shared.services.spot_pc.maintenance_windows import Turn, host_turn, opening_words
from shared.services.spot_pc.spot_pc_transitions import IMAGE_UPDATES

SIGN_OUT_POLL_S = 30.0  # how often a draining host's sessions are counted
# a host waiting for its window looks again at least this often: a durable timer of days is not on every backend
WINDOW_POLL_S = 6 * 3600.0
UPDATE_NOTICE_TITLE = "Your desktop is being updated"  # the maintenance window's notice; its text says when
# the next window is a week away at most; a host whose call came too late for its turn waits a week more
WINDOW_WAIT = timedelta(days=15)


class HostDrainPorts(SpotHostPorts, SpotGroupRecordPorts, Protocol):
    """A host's sessions in its group's pool, and the image update it is replaced for."""


def _sessions(ports: HostDrainPorts, group: SpotGroup, site: Site, host: SessionHost) -> int:
    records = ports.avd.list_session_hosts(group.tenant_id, placement_of(site), group.host_pool_name)
    return next((r.sessions for r in records if r.vm_name == host.name), 0)


def signed_out(
    ports: HostDrainPorts,
    group: SpotGroup,
    site: Site,
    host: SessionHost,
    run: SpotGroupRun,
    waited: timedelta,
) -> Progress:
    """Done once the drained host has no session, or its users' time to sign out is over."""
    if waited.total_seconds() >= run.drain_timeout_s:
        return Progress(done=True)
    sessions = _sessions(ports, group, site, host)
    return Progress(done=True) if sessions == 0 else Progress(done=False, retry_after_s=SIGN_OUT_POLL_S)


def cancelled(ports: HostDrainPorts, group: SpotGroup, run: SpotGroupRun) -> bool:
    """Whether the image update a host is replaced for was cancelled: read before the host is drained, the one step
    a cancel stops (a host past it is rebuilt to the end, so nothing is left half done). A failed canary rebuilt on
    the old version is not stopped: that is a repair, not the update going on."""
    rolling_back = run.previous is not None and run.image_version_id == run.previous[1]  # a failed canary's repair
    if run.image_update_id is None or rolling_back:
        return False
    update = ports.spot_groups.get_image_update(group.tenant_id, group.id, run.image_update_id)
    return update.status not in UPDATE_RUNNING


def await_turn(
    ports: HostDrainPorts, group: SpotGroup, site: Site, host: SessionHost, run: SpotGroupRun
) -> tuple[SpotGroupRun, Progress] | None:
    """An image update's host waits for its turn in the maintenance window (None: drain it now); its users are told
    first. The update shows waitingForWindow while its hosts wait for a window not yet open."""
    assert run.maintenance_window is not None
    now = ports.clock()
    turn = host_turn(
        run.maintenance_window,
        now,
        notice=timedelta(seconds=run.notify_before_s),
        sign_out=timedelta(seconds=run.drain_timeout_s),
        has_sessions=_sessions(ports, group, site, host) > 0,
        told_of=run.told_of,
    )
    _follow_window(ports, group, run, turn, now)
    if turn.action == "drain":
        return None
    if turn.action == "notify":
        _notify_users(ports, group, site, host, run, turn.drain_at, now)
        run = run.model_copy(update={"told_of": turn.drain_at})
    until = turn.until or turn.drain_at
    return run, Progress(done=False, retry_after_s=min((until - now).total_seconds(), WINDOW_POLL_S))


def _notify_users(
    ports: HostDrainPorts,
    group: SpotGroup,
    site: Site,
    host: SessionHost,
    run: SpotGroupRun,
    drain_at: datetime,
    now: datetime,
) -> None:
    """Tell each user on the host that it is drained at `drain_at` for the image update, and when they are logged
    off; recorded on the host. A session gone meanwhile needs no message."""
    zone = ZoneInfo(run.maintenance_window.time_zone) if run.maintenance_window is not None else UTC
    local = drain_at.astimezone(zone)
    minutes = round(run.drain_timeout_s / 60)
    text = (
        f"This desktop is updated to version {run.image_version} from {local:%H:%M} ({zone}). Save your work and "
        f"sign out before then: you are signed out {counted(minutes, 'minute')} later."
    )
    tenant, placement, pool, vm = group.tenant_id, placement_of(site), group.host_pool_name, host.name
    told = 0
    for session in ports.avd.list_user_sessions(tenant, placement, pool):
        if session.vm_name != vm:
            continue
        try:
            ports.avd.send_session_message(tenant, placement, pool, vm, session.session_id, UPDATE_NOTICE_TITLE, text)
            told += 1
        except CloudError as exc:
            if exc.code != SESSION_GONE:
                raise
    detail = StepDetail(
        code="usersNotified",
        step="drainHost",
        message=(
            f"{counted(told, 'user')} told at {now:%Y-%m-%d %H:%M} UTC that the host is drained at "
            f"{drain_at:%Y-%m-%d %H:%M} UTC "
            f"for the update to {run.image_version}, and signed out {counted(minutes, 'minute')} later."
        ),
    )
    ports.spot_groups.put_host(group.tenant_id, group.id, host.model_copy(update={"status_detail": detail}))


def _follow_window(ports: HostDrainPorts, group: SpotGroup, run: SpotGroupRun, turn: Turn, now: datetime) -> None:
    """The update waitingForWindow, saying when the window opens, while a host's turn is in one not yet open;
    running again once one is. Hosts of a batch write it side by side: the one that writes second is refused
    (if_match), and the activity's retry finds the update as it should be."""
    if run.image_update_id is None or run.maintenance_window is None:
        return
    update = ports.spot_groups.get_image_update(group.tenant_id, group.id, run.image_update_id)
    if update.status not in UPDATE_RUNNING:  # cancelled meanwhile: its status is the cancel's
        return
    if turn.window_start > now:
        detail = StepDetail(
            code="waitingForWindow",
            step="maintenanceWindow",
            message=(
                f"The next maintenance window opens at {opening_words(run.maintenance_window, turn.window_start)}; "
                "the hosts not yet drained wait for it."
            ),
        )
        if (update.status, update.status_detail) != ("waitingForWindow", detail):
            waiting = IMAGE_UPDATES.move(
                update,
                "awaitWindow",
                status_detail=detail,
                next_window_date_time=turn.window_start,
                last_modified_date_time=now,
            )
            ports.spot_groups.put_image_update(waiting, if_match=update.etag)
    elif update.status == "waitingForWindow":
        opened = IMAGE_UPDATES.move(
            update, "resume", status_detail=None, next_window_date_time=None, last_modified_date_time=now
        )
        ports.spot_groups.put_image_update(opened, if_match=update.etag)
