"""Groups' members read with their licenses, one list a group: the users are not read again one filter at a time."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from shared.ports.directory import Directory, DirectoryUser


@dataclass
class GroupsRead:
    """Each group read so far: its direct members that are users, by id, and those users with their licenses."""

    members: dict[str, list[str]] = field(default_factory=dict)
    users: dict[str, DirectoryUser] = field(default_factory=dict)

    def read(self, directory: Directory, tenant_id: str, group_id: str) -> bool:
        """Read `group_id` unless it was read; False if it does not exist."""
        if group_id in self.members:
            return True
        found = directory.group_members_with_licenses(tenant_id, group_id)
        self.members[group_id] = [user.id for user in found or []]
        self.users.update((user.id, user) for user in found or [])
        return found is not None

    def users_among(self, directory: Directory, tenant_id: str, user_ids: Iterable[str]) -> dict[str, DirectoryUser]:
        """The users that exist among `user_ids`: those read with a group, and the others read by id (a former
        member holding a Cloud PC, a user named by a change)."""
        wanted = sorted(set(user_ids))
        found = {user_id: self.users[user_id] for user_id in wanted if user_id in self.users}
        rest = [user_id for user_id in wanted if user_id not in self.users]
        return found | directory.get_users(tenant_id, rest) if rest else found
