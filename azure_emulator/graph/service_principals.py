"""Graph service principals: an app's identity in a tenant, which exists once an admin has consented to the app.

`GET /servicePrincipals(appId='{appId}')` and `GET /servicePrincipals?$filter=appId eq '{appId}'` are how tools
such as `az role assignment create --assignee <appId>` find the object id a role assignment names
(https://learn.microsoft.com/graph/api/serviceprincipal-get); `GET /servicePrincipals/{id}` reads one by that id.
Its id is the `oid` of the app's tokens in the tenant. Microsoft's first-party apps (consent.py), Microsoft Graph's
among them, have one in every tenant. Without that filter the list is a list of directory objects, by Graph's
advanced-query rules (odata.py): `$search="displayName:..."` finds them by name with `ConsistencyLevel: eventual`
(https://learn.microsoft.com/graph/search-query-parameter), and is refused without it. A principal's displayName is
its app registration's name (consent.py), a first-party app's Microsoft's. Microsoft Graph's `appRoles` are its
application permissions (app_roles.py); no other principal here defines any.
"""

from __future__ import annotations

import re
from typing import Any

from azure_emulator.consent import (
    AZURE_VIRTUAL_DESKTOP_APP_ID,
    FIRST_PARTY_APPS,
    KIND,
    MICROSOFT_GRAPH_APP_ID,
    WINDOWS_365_APP_ID,
    has_service_principal,
    registration_of,
)
from azure_emulator.graph.app_roles import graph_app_roles
from azure_emulator.graph.common import GUID, GraphRoutes, not_found, odata_context, select, select_fields
from azure_emulator.graph.odata import directory_query, paged
from azure_emulator.server import Context, Request, Response
from azure_emulator.store import Store
from azure_emulator.tokens import principal_id

APP_ID_FILTER = re.compile(r"^\s*appId\s+eq\s+'([^']+)'\s*$", re.IGNORECASE)
TYPE = "#microsoft.graph.servicePrincipal"
FIRST_PARTY_NAMES = {
    AZURE_VIRTUAL_DESKTOP_APP_ID: "Azure Virtual Desktop",
    WINDOWS_365_APP_ID: "Windows 365",
    MICROSOFT_GRAPH_APP_ID: "Microsoft Graph",
}


def display_name(store: Store, app_id: str) -> str:
    return FIRST_PARTY_NAMES.get(app_id.lower()) or registration_of(store, app_id).display_name or app_id


def principal(store: Store, tenant: str, app_id: str) -> dict[str, Any]:
    return {
        "@odata.type": TYPE,
        "id": principal_id(tenant, app_id),
        "appId": app_id,
        "displayName": display_name(store, app_id),
        "servicePrincipalType": "Application",
        "accountEnabled": True,
        "appRoles": graph_app_roles() if app_id.lower() == MICROSOFT_GRAPH_APP_ID else [],
    }


def apps(store: Store, tenant: str) -> list[str]:
    """The apps with a service principal in the tenant: those consented to there, and Microsoft's own."""
    prefix = f"{tenant}/".lower()
    consented = [
        key[len(prefix) :] for key in store.keys(KIND, prefix) if (store.get(KIND, key) or {}).get("consented")
    ]
    return sorted({*consented, *FIRST_PARTY_APPS})


def app_of(store: Store, tenant: str, object_id: str) -> str | None:
    """The app whose service principal in the tenant has the object id `object_id`, if any."""
    return next((app for app in apps(store, tenant) if principal_id(tenant, app) == object_id.lower()), None)


def register(ctx: Context, routes: GraphRoutes) -> None:
    @routes.route("GET", r"/servicePrincipals\(appId='(?P<app>[^']+)'\)", "getServicePrincipal")
    def get_by_app_id(request: Request) -> Response:
        tenant, app = request.tenant, request.params["app"]
        if not has_service_principal(ctx.store, tenant, app):
            raise not_found(f"servicePrincipals(appId='{app}')")
        found = principal(ctx.store, tenant, app)
        return Response(200, {"@odata.context": odata_context(request, "servicePrincipals/$entity"), **found})

    @routes.route("GET", rf"/servicePrincipals/(?P<id>{GUID})", "getServicePrincipal")
    def get_by_id(request: Request) -> Response:
        tenant, object_id = request.tenant, request.params["id"]
        app = app_of(ctx.store, tenant, object_id)
        if app is None:
            raise not_found(object_id)
        found = principal(ctx.store, tenant, app)
        return Response(200, {"@odata.context": odata_context(request, "servicePrincipals/$entity"), **found})

    @routes.route("GET", r"/servicePrincipals", "listServicePrincipals")
    def list_by_app_id(request: Request) -> Response:
        tenant, context = request.tenant, odata_context(request, "servicePrincipals")
        wanted = APP_ID_FILTER.match(request.q("$filter") or "")
        if wanted is not None:
            app = wanted.group(1)
            found = [principal(ctx.store, tenant, app)] if has_service_principal(ctx.store, tenant, app) else []
            return Response(200, {"@odata.context": context, "value": found})
        query = directory_query(request, "ServicePrincipal")
        principals = [
            p for p in (principal(ctx.store, tenant, app) for app in apps(ctx.store, tenant)) if query.matches(p)
        ]
        fields = select_fields(request)
        body = paged(request, principals, context, lambda p: select(p, fields), count=query.count)
        return Response(200, body)
