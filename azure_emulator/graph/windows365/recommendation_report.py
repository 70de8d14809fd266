"""Windows 365's Cloud PC recommendation report (beta cloudPcReport: retrieveCloudPcRecommendationReports,
https://learn.microsoft.com/graph/api/cloudpcreport-retrievecloudpcrecommendationreports?view=graph-rest-beta), each
Cloud PC's usage category computed from the connections the sign-in control records and a usage profile a control sets.

POST `report/retrieveCloudPcRecommendationReports` (under `report`: the deprecated getCloudPcRecommendationReports was
under `reports`) {reportName, filter?, select?, search?, groupBy?, orderBy?, skip?, top?}: `reportName` is required
and `cloudPcUsageCategoryReport` its one supported value; the columns are the page's example's (CloudPcId,
ManagedDeviceName, UserPrincipalName, ServicePlanId, ServicePlanName, UsageCategory, RecommendedPlanId,
RecommendedPlanName; the page lists no CPU or memory column); `groupBy`, when given, must name what `select` does, and
counts the rows of each group in `__Count` as example 1 does. The filter takes `<Column> eq '<value>'` clauses joined by
`or` or by `and` (the page supports lt, le, gt and ge too, which no column here is worth; mixing `and` with `or` is
refused rather than its grouping guessed). `search` is matched against the device and user names (the page does not say
which columns it searches). The answer is the connection report's shape (reports.py), as a stream.

A category, as Intune's page describes them (https://learn.microsoft.com/windows-365/enterprise/report-cloud-pc-recommendations):
Underutilized, "less than 40 hours of active connected time over a 28 day period"; then by the Cloud PC's usage profile
(`PUT /emulator/tenants/<tenant>/cloudPCs/<id>/usageProfile {cpuPercent, memoryPercent, diskPercent?}`, its busy
hours' use of CPU and memory and how full its disk is): Undersized, Oversized or Rightsized, by the emulator's own
thresholds (the page names none: "an evolving model"). The recommended plan is the Enterprise plan one size up
(Undersized) or down (Oversized) in vCPUs and RAM, or the same size when only the disk runs short (Undersized too), on
the smallest disk that holds what is on this one with room to spare: a nearly full disk recommends a bigger one, a
barely used one can recommend a smaller one, as the API page's example 2 recommends a 2vCPU/8GB/256GB Cloud PC the
4vCPU/16GB/128GB plan (which resize cannot reach: cloud_pc_service.py); none for a Rightsized one.
The report shows the last hourly aggregation (report_aggregation.py), not this moment.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from azure_emulator.graph import skus
from azure_emulator.graph.common import GraphRoutes, bad_request
from azure_emulator.graph.users import Notify
from azure_emulator.graph.windows365 import records, report_aggregation
from azure_emulator.graph.windows365.cloud_pc_service import WORKING, Service
from azure_emulator.graph.windows365.reports import report_time, whole_number
from azure_emulator.server import ApiError, Context, Request, Response

REPORT = records.BASE + "/report/retrieveCloudPcRecommendationReports"
REPORT_NAME = "cloudPcUsageCategoryReport"  # cloudPcRecommendationReportType's one member (and unknownFutureValue)
COLUMNS = (
    "CloudPcId",
    "ManagedDeviceName",
    "UserPrincipalName",
    "ServicePlanId",
    "ServicePlanName",
    "UsageCategory",
    "RecommendedPlanId",
    "RecommendedPlanName",
)
UNDERUTILIZED_HOURS, PERIOD = 40, dt.timedelta(days=28)
# the emulator's own: undersized when the busy hours use 80% of the CPU or 90% of the memory, or the disk is 90% full;
# oversized when they use under 20% of the CPU and under 40% of the memory; a recommended plan's disk the smallest that
# what is on this one fills under 80% of
UNDERSIZED_CPU, UNDERSIZED_MEMORY, OVERSIZED_CPU, OVERSIZED_MEMORY = 80, 90, 20, 40
FULL_DISK, ROOMY_DISK = 90, 0.8
DEFAULT_PROFILE = {"cpuPercent": 50, "memoryPercent": 60, "diskPercent": 50}  # none set: Rightsized, disk kept
CLAUSE = re.compile(r"^\s*\(?\s*(\w+)\s+eq\s+'([^']*)'\s*\)?\s*$", re.IGNORECASE)


def _recommended(service_plan_id: str, step: int, disk_percent: float) -> skus.Sku | None:
    """The Enterprise plan `step` sizes (vCPUs and RAM) up or down from this one, on the smallest disk its contents
    fill under ROOMY_DISK of (else the largest); None past either end, or where that is this plan."""
    mine = next((sku for sku in skus.SKUS if sku.service_plan_id == service_plan_id), None)
    size = mine.enterprise_size if mine else None
    if mine is None or size is None:
        return None
    plans = [(found, sku) for sku in skus.SKUS if (found := sku.enterprise_size)]
    sizes = sorted({found[:2] for found, _ in plans})
    at = sizes.index(size[:2]) + step
    if not 0 <= at < len(sizes):
        return None
    disks = sorted((found[2], sku) for found, sku in plans if found[:2] == sizes[at])
    used_gb = size[2] * disk_percent / 100
    chosen = next((sku for disk, sku in disks if used_gb < ROOMY_DISK * disk), disks[-1][1])
    return None if chosen.service_plan_id == service_plan_id else chosen


def _connected_hours(pc: dict[str, Any], now: dt.datetime) -> float:
    start = now - PERIOD
    spans = [
        (max(report_time(signed_in), start), min(report_time(signed_out), now))
        for signed_in, signed_out in pc.get("_connections") or []
    ]
    return sum(max((end - begin).total_seconds(), 0) for begin, end in spans) / 3600


def _row(pc: dict[str, Any], now: dt.datetime) -> dict[str, Any]:
    profile = DEFAULT_PROFILE | (pc.get("_usageProfile") or {})
    cpu, memory, disk = profile["cpuPercent"], profile["memoryPercent"], profile["diskPercent"]
    recommended = None
    if _connected_hours(pc, now) < UNDERUTILIZED_HOURS:
        category = "Underutilized"
    elif cpu >= UNDERSIZED_CPU or memory >= UNDERSIZED_MEMORY or disk >= FULL_DISK:
        step = 1 if cpu >= UNDERSIZED_CPU or memory >= UNDERSIZED_MEMORY else 0
        category, recommended = "Undersized", _recommended(pc["servicePlanId"], step, disk)
    elif cpu < OVERSIZED_CPU and memory < OVERSIZED_MEMORY:
        category, recommended = "Oversized", _recommended(pc["servicePlanId"], -1, disk)
    else:
        category = "Rightsized"
    return {
        "CloudPcId": pc["id"],
        "ManagedDeviceName": pc.get("managedDeviceName"),
        "UserPrincipalName": pc.get("userPrincipalName"),
        "ServicePlanId": pc["servicePlanId"],
        "ServicePlanName": pc.get("servicePlanName"),
        "UsageCategory": category,
        "RecommendedPlanId": recommended.service_plan_id if recommended else None,
        "RecommendedPlanName": recommended.part_number if recommended else None,
    }


def _matches(text: Any) -> tuple[str, list[tuple[str, str]]]:
    """How the filter's clauses join (`and`, `or`), and each (column, value)."""
    if text is None or (isinstance(text, str) and not text.strip()):
        return "and", []
    if not isinstance(text, str):
        raise bad_request("'filter' must be a string.", "BadRequest")
    joins = {join.lower() for join in re.findall(r"\s(and|or)\s", text, re.IGNORECASE)}
    if len(joins) > 1:
        raise bad_request("The emulator's report filter joins its clauses by 'and' or by 'or', not both.", "BadRequest")
    join = joins.pop() if joins else "and"
    clauses = []
    for clause in re.split(rf"\s+{join}\s+", text.strip(), flags=re.IGNORECASE):
        match = CLAUSE.match(clause)
        if match is None or match.group(1) not in COLUMNS:
            raise bad_request(f"The filter clause '{clause}' is not understood.", "BadRequest")
        clauses.append((match.group(1), match.group(2).lower()))
    return join, clauses


