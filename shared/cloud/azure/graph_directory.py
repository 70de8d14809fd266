"""The Directory port over Microsoft Graph: users with their Windows 365 licenses, groups and their members, license
counts."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from shared.catalog.service_plans import SERVICE_PLANS_BY_SKU
from shared.cloud.azure.graph_client import GraphClient, GraphClients, GraphError, error_of, odata_string
from shared.ports.directory import DirectoryGroup, DirectoryUser, GroupLicense

STEP = "directory"
# licenseAssignmentStates tells which licenses groups assign (assignedLicenses holds them all), and is returned
# only when selected (https://learn.microsoft.com/graph/api/resources/licenseassignmentstate)
USER_FIELDS = "id,userPrincipalName,displayName,assignedLicenses,licenseAssignmentStates"
IDS_PER_FILTER = 15  # Graph's limit on the values of an `in` filter over directory objects
CHECK_GROUPS_MAX = 20  # checkMemberGroups takes at most 20 group ids
USER_TYPE = "#microsoft.graph.user"
GROUP_FIELDS = "id,displayName,description"
# Graph sorts a filtered list of directory objects only as an advanced query: this header, and $count=true
ADVANCED_QUERY = {"ConsistencyLevel": "eventual"}
LOOKUP_MAX_WAIT_S = 2.0  # a person is waiting for a look-up: longer throttling advice is an error to show at once


def plans_of(user: dict[str, Any]) -> tuple[str, ...]:
    """The service plans a user's license SKUs grant (SKUs that grant no Cloud PC are left out)."""
    plans = []
    for license_ in user.get("assignedLicenses") or []:
        plan = SERVICE_PLANS_BY_SKU.get(str(license_.get("skuId", "")).lower())
        if plan is not None:
            plans.append(plan.id)
    return tuple(sorted(plans))


def group_licenses_of(user: dict[str, Any]) -> tuple[GroupLicense, ...]:
    """The Windows 365 licenses groups assign the user, from its licenseAssignmentStates (`assignedByGroup` set)."""
    found = []
    for state in user.get("licenseAssignmentStates") or []:
        plan = SERVICE_PLANS_BY_SKU.get(str(state.get("skuId", "")).lower())
        group_id = state.get("assignedByGroup")
        if plan is None or not group_id:
            continue
        # the page documents null for no error; Graph's answers say "None"
        error = state.get("error")
        since = state.get("lastUpdatedDateTime")
        found.append(
            GroupLicense(
                plan.id,
                str(group_id),
                str(state.get("state") or "Active"),
                None if error in (None, "", "None") else str(error),
                datetime.fromisoformat(since) if since else None,
            )
        )
    return tuple(found)


def _user(item: dict[str, Any]) -> DirectoryUser:
    return DirectoryUser(
        id=item["id"],
        user_principal_name=item.get("userPrincipalName") or "",
        display_name=item.get("displayName") or "",
        licenses=plans_of(item),
        group_licenses=group_licenses_of(item),
    )


def _group(item: dict[str, Any]) -> DirectoryGroup:
    return DirectoryGroup(
        id=item["id"], display_name=item.get("displayName") or "", description=item.get("description") or None
    )


def _users_query(ids: list[str]) -> dict[str, str]:
    listed = ",".join(odata_string(i) for i in ids)
    return {"$filter": f"id in ({listed})", "$select": USER_FIELDS, "$top": str(len(ids))}


