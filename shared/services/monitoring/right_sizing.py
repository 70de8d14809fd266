"""Right-sizing: a provisioned Cloud PC's class over a window, from its connections and its VM's CPU and memory.

Pure: the figures come in (the Cloud PC record, the usage rows, the VM's metrics or Windows 365's own verdict), a
class, a reason and the plan one step up or down come out; a plan Windows 365 recommends that a resize cannot reach (a
smaller disk) is named with why, not offered as the resize. The thresholds are Windows 365's own right-sizing
categories' in spirit (undersized, oversized, underutilized:
https://learn.microsoft.com/windows-365/enterprise/report-cloud-pc-recommendations), with figures an admin can check
against Azure Monitor's charts; where Windows 365 itself judged a Cloud PC (its recommendation report), its verdict
and its plan are kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.catalog.service_plans import (
    SERVICE_PLANS,
    SERVICE_PLANS_BY_WINDOWS365_ID,
    ServicePlan,
    disk_shrink_refusal,
)
from shared.models.cloud_pcs import CloudPc
from shared.models.right_sizing import CloudPcRightSizing, RightSizingClass, RightSizingEvidence
from shared.ports.vm_metrics import VmUsage
from shared.ports.windows365 import Windows365Recommendation

WINDOW = timedelta(days=14)  # two working weeks: a holiday or a busy week alone does not decide the class
# never connected and provisioned this long ago: its user has had the whole window to sign in once
NEVER_USED_AFTER = WINDOW
# connected on fewer days of the window than this (or for fewer hours): under two days a week
UNDERUSED_DAYS, UNDERUSED_HOURS = 4, 10.0
# the 95th percentile of the hourly CPU averages: above this the user waits on the CPU for more than an hour in
# twenty; below the low one the CPU idles even in the user's busiest hours
CPU_UNDERSIZED_PERCENT, CPU_OVERSIZED_PERCENT = 80.0, 20.0
# free memory as a share of the plan's RAM, for an hour in twenty at its lowest: under 10% Windows pages to disk;
# over 60% even the busy hours use well under half of it
MEMORY_UNDERSIZED_FREE, MEMORY_OVERSIZED_FREE = 0.10, 0.60
MIN_HOURS_OF_METRICS = 8  # a working day of points at least before a size is judged
# Windows 365's reports are aggregated ones (https://learn.microsoft.com/graph/api/resources/cloudpcreportname); no
# page found says how often: hourly, as issue #72 has it, so a figure read may be up to an hour old
WINDOWS365_AGGREGATION = timedelta(hours=1)
ALREADY_HAS_IT = "It already has the recommended plan: Windows 365 judged it before its last resize."
# Windows 365's usage categories (its recommendation report's UsageCategory,
# https://learn.microsoft.com/graph/api/cloudpcreport-retrievecloudpcrecommendationreports?view=graph-rest-beta) as the
# app's classes; Underutilized is "less than 40 hours of active connected time over a 28 day period" (the Intune page
# above), used rarely or not at all
WINDOWS365_CATEGORIES: dict[str, RightSizingClass] = {
    "Undersized": "undersized",
    "Oversized": "oversized",
    "Rightsized": "rightSized",
    "Underutilized": "underused",
}


@dataclass(frozen=True)
class ConnectedTime:
    """The user's connections in the window, from the usage rows (issue #50's usage): days connected and hours."""

    days: int
    hours: float


def size_ladder(plan: ServicePlan) -> list[ServicePlan]:
    """The offered plans a Cloud PC of `plan` can be resized to, smallest first: the same edition, a disk no smaller
    (Windows 365 never shrinks a disk), one plan per size, the smallest disk that fits."""
    ladder: dict[tuple[int, int], ServicePlan] = {}
    for other in sorted(SERVICE_PLANS, key=lambda p: (p.v_cpu_count, p.ram_in_gb, p.storage_in_gb)):
        same_edition = (other.type, other.provisioning_type) == (plan.type, plan.provisioning_type)
        if same_edition and other.storage_in_gb >= plan.storage_in_gb:
            ladder.setdefault((other.v_cpu_count, other.ram_in_gb), other)
    return list(ladder.values())


def one_step(plan: ServicePlan, up: bool) -> ServicePlan | None:
    """The next size up (or down) in the plan's ladder; None at either end."""
    mine = (plan.v_cpu_count, plan.ram_in_gb)
    ladder = size_ladder(plan)
    if up:
        return next((p for p in ladder if (p.v_cpu_count, p.ram_in_gb) > mine), None)
    return next((p for p in reversed(ladder) if (p.v_cpu_count, p.ram_in_gb) < mine), None)


