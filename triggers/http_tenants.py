"""HTTP routes for tenants and their sites."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import azure.durable_functions as df

from shared.models.base import Page
from shared.models.sites import (
    AzureResourceGroup,
    AzureSubscription,
    Site,
    SiteCreate,
    SiteImage,
    SiteSubnet,
    SiteUpdate,
    SiteVmSize,
)
from shared.models.tenants import (
    NOTICE_DAYS,
    UNUSED_DAYS,
    ReclaimPreview,
    ReclaimRule,
    Tenant,
    TenantCreate,
    TenantUpdate,
)
from shared.ports.admin_ports import AdminPorts
from shared.ports.bundles import AccessPorts
from shared.ports.engine_ports import EnginePorts
from shared.services.access import roles as access
from shared.services.access import sites as site_service
from shared.services.access import tenants as service
from shared.services.cloud_pcs import reclaim
from triggers.http_api import Api, created, page_of, updated
from triggers.http_request import PAGING, VALIDATE_ONLY, ApiRequest, QueryParam
from triggers.http_responses import ApiResponse

TENANT = "tenants/{tenantId}"
SITES = "tenants/{tenantId}/sites"
SITE = "tenants/{tenantId}/sites/{siteId}"


def site_pick_list(ports: AdminPorts, req: ApiRequest, read: Callable[..., Any], **filters: Any) -> dict[str, Any]:
    """A page of a site's pick list: what `read` finds in the site's subscription and region, narrowed by `search`."""
    tenant_id, site_id = req.param("tenantId"), req.param("siteId")
    found = read(
        ports, tenant_id, site_id, search=req.query("search"), top=req.top, skip_token=req.skip_token, **filters
    )
    return page_of(req, *found)


def choices(what: str, searched: str) -> tuple[QueryParam, ...]:
    """A pick list's query: `search` in the names people know it by, and the pages of what is found."""
    return (
        QueryParam(
            "search",
            f"Only {what} whose {searched} contains this text, in any case.",
            {"type": "string", "maxLength": 100},
        ),
        *PAGING,
    )


PICK_LIST = (
    "A pick list read from Azure as it is now, in name order, in pages of `top` with a nextLink while more remain "
    "(narrow it with `search`). 409 azureNotReadable when the app has no role there yet (see the onboarding page); "
    "503 azureUnavailable when Azure throttles or fails."
)


