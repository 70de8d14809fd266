"""Spot Groups as admins manage them: the review and creation of a group, its session hosts, and its deletion.

What a create or change is checked against is in spot_group_checks.py; an image version's change starts a rolling
update (image_updates.py).

A group is saved with one row per session host it will have, all `creating`, before the `run_spot_group_work`
orchestration deploys them (shared/services/spot_pc/spot_group_deployments.py); a delete marks it `deleting` first.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Protocol

from shared.errors import Conflict, PreconditionFailed
from shared.models.host_scaling import license_bound
from shared.models.orchestrations import SpotGroupRun
from shared.models.session_hosts import SessionHost, SessionHostCounts
from shared.models.spot_groups import (
    DEFAULT_SESSIONS,
    DEFAULT_VM_SIZES,
    GROUP_BUSY,
    SpotGroup,
    SpotGroupCreate,
    SpotGroupReview,
    SpotGroupUpdate,
    SpotGroupUser,
)
from shared.ports.access_stores import UniqueValueStore
from shared.ports.directory import Directory
from shared.ports.new_records import NewRecordPorts
from shared.ports.spot_pc_stores import SpotGroupStore
from shared.ports.stores import SiteStore
from shared.services.spot_pc.image_updates import update_image
from shared.services.spot_pc.session_limits import merged_settings, starts_on_connect
from shared.services.spot_pc.spot_group_access import holders, in_order
from shared.services.spot_pc.spot_group_checks import (
    ImageSetReads,
    check_metadata_region,
    check_scaling,
    ready_version,
    refused,
)
from shared.services.spot_pc.spot_pc_transitions import SPOT_GROUPS

DRAIN_TIMEOUT_MINUTES = 60  # a removed host's users' time to sign out, unless the request says otherwise


class SpotGroupAdminPorts(ImageSetReads, NewRecordPorts, Protocol):
    """A tenant's Spot Groups: built from its image sets' versions in its sites, for its directory's groups."""

    @property
    def spot_groups(self) -> SpotGroupStore: ...
    @property
    def sites(self) -> SiteStore: ...
    @property
    def directory(self) -> Directory: ...
    @property
    def unique(self) -> UniqueValueStore: ...  # one group per name


def plan(ports: SpotGroupAdminPorts, tenant_id: str, data: SpotGroupCreate) -> tuple[SpotGroup, SpotGroupReview]:
    """Every check a create makes, and what it would build: the group (not saved) and its review."""
    site = ports.sites.find_site(tenant_id, data.site_id)
    if site is None:
        raise refused("referenceNotFound", f"Site '{data.site_id}' does not exist in this tenant.", "siteId")
    check_metadata_region(site.region_name)
    version = ready_version(ports, tenant_id, data.image_set_id, data.image_version, data.user_type, site.region_name)
    found = {group_id: ports.directory.list_group_members(tenant_id, group_id) for group_id in data.group_ids}
    missing = next((g for g, m in found.items() if m is None), None)
    if missing is not None:
        raise refused("referenceNotFound", f"Group '{missing}' does not exist in the directory.", "groupIds")
    members = in_order(found.values())
    first = set(holders(members, (), data.license_count))  # the first licenseCount: nobody holds the desktop yet
    users = ports.directory.get_users(tenant_id, members)
    shown = [SpotGroupUser(id=m, display_name=users[m].display_name if m in users else None) for m in members]
    sessions = 1 if data.user_type == "personal" else data.max_sessions_per_host or DEFAULT_SESSIONS
    now = ports.clock()
    group = SpotGroup(
        id=ports.new_id(),
        tenant_id=tenant_id,
        created_date_time=now,
        last_modified_date_time=now,
        name=data.name,
        friendly_name=data.friendly_name,
        profile_path=data.profile_path,
        user_type=data.user_type,
        license_count=data.license_count,
        site_id=site.id,
        group_ids=list(data.group_ids),
        image_set_id=data.image_set_id,
        image_version=version.version,
        image_version_id=version.image_version_id,
        description=data.description,
        notes=data.notes,
        vm_size=data.vm_size or DEFAULT_VM_SIZES[data.user_type],
        max_sessions_per_host=sessions,
        host_pool_name=f"spotpc-{data.name}",
        session_limits=data.session_limits,
        personal_power=data.personal_power,
        scaling=data.scaling,
    )
    review = SpotGroupReview(
        host_pool_type="Pooled" if data.user_type == "pooled" else "Personal",
        session_host_count=host_count(group),
        vm_size=group.vm_size,
        max_sessions_per_host=sessions,
        image_version_id=version.image_version_id or "",
        users_with_access=[u for u in shown if u.id in first],
        users_without_access=[u for u in shown if u.id not in first],
        ceiling=ceiling(group) if data.scaling else None,
        base_hosts=data.scaling.base_hosts if data.scaling else None,
    )
    return group, review


