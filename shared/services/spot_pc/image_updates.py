"""A Spot Group's rolling image update: started by a new image version, cancelled, its progress counted."""

from __future__ import annotations

from typing import Protocol

from shared.models.failures import StepDetail
from shared.models.image_updates import UPDATE_UNDER_WAY, ImageUpdate, Rollout
from shared.models.orchestrations import SpotGroupRun
from shared.models.session_hosts import SessionHost
from shared.models.spot_groups import SpotGroup, SpotGroupUpdate
from shared.ports.new_records import NewRecordPorts
from shared.ports.spot_pc_stores import SpotGroupStore
from shared.ports.stores import SiteStore
from shared.services.engine.updates import update_with_etag
from shared.services.spot_pc.rollout import plan_rollout, replaceable
from shared.services.spot_pc.spot_group_checks import ImageSetReads, ready_version, refused
from shared.services.spot_pc.spot_pc_transitions import IMAGE_UPDATES, SPOT_GROUPS


class ImageUpdatePorts(ImageSetReads, NewRecordPorts, Protocol):
    """A tenant's Spot Groups with their image updates, and the sites (and image sets) those are built from."""

    @property
    def spot_groups(self) -> SpotGroupStore: ...
    @property
    def sites(self) -> SiteStore: ...


def update_image(
    ports: ImageUpdatePorts,
    group: SpotGroup,
    patch: SpotGroupUpdate,
    changes: dict[str, object],
    *,
    dry_run: bool = False,
) -> tuple[SpotGroup, SpotGroupRun | None]:
    """A rolling image update: every running host rebuilt on the new version, the canary first (`dry_run`: only
    checked)."""
    if set(changes) - {"image_version", "description", "notes"}:
        raise refused(
            "notAllowed", "Change imageVersion on its own (description and notes may come with it).", "imageVersion"
        )
    site = ports.sites.get_site(group.tenant_id, group.site_id)
    number = str(changes["image_version"])
    version = ready_version(ports, group.tenant_id, group.image_set_id, number, group.user_type, site.region_name)
    assert version.image_version_id is not None  # ready_version refuses a version without one
    if dry_run:
        return group.model_copy(update=changes), None
    rollout = patch.rollout or Rollout()
    running = replaceable(ports.spot_groups.list_hosts(group.tenant_id, group.id))
    plan = plan_rollout(running, rollout.canary_count, rollout.max_unavailable)
    now = ports.clock()
    update = ports.spot_groups.put_image_update(
        ImageUpdate(
            id=ports.new_id(),
            tenant_id=group.tenant_id,
            created_date_time=now,
            last_modified_date_time=now,
            spot_group_id=group.id,
            from_version=group.image_version,
            to_version=number,
            from_image_version_id=group.image_version_id,
            to_image_version_id=version.image_version_id,
            rollout=rollout,
            canary=[h.name for h in plan.canary],
            remaining=len(running),
        )
    )
    changed = SPOT_GROUPS.move(
        group,
        "updateImage",
        **changes,
        image_version_id=version.image_version_id,
        revision=group.revision + 1,
        last_modified_date_time=now,
    )
    saved = ports.spot_groups.put_spot_group(changed, if_match=group.etag)
    run = SpotGroupRun(
        tenant_id=group.tenant_id,
        spot_group_id=group.id,
        work="deploy",
        revision=saved.revision,
        replace=[h.index for h in running],
        image_update_id=update.id,
        canary=len(plan.canary),
        batch=rollout.max_unavailable,
        drain_timeout_s=rollout.drain_timeout_minutes * 60.0,
        maintenance_window=rollout.maintenance_window,
        notify_before_s=rollout.notify_minutes_before * 60.0,
        image_version=number,
        image_version_id=version.image_version_id,
        previous=(group.image_version, group.image_version_id),
    )
    return saved, run


def cancel_image_update(
    ports: ImageUpdatePorts, tenant_id: str, spot_group_id: str, update_id: str
) -> tuple[ImageUpdate, list[int]]:
    """Cancel an image update that is running or waiting for its maintenance window: it is `cancelling` until its
    run ends, at once for the hosts still waiting for their turn (the indexes answered: their runs are told), after
    the hosts already being replaced are done. Those keep the new version, the others the old one, and the group is
    `ready` again. 409 wrongStatus for an update that already ended or is being cancelled."""
    ports.spot_groups.get_spot_group(tenant_id, spot_group_id)  # 404 for an unknown group first
    now = ports.clock()

    def cancel(update: ImageUpdate) -> ImageUpdate:
        detail = StepDetail(
            code="imageUpdateCancelling",
            step="imageUpdate",
            message=(
                f"Cancelled at {now:%Y-%m-%d %H:%M} UTC: the hosts being replaced finish on {update.to_version}, the "
                f"others stay on {update.from_version}."
            ),
        )
        return IMAGE_UPDATES.move(
            update, "cancel", status_detail=detail, next_window_date_time=None, last_modified_date_time=now
        )

    # the update's own run writes it too (waitingForWindow, running): a change meanwhile is read again, not a 412
    cancelled = update_with_etag(
        lambda: ports.spot_groups.get_image_update(tenant_id, spot_group_id, update_id),
        cancel,
        lambda update, etag: ports.spot_groups.put_image_update(update, if_match=etag),
        if_match=None,
    )
    hosts = ports.spot_groups.list_hosts(tenant_id, spot_group_id)
    waiting = [h.index for h in hosts if h.status == "running" and h.image_version != cancelled.to_version]
    return with_progress(cancelled, hosts), waiting


def with_progress(update: ImageUpdate, hosts: list[SessionHost]) -> ImageUpdate:
    """Counts of an update under way, from its group's hosts as they are now (an ended one keeps its final counts)."""
    if update.status not in UPDATE_UNDER_WAY:
        return update
    running = [h for h in hosts if h.status in ("running", "removing", "creating")]
    replaced = sum(h.status == "running" and h.image_version == update.to_version for h in running)
    return update.model_copy(update={"replaced": replaced, "remaining": len(running) - replaced})
