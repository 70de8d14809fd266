"""Graph users and their licenses: create, read, list, update, delete, assignLicense, reprocessLicenseAssignment,
licenseDetails.

Store kinds (state is per Entra tenant, the token's `tid`; each SKU's units and their use: `skus`):
- `graph.user`     `{tid}/{id}`            the user; `licenseAssignmentStates` (direct and inherited from groups) and
                                           the `assignedLicenses: [{skuId, disabledPlans}]` they make (licensing.py)
- `graph.upn`      `{tid}/{upn lower}`     `{id}`: userPrincipalName is unique in a tenant
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from azure_emulator.graph import licensing, skus
from azure_emulator.graph.common import ID, GraphRoutes, bad_request, not_found, now_iso, odata_context, select
from azure_emulator.graph.common import select_fields as selected
from azure_emulator.graph.directory_rows import UPN, USER, direct_groups, remove_member_everywhere
from azure_emulator.graph.odata import directory_query, paged
from azure_emulator.server import Context, Request, Response
from azure_emulator.store import Store

USER_TYPE = "#microsoft.graph.user"
# what Graph v1.0 returns for a user without $select (assignedLicenses, licenseAssignmentStates and accountEnabled
# need a $select)
DEFAULT_PROPERTIES = (
    "businessPhones",
    "displayName",
    "givenName",
    "jobTitle",
    "mail",
    "mobilePhone",
    "officeLocation",
    "preferredLanguage",
    "surname",
    "userPrincipalName",
    "id",
)
REQUIRED = ("accountEnabled", "displayName", "mailNickname", "userPrincipalName", "passwordProfile")
WRITABLE = {
    "accountEnabled",
    "displayName",
    "givenName",
    "surname",
    "jobTitle",
    "mail",
    "mobilePhone",
    "officeLocation",
    "preferredLanguage",
    "usageLocation",
    "businessPhones",
    "userPrincipalName",
    "mailNickname",
    "department",
    "companyName",
    "employeeId",
    "passwordProfile",
    "userType",
}

Notify = Callable[..., None]


def find_user(store: Store, tid: str, id_or_upn: str) -> dict[str, Any] | None:
    """By object id or, as Graph allows, by userPrincipalName."""
    if "@" in id_or_upn:
        entry = store.get(UPN, f"{tid}/{id_or_upn.lower()}")
        return store.get(USER, f"{tid}/{entry['id']}") if entry else None
    return store.get(USER, f"{tid}/{id_or_upn.lower()}")


def get_user(store: Store, tid: str, id_or_upn: str) -> dict[str, Any]:
    user = find_user(store, tid, id_or_upn)
    if user is None:
        raise not_found(id_or_upn)
    return user


def as_directory_object(user: dict[str, Any], fields: list[str] | None) -> dict[str, Any]:
    return {"@odata.type": USER_TYPE, **shown_user(user, fields)}


def shown_user(user: dict[str, Any], fields: list[str] | None) -> dict[str, Any]:
    return select({**user, "licenseAssignmentStates": licensing.states_of(user)}, fields, DEFAULT_PROPERTIES)


def register(ctx: Context, routes: GraphRoutes, notify: Notify) -> None:
    store = ctx.store

    @routes.route("POST", r"/users", "createUser")
    def create_user(request: Request) -> Response:
        tid, body = request.tenant, request.json()
        missing = [name for name in REQUIRED if body.get(name) in (None, "")]
        if missing:
            raise bad_request(f"Invalid value specified for property '{missing[0]}' of resource 'User'.")
        unknown = sorted(set(body) - WRITABLE)
        if unknown:
            raise bad_request(f"Property '{unknown[0]}' does not exist on type 'microsoft.graph.user'.")
        upn = str(body["userPrincipalName"])
        if "@" not in upn:
            raise bad_request("Property userPrincipalName is invalid: it must be user@domain.")
        user_id = str(uuid.uuid4())
        user = {
            "id": user_id,
            "businessPhones": [],
            "givenName": None,
            "surname": None,
            "jobTitle": None,
            "mail": None,
            "mobilePhone": None,
            "officeLocation": None,
            "preferredLanguage": None,
            "usageLocation": None,
            "userType": "Member",  # a user made in the tenant; an invited one is a Guest (invitations.py)
            **{k: v for k, v in body.items() if k != "passwordProfile"},  # the password is never kept
            "assignedLicenses": [],
            "licenseAssignmentStates": [],
            "createdDateTime": now_iso(),
        }
        with store.transaction():
            if not store.insert(UPN, f"{tid}/{upn.lower()}", {"id": user_id}):
                raise bad_request("Another object with the same value for property userPrincipalName already exists.")
            store.put(USER, f"{tid}/{user_id}", user)
        notify(tid, "users", "created", user_id)
        shown = select(user, None, DEFAULT_PROPERTIES)
        return Response(201, {"@odata.context": odata_context(request, "users/$entity"), **shown})

    @routes.route("GET", r"/users", "listUsers")
    def list_users(request: Request) -> Response:
        query = directory_query(request, "User")
        users = store.scan(USER, f"{request.tenant}/", where=query.matches)
        fields = selected(request)
        context = odata_context(request, "users")
        body = paged(request, users, context, lambda u: shown_user(u, fields), count=query.count)
        return Response(200, body)

    @routes.route("GET", rf"/users/(?P<user>{ID})", "getUser")
    def read_user(request: Request) -> Response:
        user = get_user(store, request.tenant, request.params["user"])
        shown = shown_user(user, selected(request))
        return Response(200, {"@odata.context": odata_context(request, "users/$entity"), **shown})

    @routes.route("PATCH", rf"/users/(?P<user>{ID})", "updateUser")
    def update_user(request: Request) -> Response:
        tid, body = request.tenant, request.json()
        unknown = sorted(set(body) - WRITABLE)
        if unknown:
            raise bad_request(f"Property '{unknown[0]}' does not exist on type 'microsoft.graph.user'.")
        with store.transaction():
            user = get_user(store, tid, request.params["user"])
            new_upn = body.get("userPrincipalName")
            if new_upn and str(new_upn).lower() != str(user["userPrincipalName"]).lower():
                if not store.insert(UPN, f"{tid}/{str(new_upn).lower()}", {"id": user["id"]}):
                    raise bad_request(
                        "Another object with the same value for property userPrincipalName already exists."
                    )
                store.delete(UPN, f"{tid}/{str(user['userPrincipalName']).lower()}")
            user.update({k: v for k, v in body.items() if k != "passwordProfile"})
            store.put(USER, f"{tid}/{user['id']}", user)
        notify(tid, "users", "updated", user["id"])
        return Response(204)

    @routes.route("DELETE", rf"/users/(?P<user>{ID})", "deleteUser")
    def delete_user(request: Request) -> Response:
        tid = request.tenant
        with store.transaction():
            user = get_user(store, tid, request.params["user"])
            store.delete(USER, f"{tid}/{user['id']}")
            store.delete(UPN, f"{tid}/{str(user['userPrincipalName']).lower()}")
            left = remove_member_everywhere(store, tid, user["id"])
            skus.count_usage(store, tid, [], [lic["skuId"] for lic in user.get("assignedLicenses", [])])
        notify(tid, "users", "deleted", user["id"])
        for group_id in left:
            notify(
                tid,
                "groups",
                "updated",
                group_id,
                {"members@delta": [{"id": user["id"], "@removed": {"reason": "deleted"}}]},
            )
        return Response(204)

    @routes.route("POST", rf"/users/(?P<user>{ID})/assignLicense", "assignLicense")
    def assign_license(request: Request) -> Response:
        tid = request.tenant
        adds, remove_ids = licensing.requested_changes(request.json())
        with store.transaction():
            user = get_user(store, tid, request.params["user"])
            direct = licensing.direct_licenses(user)
            held = {lic["skuId"] for lic in user.get("assignedLicenses", [])}
            for sku_id in remove_ids:
                if sku_id in direct:
                    continue
                if licensing.inheriting_groups(user, sku_id):  # Graph's wording, as admins' scripts match it
                    raise bad_request(
                        "User license is inherited from a group membership and it cannot be removed directly from "
                        "the user."
                    )
                raise bad_request(f"User does not have a corresponding license {sku_id}.")
            new = [sku_id for sku_id in adds if sku_id not in direct]
            if new and not user.get("usageLocation"):
                raise bad_request("License assignment cannot be done for user with invalid usage location.")
            for sku_id in new:  # a SKU the user inherits already takes no other unit
                if sku_id not in held and skus.free_units(store, tid, sku_id) < 1:  # Graph's wording, as above
                    raise bad_request(f"Subscription with SKU {sku_id} does not have any available licenses.")
            direct.update(adds)
            for sku_id in remove_ids:
                direct.pop(sku_id, None)
            changed = licensing.relicense(store, tid, user, direct, direct_groups(store, tid, user["id"]))
            store.put(USER, f"{tid}/{user['id']}", user)
        return relicensed(request, tid, user, changed)

    def relicensed(request: Request, tid: str, user: dict[str, Any], changed: bool) -> Response:
        """What a license change answers: the user, and a change notification when its licenses moved."""
        if changed:
            notify(tid, "users", "updated", user["id"])
        shown = select(user, None, DEFAULT_PROPERTIES)
        return Response(200, {"@odata.context": odata_context(request, "users/$entity"), **shown})

    @routes.route("POST", rf"/users/(?P<user>{ID})/reprocessLicenseAssignment", "reprocessLicenseAssignment")
    def reprocess_license_assignment(request: Request) -> Response:
        """The user's group licenses applied again: a CountViolation takes a unit freed since (Entra retries none by
        itself). https://learn.microsoft.com/graph/api/user-reprocesslicenseassignment: no body, 200 with the user."""
        tid = request.tenant
        with store.transaction():
            user = get_user(store, tid, request.params["user"])
            direct = licensing.direct_licenses(user)
            changed = licensing.relicense(store, tid, user, direct, direct_groups(store, tid, user["id"]))
            store.put(USER, f"{tid}/{user['id']}", user)
        return relicensed(request, tid, user, changed)

    @routes.route("GET", rf"/users/(?P<user>{ID})/licenseDetails", "listLicenseDetails")
    def license_details(request: Request) -> Response:
        user = get_user(store, request.tenant, request.params["user"])
        details = []
        for license_ in user.get("assignedLicenses", []):
            sku = skus.SKUS_BY_ID[license_["skuId"]]
            details.append(
                {
                    "id": f"{user['id']}_{sku.sku_id}",
                    "skuId": sku.sku_id,
                    "skuPartNumber": sku.part_number,
                    "servicePlans": skus.service_plans(sku),
                }
            )
        return Response(200, {"@odata.context": odata_context(request, "licenseDetails"), "value": details})
