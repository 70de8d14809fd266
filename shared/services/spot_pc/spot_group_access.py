"""Who holds a Spot Group's desktop: at most its license count of its groups' members, each by a direct assignment.

Seed 001 makes the license count "the maximum number of users who will have access", so a group's Entra groups are
not given the desktop whole: each member who holds a license gets Desktop Virtualization User on the host pool's
desktop application group directly, and the members past the count wait, in the order the review shows them. The
access is made good whenever it may have drifted from the rule: when the deployment ensures the host pool, when a
change of a group it uses is notified, and for every group at the drift reconcile (a lost notification's remedy).
Each pass reads what Azure holds and grants and revokes the difference, so a repeated or duplicate one does nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable, Sequence
from typing import Protocol

from shared.events import DirectoryEvent
from shared.models.spot_groups import SpotGroup, SpotGroupMember
from shared.ports.compute import Placement
from shared.ports.desktop_virtualization import DesktopVirtualization
from shared.ports.directory import Directory
from shared.ports.spot_pc_stores import SpotGroupStore
from shared.ports.stores import SiteStore
from shared.services.engine.updates import update_with_etag

log = logging.getLogger(__name__)


class SpotGroupAccessPorts(Protocol):
    """The group's record, its site (where its host pool is), its groups' members and the desktop's assignments."""

    @property
    def spot_groups(self) -> SpotGroupStore: ...
    @property
    def sites(self) -> SiteStore: ...
    @property
    def directory(self) -> Directory: ...
    @property
    def avd(self) -> DesktopVirtualization: ...


def holders(members: Sequence[str], current: Collection[str], count: int) -> list[str]:
    """Who should hold the desktop, in the members' order: the current holders who are still members keep it (a
    member's access is never taken to give it to another), then the members who wait fill the licenses left, in
    order. Only when the count falls below the holders do the last of them lose it."""
    kept = [m for m in members if m in current][:count]
    waiting = [m for m in members if m not in kept]
    chosen = {*kept, *waiting[: count - len(kept)]}
    return [m for m in members if m in chosen]


def in_order(members_by_group: Iterable[list[str] | None]) -> list[str]:
    """The groups' members in the groups' order, each once (a group that is gone has none)."""
    return list(dict.fromkeys(m for members in members_by_group for m in members or []))


def members_of(directory: Directory, tenant_id: str, group_ids: Sequence[str]) -> list[str]:
    return in_order(directory.list_group_members(tenant_id, g) for g in group_ids)


def _placement(ports: SpotGroupAccessPorts, group: SpotGroup) -> Placement | None:
    site = ports.sites.find_site(group.tenant_id, group.site_id)
    return None if site is None else Placement(site.subscription_id, site.resource_group_name, site.region_name)


def reconcile_access(ports: SpotGroupAccessPorts, group: SpotGroup) -> list[str] | None:
    """The group's desktop held by exactly `holders` of its members (the group-wide assignments of groups made
    before the cap go), revoked before granted so that the count is never exceeded; `assigned_user_count` follows.
    The holders; None when there is no desktop to hold yet (or any more): the pool's deployment calls it again."""
    placement = _placement(ports, group)
    if placement is None or group.status == "deleting":
        return None
    pool = group.host_pool_name
    access = ports.avd.desktop_access(group.tenant_id, placement, pool)
    if access is None:
        return None
    members = [m.lower() for m in members_of(ports.directory, group.tenant_id, group.group_ids)]
    wanted = holders(members, access.users, group.license_count)
    for principal in sorted(access.groups | (access.users - set(wanted))):
        ports.avd.revoke_desktop_access(group.tenant_id, placement, pool, principal)
    granted = [m for m in wanted if m in access.users]
    for user_id in wanted:
        if user_id in access.users:
            continue
        if ports.avd.grant_desktop_access(group.tenant_id, placement, pool, user_id):
            granted.append(user_id)
        else:  # not in Azure yet: the next notification or drift reconcile grants it
            log.info("Spot Group %s: user %s is not known to Azure yet; access waits", group.id, user_id)
    if group.assigned_user_count != len(granted):
        _count(ports, group, len(granted))
    return granted


def _count(ports: SpotGroupAccessPorts, group: SpotGroup, count: int) -> None:
    update_with_etag(
        lambda: ports.spot_groups.get_spot_group(group.tenant_id, group.id),
        lambda current: current.model_copy(update={"assigned_user_count": count}),
        lambda changed, etag: ports.spot_groups.put_spot_group(changed, if_match=etag),
        if_match=None,
    )


def directory_changed(ports: SpotGroupAccessPorts, event: DirectoryEvent) -> int:
    """The access of every Spot Group that uses a changed group (of every one, for the drift reconcile's full
    event) made good; the number looked at. A hint about users alone changes no membership: a user's deletion
    also changes their groups' members, which Graph notifies."""
    if not event.reads_groups:
        return 0
    changed = {g.lower() for g in event.group_ids}
    looked = 0
    for group in _spot_groups(ports.spot_groups, event.tenant_id):
        if event.full or changed & {g.lower() for g in group.group_ids}:
            reconcile_access(ports, group)
            looked += 1
    return looked


def _spot_groups(store: SpotGroupStore, tenant_id: str) -> Iterable[SpotGroup]:
    token = None
    while True:
        page, token = store.list_spot_groups(tenant_id, top=100, skip_token=token)
        yield from page
        if token is None:
            return


def members_with_access(ports: SpotGroupAccessPorts, group: SpotGroup) -> list[SpotGroupMember]:
    """Each member in the groups' order, granted if they hold the desktop now, else waiting for a license (all wait
    while the group has no desktop yet)."""
    placement = _placement(ports, group)
    access = None if placement is None else ports.avd.desktop_access(group.tenant_id, placement, group.host_pool_name)
    held = access.users if access is not None else frozenset()
    members = members_of(ports.directory, group.tenant_id, group.group_ids)
    users = ports.directory.get_users(group.tenant_id, members)
    return [
        SpotGroupMember(
            id=m,
            display_name=users[m].display_name if m in users else None,
            access="granted" if m.lower() in held else "waiting",
        )
        for m in members
    ]
