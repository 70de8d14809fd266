"""HTTP routes of a tenant's costs and savings: the report by day, Spot Group, VM or site, and the same as CSV."""

from __future__ import annotations

from typing import Any

import azure.durable_functions as df
import azure.functions as func

from shared.models.costs import GROUP_BYS, CostReport
from shared.ports.bundles import CostPorts
from shared.services.costs import cost_reports
from triggers.http_api import Api
from triggers.http_request import ApiRequest, QueryParam

COSTS = "tenants/{tenantId}/costs"
EMPTY = {"type": "string", "maxLength": 0}  # an empty query value is the default, as everywhere in the API
# every field is checked by the report's query, bad ones all at once (one detail each), so none is refused alone
DAY = {"anyOf": [{"type": "string", "format": "date"}, EMPTY]}
ESTIMATE = (
    "Every figure is an estimate from Azure's public list prices (pay as you go, Spot and managed disks, as read on "
    "each day), not the customer's bill. The baseline is the same VMs on demand 24x7 (a Spot Group: the most hosts "
    "it had at once that day); the savings are split by cause: schedules, hosts made on demand, Spot, and Cloud "
    "PCs asleep."
)


def query_params(currencies: tuple[str, ...]) -> tuple[QueryParam, ...]:
    return (
        QueryParam("from", "The first UTC day counted, e.g. 2026-01-01 (default: the 1st of `to`'s month).", DAY),
        QueryParam(
            "to", f"The last UTC day counted (default: today); at most {cost_reports.MAX_MONTHS} months in all.", DAY
        ),
        QueryParam(
            "groupBy",
            "The rows: each day of the range, each Spot Group (with the Cloud PCs and the image "
            "builds), each VM, or each site (default: day).",
            {"anyOf": [{"type": "string", "enum": list(GROUP_BYS)}, EMPTY]},
        ),
        QueryParam(
            "currency",
            f"One of the COST_CURRENCIES setting's (default: {currencies[0]}).",
            {"anyOf": [{"type": "string", "enum": list(currencies)}, EMPTY]},
        ),
        QueryParam("spotGroupId", "Only that Spot Group's hosts.", {"type": "string", "maxLength": 200}),
    )


def blueprint(api: Api, ports: CostPorts) -> df.Blueprint:
    bp = df.Blueprint()
    routes = api.section(bp, "Costs")
    query = query_params(tuple(ports.currencies))

    def report(req: ApiRequest) -> CostReport:
        asked = cost_reports.cost_query(
            req.query("from"),
            req.query("to"),
            req.query("groupBy"),
            req.query("currency"),
            today=ports.clock().date(),
            currencies=ports.currencies,
        )
        return cost_reports.tenant_report(
            ports,
            req.param("tenantId"),
            asked.first,
            asked.last,
            group_by=asked.group_by,
            currency=asked.currency,
            spot_group_id=req.query("spotGroupId"),
        )

    @routes.get(
        COSTS,
        "getTenantCosts",
        "The tenant's costs and savings",
        response=CostReport,
        query=query,
        description=ESTIMATE,
    )
    def get_tenant_costs(req: ApiRequest) -> CostReport:
        return report(req)

    csv_answer: dict[str, Any] = {
        "description": "The report's rows, then its total, as CSV (a header line names the columns).",
        "content": {"text/csv": {"schema": {"type": "string"}}},
    }

    @routes.get(
        f"{COSTS}/export",
        "exportTenantCosts",
        "The tenant's costs and savings as CSV",
        query=query,
        description=ESTIMATE,
        responses={"200": csv_answer},
    )
    def export_tenant_costs(req: ApiRequest) -> func.HttpResponse:
        found = report(req)
        name = f"costs-{found.tenant_id}-{found.from_}-{found.to}-{found.group_by}.csv"
        headers = {"Content-Type": "text/csv; charset=utf-8", "Content-Disposition": f'attachment; filename="{name}"'}
        return func.HttpResponse(
            cost_reports.report_csv(found), status_code=200, headers=headers, mimetype="text/csv", charset="utf-8"
        )

    return bp
