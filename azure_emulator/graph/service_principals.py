"""Graph service principals: an app's identity in a tenant, which exists once an admin has consented to the app.

`GET /servicePrincipals(appId='{appId}')` and `GET /servicePrincipals?$filter=appId eq '{appId}'` are how tools
such as `az role assignment create --assignee <appId>` find the object id a role assignment names
(https://learn.microsoft.com/graph/api/serviceprincipal-get). Its id is the `oid` of the app's tokens in the tenant.
Microsoft's first-party apps (consent.py) have one in every tenant. Without that filter the list is a list of
directory objects, by Graph's advanced-query rules (odata.py): `$search="displayName:..."` finds them by name with
`ConsistencyLevel: eventual` (https://learn.microsoft.com/graph/search-query-parameter), and is refused without it.
A principal's displayName is its app registration's name (consent.py), a first-party app's Microsoft's.
"""

from __future__ import annotations

import re
from typing import Any

from azure_emulator.consent import (
    AZURE_VIRTUAL_DESKTOP_APP_ID,
    FIRST_PARTY_APPS,
    KIND,
    WINDOWS_365_APP_ID,
    has_service_principal,
    registration_of,
)
from azure_emulator.graph.common import GraphRoutes, not_found, odata_context, select, select_fields
from azure_emulator.graph.odata import directory_query, paged
from azure_emulator.server import Context, Request, Response
from azure_emulator.store import Store
from azure_emulator.tokens import principal_id

APP_ID_FILTER = re.compile(r"^\s*appId\s+eq\s+'([^']+)'\s*$", re.IGNORECASE)
TYPE = "#microsoft.graph.servicePrincipal"
FIRST_PARTY_NAMES = {AZURE_VIRTUAL_DESKTOP_APP_ID: "Azure Virtual Desktop", WINDOWS_365_APP_ID: "Windows 365"}


def _principal(store: Store, tenant: str, app_id: str) -> dict[str, Any]:
    name = FIRST_PARTY_NAMES.get(app_id.lower()) or registration_of(store, app_id).display_name or app_id
    return {
        "@odata.type": TYPE,
        "id": principal_id(tenant, app_id),
        "appId": app_id,
        "displayName": name,
        "servicePrincipalType": "Application",
        "accountEnabled": True,
    }


def _apps(store: Store, tenant: str) -> list[str]:
    """The apps with a service principal in the tenant: those consented to there, and Microsoft's own."""
    prefix = f"{tenant}/".lower()
    consented = [
        key[len(prefix) :] for key in store.keys(KIND, prefix) if (store.get(KIND, key) or {}).get("consented")
    ]
    return sorted({*consented, *FIRST_PARTY_APPS})


def register(ctx: Context, routes: GraphRoutes) -> None:
    @routes.route("GET", r"/servicePrincipals\(appId='(?P<app>[^']+)'\)", "getServicePrincipal")
    def get_by_app_id(request: Request) -> Response:
        tenant, app = request.tenant, request.params["app"]
        if not has_service_principal(ctx.store, tenant, app):
            raise not_found(f"servicePrincipals(appId='{app}')")
        found = _principal(ctx.store, tenant, app)
        return Response(200, {"@odata.context": odata_context(request, "servicePrincipals/$entity"), **found})

    @routes.route("GET", r"/servicePrincipals", "listServicePrincipals")
    def list_by_app_id(request: Request) -> Response:
        tenant, context = request.tenant, odata_context(request, "servicePrincipals")
        wanted = APP_ID_FILTER.match(request.q("$filter") or "")
        if wanted is not None:
            app = wanted.group(1)
            found = [_principal(ctx.store, tenant, app)] if has_service_principal(ctx.store, tenant, app) else []
            return Response(200, {"@odata.context": context, "value": found})
        query = directory_query(request, "ServicePrincipal")
        principals = [
            p for p in (_principal(ctx.store, tenant, app) for app in _apps(ctx.store, tenant)) if query.matches(p)
        ]
        fields = select_fields(request)
        body = paged(request, principals, context, lambda p: select(p, fields), count=query.count)
        return Response(200, body)
