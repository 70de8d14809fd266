"""HTTP route of a customer tenant's onboarding report: consent, Graph permissions and Azure roles, with fixes."""

from __future__ import annotations

import azure.durable_functions as df

from shared.models.onboarding import OnboardingReport
from shared.ports.bundles import OnboardingPorts
from shared.services.access.onboarding import onboarding_report
from triggers.http_api import Api
from triggers.http_request import ApiRequest


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

    return bp
