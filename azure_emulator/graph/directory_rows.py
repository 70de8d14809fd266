"""The directory's rows in the emulator's store, which users, groups, throttling and Windows 365 all read: the kinds
of row, and group membership kept from both sides (see groups.py for the layout)."""

from __future__ import annotations

from azure_emulator.store import Store

USER, UPN = "graph.user", "graph.upn"
GROUP, MEMBER, MEMBER_OF = "graph.group", "graph.member", "graph.memberOf"


def edge_keys(tid: str, group_id: str, member_id: str) -> tuple[str, str]:
    return f"{tid}/{group_id}/{member_id}", f"{tid}/{member_id}/{group_id}"


def direct_groups(store: Store, tid: str, member_id: str) -> list[str]:
    return [edge["groupId"] for edge in store.scan(MEMBER_OF, f"{tid}/{member_id}/")]


def transitive_groups(store: Store, tid: str, member_id: str) -> set[str]:
    found: set[str] = set()
    frontier = [member_id]
    while frontier:
        for group_id in direct_groups(store, tid, frontier.pop()):
            if group_id not in found:
                found.add(group_id)
                frontier.append(group_id)
    return found


def remove_member_everywhere(store: Store, tid: str, member_id: str) -> list[str]:
    """Drop every membership of a deleted object; the groups it left."""
    left = direct_groups(store, tid, member_id)
    for group_id in left:
        for kind, key in zip((MEMBER, MEMBER_OF), edge_keys(tid, group_id, member_id), strict=True):
            store.delete(kind, key)
    return left
