"""The onboarding report's Azure items under an Azure Lighthouse delegation, planned from what ARM answers: a role per
kind of scope, each held or not through the delegation, and the one item left to the customer's tenant."""

from __future__ import annotations

from shared.catalog.app_access import USER_ROLES_ROLE, lighthouse_roles
from shared.services.access.lighthouse import delegation_items
from tests.unit.test_onboarding_plan import CHECKS, SUB, TENANT

READER, CONTRIBUTOR = "acdd72a7-3385-48ef-bd42-f606fba81ae7", "b24988ac-6180-42a0-ab88-20f7382dd24c"


class Arm:
    """The delegated roles ARM answers per scope (absent: not known), and the actions the customer's tenant lacks."""

    def __init__(self, held: dict[str, set[str]], missing: list[str] | None = None) -> None:
        self.held, self.missing, self.asked_customer = held, missing, 0

    def delegated_roles(self, tenant_id: str, subscription_id: str, scope: str) -> set[str] | None:
        return self.held.get(scope)

    def missing_actions(self, *args: object, in_customer_tenant: bool = False) -> list[str] | None:
        assert in_customer_tenant  # what gives users roles is asked of the customer's tenant's registration
        self.asked_customer += 1
        return self.missing

    # the rest of TenantAccess is not asked here
    def graph_permissions(self, entra_tenant_id: str) -> list[str] | None:
        raise AssertionError

    def find_tenant(self, domain_name: str) -> None:
        raise AssertionError

    def service_role_held(self, *args: object) -> bool | None:
        raise AssertionError

    def app_identity(self) -> tuple[str, str]:
        raise AssertionError


def statuses(arm: Arm, consented: bool = True) -> dict[tuple[str | None, str], str]:
    items = delegation_items(arm, TENANT, CHECKS, consented=consented, app_client_id="app")
    return {(item.scope, item.name): item.status for item in items}


def test_each_kind_of_scope_asks_one_built_in_role_and_a_site_group_covers_its_network() -> None:
    assert [r.name for r in lighthouse_roles(("subscription",))] == ["Reader"]
    assert [r.name for r in lighthouse_roles(("resourceGroup", "network"))] == ["Contributor"]
    assert [r.name for r in lighthouse_roles(("network",))] == ["Network Contributor"]


def test_a_role_the_delegation_lacks_is_missing_and_one_arm_cannot_tell_is_unknown() -> None:
    subscription = f"/subscriptions/{SUB}"
    groups = [check.scope for check in CHECKS if check.resource_group is not None]
    arm = Arm({subscription: {READER}, **{group: {READER} for group in groups[:1]}}, missing=[])
    found = statuses(arm)
    assert found[(subscription, "Reader")] == "present"
    assert found[(groups[0], "Contributor")] == "missing"  # Reader reaches the group, Contributor does not
    assert all(status == "unknown" for (scope, _), status in found.items() if scope in groups[1:])


def test_without_consent_what_gives_users_roles_is_not_known_and_not_asked() -> None:
    arm = Arm({check.scope: {READER, CONTRIBUTOR} for check in CHECKS}, missing=[])
    found = statuses(arm, consented=False)
    assert {status for (_, name), status in found.items() if name == USER_ROLES_ROLE} == {"unknown"}
    assert arm.asked_customer == 0
