"""A tenant's alert rules, and the organization's, evaluated on the tenant's rows: each rule's conditions read,
reconciled with its open alerts in the tenant (raised, seen again, resolved), saved, and only then their notices queued.

Two evaluations at once raise an alert once: raising is create-only on the open alert's key (its rule and subject,
see shared/storage/alerts.py), so the second one's raise is a Conflict it skips. A notice queued is recorded in the
alert as a pending delivery due at `next_attempt_date_time`; one of an open alert still pending LOST_AFTER past that
had its message lost (a crash between the save and the queue), and the next evaluation queues it again. (A resolved
alert is read no more: a crash between its resolution and its notices loses those.)
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from typing import Protocol

from shared.catalog.service_plans import SERVICE_PLANS_BY_ID
from shared.errors import Conflict, NotFound, PreconditionFailed
from shared.models.alerts import (
    ORGANIZATION,
    Alert,
    AlertDelivery,
    AlertEvent,
    AlertRule,
    ChannelDelivery,
    alert_id,
)
from shared.models.cloud_pcs import PROVISIONED, CloudPc
from shared.models.image_updates import ImageUpdate
from shared.models.onboarding import OnboardingReport
from shared.models.spot_group_records import HostEviction
from shared.models.spot_groups import SpotGroup
from shared.models.tenants import Tenant
from shared.ports.access_stores import TenantStore
from shared.ports.alerts import AlertDeliveryQueue, AlertStore
from shared.ports.directory import Directory, LicenseAssignment
from shared.ports.spot_pc_stores import ImageSetStore, SpotGroupScheduleStore, SpotGroupStore
from shared.ports.stores import CloudPcStore, ConnectionStore, DeviceImageStore
from shared.services.access import onboarding
from shared.services.monitoring import alert_conditions as conditions
from shared.services.monitoring.alert_conditions import Condition
from shared.services.monitoring.alert_transitions import ALERTS

log = logging.getLogger(__name__)
LOST_AFTER = timedelta(minutes=15)  # a queued notice is taken within seconds; one pending this long lost its message
EVICTIONS_READ = 100  # the newest evictions of a group a rule looks at (a day of evictions is far fewer)


class EvaluationPorts(Protocol):
    """What an evaluation reads (the rows each kind watches) and writes (alerts, and the notices' queue)."""

    @property
    def alerts(self) -> AlertStore: ...
    @property
    def deliveries(self) -> AlertDeliveryQueue: ...
    @property
    def tenants(self) -> TenantStore: ...
    @property
    def cloud_pcs(self) -> CloudPcStore: ...
    @property
    def connections(self) -> ConnectionStore: ...
    @property
    def images(self) -> DeviceImageStore: ...
    @property
    def image_sets(self) -> ImageSetStore: ...
    @property
    def spot_groups(self) -> SpotGroupStore: ...
    @property
    def schedules(self) -> SpotGroupScheduleStore: ...  # with each group's evictions
    @property
    def directory(self) -> Directory: ...
    @property
    def licenses(self) -> LicenseAssignment: ...
    @property
    def onboarding(self) -> onboarding.OnboardingReportPorts: ...
    @property
    def clock(self) -> Callable[[], datetime]: ...
    @property
    def new_id(self) -> Callable[[], str]: ...


@dataclass
class Reconciled:
    """What one rule's evaluation changes: alerts to raise (create-only), to date again, and to resolve."""

    raised: list[Alert] = field(default_factory=list)
    seen: list[Alert] = field(default_factory=list)
    resolved: list[Alert] = field(default_factory=list)


def reconcile(
    tenant_id: str,
    rule: AlertRule,
    open_alerts: list[Alert],
    found: list[Condition],
    now: datetime,
    new_id: Callable[[], str],
) -> Reconciled:
    """In the tenant (an organization rule's alerts are each tenant's own): a condition without an open alert raises
    one (a notice per channel); one with an open alert counts and dates it, sending nothing; an open alert whose
    condition is gone is resolved (a notice per channel). A disabled rule holds no condition."""
    by_subject = {alert.subject: alert for alert in open_alerts}
    holding = {condition.subject: condition for condition in found} if rule.enabled else {}
    result = Reconciled()
    for subject, condition in holding.items():
        sightings = {
            "count": condition.count,
            "items": list(condition.items),
            "summary": condition.summary,
            "subject_name": condition.subject_name,
            "last_seen_date_time": now,
        }
        alert = by_subject.get(subject)
        if alert is None:
            result.raised.append(
                Alert(
                    id=alert_id(now, new_id()),
                    created_date_time=now,
                    last_modified_date_time=now,
                    tenant_id=tenant_id,
                    rule_id=rule.id,
                    kind=rule.kind,
                    severity=rule.severity,
                    subject=subject,
                    raised_date_time=now,
                    deliveries=_notices(rule, "raised", now),
                    **sightings,
                )
            )
        else:
            result.seen.append(alert.model_copy(update={**sightings, "last_modified_date_time": now}))
    for subject, alert in by_subject.items():
        if subject not in holding:
            result.resolved.append(
                ALERTS.move(
                    alert,
                    "resolve",
                    resolved_date_time=now,
                    last_modified_date_time=now,
                    deliveries=[*alert.deliveries, *_notices(rule, "resolved", now)],
                )
            )
    return result


def _notices(rule: AlertRule, event: AlertEvent, now: datetime) -> list[ChannelDelivery]:
    return [
        ChannelDelivery(channel=index, kind=channel.kind, event=event, next_attempt_date_time=now)
        for index, channel in enumerate(rule.channels)
    ]


def lost_notices(alert: Alert, now: datetime) -> list[ChannelDelivery]:
    """The alert's pending notices whose message is presumed lost: due LOST_AFTER ago and still pending."""
    return [
        delivery
        for delivery in alert.deliveries
        if delivery.status == "pending"
        and (delivery.next_attempt_date_time is None or delivery.next_attempt_date_time <= now - LOST_AFTER)
    ]


@dataclass
class Evaluation:
    tenant_id: str
    raised: int = 0
    resolved: int = 0
    failed_rules: list[str] = field(default_factory=list)


def tenants_to_evaluate(ports: EvaluationPorts) -> list[str]:
    """The tenants with an enabled rule; every tenant once the organization has one."""
    with_rules = ports.alerts.tenants_with_enabled_rules()
    if ORGANIZATION in with_rules:
        return sorted(tenant.id for tenant in ports.tenants.iter_tenants())
    return with_rules


def evaluate_tenant(ports: EvaluationPorts, tenant_id: str) -> Evaluation:
    """Every rule of the tenant and of the organization; one rule's failure is logged and the next rule goes on."""
    outcome = Evaluation(tenant_id)
    tenant = ports.tenants.find_tenant(tenant_id)
    if tenant is None:
        return outcome
    now = ports.clock()
    reads = Reads(ports, tenant, now)
    rules = [*ports.alerts.list_all_alert_rules(tenant_id), *ports.alerts.list_all_alert_rules(ORGANIZATION)]
    for rule in rules:
        try:
            found = reads.conditions(rule) if rule.enabled else []
            open_alerts = ports.alerts.open_alerts(tenant_id, rule.id)
            changes = reconcile(tenant_id, rule, open_alerts, found, now, ports.new_id)
            raised, resolved = apply(ports, changes, now)
        except Exception:
            log.exception("Alert rule %s of tenant %s could not be evaluated; the next goes on", rule.id, tenant_id)
            outcome.failed_rules.append(rule.id)
            continue
        outcome.raised += raised
        outcome.resolved += resolved
    return outcome


def apply(ports: EvaluationPorts, changes: Reconciled, now: datetime) -> tuple[int, int]:
    """Save each alert, then queue its notices: a crash between leaves them pending, queued again once lost."""
    raised = resolved = 0
    for alert in changes.raised:
        try:
            ports.alerts.put_alert(alert, if_none_match=True)
        except Conflict:
            continue  # another evaluation raised it a moment ago, and queued its notices
        _queue(ports, alert, [d for d in alert.deliveries if d.event == "raised"])
        raised += 1
    for alert in changes.resolved:
        if _saved(ports, alert):
            _queue(ports, alert, [d for d in alert.deliveries if d.event == "resolved"])
            resolved += 1
    for alert in changes.seen:
        lost = lost_notices(alert, now)
        again = _with_lost_requeued(alert, lost, now)
        if _saved(ports, again):
            _queue(ports, again, lost)
    return raised, resolved


def _with_lost_requeued(alert: Alert, lost: list[ChannelDelivery], now: datetime) -> Alert:
    if not lost:
        return alert
    deliveries = [d.model_copy(update={"next_attempt_date_time": now}) if d in lost else d for d in alert.deliveries]
    return alert.model_copy(update={"deliveries": deliveries})


def _saved(ports: EvaluationPorts, alert: Alert) -> bool:
    """Written on the etag read; False when something wrote it since (a delivery, an acknowledgement, another
    evaluation): the next evaluation sees it as it is then."""
    try:
        ports.alerts.put_alert(alert, if_match=alert.etag or "*")
    except (PreconditionFailed, NotFound):
        return False
    return True


def _queue(ports: EvaluationPorts, alert: Alert, notices: list[ChannelDelivery]) -> None:
    for notice in notices:
        message = AlertDelivery(
            tenant_id=alert.tenant_id,
            alert_id=alert.id,
            channel=notice.channel,
            event=notice.event,
            attempt=notice.attempts + 1,
        )
        ports.deliveries.enqueue_alert_delivery(message)


class Reads:
    """The rows each kind watches, read once per evaluation however many rules watch them, by the narrowest
    query each store has (Cloud PCs by status, a group's hosts and evictions by its partition)."""

    def __init__(self, ports: EvaluationPorts, tenant: Tenant, now: datetime) -> None:
        self._ports = ports
        self._tenant = tenant
        self._now = now
        self._by_status: dict[str, list[CloudPc]] = {}

    def conditions(self, rule: AlertRule) -> list[Condition]:
        ports, tenant_id, now, threshold = self._ports, self._tenant.id, self._now, rule.threshold or 0
        match rule.kind:
            case "provisioningFailed":
                return conditions.provisioning_failed(self._in_status("failed"))
            case "provisionedWithWarnings":
                return conditions.provisioned_with_warnings(self._in_status("provisionedWithWarnings"))
            case "connectionUnhealthy":
                return conditions.connection_unhealthy(ports.connections.list_connections(tenant_id, top=1000)[0])
            case "imageBuildFailed":
                image_sets = ports.image_sets.list_image_sets(tenant_id, top=1000)[0]
                return conditions.image_build_failed(ports.images.list_all_images(tenant_id), image_sets)
            case "spotGroupRolledBack":
                return conditions.spot_group_rolled_back(self._latest_updates())
            case "spotHostUnhealthy":
                hosts = [(group, ports.spot_groups.list_hosts(tenant_id, group.id)) for group in self._groups]
                return conditions.spot_host_unhealthy(hosts)
            case "spotHostEvicted":
                evictions = [(group, self._evictions(group.id)) for group in self._groups]
                return conditions.spot_host_evicted(evictions, now, threshold)
            case "licensesLow":
                return conditions.licenses_low(self._free_licenses(), threshold)
            case "graceEndingSoon":
                return conditions.grace_ending_soon(self._in_status("inGracePeriod"), now, threshold)
            case "onboardingNotReady":
                return conditions.onboarding_not_ready(self._onboarding)
            case "reclaimAnnounced":  # only a provisioned Cloud PC is announced
                provisioned = [pc for status in sorted(PROVISIONED) for pc in self._in_status(status)]
                return conditions.reclaim_announced(provisioned)
        raise ValueError(f"no condition for rule kind {rule.kind!r}")

    def _in_status(self, status: str) -> list[CloudPc]:
        if status not in self._by_status:
            self._by_status[status] = self._ports.cloud_pcs.list_cloud_pcs_in_status(self._tenant.id, status)
        return self._by_status[status]

    @cached_property
    def _groups(self) -> list[SpotGroup]:
        return self._ports.spot_groups.list_spot_groups(self._tenant.id, top=1000)[0]

    @cached_property
    def _onboarding(self) -> OnboardingReport:
        return onboarding.onboarding_report(self._ports.onboarding, self._tenant)

    def _latest_updates(self) -> list[tuple[SpotGroup, ImageUpdate]]:
        latest = []
        for group in self._groups:
            updates = self._ports.spot_groups.list_image_updates(self._tenant.id, group.id)
            if updates:
                latest.append((group, max(updates, key=lambda update: update.created_date_time)))
        return latest

    def _evictions(self, group_id: str) -> list[HostEviction]:
        return self._ports.schedules.list_evictions(self._tenant.id, group_id, top=EVICTIONS_READ)[0]

    def _free_licenses(self) -> dict[str, tuple[str, int]]:
        """Each plan the tenant has licenses of: its name, and how many are free."""
        tenant_id = self._tenant.id
        return {
            plan: (
                SERVICE_PLANS_BY_ID[plan].display_name if plan in SERVICE_PLANS_BY_ID else plan,
                self._ports.licenses.free_licenses(tenant_id, plan),
            )
            for plan in sorted(self._ports.directory.count_licenses(tenant_id))
        }
