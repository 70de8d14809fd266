"""HTTP routes of a tenant's usage: connected hours and last connections per Cloud PC, per user and per day."""

from __future__ import annotations

from typing import Any

import azure.durable_functions as df

from shared.models.base import ApiModel, Page
from shared.models.usage import CloudPcUsage, DailyUsage, UserUsage
from shared.ports.admin_ports import AdminPorts
from shared.ports.bundles import UsagePorts
from shared.ports.engine_ports import EnginePorts
from shared.services.cloud_pcs import usage_reports
from shared.services.cloud_pcs.usage_reports import DayRange
from triggers.http_api import Api, page_of
from triggers.http_request import PAGING, ApiRequest, QueryParam

USAGE = "tenants/{tenantId}/usage"
# a date, or empty: an empty query value is the default, as everywhere in the API (ApiRequest.query)
DAY = {"anyOf": [{"type": "string", "format": "date"}, {"type": "string", "maxLength": 0}]}
RANGE = (
    QueryParam(
        "from",
        f"The first UTC day counted, e.g. 2026-01-01 (default: {usage_reports.DEFAULT_DAYS - 1} days before `to`).",
        DAY,
    ),
    QueryParam("to", f"The last UTC day counted (default: today); at most {usage_reports.MAX_DAYS} days in all.", DAY),
)
MEASURED = (
    "On the azure backend the 5-minute use watch counts the time it sees each user connected (a connection shorter "
    "than its period may go unseen); on windows365, Windows 365's remote connection report."
)


class DailyUsageList(ApiModel):
    value: list[DailyUsage]


def blueprint(api: Api, admin: AdminPorts, engine: EnginePorts) -> df.Blueprint:
    bp = df.Blueprint()
    routes = api.section(bp, "Usage")
    ports = UsagePorts(engine.cloud_pcs, engine.usage, admin.pages, engine.clock)

    def days(req: ApiRequest) -> DayRange:
        return usage_reports.day_range(req.query("from"), req.query("to"), ports.clock().date())

    @routes.get(
        USAGE,
        "listCloudPcUsage",
        "Each Cloud PC's connected hours and last connection",
        response=Page[CloudPcUsage],
        query=(*RANGE, *PAGING),
        description=MEASURED,
    )
    def list_cloud_pc_usage(req: ApiRequest) -> dict[str, Any]:
        found = usage_reports.cloud_pc_usage(
            ports, req.param("tenantId"), days(req), top=req.top, skip_token=req.skip_token
        )
        return page_of(req, *found)

    @routes.get(
        f"{USAGE}/users",
        "listUserUsage",
        "Each user's connected hours and last connection, over their Cloud PCs",
        response=Page[UserUsage],
        query=(*RANGE, *PAGING),
        description=MEASURED,
    )
    def list_user_usage(req: ApiRequest) -> dict[str, Any]:
        found = usage_reports.user_usage(
            ports, req.param("tenantId"), days(req), top=req.top, skip_token=req.skip_token
        )
        return page_of(req, *found)

    @routes.get(
        f"{USAGE}/daily",
        "listDailyUsage",
        "The tenant's connected hours, Cloud PCs and users per day",
        response=DailyUsageList,
        query=RANGE,
        description=MEASURED,
    )
    def list_daily_usage(req: ApiRequest) -> DailyUsageList:
        return DailyUsageList(value=usage_reports.daily_usage(ports, req.param("tenantId"), days(req)))

    return bp
