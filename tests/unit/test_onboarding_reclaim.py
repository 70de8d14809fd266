"""User.ReadWrite.All, which Graph's reprocessLicenseAssignment needs at the least, is asked of a tenant only while
its reclaim rule is on: the rule hands a freed license to the next user in line with it."""

from __future__ import annotations

from shared.catalog.graph_permissions import RECLAIM, graph_permissions, graph_permissions_for
from shared.models.tenants import ReclaimRule
from shared.services.access.onboarding import plan_onboarding
from tests.unit.test_onboarding_email import TENANT

PERMISSION = "User.ReadWrite.All"


def test_the_report_lists_user_read_write_all_only_while_the_reclaim_rule_is_on() -> None:
    granted = [p.name for p in graph_permissions("azure")]
    without = plan_onboarding(TENANT, "https://consent", granted, [], "app")
    assert PERMISSION not in {item.name for item in without.items} and without.ready
    reclaiming = plan_onboarding(TENANT, "https://consent", granted, [], "app", uses=frozenset({RECLAIM}))
    [item] = [item for item in reclaiming.items if item.name == PERMISSION]
    assert item.status == "missing" and not reclaiming.ready and PERMISSION in (item.fix or "")
    assert "next user in line" in item.reason
    consented = plan_onboarding(TENANT, "https://consent", [*granted, PERMISSION], [], "app", uses=frozenset({RECLAIM}))
    assert consented.ready


def test_the_rule_is_on_only_when_enabled() -> None:
    assert not TENANT.reclaiming
    assert not TENANT.model_copy(update={"reclaim": ReclaimRule(enabled=False)}).reclaiming
    assert TENANT.model_copy(update={"reclaim": ReclaimRule(enabled=True)}).reclaiming


def test_a_refused_reprocessing_names_the_permission() -> None:
    assert graph_permissions_for("POST", "users/u1/reprocessLicenseAssignment") == [PERMISSION]
