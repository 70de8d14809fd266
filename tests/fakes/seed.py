"""Valid stored rows to arrange unit tests with: a tenant, a site, a policy on the hosted network, a Cloud PC."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from shared.catalog.service_plans import SERVICE_PLANS_BY_ID
from shared.models.cloud_pcs import CloudPc
from shared.models.policies import Assignment, ProvisioningPolicy
from shared.models.sites import Site
from shared.models.tenants import BackendName, Tenant
from tests.fakes import Fakes

TENANT = "contoso"
PLAN = "w365-enterprise-2vcpu-8gb-128gb"
BIG_PLAN = "w365-enterprise-4vcpu-16gb-256gb"
REGION = "westeurope"
SUBSCRIPTION = "6f9619ff-8b86-d011-b42d-00cf4fc964ff"
GALLERY_IMAGE = "microsoftwindowsdesktop_windows-ent-cpc_win11-24h2-ent-cpc-m365"


def tenant(fakes: Fakes, tenant_id: str = TENANT, backend: BackendName = "azure") -> Tenant:
    now = fakes.clock()
    row = Tenant(
        id=tenant_id,
        display_name=tenant_id.title(),
        created_date_time=now,
        last_modified_date_time=now,
        cloud_pc_backend=backend,
    )
    return fakes.tenants.upsert_tenant(row)


def site(fakes: Fakes, tenant_id: str = TENANT, region: str = REGION) -> Site:
    now = fakes.clock()
    row = Site(
        id=f"site-{region}",
        tenant_id=tenant_id,
        display_name=region,
        region_name=region,
        subscription_id=SUBSCRIPTION,
        resource_group_name="rg-cloudpcs",
        created_date_time=now,
        last_modified_date_time=now,
    )
    return fakes.sites.upsert_site(row)


def policy(
    fakes: Fakes, policy_id: str, *groups: str, tenant_id: str = TENANT, after: timedelta = timedelta(0), **fields: Any
) -> ProvisioningPolicy:
    """A stored policy on the Microsoft-hosted network, assigned to `groups` at the clock's now + `after`."""
    now = fakes.clock()
    row = policy_row(policy_id, [(g, now + after) for g in groups], now=now, tenant_id=tenant_id, **fields)
    return fakes.policies.upsert_policy(row)


def policy_row(
    policy_id: str, assigned: list[tuple[str, datetime]], *, now: datetime, tenant_id: str = TENANT, **fields: Any
) -> ProvisioningPolicy:
    """A policy on the Microsoft-hosted network, assigned to each (group, when), not stored."""
    return ProvisioningPolicy.model_validate(
        {
            "id": policy_id,
            "tenant_id": tenant_id,
            "created_date_time": now,
            "last_modified_date_time": now,
            "display_name": policy_id.title(),
            "domain_join_configurations": [{"domainJoinType": "azureADJoin", "regionName": REGION}],
            "image_type": "gallery",
            "image_id": GALLERY_IMAGE,
            "image_display_name": "Windows 11",
            "cloud_pc_naming_template": "CPC-%USERNAME:4%-%RAND:5%",
            "assignments": [Assignment(id=f"{policy_id}-{g}", group_id=g, assigned_date_time=at) for g, at in assigned],
            **fields,
        }
    )


def cloud_pc(
    fakes: Fakes, user_id: str, policy_id: str = "finance", *, tenant_id: str = TENANT, plan: str = PLAN, **fields: Any
) -> CloudPc:
    """A stored Cloud PC of `user_id` (pendingProvision unless `fields` say otherwise)."""
    now = fakes.clock()
    row = CloudPc.model_validate(
        {
            "id": f"cpc-{user_id}",
            "tenant_id": tenant_id,
            "created_date_time": now,
            "last_modified_date_time": now,
            "display_name": f"{policy_id.title()} - {user_id}",
            "user_id": user_id,
            "user_principal_name": f"{user_id}@contoso.com",
            "service_plan_id": plan,
            "service_plan_name": SERVICE_PLANS_BY_ID[plan].display_name,
            "provisioning_policy_id": policy_id,
            "provisioning_policy_name": policy_id.title(),
            **fields,
        }
    )
    return fakes.cloud_pcs.upsert_cloud_pc(row)
