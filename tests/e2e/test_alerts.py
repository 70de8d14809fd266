"""Alerts end to end: the evaluateAlerts timer (run by the host's admin endpoint, as Core Tools runs a timer) queues
the tenant's evaluation, whose queue trigger raises an alert while its condition holds, dates it again without a
second alert, and resolves it once the condition clears; the API lists it by status and the summary counts it."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from shared.bootstrap import Services
from shared.models.cloud_pcs import CloudPc
from tests.utils.api_client import ApiClient, eventually


def run_evaluation(api: ApiClient) -> None:
    base = api.base_url.removesuffix("/api")
    invoked = api.session.post(f"{base}/admin/functions/evaluateAlerts", json={"input": ""}, timeout=60)
    assert invoked.status_code == 202, invoked.text


def test_an_alert_is_raised_by_the_timer_deduplicated_and_resolved(api: ApiClient, app_services: Services) -> None:
    tenant_id = api.created("/tenants", {"displayName": f"Alerts {uuid.uuid4().hex[:6]}"})["id"]
    rule = api.created(f"/tenants/{tenant_id}/alertRules", {"displayName": "Grace ending", "kind": "graceEndingSoon",
                                                             "threshold": 24, "severity": "critical"})  # fmt: skip
    now = app_services.alerts.clock()
    pc = CloudPc(id="cpc-ann", tenant_id=tenant_id, display_name="Finance - ann", user_id="ann",
                 user_principal_name="ann@contoso.com", service_plan_id="p", service_plan_name="P",
                 provisioning_policy_id="finance", provisioning_policy_name="Finance", status="inGracePeriod",
                 grace_period_end_date_time=now + timedelta(hours=2), created_date_time=now,
                 last_modified_date_time=now)  # fmt: skip
    app_services.alerts.cloud_pcs.upsert_cloud_pc(pc)
    alerts = f"/tenants/{tenant_id}/alerts"

    def active() -> dict[str, Any]:
        listed = api.get(f"{alerts}?status=active").json()["value"]
        assert len(listed) == 1, listed
        return dict(listed[0])

    run_evaluation(api)
    raised = eventually(active)
    assert (raised["ruleId"], raised["severity"], raised["items"]) == (rule["id"], "critical", ["cpc-ann"])
    assert api.get(f"/tenants/{tenant_id}/summary").json()["activeAlerts"] == 1

    run_evaluation(api)
    eventually(lambda: _seen_after(active(), raised))  # dated again, not raised again
    assert len(api.get(alerts).json()["value"]) == 1

    app_services.alerts.cloud_pcs.upsert_cloud_pc(pc.model_copy(update={"status": "provisioned"}))
    run_evaluation(api)

    def resolved() -> dict[str, Any]:
        listed = api.get(f"{alerts}?status=resolved").json()["value"]
        assert [a["id"] for a in listed] == [raised["id"]]
        return dict(listed[0])

    assert eventually(resolved)["resolvedDateTime"]
    assert api.get(f"/tenants/{tenant_id}/summary").json()["activeAlerts"] == 0


def _seen_after(alert: dict[str, Any], first: dict[str, Any]) -> None:
    assert alert["id"] == first["id"] and alert["lastSeenDateTime"] > first["lastSeenDateTime"]
