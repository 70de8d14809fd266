"""The one-step grant's custom role: made once with a GUID of its own, or an existing one of that name kept with its
other scopes, then assigned in each subscription picked, with its condition."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from shared.catalog.app_access import CUSTOM_ROLE_NAME, assignment_condition
from shared.ports.azure_grant import CustomRoleFound, SubscriptionSeen
from shared.services.access.azure_grant import custom_role_guid, grant_custom_role

SUB_A, SUB_B = "aaaaaaaa-0000-0000-0000-000000000001", "bbbbbbbb-0000-0000-0000-000000000002"


@dataclass
class Grants:
    """AzureGrant's role writes, kept in memory."""

    found: CustomRoleFound | None = None
    held: set[tuple[str, str]] = field(default_factory=set)  # (scope, role)
    roles: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    conditions: list[str | None] = field(default_factory=list)

    def subscriptions(self, admin_token: str, asked: tuple[str, ...]) -> list[SubscriptionSeen]:
        return []

    def find_custom_role(self, admin_token: str, subscription_id: str, role_name: str) -> CustomRoleFound | None:
        return self.found if role_name == CUSTOM_ROLE_NAME else None

    def put_custom_role(self, admin_token: str, subscription_id: str, role_id: str, role: dict[str, Any]) -> None:
        self.roles.append((role_id, role))

    def assign(self, admin_token: str, scope: str, role_id: str, principal_id: str, condition: str | None) -> bool:
        self.conditions.append(condition)
        made = (scope, role_id) not in self.held
        self.held.add((scope, role_id))
        return made


def test_a_new_role_has_a_guid_of_its_own_and_is_assigned_in_each_subscription_with_its_condition() -> None:
    grants = Grants()
    granted = grant_custom_role(grants, "e1", "token", [SUB_A, SUB_B], "app-principal")  # type: ignore[arg-type]
    [(role_id, role)] = grants.roles
    assert role_id == custom_role_guid("e1") == custom_role_guid("E1")  # the same on every try
    assert role["assignableScopes"] == [f"/subscriptions/{SUB_A}", f"/subscriptions/{SUB_B}"]
    assert [(g.scope, g.outcome) for g in granted] == [
        (f"/subscriptions/{SUB_A}", "granted"),
        (f"/subscriptions/{SUB_B}", "granted"),
    ]
    assert grants.conditions == [assignment_condition()] * 2
    again = grant_custom_role(grants, "e1", "token", [SUB_A], "app-principal")  # type: ignore[arg-type]
    assert [g.outcome for g in again] == ["alreadyHeld"]


def test_an_existing_role_of_that_name_keeps_its_guid_and_its_other_scopes() -> None:
    other = "/subscriptions/cccccccc-0000-0000-0000-000000000003"
    grants = Grants(found=CustomRoleFound("made-by-hand", (other, f"/SUBSCRIPTIONS/{SUB_A.upper()}")))
    grant_custom_role(grants, "e1", "token", [SUB_A], "app-principal")  # type: ignore[arg-type]
    [(role_id, role)] = grants.roles
    assert role_id == "made-by-hand"
    assert [s.lower() for s in role["assignableScopes"]] == [f"/subscriptions/{SUB_A}", other]  # one spelling each
