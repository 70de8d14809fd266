"""HTTP routes of alert rules (CRUD, If-Match, validateOnly) and the alerts they raise (listed, read, acknowledged)."""

from __future__ import annotations

from typing import Any, cast

import azure.durable_functions as df

from shared.models.alerts import Alert, AlertRule, AlertRuleCreate, AlertRuleUpdate, AlertStatus
from shared.models.base import Page
from shared.ports.bundles import AlertPorts
from shared.services.monitoring import alert_rules as service
from shared.services.monitoring.alert_transitions import ALERT_STATUSES
from triggers.http_api import Api, created, page_of, updated
from triggers.http_request import PAGING, VALIDATE_ONLY, ApiRequest, QueryParam
from triggers.http_responses import ApiResponse

RULES = "tenants/{tenantId}/alertRules"
RULE = "tenants/{tenantId}/alertRules/{alertRuleId}"
ALERTS = "tenants/{tenantId}/alerts"
ALERT = "tenants/{tenantId}/alerts/{alertId}"
STATUS = QueryParam("status", "Only alerts in this status.", {"type": "string", "enum": list(ALERT_STATUSES)})


def blueprint(api: Api, ports: AlertPorts) -> df.Blueprint:
    bp = df.Blueprint()
    routes = api.section(bp, "Alerts")

    @routes.post(RULES, "createAlertRule", "Create an alert rule", body=AlertRuleCreate, response=AlertRule,
                 status=201, query=(VALIDATE_ONLY,))  # fmt: skip
    def create_rule(req: ApiRequest) -> ApiResponse:
        tenant_id = req.param("tenantId")
        rule = service.create_alert_rule(ports, tenant_id, req.body(AlertRuleCreate), dry_run=req.validate_only)
        return created(req, rule, f"tenants/{tenant_id}/alertRules/{rule.id}")

    @routes.get(RULES, "listAlertRules", "List alert rules", response=Page[AlertRule], query=PAGING)
    def list_rules(req: ApiRequest) -> dict[str, Any]:
        tenant_id = req.param("tenantId")
        return page_of(req, *ports.alerts.list_alert_rules(tenant_id, top=req.top, skip_token=req.skip_token))

    @routes.get(RULE, "getAlertRule", "Get an alert rule", response=AlertRule)
    def get_rule(req: ApiRequest) -> AlertRule:
        return ports.alerts.get_alert_rule(req.param("tenantId"), req.param("alertRuleId"))

    @routes.patch(RULE, "updateAlertRule", "Update an alert rule (channels, when given, replace the list)",
                  body=AlertRuleUpdate, response=AlertRule, query=(VALIDATE_ONLY,))  # fmt: skip
    def update_rule(req: ApiRequest) -> ApiResponse:
        rule = service.update_alert_rule(ports, req.param("tenantId"), req.param("alertRuleId"),
                                         req.body(AlertRuleUpdate), if_match=req.if_match,
                                         dry_run=req.validate_only)  # fmt: skip
        return updated(req, rule)

    @routes.delete(RULE, "deleteAlertRule", "Delete an alert rule, its webhooks' secrets, and resolve its alerts")
    def delete_rule(req: ApiRequest) -> ApiResponse:
        service.delete_alert_rule(ports, req.param("tenantId"), req.param("alertRuleId"), if_match=req.if_match)
        return ApiResponse(204)

    @routes.get(ALERTS, "listAlerts", "List alerts, newest first", response=Page[Alert], query=(STATUS, *PAGING))
    def list_alerts(req: ApiRequest) -> dict[str, Any]:
        status = cast(AlertStatus | None, req.query("status"))
        page = ports.alerts.list_alerts(req.param("tenantId"), status=status, top=req.top, skip_token=req.skip_token)
        return page_of(req, *page)

    @routes.get(ALERT, "getAlert", "Get an alert", response=Alert)
    def get_alert(req: ApiRequest) -> Alert:
        return ports.alerts.get_alert(req.param("tenantId"), req.param("alertId"))

    @routes.post(f"{ALERT}/acknowledge", "acknowledgeAlert", "Acknowledge an alert: it stays open until it clears",
                 response=Alert, review=False)  # fmt: skip
    def acknowledge(req: ApiRequest) -> Alert:
        by = req.caller.name or req.caller.principal_id
        return service.acknowledge_alert(ports, req.param("tenantId"), req.param("alertId"), by=by)

    return bp