def _columns(body: dict[str, Any], name: str) -> list[str] | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, list) or any(c not in COLUMNS for c in value):
        raise bad_request(f"'{name}' must name columns of the report: {', '.join(COLUMNS)}.", "BadRequest")
    return [str(c) for c in value]


def register(ctx: Context, routes: GraphRoutes, notify: Notify) -> None:
    @routes.route(
        "POST", REPORT, "retrieveCloudPcRecommendationReports", kind="read", service="intune", versions=("beta",)
    )
    def recommendation_report(request: Request) -> Response:
        body = request.json()
        if body.get("reportName") != REPORT_NAME:
            raise bad_request(f"'reportName' is required, and '{REPORT_NAME}' its supported value.", "BadRequest")
        join, clauses = _matches(body.get("filter"))
        columns = _columns(body, "select") or list(COLUMNS)
        grouped, order = _columns(body, "groupBy"), _columns(body, "orderBy") or []
        if grouped is not None and grouped != columns:
            raise bad_request("'groupBy' must have the same content as 'select'.", "BadRequest")
        search = body.get("search") or ""
        if not isinstance(search, str):
            raise bad_request("'search' must be a string.", "BadRequest")
        top, skip = whole_number(body, "top", 1000), whole_number(body, "skip", 0)
        Service(ctx, request.tenant, notify).reconcile()  # the service's work up to now, as any read
        aggregated = report_aggregation.latest(ctx, request.tenant)
        as_of = report_aggregation.moment(aggregated)
        rows = [_row(pc, as_of) for pc in aggregated["cloudPcs"] if pc["status"] in WORKING]
        meets = any if join == "or" else all
        rows = [row for row in rows if not clauses or meets(str(row[c] or "").lower() == v for c, v in clauses)]
        named = [
            row for row in rows if search.lower() in f"{row['ManagedDeviceName']} {row['UserPrincipalName']}".lower()
        ]
        schema = [{"Column": c, "PropertyType": "String"} for c in columns]
        values = [[row[c] for c in columns] for row in named]
        if grouped is not None:  # each group once, its size first (the page's example 1)
            counts: dict[tuple[Any, ...], int] = {}
            for line in values:
                counts[tuple(line)] = counts.get(tuple(line), 0) + 1
            schema = [{"Column": "__Count", "PropertyType": "Int32"}, *schema]
            values = [[count, *line] for line, count in counts.items()]
        if order:
            at = [[s["Column"] for s in schema].index(c) for c in order]
            values.sort(key=lambda line: tuple(str(line[i] or "") for i in at))
        report = {"TotalRowCount": len(values), "Schema": schema, "Values": values[skip : skip + top]}
        return Response(200, json.dumps(report).encode(), content_type="application/octet-stream")

    profile = r"/emulator/tenants/(?P<tid>[^/]+)/cloudPCs/(?P<id>[^/]+)/usageProfile"

    @ctx.router.route("PUT", profile, operation="emulatorControl", api="emulator", auth=False)
    def put_profile(request: Request) -> Response:
        """How much of its CPU and memory the Cloud PC's user works it to in the busy hours, and how full its disk is
        (unless given, half), in percent."""
        body = request.json()
        if (
            not isinstance(body, dict)
            or not {"cpuPercent", "memoryPercent"} <= set(body) <= {"cpuPercent", "memoryPercent", "diskPercent"}
            or not all(isinstance(v, int | float) and not isinstance(v, bool) and 0 <= v <= 100 for v in body.values())
        ):
            raise ApiError(
                400,
                "InvalidRequestContent",
                "The body takes cpuPercent and memoryPercent, and diskPercent if wanted, 0-100 each.",
            )
        return _with_profile(ctx, request, body)

    @ctx.router.route("DELETE", profile, operation="emulatorControl", api="emulator", auth=False)
    def delete_profile(request: Request) -> Response:
        _with_profile(ctx, request, None)
        return Response(204)


def _with_profile(ctx: Context, request: Request, body: dict[str, Any] | None) -> Response:
    tenant, key = request.params["tid"], records.key(request.params["tid"], request.params["id"])
    with ctx.store.transaction():
        report_aggregation.latest(ctx, tenant)  # a change shows from the next aggregation on
        doc = ctx.store.get(records.CLOUD_PC, key)
        if doc is None:
            raise ApiError(404, "ResourceNotFound", f"The Cloud PC '{request.params['id']}' was not found.")
        doc["_usageProfile"] = body
        ctx.store.put(records.CLOUD_PC, records.key(tenant, doc["id"]), doc)
    return Response(200, body)
