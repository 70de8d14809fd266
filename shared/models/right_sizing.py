"""The right-sizing report: each provisioned Cloud PC's class, the plan it recommends, and the figures behind it."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from shared.models.base import ApiModel

RightSizingClass = Literal["neverUsed", "underused", "undersized", "oversized", "rightSized", "notEnoughData"]
# where a figure came from: the app's own Cloud PC record (its last connection, when it was provisioned), Azure
# Monitor's platform metrics of its VM (azure backend), the usage data of the connections (issue #50's usage rows), or
# Windows 365's own recommendation report (windows365 backend, whose VMs are not the tenant's to read)
FigureSource = Literal["cloudPcRecord", "azureMonitor", "connectionUsage", "windows365Report"]


class RightSizingEvidence(ApiModel):
    window_start: datetime
    window_end: datetime
    provisioned_date_time: datetime | None = None
    last_connected_date_time: datetime | None = None
    connection_source: FigureSource = "cloudPcRecord"
    connected_days: int | None = Field(default=None, description="Days of the window its user connected on.")
    connected_hours: float | None = Field(default=None, description="Hours its user was connected in the window.")
    metrics_source: FigureSource | None = Field(
        default=None,
        description="azureMonitor where its VM's CPU and memory were read, windows365Report where "
        "Windows 365 judged them itself; absent: not read.",
    )
    usage_category: str | None = Field(
        default=None,
        description="Windows 365's own category of it (Undersized, Oversized, Rightsized, "
        "Underutilized), from its recommendation report.",
    )
    recommended_plan_name: str | None = Field(default=None, description="Windows 365's name of the plan it recommends.")
    report_aggregated_after: datetime | None = Field(
        default=None,
        description="Windows 365 aggregates its reports hourly: its figures were aggregated after this "
        "(an hour before the report was read, windowEnd), so what happened since does not show yet.",
    )
    hours_with_metrics: int = 0
    cpu_average_percent: float | None = None
    cpu_p95_percent: float | None = Field(default=None, description="95th percentile of the hourly averages.")
    cpu_maximum_percent: float | None = None
    memory_available_average_bytes: float | None = None
    memory_available_p05_bytes: float | None = Field(
        default=None, description="5th percentile of the hourly averages: how little is free for an hour in 20."
    )
    memory_available_minimum_bytes: float | None = None
    plan_memory_bytes: int


class CloudPcRightSizing(ApiModel):
    cloud_pc_id: str
    display_name: str
    user_principal_name: str
    service_plan_id: str
    classification: RightSizingClass
    reason: str = Field(description="Which threshold the figures crossed, in an admin's words.")
    recommended_service_plan_id: str | None = Field(
        default=None,
        description="One step up (undersized) or down (oversized) in the plans of its edition; the "
        "bulk resize's targetServicePlanId. On windows365, the plan Windows 365 recommends (its servicePlanId where "
        "the app's catalogue does not have the plan).",
    )
    not_resizable_reason: str | None = Field(
        default=None,
        description="Why the plan recommended is not offered as a resize, in an admin's words (e.g. its "
        "disk is smaller, and resize cannot shrink a disk); recommendedServicePlanId is then absent and the plan is "
        "named in evidence.recommendedPlanName.",
    )
    evidence: RightSizingEvidence
