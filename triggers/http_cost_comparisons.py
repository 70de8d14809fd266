"""HTTP routes comparing costs: each user's month three ways (their licence, an azure Cloud PC, a pooled seat), and
each of the caller's tenants' month beside the month before (an MSP's overview)."""

from __future__ import annotations

from typing import Any

import azure.durable_functions as df

from shared.models.base import ApiModel, Page
from shared.models.costs import TenantCosts, UserCostComparison
from shared.ports.bundles import AccessPorts, CostPorts
from shared.services.access import roles
from shared.services.costs import cost_reports, tenant_costs, user_costs
from shared.services.costs.tenant_costs import MONTH
from triggers.http_api import Api, page_of
from triggers.http_costs import DAY, EMPTY, query_params
from triggers.http_request import PAGING, ApiRequest, QueryParam

RANGE = (
    QueryParam(
        "from",
        f"The first UTC day of measured use, e.g. 2026-01-01 (default: {user_costs.DEFAULT_DAYS - 1} "
        "days before `to`).",
        DAY,
    ),
    QueryParam(
        "to",
        f"The last UTC day of measured use (default: today); at most {cost_reports.MAX_MONTHS} months in all.",
        DAY,
    ),
)
MONTH_PARAM = QueryParam(
    "month",
    "The month, e.g. 2026-01 (default: this one, UTC).",
    {"anyOf": [{"type": "string", "pattern": MONTH.pattern}, EMPTY]},
)
COMPARED = (
    "From the usage the app measures, scaled to a 730-hour month: the plan's Windows 365 list price (USD only); its "
    "VM size at the base rate for the hours it would run under the Cloud PC's policy's power rules (all month "
    "without them), plus its disk; a seat in a pooled Spot Group (the host's price and disk over the sessions a host "
    "takes, for the connected hours). A recommendation where the cheapest saves at least 30% and 10 a month on what "
    "the tenant's backend costs the user now. Estimates from list prices."
)


class TenantCostsList(ApiModel):
    value: list[TenantCosts]


def blueprint(api: Api, ports: CostPorts, access_ports: AccessPorts) -> df.Blueprint:
    bp = df.Blueprint()
    routes = api.section(bp, "Costs")
    currency = next(param for param in query_params(tuple(ports.currencies)) if param.name == "currency")

    @routes.get(
        "tenants/{tenantId}/costs/users",
        "listUserCosts",
        "Each user's month as a Windows 365 licence, an azure Cloud PC and a pooled seat",
        response=Page[UserCostComparison],
        query=(*RANGE, currency, *PAGING),
        description=COMPARED,
    )
    def list_user_costs(req: ApiRequest) -> dict[str, Any]:
        found = user_costs.user_costs(
            ports,
            req.param("tenantId"),
            req.query("from"),
            req.query("to"),
            req.query("currency"),
            top=req.top,
            skip_token=req.skip_token,
        )
        return page_of(req, *found)

    @routes.get(
        "costs",
        "listTenantCosts",
        "Each tenant the caller may read: its month's costs and savings beside the month before",
        response=TenantCostsList,
        query=(MONTH_PARAM, currency),
    )
    def list_tenant_costs(req: ApiRequest) -> TenantCostsList:
        query = tenant_costs.month_query(
            req.query("month"), req.query("currency"), today=ports.clock().date(), currencies=ports.currencies
        )
        names = {tenant.tenant_id: tenant.display_name for tenant in roles.visible_tenants(access_ports, req.caller)}
        return TenantCostsList(value=tenant_costs.tenant_costs(ports, names, query))

    return bp
