"""A tenant at a glance: how many Cloud PCs are in each status, and how many connections and Spot Groups need a look."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from shared.models.alerts import Severity
from shared.models.base import ApiModel
from shared.models.cloud_pcs import CloudPcStatus
from shared.models.refused_work import RefusedWork

# a connection is healthy when its latest checks all passed, some perhaps with a note; a warning, a failure or checks
# that have not finished (pending, running) are not: the portal points the admin at them
HEALTHY_CHECKS = ("passed", "informational")
READY = "ready"  # a Spot Group in any other status is being changed, has failed, or is going away


class CloudPcCounts(ApiModel):
    total: int = Field(description="Every Cloud PC of the tenant.")
    by_status: dict[CloudPcStatus, int] = Field(description="Every Cloud PC status, with 0 where none is in it.")
    never_connected: int = Field(
        default=0, description="Provisioned Cloud PCs nobody was seen connected to (lastConnectedDateTime absent)."
    )


class ConnectionCounts(ApiModel):
    total: int
    not_healthy: int = Field(
        description=f"Connections whose healthCheckStatus is none of {', '.join(HEALTHY_CHECKS)}: a warning, "
        "a failure, or checks not finished yet (pending, running)."
    )


class OpenAlert(ApiModel):
    """An open alert as the summary names it: enough to rank it and to link to it (getAlert)."""

    alert_id: str
    severity: Severity


class SpotGroupCounts(ApiModel):
    total: int
    not_ready: int = Field(description=f"Spot Groups in any status but {READY}.")


class TenantSummary(ApiModel):
    tenant_id: str
    display_name: str
    cloud_pcs: CloudPcCounts
    connections: ConnectionCounts
    spot_groups: SpotGroupCounts
    active_alerts: int = Field(default=0, description="The tenant's alerts not resolved: active or acknowledged.")
    most_severe_alert: OpenAlert | None = Field(
        default=None,
        description="Of the alerts not resolved, the one of the highest severity (of those, the newest); absent when "
        "none is open.",
    )
    drifted_templates: int = Field(
        default=0,
        description="The templates applied to the tenant whose object differed from them when last read (GET its "
        "templates, or a template's applications); a roll-out sets them back.",
    )
    refused_work: list[RefusedWork] = Field(
        default_factory=list,
        description="Background work refused for want of a permission; the onboarding report says what to grant.",
    )
    as_of_date_time: datetime = Field(description="When the counts were read.")
