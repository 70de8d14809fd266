"""Every timer's work at rest reads by list: the requests it sends the cloud ports and Table storage are the same for
a tenant of 3 Cloud PCs as for one of 30 (issue #74's cost at rest, `bench/at_rest.py` measures it end to end)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from shared.catalog.service_plans import SERVICE_PLANS_BY_ID, WINDOWS365_ID_BY_PLAN_ID
from shared.events import DirectoryEvent
from shared.models.alerts import AlertRule
from shared.models.cloud_pcs import CloudPc
from shared.models.session_policies import PersonalPower
from shared.models.tenants import BackendName, ReclaimRule
from shared.ports.windows365 import Windows365AuditEvent, Windows365CloudPc
from shared.services.backends import windows365_mirror
from shared.services.cloud_pcs import due_sweep, pending_starts, reclaim
from shared.services.cloud_pcs.reconcile import reconcile_tenant
from shared.services.monitoring import alert_evaluation
from tests.fakes import Fakes
from tests.fakes.seed import PLAN, TENANT, policy, site, tenant
from tests.unit.test_advance import drive

GROUP = "g-finance"
SMALL, LARGE = 3, 30
# the ports the services reach the cloud through: each call is one request (or one list, paged by its adapter)
CLOUD_PORTS = (
    "directory",
    "compute",
    "devices",
    "intune",
    "operations",
    "licenses",
    "avd",
    "windows365",
    "secrets",
    "network",
    "inventory",
    "notices",
)
RULE_KINDS = {  # every kind a tenant's rule evaluates from stored rows or lists (onboarding's reads no Cloud PC)
    "provisioningFailed": None,
    "provisionedWithWarnings": None,
    "connectionUnhealthy": None,
    "imageBuildFailed": None,
    "spotGroupRolledBack": None,
    "spotHostUnhealthy": None,
    "spotHostEvicted": 24,
    "licensesLow": 5,
    "graceEndingSoon": 48,
    "reclaimAnnounced": None,
}
# the calls made once per Cloud PC at rest because no list serves, and why
PER_CLOUD_PC_ALLOWED = {
    # once a day: Windows 365's remote connection report must name one Cloud PC ("The CloudPcId filter is
    # required", https://learn.microsoft.com/graph/api/cloudpcreports-getremoteconnectionhistoricalreports)
    ("importCloudPcUsage", "windows365.list_remote_connections"),
}


class CountedCalls:
    """A cloud fake behind its port, counting each call by port and method."""

    def __init__(self, name: str, fake: object, calls: Counter[str]) -> None:
        self._name, self._fake, self._calls = name, fake, calls

    def __getattr__(self, attribute: str) -> Any:
        found = getattr(self._fake, attribute)
        if not callable(found):
            return found

        def counted(*args: Any, **kwargs: Any) -> Any:
            self._calls[f"{self._name}.{attribute}"] += 1
            return found(*args, **kwargs)

        return counted


def at_rest(backend: BackendName, cloud_pcs: int) -> tuple[Fakes, Counter[str]]:
    """A tenant of `backend` whose `cloud_pcs` users each have a provisioned Cloud PC of one policy (power rules and
    the reclaim rule on, an alert rule of every kind), none of them used yet; its cloud ports counted from then on."""
    fakes = Fakes()
    stored = tenant(fakes, backend=backend)
    rule = ReclaimRule(enabled=True, unused_days=30, notice_days=14, email_user=False)
    fakes.tenants.upsert_tenant(stored.model_copy(update={"reclaim": rule}))
    site(fakes)
    power = PersonalPower(deallocate_when_disconnected_minutes=30)
    policy(fakes, "finance", GROUP, power_rules=power)
    users = [f"user{n:03d}" for n in range(cloud_pcs)]
    for user in users:
        fakes.directory.add_user(TENANT, user, PLAN)
    fakes.directory.add_group(TENANT, GROUP, *users)
    fakes.licenses.bought[(TENANT, PLAN)] = cloud_pcs
    if backend == "azure":  # the app's own: reconciled and provisioned through the fakes, as the app makes them
        ports = fakes.engine_ports()
        reconcile_tenant(ports, DirectoryEvent(tenant_id=TENANT, group_ids=[GROUP]))
        for row in fakes.cloud_pcs.list_all_cloud_pcs(TENANT):
            assert drive(ports, fakes, row.id)[0] == "provisioned"
    else:  # Windows 365 made them from the policy's assignment: the app mirrors them
        fakes.policies.upsert_policy(
            fakes.policies.get_policy(TENANT, "finance").model_copy(update={"windows365_id": "w365-policy"})
        )
        for user in users:
            fakes.windows365.cloud_pcs[f"w365-{user}"] = Windows365CloudPc(
                id=f"w365-{user}",
                display_name=f"Finance - {user}",
                managed_device_name=f"CPC-{user}",
                user_principal_name=f"{user}@contoso.com",
                service_plan_id=WINDOWS365_ID_BY_PLAN_ID[PLAN],
                service_plan_name=SERVICE_PLANS_BY_ID[PLAN].display_name,
                provisioning_policy_id="w365-policy",
                status="provisioned",
                last_modified_date_time="2026-11-02T08:00:00Z",
            )
            # Windows 365's audit log names each Cloud PC it made, within the day a new follower reads back
            fakes.windows365.audit_events.append(
                Windows365AuditEvent(
                    id=f"audit-{user}",
                    activity_date_time=(fakes.clock() - timedelta(hours=1)).isoformat().replace("+00:00", "Z"),
                    activity="provisionCloudPc",
                    result="success",
                    actor_id="windows365",
                    actor_name=None,
                    resources=(("", f"w365-{user}", None),),
                )
            )
        windows365_mirror.mirror(fakes.engine_ports(), TENANT)
    for kind, threshold in RULE_KINDS.items():
        now = fakes.clock()
        fakes.alerts.put_alert_rule(
            AlertRule(
                id=f"rule-{kind}",
                tenant_id=TENANT,
                display_name=kind,
                kind=kind,
                severity="warning",
                threshold=threshold,
                created_date_time=now,
                last_modified_date_time=now,
            )
        )
    calls: Counter[str] = Counter()
    for name in CLOUD_PORTS:
        setattr(fakes, name, CountedCalls(name, getattr(fakes, name), calls))
    return fakes, calls


def _watch(fakes: Fakes) -> object:
    engine = fakes.engine_ports()
    return engine.backends.of(TENANT).watch_use(engine, TENANT, fakes.clock())


def _reclaim(fakes: Fakes) -> object:
    return reclaim.reclaim_unused(fakes.engine_ports(), fakes.tenants.get_tenant(TENANT))


def _drift(fakes: Fakes) -> object:
    engine = fakes.engine_ports()
    return engine.backends.of(TENANT).directory_changed(engine, DirectoryEvent(tenant_id=TENANT, full=True))


def _usage(fakes: Fakes) -> object:
    engine = fakes.engine_ports()
    return engine.backends.of(TENANT).import_usage(engine, TENANT, fakes.clock())


def _alerts(fakes: Fakes) -> object:
    ports = fakes.alert_ports()
    return [alert_evaluation.evaluate_tenant(ports, t) for t in alert_evaluation.tenants_to_evaluate(ports)]


TIMER_WORK: dict[str, Callable[[Fakes], object]] = {
    "lifecycleSweep": lambda fakes: due_sweep.sweep(fakes.engine_ports()),
    "startPendingProvisioning": lambda fakes: pending_starts.due_starts(fakes.engine_ports()),
    "watchCloudPcUse": _watch,
    "reclaimUnused": _reclaim,
    "driftReconcile": _drift,
    "driftReconcile (Windows 365's follower)": lambda fakes: windows365_mirror.mirror(fakes.engine_ports(), TENANT),
    "importCloudPcUsage": _usage,
    "evaluateAlerts": _alerts,
}


def requests_of(backend: BackendName, cloud_pcs: int, work: Callable[[Fakes], object]) -> Counter[str]:
    """The requests of the work's second run, five minutes after its first: at rest, the first may still write
    once what the tenant's last change left to note (the use watch starts counting each user's time away)."""
    fakes, calls = at_rest(backend, cloud_pcs)
    work(fakes)
    fakes.clock.advance(minutes=5)
    calls.clear()
    before = fakes.tables.round_trips
    work(fakes)
    return calls + Counter({"tables": fakes.tables.round_trips - before})


@pytest.mark.parametrize("backend", ["azure", "windows365"])
@pytest.mark.parametrize("timer", sorted(TIMER_WORK))
def test_a_timers_work_at_rest_sends_as_many_requests_for_30_cloud_pcs_as_for_3(
    backend: BackendName, timer: str
) -> None:
    small = requests_of(backend, SMALL, TIMER_WORK[timer])
    large = requests_of(backend, LARGE, TIMER_WORK[timer])
    grown = {call: (small[call], large[call]) for call in small | large if small[call] != large[call]}
    assert {call: counts for call, counts in grown.items() if (timer, call) not in PER_CLOUD_PC_ALLOWED} == {}


def test_the_count_sees_a_read_per_cloud_pc() -> None:
    """The guard itself: a work that reads each Cloud PC on its own is caught."""

    def one_by_one(fakes: Fakes) -> None:
        for row in fakes.cloud_pcs.list_all_cloud_pcs(TENANT):
            fakes.cloud_pcs.get_cloud_pc(TENANT, row.id)
            fakes.engine_ports().operations.find_device(TENANT, row.managed_device_name or row.id)

    small, large = requests_of("azure", SMALL, one_by_one), requests_of("azure", LARGE, one_by_one)
    assert (small["tables"] - 1, large["tables"] - 1) == (SMALL, LARGE)
    assert (small["operations.find_device"], large["operations.find_device"]) == (SMALL, LARGE)


def test_the_tenant_is_at_rest() -> None:
    fakes, _ = at_rest("azure", SMALL)
    rows: list[CloudPc] = fakes.cloud_pcs.list_all_cloud_pcs(TENANT)
    assert [r.status for r in rows] == ["provisioned"] * SMALL
    assert fakes.scheduled() == [] or all(
        w.due_date_time > fakes.clock() + timedelta(days=1) for w in fakes.scheduled()
    )
