"""Graph's tenant lookup by domain name in the emulator: a tenant's default domain and those it verified, 404 for a
domain nobody verified, and CrossTenantInformation.ReadBasic.All required, as Graph answers."""

from __future__ import annotations

import uuid

from azure_emulator.launcher import EmulatorProcess
from tests.emulator.test_graph_permissions import DENIED, App

LOOKUP = "tenantRelationships/findTenantInformationByDomainName(domainName='{}')"


def test_a_tenant_is_found_by_its_default_domain_and_by_a_domain_it_verified(azure_emulator: EmulatorProcess) -> None:
    app = App(azure_emulator)
    app.grant("CrossTenantInformation.ReadBasic.All")
    customer = str(uuid.uuid4())
    default = f"{uuid.UUID(customer).hex}.onmicrosoft.com"
    found = app.session.get(f"{app.graph}/{LOOKUP.format(default)}", timeout=30)
    assert found.status_code == 200, found.text
    assert (found.json()["tenantId"], found.json()["defaultDomainName"]) == (customer, default)

    domain = f"contoso{uuid.uuid4().hex[:6]}.com"
    app.controls.tenant_id = customer
    app.controls.organization(displayName="Contoso", domains=[f"contoso{domain[7:13]}.onmicrosoft.com", domain])
    found = app.session.get(f"{app.graph}/{LOOKUP.format(domain.upper())}", timeout=30).json()
    assert {key: found[key] for key in ("tenantId", "displayName", "defaultDomainName", "federationBrandName")} == {
        "tenantId": customer,
        "displayName": "Contoso",
        "defaultDomainName": f"contoso{domain[7:13]}.onmicrosoft.com",
        "federationBrandName": None,
    }


def test_a_domain_nobody_verified_is_404_and_the_permission_is_required(azure_emulator: EmulatorProcess) -> None:
    app = App(azure_emulator)
    app.grant("User.Read.All")
    refused = app.session.get(f"{app.graph}/{LOOKUP.format('contoso.com')}", timeout=30)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == DENIED["code"]
    app.grant("CrossTenantInformation.ReadBasic.All")
    unknown = app.session.get(f"{app.graph}/{LOOKUP.format(f'nobody{uuid.uuid4().hex[:8]}.example')}", timeout=30)
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "Request_ResourceNotFound"
