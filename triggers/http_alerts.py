"""HTTP routes of alert rules, a tenant's and the organization's (CRUD, If-Match, validateOnly), and the alerts they
raise (listed per tenant and across the caller's tenants, read, acknowledged)."""

from __future__ import annotations

from typing import Any, cast

import azure.durable_functions as df

from shared.models.alerts import (
    ORGANIZATION,
    Alert,
    AlertRule,
    AlertRuleCreate,
    AlertRuleUpdate,
    AlertStatus,
    TenantAlert,
)
from shared.models.base import Page
from shared.ports.bundles import AccessPorts, AlertPorts
from shared.services.access import roles
from shared.services.monitoring import alert_rules as service
from shared.services.monitoring.alert_transitions import ALERT_STATUSES
from triggers.http_api import Api, created, page_of, updated
from triggers.http_request import PAGING, VALIDATE_ONLY, ApiRequest, QueryParam
from triggers.http_responses import ApiResponse

RULES = "tenants/{tenantId}/alertRules"
RULE = "tenants/{tenantId}/alertRules/{alertRuleId}"
ALERTS = "tenants/{tenantId}/alerts"
ALERT = "tenants/{tenantId}/alerts/{alertId}"
ORGANIZATION_RULES = "alertRules"
ORGANIZATION_RULE = "alertRules/{alertRuleId}"
STATUS = QueryParam("status", "Only alerts in this status.", {"type": "string", "enum": list(ALERT_STATUSES)})


def blueprint(api: Api, ports: AlertPorts, access_ports: AccessPorts) -> df.Blueprint:
    bp = df.Blueprint()
    routes = api.section(bp, "Alerts")

    @routes.post(
        RULES,
        "createAlertRule",
        "Create an alert rule",
        body=AlertRuleCreate,
        response=AlertRule,
        status=201,
        query=(VALIDATE_ONLY,),
    )
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

    @routes.patch(
        RULE,
        "updateAlertRule",
        "Update an alert rule (channels, when given, replace the list)",
        body=AlertRuleUpdate,
        response=AlertRule,
        query=(VALIDATE_ONLY,),
    )
    def update_rule(req: ApiRequest) -> ApiResponse:
        rule = service.update_alert_rule(
            ports,
            req.param("tenantId"),
            req.param("alertRuleId"),
            req.body(AlertRuleUpdate),
            if_match=req.if_match,
            dry_run=req.validate_only,
        )
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

    @routes.post(
        f"{ALERT}/acknowledge",
        "acknowledgeAlert",
        "Acknowledge an alert: it stays open until it clears",
        response=Alert,
        review=False,
    )
    def acknowledge(req: ApiRequest) -> Alert:
        by = req.caller.name or req.caller.principal_id
        return service.acknowledge_alert(ports, req.param("tenantId"), req.param("alertId"), by=by)

    @routes.post(
        ORGANIZATION_RULES,
        "createOrganizationAlertRule",
        "Create an organization alert rule, applied to every tenant (webhook and Teams channels only)",
        body=AlertRuleCreate,
        response=AlertRule,
        status=201,
        query=(VALIDATE_ONLY,),
    )
    def create_organization_rule(req: ApiRequest) -> ApiResponse:
        rule = service.create_alert_rule(ports, ORGANIZATION, req.body(AlertRuleCreate), dry_run=req.validate_only)
        return created(req, rule, f"alertRules/{rule.id}")

    @routes.get(
        ORGANIZATION_RULES,
        "listOrganizationAlertRules",
        "List the organization's alert rules",
        response=Page[AlertRule],
        query=PAGING,
    )
    def list_organization_rules(req: ApiRequest) -> dict[str, Any]:
        return page_of(req, *ports.alerts.list_alert_rules(ORGANIZATION, top=req.top, skip_token=req.skip_token))

    @routes.get(ORGANIZATION_RULE, "getOrganizationAlertRule", "Get an organization alert rule", response=AlertRule)
    def get_organization_rule(req: ApiRequest) -> AlertRule:
        return ports.alerts.get_alert_rule(ORGANIZATION, req.param("alertRuleId"))

    @routes.patch(
        ORGANIZATION_RULE,
        "updateOrganizationAlertRule",
        "Update an organization alert rule (channels, when given, replace the list)",
        body=AlertRuleUpdate,
        response=AlertRule,
        query=(VALIDATE_ONLY,),
    )
    def update_organization_rule(req: ApiRequest) -> ApiResponse:
        rule = service.update_alert_rule(
            ports,
            ORGANIZATION,
            req.param("alertRuleId"),
            req.body(AlertRuleUpdate),
            if_match=req.if_match,
            dry_run=req.validate_only,
        )
        return updated(req, rule)

    @routes.delete(
        ORGANIZATION_RULE,
        "deleteOrganizationAlertRule",
        "Delete an organization alert rule, its webhooks' secrets, and resolve its alerts in every tenant",
    )
    def delete_organization_rule(req: ApiRequest) -> ApiResponse:
        service.delete_alert_rule(ports, ORGANIZATION, req.param("alertRuleId"), if_match=req.if_match)
        return ApiResponse(204)

    @routes.get(
        "alerts",
        "listAlertsAcrossTenants",
        "List the alerts of every tenant the caller may read, newest first",
        response=Page[TenantAlert],
        query=(STATUS, *PAGING),
    )
    def list_alerts_across_tenants(req: ApiRequest) -> dict[str, Any]:
        names = {tenant.tenant_id: tenant.display_name for tenant in roles.visible_tenants(access_ports, req.caller)}
        status = cast(AlertStatus | None, req.query("status"))
        return page_of(
            req, *service.alerts_of_tenants(ports.alerts, names, status, top=req.top, skip_token=req.skip_token)
        )

    return bp
