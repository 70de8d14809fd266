"""What each alert rule kind watches, as pure functions from rows the app keeps to the conditions that hold now.

Grouping keeps alerts few: a condition is one subject (a policy and an error code, a connection, a Spot Group, the
tenant) however many Cloud PCs, hosts or licenses it covers; its count and some of their ids say how many and which.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.models.cloud_pcs import CloudPc
from shared.models.connections import Connection
from shared.models.failures import words_for
from shared.models.image_sets import ImageSet
from shared.models.image_updates import ImageUpdate
from shared.models.images import DeviceImage
from shared.models.onboarding import OnboardingReport
from shared.models.session_hosts import SessionHost
from shared.models.spot_group_records import HostEviction
from shared.models.spot_groups import SpotGroup
from shared.models.words import counted

MAX_ITEMS = 50  # an alert names at most this many of what it covers (Alert.items); its count says how many


@dataclass(frozen=True)
class Condition:
    subject: str  # with the rule, what deduplicates its alerts
    subject_name: str
    summary: str  # one sentence, in an admin's words
    count: int
    items: tuple[str, ...] = ()


def _condition(subject: str, subject_name: str, summary: str, items: list[str]) -> Condition:
    return Condition(subject, subject_name, summary, len(items), tuple(sorted(items)[:MAX_ITEMS]))


def _cloud_pcs(count: int) -> str:
    return counted(count, "Cloud PC")


def provisioning_failed(failed: Iterable[CloudPc]) -> list[Condition]:
    """Failed Cloud PCs per policy and error code."""
    groups: dict[tuple[str, str], list[CloudPc]] = defaultdict(list)
    for pc in failed:
        groups[pc.provisioning_policy_id, pc.status_detail.code if pc.status_detail else "unknown"].append(pc)
    return [
        _condition(
            f"policy:{policy_id}:{code}",
            f"Policy '{pcs[0].provisioning_policy_name}'",
            f"{_cloud_pcs(len(pcs))} of policy '{pcs[0].provisioning_policy_name}' failed to provision: "
            f"{_reason(code)}",
            [pc.id for pc in pcs],
        )
        for (policy_id, code), pcs in sorted(groups.items())
    ]


def _reason(code: str) -> str:
    """The failure catalogue's sentence for a code (the code itself stays in the alert's subject)."""
    words = words_for(code)
    return words.summary if words else f"the service answered {code}, which the app has no words for yet."


def provisioned_with_warnings(warned: Iterable[CloudPc]) -> list[Condition]:
    """Cloud PCs provisioned with warnings, per policy and warning (one Cloud PC may be in several)."""
    groups: dict[tuple[str, str], list[CloudPc]] = defaultdict(list)
    for pc in warned:
        for warning in set(pc.warnings) or {"unknown"}:
            groups[pc.provisioning_policy_id, warning].append(pc)
    return [
        _condition(
            f"policy:{policy_id}:{warning}",
            f"{pcs[0].provisioning_policy_name}: {warning}",
            f"{_cloud_pcs(len(pcs))} of policy '{pcs[0].provisioning_policy_name}' provisioned with a warning "
            f"({warning}).",
            [pc.id for pc in pcs],
        )
        for (policy_id, warning), pcs in sorted(groups.items())
    ]


def connection_unhealthy(connections: Iterable[Connection]) -> list[Condition]:
    """A connection whose last health checks failed, naming the checks that did."""
    found = []
    for connection in connections:
        if connection.health_check_status != "failed":
            continue
        checks = connection.health_check_status_detail.health_checks
        failed = [check.display_name for check in checks if check.status == "failed"]
        found.append(
            _condition(
                f"connection:{connection.id}",
                connection.display_name,
                f"Connection '{connection.display_name}' failed its health checks"
                + (f": {', '.join(failed)}." if failed else "."),
                [check.name for check in checks if check.status == "failed"],
            )
        )
    return found


def image_build_failed(images: Iterable[DeviceImage], image_sets: Iterable[ImageSet]) -> list[Condition]:
    """A device image whose upload failed; an image set whose latest version failed to build."""
    found = [
        _condition(
            f"image:{image.id}",
            image.display_name,
            f"Device image '{image.display_name}' failed: {image.status_details or image.error_code}.",
            [],
        )
        for image in images
        if image.status == "failed"
    ]
    found += [
        _condition(
            f"imageSet:{image_set.id}:{image_set.latest_version}",
            f"{image_set.display_name} {image_set.latest_version}",
            f"Version {image_set.latest_version} of image set '{image_set.display_name}' failed to build.",
            [],
        )
        for image_set in image_sets
        if image_set.status == "failed"
    ]
    return found


def spot_group_rolled_back(latest_updates: Iterable[tuple[SpotGroup, ImageUpdate]]) -> list[Condition]:
    """A Spot Group whose latest image update rolled back."""
    return [
        _condition(
            f"spotGroup:{group.id}",
            group.friendly_name,
            f"Spot Group '{group.friendly_name}' rolled back its update to version {update.to_version}.",
            [update.id],
        )
        for group, update in latest_updates
        if update.status == "rolledBack"
    ]


def spot_host_unhealthy(groups_hosts: Iterable[tuple[SpotGroup, list[SessionHost]]]) -> list[Condition]:
    """A Spot Group with hosts that failed or that the optimization found unhealthy."""
    found = []
    for group, hosts in groups_hosts:
        sick = [host.name for host in hosts if host.status == "failed" or host.unhealthy_since is not None]
        if sick:
            found.append(
                _condition(
                    f"spotGroup:{group.id}",
                    group.friendly_name,
                    f"Spot Group '{group.friendly_name}' has {counted(len(sick), 'unhealthy host')}.",
                    sick,
                )
            )
    return found


def spot_host_evicted(
    groups_evictions: Iterable[tuple[SpotGroup, list[HostEviction]]], now: datetime, hours: int
) -> list[Condition]:
    """A Spot Group whose hosts Azure evicted within the last `hours`."""
    since = now - timedelta(hours=hours)
    found = []
    for group, evictions in groups_evictions:
        recent = [eviction for eviction in evictions if eviction.notice_date_time >= since]
        if recent:
            found.append(
                _condition(
                    f"spotGroup:{group.id}",
                    group.friendly_name,
                    f"Azure evicted {counted(len(recent), 'host')} of Spot Group "
                    f"'{group.friendly_name}' in the last {hours} hours.",
                    [eviction.host for eviction in recent],
                )
            )
    return found


def licenses_low(free_by_plan: Mapping[str, tuple[str, int]], threshold: int) -> list[Condition]:
    """A service plan (id -> its name, licenses free) with fewer than `threshold` licenses free."""
    return [
        Condition(
            f"servicePlan:{plan_id}",
            name,
            f"Only {counted(free, 'license')} of {name} free (fewer than {threshold:,}).",
            threshold - free,
        )
        for plan_id, (name, free) in sorted(free_by_plan.items())
        if free < threshold
    ]


def grace_ending_soon(in_grace: Iterable[CloudPc], now: datetime, hours: int) -> list[Condition]:
    """The tenant's Cloud PCs whose grace period ends within `hours`: one condition for them all."""
    until = now + timedelta(hours=hours)
    ending = [pc for pc in in_grace if pc.grace_period_end_date_time and pc.grace_period_end_date_time <= until]
    if not ending:
        return []
    their = "its" if len(ending) == 1 else "their"
    return [
        _condition(
            "tenant:graceEndingSoon",
            "Grace periods ending",
            f"{_cloud_pcs(len(ending))} will be deprovisioned within {hours} hours, when {their} grace period ends.",
            [pc.id for pc in ending],
        )
    ]


def onboarding_not_ready(report: OnboardingReport) -> list[Condition]:
    """The tenant's onboarding report is not ready: a consent or role was withdrawn."""
    if report.ready:
        return []
    missing = [item.name for item in report.items if item.status != "present"]
    return [
        _condition(
            "tenant:onboarding",
            "Onboarding",
            "The tenant's onboarding is no longer complete: "
            f"{', '.join(missing[:5]) or 'see the onboarding report'} missing.",
            missing,
        )
    ]


def reclaim_announced(cloud_pcs: Iterable[CloudPc]) -> list[Condition]:
    """The tenant's Cloud PCs announced for reclaim: one condition for them all."""
    announced = [pc for pc in cloud_pcs if pc.reclaim_announced_date_time is not None]
    if not announced:
        return []
    return [
        _condition(
            "tenant:reclaimAnnounced",
            "Cloud PCs announced for reclaim",
            f"{_cloud_pcs(len(announced))} unused for the reclaim rule's days "
            f"{'was' if len(announced) == 1 else 'were'} announced for reclaim.",
            [pc.id for pc in announced],
        )
    ]
