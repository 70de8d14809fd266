"""Graph groups and membership: groups, members (paged), members/$ref, checkMemberGroups, memberOf.

Store kinds, per Entra tenant:
- `graph.group`    `{tid}/{id}`                   the group
- `graph.member`   `{tid}/{groupId}/{memberId}`   `{groupId, memberId, type: "user"|"group"}` (direct members)
- `graph.memberOf` `{tid}/{memberId}/{groupId}`   the same edge, indexed from the member's side
`members` and `memberOf` are direct; `checkMemberGroups` is transitive, as Graph documents it. A group's licenses
(`assignLicense`) pass to its direct user members (licensing.py), so adding or removing a user relicenses it.
"""

from __future__ import annotations

import uuid
from typing import Any

from azure_emulator.graph import licensing, users
from azure_emulator.graph.common import ID, GraphRoutes, bad_request, not_found, now_iso, odata_context, select
from azure_emulator.graph.common import select_fields as selected
from azure_emulator.graph.directory_rows import (
    GROUP,
    MEMBER,
    MEMBER_OF,
    USER,
    direct_groups,
    edge_keys,
    remove_member_everywhere,
    transitive_groups,
)
from azure_emulator.graph.odata import directory_query, paged
from azure_emulator.server import Context, Request, Response
from azure_emulator.store import Store

GROUP_TYPE = "#microsoft.graph.group"
REQUIRED = ("displayName", "mailEnabled", "mailNickname", "securityEnabled")
MAX_CHECK = 20


def get_group(store: Store, tid: str, group_id: str) -> dict[str, Any]:
    group = store.get(GROUP, f"{tid}/{group_id.lower()}")
    if group is None:
        raise not_found(group_id)
    return group


def _directory_object(store: Store, tid: str, object_id: str) -> tuple[str, dict[str, Any]] | None:
    user = users.find_user(store, tid, object_id)
    if user is not None:
        return "user", user
    group = store.get(GROUP, f"{tid}/{object_id.lower()}")
    return ("group", group) if group is not None else None


def _shown(kind: str, doc: dict[str, Any], fields: list[str] | None) -> dict[str, Any]:
    if kind == "user":
        return users.as_directory_object(doc, fields)
    return select({"@odata.type": GROUP_TYPE, **doc}, fields)


def _with_licenses(store: Store, tid: str, group: dict[str, Any], fields: list[str] | None) -> dict[str, Any]:
    """`assignedLicenses` only when selected: Graph returns a group's licenses on `$select` only."""
    if fields and "assignedLicenses" in fields:
        return {**group, "assignedLicenses": licensing.group_licenses(store, tid, group["id"])}
    return group


def _relicense_member(store: Store, tid: str, user_id: str) -> bool:
    """After a membership change: the user's inherited licenses follow its direct groups'; in the transaction."""
    user = users.find_user(store, tid, user_id)
    if user is None:
        return False
    changed = licensing.relicense(store, tid, user, licensing.direct_licenses(user), direct_groups(store, tid, user_id))
    store.put(USER, f"{tid}/{user['id']}", user)
    return changed


