"""HTTP routes of the provisioning-policy wizard, with the assignment and its review plan."""

from __future__ import annotations

from typing import Any

import azure.durable_functions as df

from shared.models.base import ApiModel, Page
from shared.models.policies import AssignRequest, ProvisioningPolicy, ProvisioningPolicyCreate, ProvisioningPolicyUpdate
from shared.ports.admin_ports import AdminPorts
from shared.services.configuration import policies as service
from shared.services.configuration.policies import AssignmentPlan
from triggers.http_api import Api, created, page_of, updated
from triggers.http_request import PAGING, VALIDATE_ONLY, ApiRequest
from triggers.http_responses import ApiResponse

POLICIES = "tenants/{tenantId}/provisioningPolicies"
POLICY = "tenants/{tenantId}/provisioningPolicies/{policyId}"


class AssignResult(ApiModel):
    """What `assign` answers: the plan, and whether it was only a review."""

    validate_only: bool
    policy: ProvisioningPolicy
    plan: AssignmentPlan


def blueprint(api: Api, ports: AdminPorts) -> df.Blueprint:
    bp = df.Blueprint()
    routes = api.section(bp, "Provisioning policies")

    @routes.post(
        POLICIES,
        "createProvisioningPolicy",
        "Create a provisioning policy",
        body=ProvisioningPolicyCreate,
        response=ProvisioningPolicy,
        status=201,
        query=(VALIDATE_ONLY,),
    )
    def create_policy(req: ApiRequest) -> ApiResponse:
        tenant_id = req.param("tenantId")
        policy = service.create_policy(ports, tenant_id, req.body(ProvisioningPolicyCreate), dry_run=req.validate_only)
        return created(req, policy, f"tenants/{tenant_id}/provisioningPolicies/{policy.id}")

    @routes.get(
        POLICIES,
        "listProvisioningPolicies",
        "List provisioning policies",
        response=Page[ProvisioningPolicy],
        query=PAGING,
    )
    def list_policies(req: ApiRequest) -> dict[str, Any]:
        tenant_id = req.param("tenantId")
        return page_of(req, *ports.policies.list_policies(tenant_id, top=req.top, skip_token=req.skip_token))

    @routes.get(POLICY, "getProvisioningPolicy", "Get a provisioning policy", response=ProvisioningPolicy)
    def get_policy(req: ApiRequest) -> ProvisioningPolicy:
        tenant_id = req.param("tenantId")
        return ports.policies.get_policy(tenant_id, req.param("policyId"))

    @routes.patch(
        POLICY,
        "updateProvisioningPolicy",
        "Update a policy (applies to Cloud PCs provisioned from now on)",
        body=ProvisioningPolicyUpdate,
        response=ProvisioningPolicy,
        query=(VALIDATE_ONLY,),
    )
    def update_policy(req: ApiRequest) -> ApiResponse:
        patch = req.body(ProvisioningPolicyUpdate)
        policy = service.update_policy(
            ports,
            req.param("tenantId"),
            req.param("policyId"),
            patch,
            if_match=req.if_match,
            dry_run=req.validate_only,
        )
        return updated(req, policy)

    @routes.post(
        f"{POLICY}/assign",
        "assignProvisioningPolicy",
        "Replace the groups a policy is assigned to",
        body=AssignRequest,
        response=AssignResult,
        query=(VALIDATE_ONLY,),
        review=False,
    )
    def assign_policy(req: ApiRequest) -> AssignResult:
        policy, plan = service.assign_policy(
            ports, req.param("tenantId"), req.param("policyId"), req.body(AssignRequest), dry_run=req.validate_only
        )
        return AssignResult(validate_only=req.validate_only, policy=policy, plan=plan)

    @routes.delete(POLICY, "deleteProvisioningPolicy", "Delete a policy that has no assignments")
    def delete_policy(req: ApiRequest) -> ApiResponse:
        service.delete_policy(ports, req.param("tenantId"), req.param("policyId"), if_match=req.if_match)
        return ApiResponse(204)

    return bp
