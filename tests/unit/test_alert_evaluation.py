"""Alert evaluation with a fake clock: each kind's conditions from hand-made rows, grouped so alerts stay few; and the
alert state machine: raised with a notice per channel, deduplicated, acknowledged, resolved, raised again as a new
alert; a disabled rule resolves its alerts; a lost notice is queued again; one rule's failure spares the others."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pydantic import BaseModel

from shared.models.alerts import AlertRule, StoredChannel
from shared.models.connections import Connection, HealthCheck, HealthCheckStatusDetail
from shared.models.onboarding import OnboardingItem, OnboardingReport
from shared.models.session_hosts import SessionHost
from shared.models.spot_group_records import HostEviction
from shared.models.spot_groups import SpotGroup
from shared.services.monitoring import alert_conditions as conditions
from shared.services.monitoring import alert_evaluation
from shared.services.monitoring.alert_conditions import Condition
from shared.services.monitoring.alert_evaluation import LOST_AFTER, apply, evaluate_tenant, reconcile
from shared.services.monitoring.alert_rules import acknowledge_alert
from tests.fakes import Fakes
from tests.fakes.seed import PLAN, TENANT, cloud_pc, tenant


def made(model: type[BaseModel], **fields: Any) -> Any:
    """A row with only the fields a condition reads."""
    return model.model_construct(**fields)


def rule(fakes: Fakes, kind: str = "provisioningFailed", **fields: Any) -> AlertRule:
    now = fakes.clock()
    channels = [
        StoredChannel(kind="webhook", url="https://hooks.example.com/a", secret_set=True),
        StoredChannel(kind="email", mailbox="alerts@contoso.com", to=["ops@contoso.com"]),
    ]
    row = AlertRule(
        id=f"rule-{kind}",
        tenant_id=TENANT,
        display_name=kind,
        kind=kind,
        severity="critical",
        created_date_time=now,
        last_modified_date_time=now,
        **{"channels": channels, **fields},
    )
    return fakes.alerts.put_alert_rule(row)


def failed(fakes: Fakes, user: str, policy: str = "finance", code: str = "QuotaExceeded") -> None:
    cloud_pc(fakes, user, policy, status="failed", status_detail={"code": code, "message": code})


def evaluate(fakes: Fakes) -> alert_evaluation.Evaluation:
    return evaluate_tenant(fakes.alert_ports(), TENANT)


# --- each kind's conditions --------------------------------------------------------------------------------------


def test_failed_cloud_pcs_are_one_condition_per_policy_and_error_code() -> None:
    fakes = Fakes()
    for user, policy, code in [
        ("ann", "finance", "QuotaExceeded"),
        ("bob", "finance", "QuotaExceeded"),
        ("cy", "finance", "ImageNotFound"),
        ("di", "sales", "QuotaExceeded"),
    ]:
        failed(fakes, user, policy, code)
    found = conditions.provisioning_failed(fakes.cloud_pcs.list_cloud_pcs_in_status(TENANT, "failed"))
    assert [(c.subject, c.count, c.items) for c in found] == [
        ("policy:finance:ImageNotFound", 1, ("cpc-cy",)),
        ("policy:finance:QuotaExceeded", 2, ("cpc-ann", "cpc-bob")),
        ("policy:sales:QuotaExceeded", 1, ("cpc-di",)),
    ]
    # in the failure catalogue's words, the code kept in the subject
    quota = "A vCPU quota of the subscription in the region is used up (the message names it)."
    assert found[1].summary == f"2 Cloud PCs of policy 'Finance' failed to provision: {quota}"
    assert found[1].subject_name == "Policy 'Finance'"


def test_warnings_group_per_policy_and_warning() -> None:
    fakes = Fakes()
    cloud_pc(fakes, "ann", status="provisionedWithWarnings", warnings=["languageNotInstalled", "intuneSlow"])
    cloud_pc(fakes, "bob", status="provisionedWithWarnings", warnings=["intuneSlow"])
    found = conditions.provisioned_with_warnings(
        fakes.cloud_pcs.list_cloud_pcs_in_status(TENANT, "provisionedWithWarnings")
    )
    assert [(c.subject, c.count) for c in found] == [
        ("policy:finance:intuneSlow", 2),
        ("policy:finance:languageNotInstalled", 1),
    ]


def test_a_connection_whose_checks_failed_names_them() -> None:
    fakes = Fakes()

    def connection(cid: str, status: str) -> Connection:
        checks = [
            HealthCheck(name="dnsResolution", display_name="DNS resolution", status=status),
            HealthCheck(name="subnetIpUsage", display_name="Subnet IP usage", status="passed"),
        ]
        return Connection.model_validate(
            {
                "id": cid,
                "tenant_id": TENANT,
                "display_name": cid.upper(),
                "site_id": "s",
                "connection_type": "azureADJoin",
                "subscription_id": "sub",
                "resource_group_name": "rg",
                "region_name": "westeurope",
                "health_check_status": status,
                "created_date_time": fakes.clock(),
                "last_modified_date_time": fakes.clock(),
                "health_check_status_detail": HealthCheckStatusDetail(health_checks=checks),
            }
        )

    found = conditions.connection_unhealthy([connection("c1", "failed"), connection("c2", "passed")])
    assert [(c.subject, c.summary, c.items) for c in found] == [
        ("connection:c1", "Connection 'C1' failed its health checks: DNS resolution.", ("dnsResolution",))
    ]


def group(group_id: str) -> SpotGroup:
    return made(SpotGroup, id=group_id, tenant_id=TENANT, friendly_name=group_id.title())


def test_spot_hosts_unhealthy_and_evicted_are_one_condition_per_group() -> None:
    fakes = Fakes()
    now = fakes.clock()
    hosts = [
        made(SessionHost, name="h0", status="running", unhealthy_since=now),
        made(SessionHost, name="h1", status="failed", unhealthy_since=None),
        made(SessionHost, name="h2", status="running", unhealthy_since=None),
    ]
    found = conditions.spot_host_unhealthy([(group("g1"), hosts), (group("g2"), hosts[2:])])
    assert [(c.subject, c.count, c.items) for c in found] == [("spotGroup:g1", 2, ("h0", "h1"))]

    def eviction(host: str, hours_ago: int) -> HostEviction:
        at = now - timedelta(hours=hours_ago)
        return HostEviction(id=host, host=host, policy="Deallocate", notice_date_time=at, evicts_at_date_time=at)

    evicted = conditions.spot_host_evicted([(group("g1"), [eviction("h0", 1), eviction("h1", 30)])], now, 24)
    assert [(c.subject, c.count, c.items) for c in evicted] == [("spotGroup:g1", 1, ("h0",))]
    assert conditions.spot_host_evicted([(group("g1"), [eviction("h1", 30)])], now, 24) == []


def test_licenses_low_below_the_threshold_only() -> None:
    found = conditions.licenses_low({"p1": ("Plan one", 2), "p2": ("Plan two", 5)}, 5)
    assert [(c.subject, c.count, c.summary) for c in found] == [
        ("servicePlan:p1", 3, "Only 2 licenses of Plan one free (fewer than 5).")
    ]
    [big] = conditions.licenses_low({"p1": ("Plan one", 1200)}, 10000)
    assert big.summary == "Only 1,200 licenses of Plan one free (fewer than 10,000)."  # grouped, as the portal shows


def test_grace_ending_soon_and_reclaim_announced_are_one_condition_per_tenant() -> None:
    fakes = Fakes()
    now = fakes.clock()
    soon = cloud_pc(fakes, "ann", status="inGracePeriod", grace_period_end_date_time=now + timedelta(hours=5))
    later = cloud_pc(fakes, "bob", status="inGracePeriod", grace_period_end_date_time=now + timedelta(hours=50))
    [ending] = conditions.grace_ending_soon([soon, later], now, 24)
    assert (ending.subject, ending.items) == ("tenant:graceEndingSoon", ("cpc-ann",))
    assert conditions.grace_ending_soon([later], now, 24) == []
    announced = cloud_pc(fakes, "cy", status="provisioned", reclaim_announced_date_time=now)
    [reclaim] = conditions.reclaim_announced([announced, cloud_pc(fakes, "di", status="provisioned")])
    assert (reclaim.subject, reclaim.count) == ("tenant:reclaimAnnounced", 1)


def test_onboarding_not_ready_names_what_is_missing() -> None:
    items = [
        OnboardingItem(kind="graphPermission", name="User.Read.All", status="missing", reason="r"),
        OnboardingItem(kind="graphPermission", name="Group.Read.All", status="present", reason="r"),
    ]
    [found] = conditions.onboarding_not_ready(OnboardingReport(tenant_id=TENANT, ready=False, items=items))
    assert (found.subject, found.items) == ("tenant:onboarding", ("User.Read.All",))
    assert conditions.onboarding_not_ready(OnboardingReport(tenant_id=TENANT, ready=True, items=items[1:])) == []


def test_image_builds_failed_per_image_and_per_image_set_version() -> None:
    from shared.models.image_sets import ImageSet
    from shared.models.images import DeviceImage

    images = [
        made(DeviceImage, id="i1", display_name="Gold", status="failed", status_details="bad VHD", error_code="x"),
        made(DeviceImage, id="i2", display_name="Ok", status="ready"),
    ]
    sets = [made(ImageSet, id="s1", display_name="Base", latest_version="1.0.2", status="failed")]
    found = conditions.image_build_failed(images, sets)
    assert [c.subject for c in found] == ["image:i1", "imageSet:s1:1.0.2"]


# --- the state machine, with a fake clock ------------------------------------------------------------------------


def test_a_condition_raises_an_alert_with_a_notice_per_channel_saved_before_it_is_queued() -> None:
    fakes = Fakes()
    tenant(fakes)
    the_rule = rule(fakes)
    failed(fakes, "ann")
    failed(fakes, "bob", code="ImageNotFound")  # another subject: an alert of its own, raised in the same moment
    assert evaluate(fakes).raised == 2
    alert, _ = sorted(fakes.alerts.open_alerts(TENANT, the_rule.id), key=lambda a: a.subject, reverse=True)
    assert (alert.status, alert.subject, alert.count, alert.raised_date_time) == (
        "active",
        "policy:finance:QuotaExceeded",
        1,
        fakes.clock(),
    )
    assert [(d.channel, d.kind, d.event, d.status) for d in alert.deliveries] == [
        (0, "webhook", "raised", "pending"),
        (1, "email", "raised", "pending"),
    ]
    assert [(m.alert_id, m.channel, m.event, m.attempt) for m in fakes.alert_queues.deliveries][-2:] == [
        (alert.id, 0, "raised", 1),
        (alert.id, 1, "raised", 1),
    ]


def test_a_condition_seen_again_is_counted_and_dated_and_sends_nothing() -> None:
    fakes = Fakes()
    tenant(fakes)
    the_rule = rule(fakes)
    failed(fakes, "ann")
    evaluate(fakes)
    fakes.clock.advance(minutes=5)
    failed(fakes, "bob")
    assert evaluate(fakes).raised == 0
    [alert] = fakes.alerts.open_alerts(TENANT, the_rule.id)
    assert (alert.count, alert.items, alert.last_seen_date_time) == (2, ["cpc-ann", "cpc-bob"], fakes.clock())
    assert len(fakes.alert_queues.deliveries) == 2  # the raise's notices only


def test_acknowledged_then_resolved_when_the_condition_clears_then_raised_again_as_a_new_alert() -> None:
    fakes = Fakes()
    tenant(fakes)
    the_rule = rule(fakes)
    failed(fakes, "ann")
    evaluate(fakes)
    [first] = fakes.alerts.open_alerts(TENANT, the_rule.id)
    acknowledge_alert(fakes.alert_ports(), TENANT, first.id, by="ann@contoso.com")
    fakes.clock.advance(minutes=5)
    cloud_pc(fakes, "ann", status="provisioned")
    assert evaluate(fakes).resolved == 1
    resolved = fakes.alerts.get_alert(TENANT, first.id)
    assert (resolved.status, resolved.resolved_date_time, resolved.acknowledged_by) == (
        "resolved",
        fakes.clock(),
        "ann@contoso.com",
    )
    assert [(m.channel, m.event) for m in fakes.alert_queues.deliveries[2:]] == [(0, "resolved"), (1, "resolved")]
    assert fakes.alerts.open_alerts(TENANT, the_rule.id) == []
    fakes.clock.advance(minutes=5)
    failed(fakes, "ann")
    assert evaluate(fakes).raised == 1
    [second] = fakes.alerts.open_alerts(TENANT, the_rule.id)
    assert second.id != first.id and second.status == "active"
    assert [a.id for a in fakes.alerts.list_alerts(TENANT)[0]] == [second.id, first.id]  # newest first
    assert [a.id for a in fakes.alerts.list_alerts(TENANT, status="resolved")[0]] == [first.id]


def test_a_disabled_rule_raises_nothing_and_resolves_its_open_alerts() -> None:
    fakes = Fakes()
    tenant(fakes)
    the_rule = rule(fakes)
    failed(fakes, "ann")
    evaluate(fakes)
    fakes.alerts.put_alert_rule(the_rule.model_copy(update={"enabled": False}))
    fakes.clock.advance(minutes=5)
    outcome = evaluate(fakes)
    assert (outcome.raised, outcome.resolved) == (0, 1)
    assert fakes.alerts.count_open_alerts(TENANT) == 0


def test_two_evaluations_at_once_raise_the_alert_once() -> None:
    fakes = Fakes()
    tenant(fakes)
    the_rule = rule(fakes)
    found = [Condition("policy:finance:QuotaExceeded", "Finance: QuotaExceeded", "Failed.", 1)]
    first = reconcile(TENANT, the_rule, [], found, fakes.clock(), fakes.new_id)
    second = reconcile(TENANT, the_rule, [], found, fakes.clock(), fakes.new_id)  # read before the first one saved
    the_ports = fakes.alert_ports()
    assert apply(the_ports, first, fakes.clock()) == (1, 0)
    assert apply(the_ports, second, fakes.clock()) == (0, 0)
    assert len(fakes.alerts.list_alerts(TENANT)[0]) == 1 and len(fakes.alert_queues.deliveries) == 2


def test_a_notice_whose_message_was_lost_is_queued_again_once() -> None:
    fakes = Fakes()
    tenant(fakes)
    the_rule = rule(fakes)
    failed(fakes, "ann")
    found = conditions.provisioning_failed(fakes.cloud_pcs.list_cloud_pcs_in_status(TENANT, "failed"))
    [alert] = reconcile(TENANT, the_rule, [], found, fakes.clock(), fakes.new_id).raised
    fakes.alerts.put_alert(alert, if_none_match=True)  # saved, then the process died before queueing
    fakes.clock.advance(LOST_AFTER - timedelta(minutes=1))
    evaluate(fakes)
    assert fakes.alert_queues.deliveries == []  # still within the time a message takes
    fakes.clock.advance(minutes=2)
    evaluate(fakes)
    assert [(m.channel, m.event) for m in fakes.alert_queues.deliveries] == [(0, "raised"), (1, "raised")]
    fakes.clock.advance(minutes=5)
    evaluate(fakes)
    assert len(fakes.alert_queues.deliveries) == 2  # queued again once, not at every evaluation


def test_one_rule_failing_spares_the_next() -> None:
    fakes = Fakes()
    tenant(fakes)
    licenses = rule(fakes, "licensesLow", threshold=5)
    the_rule = rule(fakes)
    failed(fakes, "ann")
    fakes.directory.add_user(TENANT, "ann", PLAN)
    fakes.licenses.bought[TENANT, PLAN] = 3
    fakes.script.fail("free_licenses", code="TooManyRequests")
    outcome = evaluate(fakes)
    assert outcome.failed_rules == ["rule-licensesLow"] and outcome.raised == 1
    assert fakes.alerts.open_alerts(TENANT, the_rule.id)
    fakes.clock.advance(minutes=5)
    assert evaluate(fakes).raised == 1  # the licenses answer again: 2 free, fewer than 5
    [low] = fakes.alerts.open_alerts(TENANT, licenses.id)
    assert (low.subject, low.count) == (f"servicePlan:{PLAN}", 3)