def classify(
    cloud_pc: CloudPc,
    plan: ServicePlan,
    now: datetime,
    *,
    usage: VmUsage | None = None,
    connected: ConnectedTime | None = None,
    recommendation: Windows365Recommendation | None = None,
    window: timedelta = WINDOW,
) -> CloudPcRightSizing:
    """The Cloud PC's class over the window ending `now`: never used, underused, then Windows 365's verdict where it
    gave one, else undersized, oversized, right-sized, or not enough data (no metrics to judge its size by), first
    match in that order."""
    start = now - window
    plan_memory = plan.ram_in_gb * 1024**3
    evidence = RightSizingEvidence(
        window_start=start,
        window_end=now,
        provisioned_date_time=cloud_pc.provisioned_date_time,
        last_connected_date_time=cloud_pc.last_connected_date_time,
        plan_memory_bytes=plan_memory,
        connection_source="connectionUsage" if connected else "cloudPcRecord",
        connected_days=connected.days if connected else None,
        connected_hours=connected.hours if connected else None,
    )
    if usage is not None:
        evidence = evidence.model_copy(
            update={
                "metrics_source": "azureMonitor",
                "hours_with_metrics": usage.hours_with_data,
                "cpu_average_percent": usage.cpu_average_percent,
                "cpu_p95_percent": usage.cpu_p95_percent,
                "cpu_maximum_percent": usage.cpu_maximum_percent,
                "memory_available_average_bytes": usage.memory_available_average_bytes,
                "memory_available_p05_bytes": usage.memory_available_p05_bytes,
                "memory_available_minimum_bytes": usage.memory_available_minimum_bytes,
            }
        )
    if recommendation is not None:
        evidence = evidence.model_copy(
            update={
                "metrics_source": "windows365Report",
                "usage_category": recommendation.usage_category,
                "recommended_plan_name": recommendation.recommended_plan_name,
                "report_aggregated_after": now - WINDOWS365_AGGREGATION,
            }
        )

    def judged(kind: RightSizingClass, reason: str, recommended: ServicePlan | str | None = None) -> CloudPcRightSizing:
        """A plan a resize cannot reach is named, with why, and not offered as the resize's target."""
        target, refusal = recommended, None
        if isinstance(recommended, ServicePlan):  # its own plan: a report aggregated before its last resize
            refusal = (
                ALREADY_HAS_IT
                if recommended.id == plan.id
                else disk_shrink_refusal(plan, recommended, "the recommended ")
            )
            target = None if refusal else recommended.id
        return CloudPcRightSizing(
            cloud_pc_id=cloud_pc.id,
            display_name=cloud_pc.display_name,
            user_principal_name=cloud_pc.user_principal_name,
            service_plan_id=plan.id,
            classification=kind,
            reason=reason,
            evidence=evidence,
            recommended_service_plan_id=target,
            not_resizable_reason=refusal,
        )

    provisioned = cloud_pc.provisioned_date_time
    if cloud_pc.last_connected_date_time is None:
        if provisioned is not None and now - provisioned >= NEVER_USED_AFTER:
            return judged("neverUsed", f"Never connected to in the {NEVER_USED_AFTER.days} days since it was made.")
    elif cloud_pc.last_connected_date_time < start:
        return judged("underused", f"Not connected to in the last {window.days} days.")
    if connected is not None and (connected.days < UNDERUSED_DAYS or connected.hours < UNDERUSED_HOURS):
        return judged(
            "underused", f"Connected to on {connected.days} days, {connected.hours:g} hours, of the last {window.days}."
        )
    if recommendation is not None:
        category, recommended = recommendation.usage_category, recommendation.recommended_plan_id
        kind = WINDOWS365_CATEGORIES.get(category, "notEnoughData")
        if kind == "notEnoughData":  # an evolvable list: a category named after this was written
            return judged(kind, f"Windows 365 classes it '{category}', which the app does not know yet.")
        named = f", and recommends {recommendation.recommended_plan_name or recommended}" if recommended else ""
        return judged(
            kind,
            f"Windows 365's recommendation report classes it {category}{named}.",
            SERVICE_PLANS_BY_WINDOWS365_ID.get((recommended or "").lower()) or recommended,
        )
    cpu, free = evidence.cpu_p95_percent, evidence.memory_available_p05_bytes
    if usage is None or cpu is None or free is None or usage.hours_with_data < MIN_HOURS_OF_METRICS:
        return judged("notEnoughData", "Its VM's CPU and memory were not read for long enough to judge its size.")
    if cpu > CPU_UNDERSIZED_PERCENT:
        return judged(
            "undersized",
            f"CPU above {CPU_UNDERSIZED_PERCENT:g}% for more than an hour in twenty.",
            one_step(plan, up=True),
        )
    if free < MEMORY_UNDERSIZED_FREE * plan_memory:
        return judged(
            "undersized",
            f"Under {MEMORY_UNDERSIZED_FREE:.0%} of its memory free for more than an hour in twenty.",
            one_step(plan, up=True),
        )
    if cpu < CPU_OVERSIZED_PERCENT and free > MEMORY_OVERSIZED_FREE * plan_memory:
        return judged(
            "oversized",
            f"CPU under {CPU_OVERSIZED_PERCENT:g}% and over {MEMORY_OVERSIZED_FREE:.0%} of "
            "its memory free even in its busiest hours.",
            one_step(plan, up=False),
        )
    return judged("rightSized", "Its CPU and memory are used without running short.")
