"""Onboarding before the first site: a customer found by its domain name, and the subscriptions a tenant names asked
for at subscription scope before any site is there."""

from __future__ import annotations

from dataclasses import replace

import pytest
from jsonschema_rs import Draft202012Validator
from pydantic import ValidationError

from shared.catalog.app_access import WINDOWS365_ROLES, actions_at
from shared.catalog.graph_permissions import GRAPH_PERMISSIONS, graph_permissions
from shared.errors import NotFound, Unavailable, ValidationFailed
from shared.models.tenants import TenantCreate, TenantUpdate
from shared.ports.bundles import OnboardingPorts
from shared.ports.cloud_errors import NO_CONSENT, CloudError
from shared.ports.tenant_access import TenantInformation
from shared.services.access.azure_scopes import scopes_of
from shared.services.access.customer_lookup import find_customer
from shared.services.access.onboarding import plan_onboarding
from shared.services.backends.windows365_roles import windows365_role_checks
from tests.unit.test_onboarding_plan import ALL_GRAPH, CHECKS, SITE, SUB, TENANT, statuses
from triggers.http_onboarding import DOMAIN_NAME as DOMAIN_NAME_QUERY

OTHER = "0b5e7c8d-2222-4333-8444-a55566667777"
CONTOSO = TenantInformation("0e6c1d2a-1111-4222-8333-944455556666", "Contoso", "contoso.onmicrosoft.com")


class Entra:
    """What Graph's tenant lookup answers, by domain; the names it was asked."""

    def __init__(self, **tenants: TenantInformation) -> None:
        self.tenants = {name.replace("_", "."): found for name, found in tenants.items()}
        self.asked: list[str] = []

    def find_tenant(self, domain_name: str) -> TenantInformation | None:
        self.asked.append(domain_name)
        return self.tenants.get(domain_name)


def test_a_named_subscription_is_checked_at_subscription_scope_before_any_site() -> None:
    checks = scopes_of([], subscriptions=[SUB, OTHER])
    assert [check.scope for check in checks] == sorted([f"/subscriptions/{SUB}", f"/subscriptions/{OTHER}"])
    assert all(set(check.actions) == set(actions_at("subscription")) for check in checks)
    report = plan_onboarding(TENANT, "https://consent", ALL_GRAPH, [replace(c, missing=None) for c in checks], "app")
    assert statuses(report)[f"/subscriptions/{OTHER}"] == "unknown"  # ARM has no such subscription to show
    assert report.custom_role is not None
    assert sorted(report.custom_role["AssignableScopes"]) == sorted(check.scope for check in checks)
    missing = [replace(check, missing=list(check.actions)) for check in checks]
    fixes = [item.fix or "" for item in plan_onboarding(TENANT, "https://c", ALL_GRAPH, missing, "app").items]
    assert any(f"--scope /subscriptions/{SUB} " in fix for fix in fixes)


def test_a_subscription_named_and_used_by_a_site_is_checked_once() -> None:
    assert scopes_of([SITE], subscriptions=[SUB.upper()]) == CHECKS


def test_a_customer_is_found_by_its_domain_name_in_any_case() -> None:
    entra = Entra(contoso_com=CONTOSO)
    found = find_customer(entra, " Contoso.COM. ")
    assert (found.tenant_id, found.display_name, found.default_domain_name) == (
        CONTOSO.tenant_id,
        "Contoso",
        "contoso.onmicrosoft.com",
    )
    assert entra.asked == ["contoso.com"]


def test_a_domain_nobody_verified_is_not_found_and_a_non_domain_never_asked() -> None:
    entra = Entra()
    with pytest.raises(NotFound) as unknown:
        find_customer(entra, "fabrikam.com")
    assert (unknown.value.code, unknown.value.target) == ("tenantNotFound", "domainName")
    for typed in ("contoso", "not a domain", "-bad.com", "a@contoso.com", ""):
        with pytest.raises(ValidationFailed) as refused:
            find_customer(entra, typed)
        assert refused.value.target == "domainName"
    assert entra.asked == ["fabrikam.com"]


def test_the_lookup_takes_what_its_document_offers_up_to_253_characters_and_a_root_dot() -> None:
    """The document states the length as a keyword beside each pattern (generators cannot follow a lookahead)."""
    schema = DOMAIN_NAME_QUERY.schema
    assert [branch["maxLength"] for branch in schema["anyOf"]] == [253, 254]
    document = Draft202012Validator(schema)
    longest = ".".join(["a" * 63, "b" * 63, "c" * 63, "d" * 61])
    too_long = ".".join(["a" * 63, "b" * 63, "c" * 63, "d" * 62])
    assert (len(longest), len(too_long)) == (253, 254)
    for typed, taken in (
        (longest, True),
        (longest + ".", True),
        (too_long, False),
        (too_long + ".", False),
        ("contoso.com", True),
        ("contoso.com.", True),
        ("contoso", False),
        ("contoso.com..", False),
    ):
        assert document.is_valid(typed) is taken, typed
        entra = Entra()
        if taken:
            with pytest.raises(NotFound):
                find_customer(entra, typed)
            assert entra.asked == [typed.rstrip(".")]
        elif typed != "contoso.com..":  # the server also drops every trailing dot and blank: it is kinder than that
            with pytest.raises(ValidationFailed):
                find_customer(entra, typed)


def test_a_tenant_names_subscriptions_by_their_ids() -> None:
    assert TenantCreate(display_name="Contoso", subscription_ids=[SUB]).subscription_ids == [SUB]
    assert TenantCreate(display_name="Contoso").subscription_ids == []
    with pytest.raises(ValidationError):
        TenantCreate(display_name="Contoso", subscription_ids=["my subscription"])
    assert TenantUpdate.model_validate({"subscriptionIds": [OTHER]}).subscription_ids == [OTHER]


def test_the_tenant_lookup_permission_is_asked_of_no_customer() -> None:
    own = [permission for permission in GRAPH_PERMISSIONS if not permission.backends]
    assert [p.name for p in own] == ["CrossTenantInformation.ReadBasic.All", "User.Invite.All"]
    assert all(p not in graph_permissions(backend) for p in own for backend in ("azure", "windows365"))


def test_a_windows_365_tenant_s_named_subscription_asks_for_windows_365_s_reader_there() -> None:
    ports = OnboardingPorts(
        sites=None,  # type: ignore[arg-type]
        access=None,  # type: ignore[arg-type]
        app_client_id=None,
        authority_host="",
        graph_endpoint="",
        portal_url=None,
        backends=None,  # type: ignore[arg-type]
    )
    [check] = windows365_role_checks(ports, "t", [], [OTHER])
    assert (check.role, check.scope, check.held) == (WINDOWS365_ROLES[0], f"/subscriptions/{OTHER}", None)


def test_a_lookup_the_app_s_own_tenant_refuses_says_where_to_grant_it() -> None:
    class Refusing:
        def find_tenant(self, domain_name: str) -> TenantInformation | None:
            raise CloudError("findTenant", NO_CONSENT, "No administrator has consented.")

    with pytest.raises(Unavailable) as refused:
        find_customer(Refusing(), "contoso.com")
    assert refused.value.code == "tenantLookupNotGranted" and "provider's tenant" in str(refused.value)
