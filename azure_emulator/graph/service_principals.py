"""Graph service principals: an app's identity in a tenant, which exists once an admin has consented to the app.

`GET /servicePrincipals(appId='{appId}')` and `GET /servicePrincipals?$filter=appId eq '{appId}'` are how tools
such as `az role assignment create --assignee <appId>` find the object id a role assignment names
(https://learn.microsoft.com/graph/api/serviceprincipal-get). Its id is the `oid` of the app's tokens in the tenant.
Microsoft's first-party apps (consent.py) have one in every tenant.
"""

from __future__ import annotations

import re
from typing import Any

from azure_emulator.consent import has_service_principal
from azure_emulator.graph.common import GraphRoutes, bad_request, not_found, odata_context
from azure_emulator.server import Context, Request, Response
from azure_emulator.tokens import principal_id

APP_ID_FILTER = re.compile(r"^\s*appId\s+eq\s+'([^']+)'\s*$", re.IGNORECASE)


def _principal(tenant: str, app_id: str) -> dict[str, Any]:
    return {
        "id": principal_id(tenant, app_id),
        "appId": app_id,
        "servicePrincipalType": "Application",
        "accountEnabled": True,
    }


def register(ctx: Context, routes: GraphRoutes) -> None:
    @routes.route("GET", r"/servicePrincipals\(appId='(?P<app>[^']+)'\)", "getServicePrincipal")
    def get_by_app_id(request: Request) -> Response:
        tenant, app = request.tenant, request.params["app"]
        if not has_service_principal(ctx.store, tenant, app):
            raise not_found(f"servicePrincipals(appId='{app}')")
        return Response(
            200, {"@odata.context": odata_context(request, "servicePrincipals/$entity"), **_principal(tenant, app)}
        )

    @routes.route("GET", r"/servicePrincipals", "listServicePrincipals")
    def list_by_app_id(request: Request) -> Response:
        wanted = APP_ID_FILTER.match(request.q("$filter") or "")
        if wanted is None:
            raise bad_request("Only $filter=appId eq '{appId}' is supported on servicePrincipals here.")
        tenant, app = request.tenant, wanted.group(1)
        found = [_principal(tenant, app)] if has_service_principal(ctx.store, tenant, app) else []
        return Response(200, {"@odata.context": odata_context(request, "servicePrincipals"), "value": found})
