"""Simulated Entra ID: users with licenses, groups with members; changes raise directory events."""

from __future__ import annotations

from collections.abc import Iterable

from shared.cloud.ports import DirectoryUser
from shared.cloud.simulated.models import SimGroup, SimGroupInput, SimGroupRecord, SimMembership, SimUser, SimUserInput
from shared.events import EventPublisher
from shared.storage.tables import EntityRepository, TableStorage

BULK_READ = 20


class SimulatedDirectory:
    def __init__(self, storage: TableStorage, events: EventPublisher) -> None:
        self._users = EntityRepository(storage, "SimUsers", SimUser, kind="User")
        self._groups = EntityRepository(storage, "SimGroups", SimGroupRecord, kind="Group")
        self._members = EntityRepository(storage, "SimGroupMembers", SimMembership, kind="Group member")
        self._events = events

    # --- the Directory port -------------------------------------------------------------------
    def get_users(self, tenant_id: str, user_ids: list[str]) -> dict[str, DirectoryUser]:
        found: dict[str, DirectoryUser] = {}
        wanted = dict.fromkeys(user_ids)
        users: Iterable[SimUser | None]
        if len(wanted) > BULK_READ:  # one partition scan beats a read per user (as Graph's $batch would)
            users = (u for u in self._users.scan("PartitionKey eq @t", {"t": tenant_id}) if u.id in wanted)
        else:
            users = (self._users.find(tenant_id, user_id) for user_id in wanted)
        for user in users:
            if user is not None:
                found[user.id] = DirectoryUser(
                    user.id, user.user_principal_name, user.display_name, tuple(user.licenses)
                )
        return found

    def list_group_members(self, tenant_id: str, group_id: str) -> list[str] | None:
        if self._groups.find(tenant_id, group_id) is None:
            return None
        return self._member_ids(tenant_id, group_id)

    def _member_ids(self, tenant_id: str, group_id: str) -> list[str]:
        return [m.user_id for m in self._members.scan("PartitionKey eq @g", {"g": f"{tenant_id}_{group_id}"})]

    def count_licenses(self, tenant_id: str) -> dict[str, int]:
        counts: dict[str, int] = {}
        for user in self._users.scan("PartitionKey eq @t", {"t": tenant_id}):
            for plan in user.licenses:
                counts[plan] = counts.get(plan, 0) + 1
        return counts

    def member_groups(self, tenant_id: str, user_id: str, group_ids: list[str]) -> list[str]:
        return [g for g in group_ids if self._members.find(f"{tenant_id}_{g}", user_id) is not None]

    # --- administration (the simulator's HTTP routes) ---------------------------------------------
    def put_user(self, tenant_id: str, user_id: str, data: SimUserInput) -> SimUser:
        user = SimUser(id=user_id, **data.model_dump())
        self._users.put(user, tenant_id, user_id)
        self._events.publish_directory_event(tenant_id, user_ids=[user_id])
        return user

    def delete_user(self, tenant_id: str, user_id: str) -> None:
        self._users.get(tenant_id, user_id, target="userId")
        self._users.delete(tenant_id, user_id)
        self._events.publish_directory_event(tenant_id, user_ids=[user_id])

    def put_group(self, tenant_id: str, group_id: str, data: SimGroupInput) -> SimGroup:
        """Replace the group's members: only the difference is written, in batches of 100."""
        members = list(dict.fromkeys(data.members))
        partition = f"{tenant_id}_{group_id}"
        before = set(self._member_ids(tenant_id, group_id))
        self._members.put_many((SimMembership(user_id=u), partition, u) for u in members if u not in before)
        self._members.delete_many(partition, sorted(before - set(members)))
        self._groups.put(
            SimGroupRecord(id=group_id, display_name=data.display_name, member_count=len(members)), tenant_id, group_id
        )
        # one group hint covers members added (current members) and removed (their Cloud PCs' target group)
        self._events.publish_directory_event(tenant_id, group_ids=[group_id])
        return SimGroup(id=group_id, display_name=data.display_name, members=members)

    def list_users(self, tenant_id: str) -> list[SimUser]:
        return list(self._users.scan("PartitionKey eq @t", {"t": tenant_id}))

    def list_groups(self, tenant_id: str) -> list[SimGroup]:
        return [
            SimGroup(id=g.id, display_name=g.display_name, members=self._member_ids(tenant_id, g.id))
            for g in self._groups.scan("PartitionKey eq @t", {"t": tenant_id})
        ]
