"""HTTP routes of configuration as code, a tenant's and the organization's: export the document, plan it, apply it
with If-Match on its version; the background work a tenant's apply asks for (health checks, image imports, Spot Group
runs) started here."""

from __future__ import annotations

import asyncio

import azure.durable_functions as df

from orchestrators.starting import start_background_work
from shared.ports.admin_ports import AdminPorts
from shared.ports.bundles import SpotGroupPorts
from shared.services.configuration import documents as service
from shared.services.configuration import organization_document as organization
from shared.services.configuration.configurable import AccessFollows, Work
from shared.services.configuration.documents import ConfigurationDocument, ConfigurationPlan
from shared.services.configuration.organization_document import OrganizationDocument
from shared.services.spot_pc.spot_group_access import reconcile_access
from triggers.http_api import Api
from triggers.http_request import ApiRequest
from triggers.http_responses import ApiResponse

# `:plan` and `:apply` are literal text of the last segment: devhost/routing.py escapes literals, and ASP.NET Core's
# route templates (which the Functions host uses) treat `:` as special only inside a parameter's braces
# (https://github.com/dotnet/aspnetcore/issues/51769: `humans:lough` is one literal segment)
CONFIGURATION = "tenants/{tenantId}/configuration"
ORGANIZATION_CONFIGURATION = "configuration"


async def start_work(client: df.DurableOrchestrationClient, cloud: SpotGroupPorts, work: Work) -> None:
    """The background work a configuration change asks for (a document's apply, a template's roll-out)."""
    if isinstance(work, AccessFollows):  # as a Spot Group's PATCH does when its hosts stay
        await asyncio.to_thread(reconcile_access, cloud, work.group)
    else:
        await start_background_work(client, work)


def blueprint(api: Api, ports: AdminPorts, cloud: SpotGroupPorts) -> df.Blueprint:
    bp = df.Blueprint()
    routes = api.section(bp, "Configuration as code")

    @routes.get(
        CONFIGURATION,
        "exportConfiguration",
        "Export the tenant's configuration as one document",
        description="Connections (never a secret), device images, provisioning policies and Windows 365 user "
        "settings with their assignments, Spot Groups and their schedules, alert rules (a webhook's secret left out, "
        "a Teams address masked) and the reclaim rule; each reference by its stable name, objects in name order. "
        "`version` hashes the content and is the ETag: configuration:apply's If-Match.",
        response=ConfigurationDocument,
    )
    def export_configuration(req: ApiRequest) -> ApiResponse:
        document = service.export(ports, req.param("tenantId"))
        return ApiResponse(200, document, {"ETag": service.etag_of(document["version"])})

    @routes.post(
        f"{CONFIGURATION}:plan",
        "planConfiguration",
        "Say what a configuration document would change, object by object and field by field; nothing is saved",
        body=ConfigurationDocument,
        response=ConfigurationPlan,
        review=False,
    )
    def plan_configuration(req: ApiRequest) -> ConfigurationPlan:
        return service.plan(ports, req.param("tenantId"), req.body(ConfigurationDocument))

    @routes.post(
        f"{CONFIGURATION}:apply",
        "applyConfiguration",
        "Apply a configuration document (If-Match: the version it was planned against)",
        description="Every object is checked before any is written: a problem is a 400 naming each field by its JSON "
        "path, and nothing is saved. Applying the same document again changes nothing. Objects the document leaves "
        "out are kept, never deleted.",
        body=ConfigurationDocument,
        response=ConfigurationPlan,
        conditional=True,
        if_match_required=True,
        durable=True,
        review=False,
    )
    async def apply_configuration(req: ApiRequest) -> ApiResponse:
        tenant_id = req.param("tenantId")
        applied = service.apply(ports, tenant_id, req.body(ConfigurationDocument), if_match=req.if_match)
        for work in applied.work:
            await start_work(req.durable, cloud, work)
        version = service.export(ports, tenant_id)["version"]
        return ApiResponse(200, applied.plan, {"ETag": service.etag_of(version)})

    @routes.get(
        ORGANIZATION_CONFIGURATION,
        "exportOrganizationConfiguration",
        "Export the organization's configuration as one document",
        description="The organization's alert rules (as a tenant's document holds them) and its templates, each by "
        "its display name with its kind, description, fields and parameters (no id, version number or date); objects "
        "in name order. `version` hashes the content and is the ETag: configuration:apply's If-Match.",
        response=OrganizationDocument,
    )
    def export_organization(req: ApiRequest) -> ApiResponse:
        document = organization.export(ports)
        return ApiResponse(200, document, {"ETag": service.etag_of(document["version"])})

    @routes.post(
        f"{ORGANIZATION_CONFIGURATION}:plan",
        "planOrganizationConfiguration",
        "Say what an organization's configuration document would change, object by object and field by field; "
        "nothing is saved",
        body=OrganizationDocument,
        response=ConfigurationPlan,
        review=False,
    )
    def plan_organization(req: ApiRequest) -> ConfigurationPlan:
        return organization.plan(ports, req.body(OrganizationDocument))

    @routes.post(
        f"{ORGANIZATION_CONFIGURATION}:apply",
        "applyOrganizationConfiguration",
        "Apply an organization's configuration document (If-Match: the version it was planned against)",
        description="Every object is checked before any is written: a problem is a 400 naming each field by its JSON "
        "path, and nothing is saved. A template that differs gets its next version, as updateTemplate gives it; none "
        "is rolled out to tenants. Applying the same document again changes nothing; nothing is deleted.",
        body=OrganizationDocument,
        response=ConfigurationPlan,
        conditional=True,
        if_match_required=True,
        review=False,
    )
    def apply_organization(req: ApiRequest) -> ApiResponse:
        applied = organization.apply(ports, req.body(OrganizationDocument), if_match=req.if_match)
        version = organization.export(ports)["version"]
        return ApiResponse(200, applied.plan, {"ETag": service.etag_of(version)})

    return bp