def register(ctx: Context, routes: GraphRoutes, notify: users.Notify) -> None:
    store = ctx.store

    @routes.route("POST", r"/groups", "createGroup")
    def create_group(request: Request) -> Response:
        tid, body = request.tenant, request.json()
        missing = [name for name in REQUIRED if body.get(name) in (None, "")]
        if missing:
            raise bad_request(f"Invalid value specified for property '{missing[0]}' of resource 'Group'.")
        group_id = str(uuid.uuid4())
        group = {
            "id": group_id,
            "description": None,
            "groupTypes": [],
            **{k: v for k, v in body.items() if not k.endswith("@odata.bind")},
            "createdDateTime": now_iso(),
        }
        store.put(GROUP, f"{tid}/{group_id}", group)
        notify(tid, "groups", "created", group_id)
        return Response(201, {"@odata.context": odata_context(request, "groups/$entity"), **group})

    @routes.route("GET", r"/groups", "listGroups")
    def list_groups(request: Request) -> Response:
        query = directory_query(request, "Group")
        found = store.scan(GROUP, f"{request.tenant}/", where=query.matches)
        fields = selected(request)
        context = odata_context(request, "groups")

        def shown(group: dict[str, Any]) -> dict[str, Any]:
            return select(_with_licenses(store, request.tenant, group, fields), fields)

        body = paged(request, found, context, shown, count=query.count)
        return Response(200, body)

    @routes.route("GET", rf"/groups/(?P<group>{ID})", "getGroup")
    def read_group(request: Request) -> Response:
        group = get_group(store, request.tenant, request.params["group"])
        fields = selected(request)
        shown = select(_with_licenses(store, request.tenant, group, fields), fields)
        return Response(200, {"@odata.context": odata_context(request, "groups/$entity"), **shown})

    @routes.route("DELETE", rf"/groups/(?P<group>{ID})", "deleteGroup")
    def delete_group(request: Request) -> Response:
        tid = request.tenant
        with store.transaction():
            group = get_group(store, tid, request.params["group"])
            if licensing.group_licenses(store, tid, group["id"]):  # licensing.ADVANCED; the wording is not confirmed
                raise bad_request("The group has licenses assigned: remove them before deleting the group.")
            for edge in store.scan(MEMBER, f"{tid}/{group['id']}/"):
                for kind, key in zip((MEMBER, MEMBER_OF), edge_keys(tid, group["id"], edge["memberId"]), strict=True):
                    store.delete(kind, key)
            remove_member_everywhere(store, tid, group["id"])
            store.delete(GROUP, f"{tid}/{group['id']}")
        notify(tid, "groups", "deleted", group["id"])
        return Response(204)

    @routes.route("GET", rf"/groups/(?P<group>{ID})/members", "listGroupMembers")
    def list_members(request: Request) -> Response:
        tid = request.tenant
        query = directory_query(request, "DirectoryObject")
        group = get_group(store, tid, request.params["group"])
        objects = []
        for edge in store.scan(MEMBER, f"{tid}/{group['id']}/"):
            found = _directory_object(store, tid, edge["memberId"])
            if found is not None and query.matches(found[1]):
                objects.append({"_kind": found[0], **found[1]})
        fields = selected(request)
        context = odata_context(request, "directoryObjects")
        body = paged(request, objects, context, lambda o: _shown(o["_kind"], o, fields), count=query.count)
        return Response(200, body)

    @routes.route("POST", rf"/groups/(?P<group>{ID})/members/\$ref", "addGroupMember")
    def add_member(request: Request) -> Response:
        tid = request.tenant
        reference = str(request.json().get("@odata.id") or "")
        member_id = reference.rstrip("/").rsplit("/", 1)[-1].lower()
        if not member_id:
            raise bad_request("The @odata.id of the object to add is required.")
        with store.transaction():
            group = get_group(store, tid, request.params["group"])
            found = _directory_object(store, tid, member_id)
            if found is None:
                raise not_found(member_id)
            kind, member = found
            nested_in_member = kind == "group" and member["id"] in transitive_groups(store, tid, group["id"])
            if member["id"] == group["id"] or nested_in_member:
                raise bad_request("A group cannot be a member of itself, directly or through its members.")
            edge = {"groupId": group["id"], "memberId": member["id"], "type": kind}
            member_key, member_of_key = edge_keys(tid, group["id"], member["id"])
            if not store.insert(MEMBER, member_key, edge):
                raise bad_request(
                    "One or more added object references already exist for the following modified properties: "
                    "'members'."
                )
            store.put(MEMBER_OF, member_of_key, edge)
            relicensed = kind == "user" and _relicense_member(store, tid, member["id"])
        notify(tid, "groups", "updated", group["id"], {"members@delta": [{"id": member["id"]}]})
        if relicensed:
            notify(tid, "users", "updated", member["id"])
        return Response(204)

    @routes.route("DELETE", rf"/groups/(?P<group>{ID})/members/(?P<member>{ID})/\$ref", "removeGroupMember")
    def remove_member(request: Request) -> Response:
        tid = request.tenant
        member_id = request.params["member"].lower()
        with store.transaction():
            group = get_group(store, tid, request.params["group"])
            member_key, member_of_key = edge_keys(tid, group["id"], member_id)
            if not store.delete(MEMBER, member_key):
                raise not_found(member_id)
            store.delete(MEMBER_OF, member_of_key)
            relicensed = _relicense_member(store, tid, member_id)
        notify(
            tid,
            "groups",
            "updated",
            group["id"],
            {"members@delta": [{"id": member_id, "@removed": {"reason": "deleted"}}]},
        )
        if relicensed:
            notify(tid, "users", "updated", member_id)
        return Response(204)

    @routes.route("POST", rf"/groups/(?P<group>{ID})/assignLicense", "assignGroupLicense")
    def assign_group_license(request: Request) -> Response:
        """Graph answers 202: it applies the licenses to the members later (the emulator does at once)."""
        tid = request.tenant
        adds, remove_ids = licensing.requested_changes(request.json())
        with store.transaction():
            group = get_group(store, tid, request.params["group"])
            if not group.get("securityEnabled"):  # licensing.ADVANCED; the wording is not confirmed
                raise bad_request("Licenses can be assigned only to security groups (securityEnabled true).")
            held = {lic["skuId"]: lic for lic in licensing.group_licenses(store, tid, group["id"])}
            for sku_id in remove_ids:
                if sku_id not in held:  # as a user's assignLicense says it; the group's wording is not confirmed
                    raise bad_request(f"Group does not have a corresponding license {sku_id}.")
                del held[sku_id]
            held.update(adds)
            licensing.set_group_licenses(store, tid, group["id"], list(held.values()))
            members = [e["memberId"] for e in store.scan(MEMBER, f"{tid}/{group['id']}/") if e["type"] == "user"]
            relicensed = [m for m in members if _relicense_member(store, tid, m)]
        notify(tid, "groups", "updated", group["id"])
        for user_id in relicensed:
            notify(tid, "users", "updated", user_id)
        shown = select(group, None)
        return Response(202, {"@odata.context": odata_context(request, "groups/$entity"), **shown})

    @routes.route("POST", rf"/(?:users|directoryObjects)/(?P<user>{ID})/checkMemberGroups", "checkMemberGroups")
    def check_member_groups(request: Request) -> Response:
        tid = request.tenant
        group_ids = request.json().get("groupIds")
        if not isinstance(group_ids, list) or not all(isinstance(g, str) for g in group_ids):
            raise bad_request("groupIds must be a list of group ids.")
        if len(group_ids) > MAX_CHECK:
            raise bad_request(f"At most {MAX_CHECK} groupIds can be checked in one request.")
        user = users.get_user(store, tid, request.params["user"])
        member_of = transitive_groups(store, tid, user["id"])
        value = [g for g in group_ids if g.lower() in member_of]
        return Response(200, {"@odata.context": odata_context(request, "Collection(Edm.String)"), "value": value})

    @routes.route("GET", rf"/users/(?P<user>{ID})/memberOf", "listMemberOf")
    def member_of(request: Request) -> Response:
        tid = request.tenant
        query = directory_query(request, "DirectoryObject")
        user = users.get_user(store, tid, request.params["user"])
        found = [store.get(GROUP, f"{tid}/{g}") for g in direct_groups(store, tid, user["id"])]
        groups = [g for g in found if g is not None and query.matches(g)]
        fields = selected(request)
        context = odata_context(request, "directoryObjects")
        body = paged(request, groups, context, lambda g: _shown("group", g, fields), count=query.count)
        return Response(200, body)
