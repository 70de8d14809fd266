"""Windows 365's report aggregation: its Cloud PC reports show a tenant's Cloud PCs as the last aggregation saw them,
not as they are this moment.

Graph names its Cloud PC reports aggregated ones (cloudPcReportName: "The historical aggregated remote connections
report", https://learn.microsoft.com/graph/api/resources/cloudpcreportname), and Intune's report pages describe data
aggregated over periods (https://learn.microsoft.com/windows-365/enterprise/report-cloud-pc-connection-quality), but
no page found names how often the reports are refreshed: the emulator aggregates hourly (the timer
`windows365.reportAggregation`, 3600 s), as issue #72 has it.

A tenant's first aggregation is on the hour before its first report read or report-data control; each next one falls
due the timer's length after the last. An aggregation keeps each Cloud PC's report inputs (its plan, status,
connections and usage profile) as the store holds them when it is taken: when it falls due, before the next read or
change of those inputs. `POST /emulator/tenants/{tid}/cloudPCReports/aggregate` takes one now, so no test waits; the
timer set to 0 takes one at every read and change (reports as live as the emulator's were).
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from azure_emulator.graph.windows365 import records
from azure_emulator.server import Context, Request, Response

TIMER, HOURLY = "windows365.reportAggregation", 3600.0
KEPT = (
    "id",
    "managedDeviceName",
    "userPrincipalName",
    "servicePlanId",
    "servicePlanName",
    "status",
    "_connections",
    "_usageProfile",
)


def _taken(ctx: Context, tenant: str, at: float) -> dict[str, Any]:
    pcs = [{name: pc.get(name) for name in KEPT} for pc in ctx.store.scan(records.CLOUD_PC, f"{tenant}/")]
    doc = {"at": at, "cloudPcs": pcs}
    ctx.store.put(records.REPORT_AGGREGATION, tenant, doc)
    return doc


def latest(ctx: Context, tenant: str) -> dict[str, Any]:
    """The tenant's last aggregation ({at: epoch seconds, cloudPcs: [...]}), taking any that has fallen due first:
    call before reading a report and before changing what one shows."""
    now, every = ctx.clock(), ctx.controls.timer(TIMER, HOURLY)
    with ctx.store.transaction():
        doc = ctx.store.get(records.REPORT_AGGREGATION, tenant)
        if doc is None:
            return _taken(ctx, tenant, now if every <= 0 else math.floor(now / every) * every)
        if now < doc["at"] + every:
            return doc
        return _taken(ctx, tenant, now if every <= 0 else doc["at"] + math.floor((now - doc["at"]) / every) * every)


def cloud_pc(doc: dict[str, Any], cloud_pc_id: str) -> dict[str, Any]:
    """A Cloud PC as the aggregation saw it: empty when it did not exist yet."""
    return next((pc for pc in doc["cloudPcs"] if pc["id"].lower() == cloud_pc_id.lower()), {})


def moment(doc: dict[str, Any]) -> dt.datetime:
    return dt.datetime.fromtimestamp(doc["at"], dt.UTC)


def register(ctx: Context) -> None:
    @ctx.router.route(
        "POST",
        r"/emulator/tenants/(?P<tid>[^/]+)/cloudPCReports/aggregate",
        operation="emulatorControl",
        api="emulator",
        auth=False,
    )
    def aggregate_now(request: Request) -> Response:
        """Windows 365 aggregates the tenant's reports now (its hourly run, early)."""
        tenant = request.params["tid"]
        with ctx.store.transaction():
            doc = _taken(ctx, tenant, ctx.clock())
        return Response(200, {"aggregatedDateTime": moment(doc).strftime("%Y-%m-%dT%H:%M:%SZ")})
