"""What Entra's admin consent page asks for is what the checklist names: the registration requests only what every
tenant needs, and each other permission a tenant uses is listed with its own grant and command."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shared.catalog.graph_permissions import (
    EMAIL,
    GRAPH_PERMISSIONS,
    RECLAIM,
    app_role_command,
    consent_permissions,
    graph_permissions,
    own_tenant_permissions,
)
from shared.models.tenants import Tenant
from shared.services.access.onboarding import plan_onboarding

NOW = datetime(2026, 11, 29, tzinfo=UTC)
ENTRA = "0e6c1d2a-1111-4222-8333-944455556666"
ASKED = [p.name for p in consent_permissions()]


def tenant(backend: str) -> Tenant:
    return Tenant.model_validate(
        {
            "id": "t1",
            "displayName": "Contoso",
            "entraTenantId": ENTRA,
            "cloudPcBackend": backend,
            "createdDateTime": NOW,
            "lastModifiedDateTime": NOW,
        }
    )


@pytest.mark.parametrize("backend", ["azure", "windows365"])
@pytest.mark.parametrize("uses", [frozenset(), frozenset({EMAIL, RECLAIM})])
def test_the_consent_page_asks_for_nothing_the_checklist_does_not_name(backend: str, uses: frozenset[str]) -> None:
    report = plan_onboarding(tenant(backend), "https://consent", None, [], "app", (), uses)
    [consent] = [item for item in report.items if item.kind == "consent"]
    named = [item.name for item in report.items if item.kind == "graphPermission"]
    assert all(name in named for name in ASKED)  # every tenant's checklist names what the consent page asks
    assert f"{', '.join(ASKED[:-1])} and {ASKED[-1]}" in consent.reason


def test_admin_consent_asks_only_what_every_tenant_needs() -> None:
    every_tenant = [
        p.name
        for p in GRAPH_PERMISSIONS
        if all(p in graph_permissions(b, frozenset()) for b in ("azure", "windows365"))
    ]
    assert ASKED == every_tenant == ["User.Read.All", "Group.Read.All", "Directory.Read.All"]
    # the provider's own lookups and invitations are never a customer's to consent to
    assert not {p.name for p in own_tenant_permissions() if not p.backends} & set(ASKED)


def test_a_permission_beyond_consent_is_granted_by_its_own_command_or_the_one_step_grant() -> None:
    report = plan_onboarding(tenant("windows365"), "https://consent", ASKED, [], "app-id")
    [item] = [item for item in report.items if item.status == "missing"]
    assert item.name == "CloudPC.ReadWrite.All" and "consent page does not ask for it" in item.reason
    assert item.fix is not None and "onboarding:grantGraphPermissions" in item.fix
    assert item.command == app_role_command("CloudPC.ReadWrite.All", "app-id")
    assert "appRoles[?value=='CloudPC.ReadWrite.All'].id" in item.command and "--id app-id" in item.command


def test_a_consent_permission_taken_back_is_given_again_by_consent() -> None:
    report = plan_onboarding(tenant("azure"), "https://consent", ["User.Read.All"], [], "app-id")
    group = next(item for item in report.items if item.name == "Group.Read.All")
    assert group.status == "missing" and group.fix is not None and "https://consent" in group.fix
    assert group.command == app_role_command("Group.Read.All", "app-id")  # or granted alone, as any other
    assert all(item.command is None for item in report.items if item.status != "missing")
