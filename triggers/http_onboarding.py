"""HTTP route of a customer tenant's onboarding report: consent, Graph permissions and Azure roles, with fixes."""

from __future__ import annotations

import azure.durable_functions as df

from shared.models.json_schema import ecma_pattern
from shared.models.onboarding import DelegationTemplates, FoundTenant, OnboardingReport
from shared.ports.bundles import OnboardingPorts
from shared.services.access.lighthouse import delegation_template
from shared.services.access.onboarding import DOMAIN_NAME as DOMAIN_NAME_RULE
from shared.services.access.onboarding import MAX_DOMAIN_NAME, ROOTED_DOMAIN_NAME, find_customer, onboarding_report
from triggers.http_api import Api
from triggers.http_request import ApiRequest, QueryParam

DOMAIN_NAME = QueryParam(
    "domainName",
    "One of the customer's domain names, such as contoso.com.",
    {
        "type": "string",
        "anyOf": [  # a name of at most 253 characters, or one more with its root dot
            {"maxLength": MAX_DOMAIN_NAME, "pattern": ecma_pattern(DOMAIN_NAME_RULE)},
            {"maxLength": MAX_DOMAIN_NAME + 1, "pattern": ecma_pattern(ROOTED_DOMAIN_NAME)},
        ],
    },
    required=True,
)


def blueprint(api: Api, ports: OnboardingPorts) -> df.Blueprint:
    bp = df.Blueprint()
    routes = api.section(bp, "Tenants")

    @routes.get(
        "tenants/{tenantId}/onboarding",
        "getTenantOnboarding",
        "What the app needs in the customer's tenant (admin consent, Graph permissions, Azure roles on each site), "
        "what is present or missing, and the fix of each missing item",
        response=OnboardingReport,
    )
    def get_onboarding(req: ApiRequest) -> OnboardingReport:
        """Read-only: Entra and ARM are asked as the app itself, so the report is what the app would meet."""
        return onboarding_report(ports, req.tenant)

    @routes.get(
        "tenants/{tenantId}/onboarding/delegationTemplate",
        "getTenantDelegationTemplate",
        "The Azure Lighthouse delegation the customer's admin deploys once per subscription, giving the app itself the "
        "built-in roles the onboarding report asks for at each scope",
        description="For a tenant whose `azureAccess` is `lighthouse`: each template is a subscription-level "
        "deployment (an Owner of the subscription runs its command). The delegation names the app's service "
        "principal in the provider's own tenant; Graph is not delegated, so the admin consent is still needed.",
        response=DelegationTemplates,
    )
    def get_delegation_template(req: ApiRequest) -> DelegationTemplates:
        return delegation_template(ports, ports.access, req.tenant)

    @routes.get(
        "tenantLookup",
        "findTenantByDomainName",
        "Find a customer's Microsoft Entra tenant by one of its domain names",
        description="Entra's answer to anyone (Graph's findTenantInformationByDomainName, asked in the app's own "
        "tenant): the tenant's id, to be the new tenant's `entraTenantId`, and its name, to confirm before adding "
        "it. 404 tenantNotFound when no tenant has verified the domain.",
        response=FoundTenant,
        query=(DOMAIN_NAME,),
    )
    def find_tenant(req: ApiRequest) -> FoundTenant:
        return find_customer(ports.access, req.query("domainName") or "")

    return bp