class GraphDirectory:
    """Reads only; one Graph client per customer tenant (GraphClients), no caching across calls."""

    def __init__(self, clients: GraphClients) -> None:
        self._clients = clients

    def get_users(self, tenant_id: str, user_ids: list[str]) -> dict[str, DirectoryUser]:
        wanted = list(dict.fromkeys(user_ids))
        if not wanted:
            return {}
        client = self._clients.client(tenant_id)
        chunks = [wanted[i : i + IDS_PER_FILTER] for i in range(0, len(wanted), IDS_PER_FILTER)]
        found: dict[str, DirectoryUser] = {}
        if len(chunks) == 1:
            for item in client.pages("users", step=STEP, params=_users_query(chunks[0])):
                found[item["id"]] = _user(item)
            return found
        # many users: up to 20 filtered lists in one round trip (300 users a call)
        requests = [
            {"id": str(n), "method": "GET", "url": _relative_url("users", _users_query(chunk))}
            for n, chunk in enumerate(chunks)
        ]
        for answer in client.batch(requests, step=STEP).values():
            body = answer.get("body") or {}
            if int(answer.get("status", 500)) >= 400:
                error = body.get("error") or {}
                message = str(error.get("message") or "a batched user read failed")
                raise GraphError(STEP, str(error.get("code") or "batchItemFailed"), message, int(answer["status"]))
            for item in body.get("value", []):
                found[item["id"]] = _user(item)
        return found

    def list_group_members(self, tenant_id: str, group_id: str) -> list[str] | None:
        members = self._user_members(tenant_id, group_id, "id")
        return None if members is None else [m["id"] for m in members]

    def group_members_with_licenses(self, tenant_id: str, group_id: str) -> list[DirectoryUser] | None:
        members = self._user_members(tenant_id, group_id, USER_FIELDS)
        return None if members is None else [_user(m) for m in members]

    def _user_members(self, tenant_id: str, group_id: str, fields: str) -> list[dict[str, Any]] | None:
        client = self._clients.client(tenant_id)
        params = {"$select": fields, "$top": "999"}
        try:
            members = list(client.pages(f"groups/{group_id}/members", step=STEP, params=params))
        except GraphError as exc:
            if exc.status == 404:
                return None
            raise
        # direct members that are users: nested groups are not expanded (Windows 365 doesn't)
        return [m for m in members if m.get("@odata.type") == USER_TYPE]

    def member_groups(self, tenant_id: str, user_id: str, group_ids: list[str]) -> list[str]:
        wanted = list(dict.fromkeys(group_ids))
        if not wanted:
            return []
        client = self._clients.client(tenant_id)
        candidates: set[str] = set()
        for start in range(0, len(wanted), CHECK_GROUPS_MAX):
            chunk = wanted[start : start + CHECK_GROUPS_MAX]
            response = client.send("POST", f"users/{user_id}/checkMemberGroups", step=STEP, body={"groupIds": chunk})
            if response.status_code == 404:
                return []  # the user is gone: a member of nothing
            if response.status_code >= 400:
                raise error_of(STEP, response)
            candidates |= {str(g).lower() for g in response.json().get("value", [])}
        if not candidates:
            return []
        # checkMemberGroups is transitive; Windows 365 targets direct members only, so confirm with memberOf
        direct = _direct_groups(client, user_id)
        return [g for g in wanted if g.lower() in candidates and g.lower() in direct]

    def count_licenses(self, tenant_id: str) -> dict[str, int]:
        client = self._clients.client(tenant_id)
        counts: dict[str, int] = {}
        for sku in client.pages("subscribedSkus", step=STEP):
            plan = SERVICE_PLANS_BY_SKU.get(str(sku.get("skuId", "")).lower())
            if plan is not None:
                counts[plan.id] = counts.get(plan.id, 0) + int(sku.get("consumedUnits") or 0)
        return counts

    def find_groups(self, tenant_id: str, name_prefix: str | None, top: int) -> list[DirectoryGroup]:
        client = self._clients.client(tenant_id)
        conditions = ["securityEnabled eq true"]
        if name_prefix:
            conditions.append(f"startswith(displayName,{odata_string(name_prefix)})")
        params = {
            "$filter": " and ".join(conditions),
            "$orderby": "displayName",
            "$count": "true",
            "$top": str(top),
            "$select": GROUP_FIELDS,
        }
        # one page only: the caller asked for the first `top`, so no nextLink is followed
        page = client.call(
            "GET", "groups", step=STEP, params=params, headers=ADVANCED_QUERY, retry_max_wait=LOOKUP_MAX_WAIT_S
        )
        return [_group(item) for item in page.get("value", [])[:top]]

    def get_group(self, tenant_id: str, group_id: str) -> DirectoryGroup | None:
        client = self._clients.client(tenant_id)
        item = client.get_or_none(
            f"groups/{group_id}", step=STEP, params={"$select": GROUP_FIELDS}, retry_max_wait=LOOKUP_MAX_WAIT_S
        )
        return _group(item) if item is not None else None


def _direct_groups(client: GraphClient, user_id: str) -> set[str]:
    items = client.pages(f"users/{user_id}/memberOf", step=STEP, params={"$select": "id", "$top": "999"})
    return {str(item["id"]).lower() for item in items}


def _relative_url(path: str, params: dict[str, str]) -> str:
    return f"/{path}?{urlencode(params)}"
