"""Graph users and their licenses: create, read, list, update, delete, assignLicense, licenseDetails.

Store kinds (state is per Entra tenant, the token's `tid`; each SKU's units and their use: `skus`):
- `graph.user`     `{tid}/{id}`            the user; `assignedLicenses: [{skuId, disabledPlans}]`
- `graph.upn`      `{tid}/{upn lower}`     `{id}`: userPrincipalName is unique in a tenant
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from azure_emulator.graph import skus
from azure_emulator.graph.common import ID, GraphRoutes, bad_request, not_found, now_iso, odata_context, select
from azure_emulator.graph.common import select_fields as selected
from azure_emulator.graph.odata import paged, parse_filter
from azure_emulator.server import Context, Request, Response
from azure_emulator.store import Store

USER, UPN = "graph.user", "graph.upn"
USER_TYPE = "#microsoft.graph.user"
# what Graph v1.0 returns for a user without $select (assignedLicenses and accountEnabled need a $select)
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
    return select({"@odata.type": USER_TYPE, **user}, fields, DEFAULT_PROPERTIES)


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
            **{k: v for k, v in body.items() if k != "passwordProfile"},  # the password is never kept
            "assignedLicenses": [],
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
        matches = parse_filter(request.q("$filter"))
        users = store.scan(USER, f"{request.tenant}/", where=matches)
        fields = selected(request)
        body = paged(request, users, odata_context(request, "users"), lambda u: select(u, fields, DEFAULT_PROPERTIES))
        return Response(200, body)

    @routes.route("GET", rf"/users/(?P<user>{ID})", "getUser")
    def read_user(request: Request) -> Response:
        user = get_user(store, request.tenant, request.params["user"])
        shown = select(user, selected(request), DEFAULT_PROPERTIES)
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
        from azure_emulator.graph import groups  # membership rows go with the user

        tid = request.tenant
        with store.transaction():
            user = get_user(store, tid, request.params["user"])
            store.delete(USER, f"{tid}/{user['id']}")
            store.delete(UPN, f"{tid}/{str(user['userPrincipalName']).lower()}")
            left = groups.remove_member_everywhere(store, tid, user["id"])
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
        tid, body = request.tenant, request.json()
        adds, removes = body.get("addLicenses"), body.get("removeLicenses")
        if not isinstance(adds, list) or not isinstance(removes, list):
            raise bad_request("Both addLicenses and removeLicenses are required (either may be an empty list).")
        add_ids = [str(item.get("skuId", "")).lower() for item in adds if isinstance(item, dict)]
        remove_ids = [str(sku).lower() for sku in removes]
        for sku_id in [*add_ids, *remove_ids]:
            if sku_id not in skus.SKUS_BY_ID:
                raise bad_request(f"License {sku_id} does not correspond to a valid company License.")
        if set(add_ids) & set(remove_ids):
            raise bad_request("The same license cannot be added and removed in one request.")
        with store.transaction():
            user = get_user(store, tid, request.params["user"])
            held = {lic["skuId"]: lic for lic in user.get("assignedLicenses", [])}
            for sku_id in remove_ids:
                if sku_id not in held:
                    raise bad_request(f"User does not have a corresponding license {sku_id}.")
            new = [sku_id for sku_id in dict.fromkeys(add_ids) if sku_id not in held]
            if new and not user.get("usageLocation"):
                raise bad_request("License assignment cannot be done for user with invalid usage location.")
            for sku_id in new:
                if skus.free_units(store, tid, sku_id) < 1:  # Graph's wording, as admins' scripts match it
                    raise bad_request(f"Subscription with SKU {sku_id} does not have any available licenses.")
            for item in adds:
                sku_id = str(item.get("skuId", "")).lower()
                held[sku_id] = {"skuId": sku_id, "disabledPlans": list(item.get("disabledPlans") or [])}
            for sku_id in remove_ids:
                held.pop(sku_id, None)
            user["assignedLicenses"] = list(held.values())
            store.put(USER, f"{tid}/{user['id']}", user)
            skus.count_usage(store, tid, new, remove_ids)
        if new or remove_ids:
            notify(tid, "users", "updated", user["id"])
        shown = select(user, None, DEFAULT_PROPERTIES)
        return Response(200, {"@odata.context": odata_context(request, "users/$entity"), **shown})

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
