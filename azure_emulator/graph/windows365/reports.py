"""Windows 365's remote connection report of a Cloud PC (beta:
https://learn.microsoft.com/graph/api/cloudpcreports-getremoteconnectionhistoricalreports), computed from the
connections the emulator's sign-in control records (cloud_pc_service.py) as the last hourly aggregation saw them
(report_aggregation.py): a connection recorded since shows after the next.

POST `reports/getRemoteConnectionHistoricalReports` {filter, select?, orderBy?, top?, skip?}: the filter must name the
Cloud PC (`CloudPcId eq '<id>'`, the page: "The CloudPcId filter is required") and may bound SignInDateTime or
SignOutDateTime (`gt`, `ge`, `lt`, `le` with `datetime'<ISO 8601>'`), clauses joined by `and` (the page supports `or`
too, which the emulator refuses rather than guess its grouping). The answer is the page's shape: `TotalRowCount`,
`Schema` ([{Column, PropertyType}]) and `Values` (one list per row, in the Schema's order), sent as a stream
(`application/octet-stream`), times without an offset (UTC), `top` and `skip` paging the rows. A connection not
signed out yet is not listed. The quality columns (round trip, bandwidth, sign-in time) are null: the emulator has no
network to measure.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from azure_emulator.graph.common import GraphRoutes, bad_request
from azure_emulator.graph.users import Notify
from azure_emulator.graph.windows365 import records, report_aggregation
from azure_emulator.graph.windows365.cloud_pc_service import Service
from azure_emulator.server import Context, Request, Response

REPORT = records.BASE + "/reports/getRemoteConnectionHistoricalReports"
COLUMNS = {
    "SignInDateTime": "DateTime",
    "SignOutDateTime": "DateTime",
    "UsageInHour": "Double",
    "RoundTripTimeInMsP50": "Double",
    "AvailableBandwidthInMBpsP50": "Double",
    "RemoteSignInTimeInSec": "Double",
}
CLAUSE = re.compile(r"^\s*\(?\s*(\w+)\s+(eq|gt|ge|lt|le)\s+(?:datetime)?'([^']*)'\s*\)?\s*$", re.IGNORECASE)
COMPARE = {
    "eq": lambda a, b: a == b,
    "gt": lambda a, b: a > b,
    "ge": lambda a, b: a >= b,
    "lt": lambda a, b: a < b,
    "le": lambda a, b: a <= b,
}


def report_time(value: str) -> dt.datetime:
    try:
        found = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise bad_request(f"'{value}' is not a DateTime.", "BadRequest") from None
    return found if found.tzinfo else found.replace(tzinfo=dt.UTC)


def _shown(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")


def _filter(text: Any) -> tuple[str, list[tuple[str, str, dt.datetime]]]:
    """The Cloud PC the filter names, and its time bounds."""
    if not isinstance(text, str) or not text.strip():
        raise bad_request("The CloudPcId filter is required, e.g. CloudPcId eq '<id>'.", "BadRequest")
    if re.search(r"\sor\s", text, re.IGNORECASE):
        raise bad_request("The emulator's report filter takes clauses joined by 'and' only.", "BadRequest")
    cloud_pc, bounds = None, []
    for clause in re.split(r"\s+and\s+", text.strip(), flags=re.IGNORECASE):
        match = CLAUSE.match(clause)
        if match is None:
            raise bad_request(f"The filter clause '{clause}' is not understood.", "BadRequest")
        column, op, value = match.group(1), match.group(2).lower(), match.group(3)
        if column == "CloudPcId" and op == "eq":
            cloud_pc = value.lower()
        elif column in ("SignInDateTime", "SignOutDateTime"):
            bounds.append((column, op, report_time(value)))
        else:
            raise bad_request(f"The report cannot be filtered on '{column} {op}'.", "BadRequest")
    if cloud_pc is None:
        raise bad_request("The CloudPcId filter is required, e.g. CloudPcId eq '<id>'.", "BadRequest")
    return cloud_pc, bounds


def whole_number(body: dict[str, Any], name: str, default: int) -> int:
    value = body.get(name, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise bad_request(f"'{name}' must be a whole number of at least 0.", "BadRequest")
    return value


def register(ctx: Context, routes: GraphRoutes, notify: Notify) -> None:
    @routes.route(
        "POST", REPORT, "getRemoteConnectionHistoricalReports", kind="read", service="intune", versions=("beta",)
    )
    def connection_report(request: Request) -> Response:
        body = request.json()
        cloud_pc, bounds = _filter(body.get("filter"))
        columns = body.get("select") or list(COLUMNS)
        if not isinstance(columns, list) or any(c not in COLUMNS for c in columns):
            raise bad_request(f"'select' must name columns of the report: {', '.join(COLUMNS)}.", "BadRequest")
        top, skip = whole_number(body, "top", 1000), whole_number(body, "skip", 0)
        Service(ctx, request.tenant, notify).reconcile()  # the service's work up to now, as any read
        pc = report_aggregation.cloud_pc(report_aggregation.latest(ctx, request.tenant), cloud_pc)
        rows = []
        for signed_in_s, signed_out_s in pc.get("_connections") or []:
            signed_in, signed_out = report_time(signed_in_s), report_time(signed_out_s)
            moments = {"SignInDateTime": signed_in, "SignOutDateTime": signed_out}
            if all(COMPARE[op](moments[column], bound) for column, op, bound in bounds):
                rows.append(
                    {
                        "SignInDateTime": _shown(signed_in),
                        "SignOutDateTime": _shown(signed_out),
                        "UsageInHour": (signed_out - signed_in).total_seconds() / 3600,
                    }
                )
        order = [str(c) for c in body.get("orderBy") or ["SignInDateTime"] if str(c) in COLUMNS]
        rows.sort(key=lambda row: tuple(row.get(c) or "" for c in order))
        report = {
            "TotalRowCount": len(rows),
            "Schema": [{"Column": c, "PropertyType": COLUMNS[c]} for c in columns],
            "Values": [[row.get(c) for c in columns] for row in rows[skip : skip + top]],
        }
        return Response(200, json.dumps(report).encode(), content_type="application/octet-stream")
