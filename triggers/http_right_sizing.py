"""HTTP route of a tenant's right-sizing report: each provisioned Cloud PC's class, recommended plan and evidence."""

from __future__ import annotations

from typing import Any

import azure.durable_functions as df

from shared.models.base import Page
from shared.models.right_sizing import CloudPcRightSizing
from shared.ports.bundles import RightSizingPorts
from shared.services.monitoring.right_sizing import WINDOW
from shared.services.monitoring.right_sizing_report import right_sizing_report
from triggers.http_api import Api, page_of
from triggers.http_request import PAGING, ApiRequest


def blueprint(api: Api, ports: RightSizingPorts) -> df.Blueprint:
    bp = df.Blueprint()
    routes = api.section(bp, "Monitoring")

    @routes.get(
        "tenants/{tenantId}/rightSizing",
        "getRightSizingReport",
        "Class each provisioned Cloud PC as never used, underused, undersized, oversized or right-sized",
        description=f"Over the last {WINDOW.days} days, by name, in pages of `top`: each provisioned Cloud PC's "
        "`classification` with its `reason`, the plan one step up or down in its edition "
        "(`recommendedServicePlanId`, a bulk resize's `targetServicePlanId`) and the `evidence`, each figure with its "
        "source: its connections from the Cloud PC record (`cloudPcRecord`) and, on the azure backend, its VM's CPU "
        "and free memory from Azure Monitor (`azureMonitor`, hourly averages: the 95th percentile of CPU, the 5th of "
        "free memory). On windows365, Windows 365's own recommendation report sizes them (`windows365Report`: its "
        "`usageCategory` and the plan it recommends, aggregated hourly: `reportAggregatedAfter`; `notEnoughData` "
        "until it has judged one; a plan on a smaller disk, which resize cannot reach, is named in the evidence and "
        "`notResizableReason` says why, with no `recommendedServicePlanId`). 409 azureNotReadable "
        "when the app may not read the metrics (see the onboarding page); 503 azureUnavailable when Azure Monitor "
        "throttles or fails, serviceUnavailable when Graph does.",
        response=Page[CloudPcRightSizing],
        query=PAGING,
    )
    def get_right_sizing(req: ApiRequest) -> dict[str, Any]:
        return page_of(req, *right_sizing_report(ports, req.tenant, top=req.top, skip_token=req.skip_token))

    return bp
