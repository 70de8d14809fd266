"""What Entra tells anyone of a tenant: its name and domains, found by a domain name (Graph's tenantRelationships).

Every emulated tenant has a default domain, `<its id's 32 hex digits>.onmicrosoft.com`, and a display name, until
`PUT /emulator/tenants/{tid}/organization` `{"displayName"?, "domains"?: [...]}` names it and verifies more domains
(its `defaultDomainName` becomes the first of them). `GET /tenantRelationships/findTenantInformationByDomainName(
domainName='{domain}')` answers `{tenantId, displayName, defaultDomainName, federationBrandName}` for any tenant a
domain is verified in, 404 `Request_ResourceNotFound` for one nobody verified, to an app holding
CrossTenantInformation.ReadBasic.All in its own tenant
(https://learn.microsoft.com/graph/api/tenantrelationship-findtenantinformationbydomainname).
Store kinds: `graph.organization` `{tid}` -> name and domains; `graph.domain` `{domain}` -> `{tid}`.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from azure_emulator.graph.common import GraphRoutes, not_found, odata_context
from azure_emulator.server import ApiError, Context, Request, Response

ORGANIZATION, DOMAIN = "graph.organization", "graph.domain"
DEFAULT_DOMAIN = re.compile(r"^([0-9a-f]{32})\.onmicrosoft\.com$")


def default_domain(tenant_id: str) -> str:
    return f"{uuid.UUID(tenant_id).hex}.onmicrosoft.com"


def organization(ctx: Context, tenant_id: str) -> dict[str, Any]:
    found = ctx.store.get(ORGANIZATION, tenant_id.lower())
    if found is not None:
        return found
    return {"displayName": f"Tenant {tenant_id[:8]}", "domains": [default_domain(tenant_id)]}


def tenant_of(ctx: Context, domain: str) -> str | None:
    domain = domain.strip().lower()
    found = ctx.store.get(DOMAIN, domain)
    if found is not None:
        return str(found["tenantId"])
    default = DEFAULT_DOMAIN.match(domain)
    return str(uuid.UUID(default.group(1))) if default else None


def register(ctx: Context, routes: GraphRoutes) -> None:
    @routes.route(
        "GET",
        r"/tenantRelationships/findTenantInformationByDomainName\(domainName='(?P<domain>[^']*)'\)",
        "findTenantInformationByDomainName",
    )
    def find_by_domain(request: Request) -> Response:
        domain = request.params["domain"]
        tenant = tenant_of(ctx, domain)
        if tenant is None:
            raise not_found(domain)
        found = organization(ctx, tenant)
        return Response(
            200,
            {
                "@odata.context": odata_context(request, "microsoft.graph.tenantInformation"),
                "tenantId": tenant,
                "displayName": found["displayName"],
                "defaultDomainName": found["domains"][0],
                "federationBrandName": None,
            },
        )

    path = r"/emulator/tenants/(?P<tid>[^/]+)/organization"

    @ctx.router.route("PUT", path, operation="emulatorControl", api="emulator", auth=False)
    def set_organization(request: Request) -> Response:
        tid, body = request.params["tid"].lower(), request.json()
        now = organization(ctx, tid)
        name = body.get("displayName", now["displayName"]) if isinstance(body, dict) else None
        domains = body.get("domains", now["domains"]) if isinstance(body, dict) else None
        if (
            not isinstance(name, str)
            or not name
            or not isinstance(domains, list)
            or not domains
            or not all(isinstance(d, str) and "." in d for d in domains)
        ):
            raise ApiError(400, "InvalidRequestContent", "'displayName' is a name and 'domains' a list of domains.")
        domains = [d.lower() for d in domains]
        for domain in domains:
            owner = tenant_of(ctx, domain)
            if owner is not None and owner != tid:
                raise ApiError(400, "InvalidRequestContent", f"{domain} is verified in tenant {owner} already.")
        for domain in now["domains"]:
            ctx.store.delete(DOMAIN, domain)
        for domain in domains:
            ctx.store.put(DOMAIN, domain, {"tenantId": tid})
        saved = ctx.store.put(ORGANIZATION, tid, {"displayName": name, "domains": domains})
        return Response(200, {"tenantId": tid, **saved})

    @ctx.router.route("GET", path, operation="emulatorControl", api="emulator", auth=False)
    def get_organization(request: Request) -> Response:
        tid = request.params["tid"].lower()
        return Response(200, {"tenantId": tid, **organization(ctx, tid)})
