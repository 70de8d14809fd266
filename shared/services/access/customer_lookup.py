"""A customer's Entra tenant found by one of its domain names, so that nobody types its id."""

from __future__ import annotations

import re

from shared.errors import ErrorDetail, NotFound, Unavailable, ValidationFailed
from shared.models.onboarding import FoundTenant
from shared.ports.cloud_errors import CloudError
from shared.ports.tenant_access import TenantLookup

# a DNS name of labels and a top-level domain of letters, in either case, of at most 253 characters; its root dot
# (one more) is taken and dropped. The lookup's query is documented from these, so what it offers is what is taken;
# the length is a keyword of its own there, not a lookahead, which generators of matching text cannot follow.
DOMAIN_LABELS = r"([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
DOMAIN_NAME = re.compile(rf"^{DOMAIN_LABELS}$")
ROOTED_DOMAIN_NAME = re.compile(rf"^{DOMAIN_LABELS}\.$")
MAX_DOMAIN_NAME = 253


def find_customer(access: TenantLookup, domain_name: str) -> FoundTenant:
    """The customer's Entra tenant by one of its domain names, so that nobody types its id."""
    name = domain_name.strip().rstrip(".").lower()
    if len(name) > MAX_DOMAIN_NAME or not DOMAIN_NAME.fullmatch(name):
        raise ValidationFailed.of(
            ErrorDetail(
                "invalidDomainName",
                f"'{domain_name}' is not a domain name: give one of the customer's, such as contoso.com.",
                "domainName",
            )
        )
    try:
        found = access.find_tenant(name)
    except CloudError as exc:
        if not exc.permission_denied:
            raise
        # the provider's own tenant refused, not the customer's: no customer's onboarding fixes it
        raise Unavailable(
            "The app's own Entra tenant has not granted it CrossTenantInformation.ReadBasic.All, which finds a "
            "customer by its domain name: an admin of the provider's tenant grants it there once, as an app role "
            "assignment. Meanwhile, give the customer's Entra tenant id.",
            code="tenantLookupNotGranted",
        ) from exc
    if found is None:
        raise NotFound(
            f"Microsoft Entra knows no tenant with the domain name {name}: check its spelling, or ask the customer "
            "for a domain verified in their tenant (their sign-in names end with one).",
            code="tenantNotFound",
            target="domainName",
        )
    return FoundTenant(
        tenant_id=found.tenant_id,
        display_name=found.display_name,
        default_domain_name=found.default_domain_name,
        federation_brand_name=found.federation_brand_name,
    )