def host_count(group: SpotGroup) -> int:
    """The hosts a group is deployed with. Pooled: enough for every licensed user at the session limit, or its base
    when it scales (the optimization makes the others as the load asks); personal: one per license."""
    if group.scaling is not None:
        return group.scaling.base_hosts
    return license_bound(group.license_count, group.max_sessions_per_host)


def ceiling(group: SpotGroup) -> int:
    """The most hosts a group may have: its scaling's maxHosts, or enough for every licensed user."""
    if group.scaling is None:
        return license_bound(group.license_count, group.max_sessions_per_host)
    return group.scaling.ceiling(group.license_count, group.max_sessions_per_host)


def host_name(group: SpotGroup, index: int) -> str:
    """The VM and computer name (15 characters at most): unique per group and index, stable across runs."""
    return f"sp{hashlib.sha256(group.id.encode()).hexdigest()[:8]}{index:03d}"


def create_spot_group(
    ports: SpotGroupAdminPorts, tenant_id: str, data: SpotGroupCreate
) -> tuple[SpotGroup, SpotGroupRun]:
    """Save the group `deploying` with its hosts `creating`; the run deploys them."""
    group, _ = plan(ports, tenant_id, data)

    def holds(owner_id: str) -> bool:
        return ports.spot_groups.find_spot_group(tenant_id, owner_id) is not None

    if ports.unique.claim(names_scope(tenant_id), group.name, group.id, holds=holds) != group.id:
        raise Conflict(f"A Spot Group named '{group.name}' exists already.", code="alreadyExists", target="name")
    for index in range(host_count(group)):
        host = SessionHost(name=host_name(group, index), index=index, image_version=group.image_version)
        ports.spot_groups.put_host(tenant_id, group.id, host)
    counts = SessionHostCounts(total=host_count(group))
    group = ports.spot_groups.put_spot_group(
        group.model_copy(update={"session_host_counts": counts}), if_none_match=True
    )
    indexes = list(range(host_count(group)))
    return group, SpotGroupRun(tenant_id=tenant_id, spot_group_id=group.id, work="deploy", add=indexes)


# what a change saves without Azure following it, so even while a run is at work on the group (not while deleting)
SAVED_AT_ONCE = {"description", "notes"}


def update_spot_group(
    ports: SpotGroupAdminPorts,
    tenant_id: str,
    spot_group_id: str,
    patch: SpotGroupUpdate,
    *,
    if_match: str | None,
    dry_run: bool = False,
) -> tuple[SpotGroup, SpotGroupRun | None]:
    """Apply the patch; when Azure has to follow (the pool's name, groups or Start VM on Connect, the profile path or
    session limits, the number of hosts) the group is `updating` and the run brings the pool and hosts to it. Who
    holds the desktop follows the groups and the license count (spot_group_access.py), through the run if any."""
    group = ports.spot_groups.get_spot_group(tenant_id, spot_group_id)
    if if_match and if_match != "*" and group.etag != if_match:
        raise PreconditionFailed.stale("Spot Group", spot_group_id)
    changes = patch.model_dump(exclude_unset=True, by_alias=False, exclude={"rollout"})
    if group.status in GROUP_BUSY:
        # an image update may wait days for its maintenance window: what Azure does not follow is saved meanwhile
        if group.status == "deleting" or set(changes) - SAVED_AT_ONCE:
            raise Conflict(
                f"The Spot Group is {group.status}; change it once that is done (description and notes "
                "may change meanwhile, except while it is deleted).",
                code="wrongStatus",
                target="spotGroupId",
            )
        noted = group.model_copy(update={**changes, "last_modified_date_time": ports.clock()})
        return (noted if dry_run else ports.spot_groups.put_spot_group(noted, if_match=group.etag)), None
    if changes.get("image_version", group.image_version) != group.image_version:
        return update_image(ports, group, patch, changes, dry_run=dry_run)
    changes.pop("image_version", None)
    if changes.get("personal_power") is not None and group.user_type == "pooled":
        raise refused(
            "notAllowed",
            "personalPower is for personal groups: pooled hosts are started and stopped by the optimization.",
            "personalPower",
        )
    changes = merged_settings(group, changes)
    check_scaling(group, patch, changes)
    for group_id in changes.get("group_ids") or []:
        if ports.directory.list_group_members(tenant_id, group_id) is None:
            raise refused("referenceNotFound", f"Group '{group_id}' does not exist in the directory.", "groupIds")
    changed = group.model_copy(update={**changes, "last_modified_date_time": ports.clock()})
    if dry_run:
        return changed, None
    hosts = ports.spot_groups.list_hosts(tenant_id, group.id)
    add = [] if changed.scaling is not None else list(range(len(hosts), host_count(changed)))
    _, reconfigure, remove = host_work(changed, hosts)
    pool_changed = (changed.friendly_name, changed.group_ids, starts_on_connect(changed)) != (
        group.friendly_name,
        group.group_ids,
        starts_on_connect(group),
    )
    if not (add or remove or reconfigure or pool_changed):
        return ports.spot_groups.put_spot_group(changed, if_match=group.etag), None
    for index in add:
        host = SessionHost(name=host_name(group, index), index=index, image_version=group.image_version)
        ports.spot_groups.put_host(tenant_id, group.id, host)
    updating = SPOT_GROUPS.move(changed, "update", revision=group.revision + 1)
    saved = ports.spot_groups.put_spot_group(updating, if_match=group.etag)
    run = SpotGroupRun(
        tenant_id=tenant_id,
        spot_group_id=group.id,
        work="deploy",
        revision=saved.revision,
        add=add,
        remove=remove,
        reconfigure=reconfigure,
    )
    return saved, run