def blueprint(api: Api, ports: AdminPorts, access_ports: AccessPorts, engine: EnginePorts) -> df.Blueprint:
    bp = df.Blueprint()
    tenants = api.section(bp, "Tenants")
    sites = api.section(bp, "Sites")
    writes: dict[str, Any] = {"query": (VALIDATE_ONLY,)}

    @tenants.post(
        "tenants",
        "createTenant",
        "Register a tenant",
        body=TenantCreate,
        response=Tenant,
        status=201,
        **writes,
    )
    def create_tenant(req: ApiRequest) -> ApiResponse:
        tenant = service.create_tenant(ports, req.body(TenantCreate), dry_run=req.validate_only)
        if not req.validate_only:
            access.make_first_owner(access_ports, req.caller, tenant.id)
        return created(req, tenant, f"tenants/{tenant.id}")

    @tenants.get(
        "tenants", "listTenants", "List the tenants the caller holds a role on", response=Page[Tenant], query=PAGING
    )
    def list_tenants(req: ApiRequest) -> dict[str, Any]:
        return page_of(req, *access.tenant_page(access_ports, req.caller, top=req.top, skip_token=req.skip_token))

    @tenants.get(TENANT, "getTenant", "Get a tenant", response=Tenant)
    def get_tenant(req: ApiRequest) -> Tenant:
        return req.tenant

    @tenants.patch(TENANT, "updateTenant", "Update a tenant", body=TenantUpdate, response=Tenant, **writes)
    def update_tenant(req: ApiRequest) -> ApiResponse:
        patch = req.body(TenantUpdate)
        tenant = service.update_tenant(
            ports, req.param("tenantId"), patch, if_match=req.if_match, dry_run=req.validate_only
        )
        return updated(req, tenant)

    @tenants.get(
        f"{TENANT}/reclaimPreview",
        "previewReclaimRule",
        "Count what a reclaim rule would take now",
        description="How many of the tenant's Cloud PCs a reclaim rule with these days would announce unused, and how "
        "many announced ones would enter their grace period, if it ran now; nothing is saved or changed. Cloud PCs "
        "whose license a group assigns are not counted: the rule leaves them.",
        response=ReclaimPreview,
        query=(
            QueryParam(
                "unusedDays",
                "The rule's days without a connection before a Cloud PC is announced.",
                {"type": "integer", "minimum": UNUSED_DAYS[0], "maximum": UNUSED_DAYS[1]},
                required=True,
            ),
            QueryParam(
                "noticeDays",
                "The rule's days from the announcement to the grace period.",
                {"type": "integer", "minimum": NOTICE_DAYS[0], "maximum": NOTICE_DAYS[1]},
                required=True,
            ),
        ),
    )
    def preview_reclaim_rule(req: ApiRequest) -> ReclaimPreview:
        days = {"unused_days": int(req.query("unusedDays") or 0), "notice_days": int(req.query("noticeDays") or 0)}
        return reclaim.preview(engine, req.tenant.id, ReclaimRule(enabled=True, **days))

    @tenants.delete(TENANT, "deleteTenant", "Delete a tenant that has no sites left")
    def delete_tenant(req: ApiRequest) -> ApiResponse:
        service.delete_tenant(ports, req.tenant, if_match=req.if_match, roles=access_ports.role_assignments)
        return ApiResponse(204)

    @sites.post(SITES, "createSite", "Add a site", body=SiteCreate, response=Site, status=201, **writes)
    def create_site(req: ApiRequest) -> ApiResponse:
        tenant_id = req.param("tenantId")
        site = site_service.create_site(ports, tenant_id, req.body(SiteCreate), dry_run=req.validate_only)
        return created(req, site, f"tenants/{tenant_id}/sites/{site.id}")

    @sites.get(SITES, "listSites", "List a tenant's sites", response=Page[Site], query=PAGING)
    def list_sites(req: ApiRequest) -> dict[str, Any]:
        tenant_id = req.param("tenantId")
        return page_of(req, *ports.sites.list_sites(tenant_id, top=req.top, skip_token=req.skip_token))

    @sites.get(SITE, "getSite", "Get a site", response=Site)
    def get_site(req: ApiRequest) -> Site:
        tenant_id = req.param("tenantId")
        return ports.sites.get_site(tenant_id, req.param("siteId"))

    @sites.get(
        f"{SITE}/subnets",
        "listSiteSubnets",
        "List the subnets a connection of the site can use",
        description="The virtual networks' subnets of the site's subscription in the site's region, read from Azure "
        "with the tenant's identity, each with its address range and the addresses still free: the connection "
        f"wizard's pick list. {PICK_LIST}",
        response=Page[SiteSubnet],
        query=choices("subnets", "name, virtual network or resource group"),
    )
    def list_site_subnets(req: ApiRequest) -> dict[str, Any]:
        return site_pick_list(ports, req, site_service.site_subnets)

    @sites.get(
        f"{SITE}/images",
        "listSiteImages",
        "List the images a device image of the site can be imported from",
        description="The managed images and gallery image versions of the site's subscription that VMs can be made "
        "from in the site's region (managed images only on a windows365 tenant), read from Azure with the tenant's "
        f"identity: the device image form's pick list. {PICK_LIST}",
        response=Page[SiteImage],
        query=choices("images", "name or resource group"),
    )
    def list_site_images(req: ApiRequest) -> dict[str, Any]:
        return site_pick_list(ports, req, site_service.site_images)

    @sites.get(
        f"{SITE}/vmSizes",
        "listSiteVmSizes",
        "List the VM sizes a Spot Group's session hosts can have in the site",
        description="The VM sizes of Azure's resource SKUs in the site's region that the site's subscription may "
        "deploy (none restricted for it there), each with its vCPUs and memory, fewest vCPUs first, read with the "
        "tenant's identity: the Spot Group wizard's pick list. With `imageSetId`, only the sizes that boot the Hyper-V "
        "generation of the set's `imageVersion` (its latest without one). In pages of `top` with a nextLink while "
        "more remain (narrow it with `search`). 409 azureNotReadable when the app has no role there yet (see the "
        "onboarding page); 503 azureUnavailable when Azure throttles or fails.",
        response=Page[SiteVmSize],
        query=(
            QueryParam(
                "imageSetId", "Only sizes that boot this image set's image.", {"type": "string", "maxLength": 64}
            ),
            QueryParam(
                "imageVersion",
                "The version of `imageSetId` whose image is meant (default: its latest).",
                {"type": "string", "maxLength": 32},
            ),
            *choices("sizes", "name"),
        ),
    )
    def list_site_vm_sizes(req: ApiRequest) -> dict[str, Any]:
        return site_pick_list(
            ports,
            req,
            site_service.site_vm_sizes,
            image_set_id=req.query("imageSetId"),
            image_version=req.query("imageVersion"),
        )

    @sites.get(
        f"{TENANT}/azureSubscriptions",
        "listAzureSubscriptions",
        "List the Azure subscriptions a site can be in",
        description="The subscriptions the tenant's app identity holds a role in (at the subscription or in one of "
        "its resource groups), read from Azure: the site form's pick list. Empty until the customer's admin grants "
        f"the app a role in a subscription (see the onboarding page). {PICK_LIST}",
        response=Page[AzureSubscription],
        query=choices("subscriptions", "name or id"),
    )
    def list_azure_subscriptions(req: ApiRequest) -> dict[str, Any]:
        return page_of(
            req,
            *site_service.azure_subscriptions(
                ports, req.param("tenantId"), search=req.query("search"), top=req.top, skip_token=req.skip_token
            ),
        )

    @sites.get(
        f"{TENANT}/azureSubscriptions/{{subscriptionId}}/resourceGroups",
        "listAzureResourceGroups",
        "List a subscription's resource groups",
        description="The subscription's resource groups with their regions, read from Azure with the tenant's "
        f"identity: the site form's pick list once a subscription is chosen. {PICK_LIST}",
        response=Page[AzureResourceGroup],
        query=choices("resource groups", "name"),
    )
    def list_azure_resource_groups(req: ApiRequest) -> dict[str, Any]:
        return page_of(
            req,
            *site_service.azure_resource_groups(
                ports,
                req.param("tenantId"),
                req.param("subscriptionId"),
                search=req.query("search"),
                top=req.top,
                skip_token=req.skip_token,
            ),
        )

    @sites.patch(SITE, "updateSite", "Update a site", body=SiteUpdate, response=Site, **writes)
    def update_site(req: ApiRequest) -> ApiResponse:
        tenant_id, site_id = req.param("tenantId"), req.param("siteId")
        patch = req.body(SiteUpdate)
        site = site_service.update_site(
            ports, tenant_id, site_id, patch, if_match=req.if_match, dry_run=req.validate_only
        )
        return updated(req, site)

    @sites.delete(SITE, "deleteSite", "Delete a site")
    def delete_site(req: ApiRequest) -> ApiResponse:
        site_service.delete_site(ports, req.param("tenantId"), req.param("siteId"), if_match=req.if_match)
        return ApiResponse(204)

    return bp
