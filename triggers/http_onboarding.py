"""HTTP route of a customer tenant's onboarding report: consent, Graph permissions and Azure roles, with fixes."""

from __future__ import annotations

from typing import Any

import azure.durable_functions as df

from shared.errors import ErrorDetail, ValidationFailed
from shared.models.base import Page
from shared.models.json_schema import ecma_pattern
from shared.models.onboarding import (
    AdminSubscription,
    AzureGrant,
    AzureGrantRequest,
    DelegationTemplates,
    FoundTenant,
    GraphGrant,
    OnboardingReport,
)
from shared.ports.bundles import OnboardingPorts
from shared.services.access.azure_grant import ADMIN_TOKEN_HEADER, admin_subscriptions, grant_azure_access
from shared.services.access.customer_lookup import DOMAIN_NAME as DOMAIN_NAME_RULE
from shared.services.access.customer_lookup import MAX_DOMAIN_NAME, ROOTED_DOMAIN_NAME, find_customer
from shared.services.access.graph_grant import ENTRA_ADMIN_TOKEN_HEADER, grant_graph_permissions
from shared.services.access.lighthouse import delegation_template
from shared.services.access.onboarding import onboarding_report
from triggers.http_api import Api, page_of
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
# an administrator's own token (Azure's or Graph's, delegated) goes in a header of its own, since Authorization
# carries the caller's token for the app's API
ADMIN_TOKEN_NOTE = (
    f"The customer's administrator signs in to their Entra tenant with Azure's delegated scope "
    f"(https://management.azure.com/user_impersonation); their access token goes in the `{ADMIN_TOKEN_HEADER}` "
    "header. The app uses it for this request's Azure calls only and never keeps or logs it."
)
ENTRA_ADMIN_TOKEN_NOTE = (
    "An administrator of the customer's Entra tenant (a Privileged Role Administrator or Global Administrator) signs "
    "in there with Graph's delegated scopes AppRoleAssignment.ReadWrite.All and Application.Read.All; their access "
    f"token goes in the `{ENTRA_ADMIN_TOKEN_HEADER}` header. The app uses it for this request's Graph calls only and "
    "never keeps or logs it."
)

ADMIN_TOKEN = QueryParam(
    ADMIN_TOKEN_HEADER,
    "The customer administrator's Azure access token (https://management.azure.com/user_impersonation), alone or "
    "after `Bearer `.",
    {"type": "string", "pattern": r"\S"},
    required=True,
)
ENTRA_ADMIN_TOKEN = QueryParam(
    ENTRA_ADMIN_TOKEN_HEADER,
    "The customer's Entra administrator's Graph access token (AppRoleAssignment.ReadWrite.All and "
    "Application.Read.All), alone or after `Bearer `.",
    {"type": "string", "pattern": r"\S"},
    required=True,
)


def admin_token(req: ApiRequest, header: str = ADMIN_TOKEN_HEADER, what: str = "Azure") -> str:
    token = (req.raw.headers.get(header) or "").strip()
    token = token[len("Bearer ") :].strip() or token if token.lower().startswith("bearer ") else token
    if not token:
        raise ValidationFailed.of(
            ErrorDetail(
                "adminTokenMissing",
                f"Send the customer administrator's {what} access token in the {header} header.",
                header,
            )
        )
    return token


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

    @routes.get(
        "tenants/{tenantId}/onboarding/adminSubscriptions",
        "listAdminSubscriptions",
        "The subscriptions the customer's administrator sees when signed in, by name, and where they can grant",
        description=ADMIN_TOKEN_NOTE,
        response=Page[AdminSubscription],
        headers=(ADMIN_TOKEN,),
    )
    def list_admin_subscriptions(req: ApiRequest) -> dict[str, Any]:
        return page_of(req, list(admin_subscriptions(ports, admin_token(req))), None)

    @routes.post(
        "tenants/{tenantId}/onboarding:grantAzureAccess",
        "grantAzureAccess",
        "Grant the app its Azure roles in the picked subscriptions, with the customer administrator's sign-in",
        description=f"{ADMIN_TOKEN_NOTE} In each subscription it makes the custom role assignable, assigns it to the "
        "app with its condition, and assigns Microsoft's services the roles the report lists for them there. 403 "
        "cannotGrant (nothing written) when the administrator holds neither Owner nor User Access Administrator in "
        "one of them; 409 consentFirst before admin consent. Name the subscriptions in the tenant's "
        "`subscriptionIds` too, so that the report checks them before a site is there.",
        body=AzureGrantRequest,
        response=AzureGrant,
        review=False,
        headers=(ADMIN_TOKEN,),
    )
    def grant_access(req: ApiRequest) -> AzureGrant:
        return grant_azure_access(ports, req.tenant, admin_token(req), req.body(AzureGrantRequest))

    @routes.post(
        "tenants/{tenantId}/onboarding:grantGraphPermissions",
        "grantGraphPermissions",
        "Grant the app the Graph permissions the tenant uses beyond admin consent's, with its Entra administrator's "
        "sign-in",
        description=f"{ENTRA_ADMIN_TOKEN_NOTE} Each Graph permission the onboarding report lists as missing becomes "
        "an app role assignment of Microsoft Graph to the app's service principal, as the item's command would make "
        "it; one held already counts as held. 403 cannotGrant when Graph refuses the administrator; 409 consentFirst "
        "before admin consent.",
        response=GraphGrant,
        review=False,
        headers=(ENTRA_ADMIN_TOKEN,),
    )
    def grant_graph(req: ApiRequest) -> GraphGrant:
        token = admin_token(req, ENTRA_ADMIN_TOKEN_HEADER, "Microsoft Graph")
        return grant_graph_permissions(ports, req.tenant, token)

    return bp