def names_scope(tenant_id: str) -> str:
    """Where a tenant's Spot Group names are claimed (one group per name)."""
    return f"spotGroupName_{tenant_id}"


def delete_spot_group(
    ports: SpotGroupAdminPorts,
    tenant_id: str,
    spot_group_id: str,
    *,
    if_match: str | None,
    drain_timeout_minutes: int = DRAIN_TIMEOUT_MINUTES,
) -> tuple[SpotGroup, SpotGroupRun]:
    """`deleting`: its hosts are drained and their users given `drain_timeout_minutes` to sign out, then removed
    from the host pool and deleted; then the pool, then the records."""
    group = ports.spot_groups.get_spot_group(tenant_id, spot_group_id)
    if if_match and if_match != "*" and group.etag != if_match:
        raise PreconditionFailed.stale("Spot Group", spot_group_id)
    if group.status == "deploying":
        raise Conflict(
            "The Spot Group is being deployed; delete it once it is ready or failed.",
            code="wrongStatus",
            target="spotGroupId",
        )
    group = ports.spot_groups.put_spot_group(
        SPOT_GROUPS.move(group, "delete", revision=group.revision + 1), if_match=group.etag
    )
    indexes = [host.index for host in ports.spot_groups.list_hosts(tenant_id, group.id)]
    run = SpotGroupRun(
        tenant_id=tenant_id,
        spot_group_id=spot_group_id,
        work="remove",
        revision=group.revision,
        remove=indexes,
        drain_timeout_s=drain_timeout_minutes * 60.0,
    )
    return group, run


def unfinished_work(ports: SpotGroupAdminPorts, *, quiet_since: datetime) -> list[SpotGroupRun]:
    """Deployments and removals to start again, as image_sets.unfinished_work does for image sets: a crash
    between saving a group (or its delete) and starting the orchestration leaves it with nothing running."""
    runs = []
    for group in ports.spot_groups.list_quiet(quiet_since, GROUP_BUSY):
        hosts = ports.spot_groups.list_hosts(group.tenant_id, group.id)
        ids = {"tenant_id": group.tenant_id, "spot_group_id": group.id, "revision": group.revision}
        if group.status == "deleting":
            runs.append(SpotGroupRun(**ids, work="remove", remove=[h.index for h in hosts]))
        else:  # a host already done comes through its phases again at no cost
            add, reconfigure, remove = host_work(group, hosts)
            runs.append(SpotGroupRun(**ids, work="deploy", add=add, reconfigure=reconfigure, remove=remove))
    return runs


def host_work(group: SpotGroup, hosts: list[SessionHost]) -> tuple[list[int], list[int], list[int]]:
    """What brings the hosts to the group: (add, reconfigure, remove) by index. Hosts beyond the group's count go;
    the others not yet running are deployed; running ones with another profile path or other session limits are
    configured again. A scaling group's hosts are the optimization's to make and delete, once it is deployed."""
    if group.scaling is not None:
        keep, remove = hosts, []
        add = [h.index for h in hosts if h.status == "creating"] if group.status == "deploying" else []
    else:
        target = host_count(group)
        keep, remove = [h for h in hosts if h.index < target], [h.index for h in hosts if h.index >= target]
        add = [h.index for h in keep if h.status == "creating"]
    configured = (group.profile_path, group.session_limits)
    reconfigure = [h.index for h in keep if h.status == "running" and (h.profile_path, h.session_limits) != configured]
    return add, reconfigure, remove
