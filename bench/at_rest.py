"""The cost at rest: what the app's timers spend in an hour when nothing changes, through devhost and the emulator.

Run: .venv/bin/python -m bench.at_rest [--tenants 100] [--cloud-pcs 100] [--spot-groups 50]
State is seeded as the app would have made it, not provisioned: each tenant's licensed users in a group (Graph), its
tenant row (half `azure`, half `windows365`, the reclaim rule on) and an alert rule of every kind; the Spot Groups
spread over the tenants with their host pools and one session host each (bench/timer_ticks.py); each azure tenant's
policy, its Cloud PC rows reconciled by the app from the group and marked provisioned with their build, and the
policy's host pool in the emulator (not its VMs and session hosts: the use watch lists a pool's hosts and sessions
in one request each, whatever their number); each windows365 tenant's policy made and assigned in Windows 365 by
the app's backend, Windows 365 (the emulator's) provisioning at once and the warm-up's mirror writing the rows. Every
timer of the app is found in the app itself, with the schedule the app runs
it on (its setting's default); the host's own schedules are parked, and the bench fires each timer through the
admin endpoint as often as its schedule fires in an hour (a daily one once, counted as 1/24), waiting after each
firing until all it started ended (its queues empty, its orchestrations done). One warm-up round first, unmeasured:
what the seeding left to note once is written then. Printed per hour, split by timer, and per tenant and per Cloud
PC: Functions executions (trigger invocations, activities and orchestrator episodes, from devhost's log) and their
summed durations (busy_s: at most the seconds an instance is billed active, on this machine's pace), storage
requests (Table transactions and queue messages sent, the app's own clients), ARM reads and writes and Graph
requests (the emulator's counts).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, get_args

import requests

from azure_emulator.launcher import EmulatorProcess
from bench.provisioning import cloud_requests
from bench.scenario import app_host, directory, print_result, storage_and_azure
from bench.timer_ticks import NEVER, seed_tenant, waiting
from devhost.azurite import Azurite
from devhost.host import DevHost
from devhost.indexing import TIMER_TRIGGER
from devhost.ncrontab import parse_schedule
from shared.bootstrap import Services, build_services
from shared.events import DirectoryEvent
from shared.models.alerts import THRESHOLD_UNITS, AlertRule, AlertRuleKind
from shared.models.tenants import BackendName, ReclaimRule
from shared.services.cloud_pcs.build_settings import build_settings
from shared.services.cloud_pcs.desktop_brokering import host_pool_name, pool_spec
from shared.services.cloud_pcs.provisioning_steps import placement_of
from shared.services.cloud_pcs.reconcile import reconcile_tenant
from shared.settings import Settings
from shared.storage.account import storage_account
from shared.storage.table_service import RequestCounter
from tests.fakes.seed import GALLERY_IMAGE, policy_row
from tests.utils.progress import until_done

SEEDING_THREADS = 4
RULE = ReclaimRule(enabled=True, unused_days=30, notice_days=14, email_user=False)
RULE_KINDS: tuple[AlertRuleKind, ...] = get_args(AlertRuleKind)
THRESHOLDS = {"licensesLow": 5, "graceEndingSoon": 48, "spotHostEvicted": 24}
QUEUE_FUNCTIONS = (  # each invocation one message taken
    "timerWork",
    "alertEvaluations",
    "alertDeliveries",
    "directoryEvents",
    "bulkActions",
    "directorySubscriptionLifecycle",
)


def parked(index: int) -> str:
    """A schedule that never fires in the bench, told apart from the others by its second."""
    return f"{index} {NEVER.split(' ', 1)[1]}"


SCHEDULES = sorted(name for name in Settings.model_fields if name.endswith("_schedule"))


class Executions(logging.Handler):
    """Counts devhost's 'Executing' lines by function (every trigger invocation, activity and orchestrator episode),
    and keeps the ids of those not yet 'Executed'."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.by_function: Counter[str] = Counter()
        self.failed: Counter[str] = Counter()
        self.running: set[str] = set()
        self.busy_ms = 0.0  # the invocations' durations summed: the seconds an instance is billed as active, at most

    def emit(self, record: logging.LogRecord) -> None:
        line = record.getMessage()
        if not line.startswith(("Executing 'Functions.", "Executed 'Functions.")):
            return
        name = line.split("'Functions.", 1)[1].split("'", 1)[0]
        invocation = line.split("Id=", 1)[1][:36]
        if line.startswith("Executing"):
            self.by_function[name] += 1
            self.running.add(invocation)
        else:
            self.running.discard(invocation)  # one begun before the count began ends unseen
            self.busy_ms += float(line.split("Duration=", 1)[1].split("ms", 1)[0])
            self.failed[name] += "(Failed," in line


def seed(services: Services, emulator: EmulatorProcess, index: int, groups: int, cloud_pcs: int, now: datetime) -> int:
    """Tenant `index` at rest; its Cloud PCs (a windows365 tenant's rows are written by the warm-up's mirror)."""
    seed_tenant(services, emulator, index, groups, now)
    tenant_id, site_id = f"bench-{index:03d}", f"site-{index:03d}"
    backend: BackendName = "azure" if index % 2 == 0 else "windows365"
    tenant = services.admin.tenants.get_tenant(tenant_id)
    assert tenant.entra_tenant_id is not None
    group = directory(emulator, tenant.entra_tenant_id, cloud_pcs)
    services.admin.tenants.upsert_tenant(tenant.model_copy(update={"cloud_pc_backend": backend, "reclaim": RULE}))
    for kind in RULE_KINDS:
        services.alerts.alerts.put_alert_rule(
            AlertRule(
                id=f"rule-{kind}",
                tenant_id=tenant_id,
                display_name=kind,
                kind=kind,
                severity="warning",
                threshold=THRESHOLDS.get(kind) if kind in THRESHOLD_UNITS else None,
                created_date_time=now,
                last_modified_date_time=now,
            )
        )
    engine, admin = services.engine, services.admin
    row = policy_row(
        "bench",
        [(group, now)],
        now=now,
        tenant_id=tenant_id,
        image_id=GALLERY_IMAGE,
        domain_join_configurations=[{"domainJoinType": "azureADJoin", "regionName": "westeurope"}],
    )
    if backend == "windows365":  # Windows 365 provisions them from the policy the app gave it; the app mirrors them
        configuration = admin.backends.of(tenant_id)
        policy = engine.policies.upsert_policy(configuration.policy_made(admin, row))
        configuration.policy_assigned(admin, policy)
        return len(engine.windows365.list_cloud_pcs(tenant_id))  # its first read: provisioned at the next
    policy = engine.policies.upsert_policy(row)
    reconcile_tenant(engine, DirectoryEvent(tenant_id=tenant_id, group_ids=[group]))
    rows = engine.cloud_pcs.list_all_cloud_pcs(tenant_id)
    pools = set()
    for cloud_pc in rows:
        build = build_settings(engine, cloud_pc).model_copy(update={"site_id": site_id})
        done = {"status": "provisioned", "provisioned_date_time": now, "power_state": "running", "build": build}
        engine.cloud_pcs.upsert_cloud_pc(cloud_pc.model_copy(update=done))
        pools.add((placement_of(build), host_pool_name(policy.id, build)))
    for placement, pool in pools:
        until_done(lambda op: engine.avd.ensure_host_pool(tenant_id, pool_spec(policy, placement, pool), op))  # noqa: B023
    return len(rows)


def timers(host: DevHost) -> dict[str, str]:
    """Each timer function of the app, and the schedule it runs on (its setting's default), by the parked schedule
    the host was given for that setting."""
    by_parked = {parked(i): str(Settings.model_fields[name].default) for i, name in enumerate(SCHEDULES)}
    found = {f.name: str(f.attribute("schedule")) for f in host.functions if f.trigger_type == TIMER_TRIGGER}
    unparked = {name: schedule for name, schedule in found.items() if schedule not in by_parked}
    assert found and not unparked, f"timers the bench cannot tell the schedule of: {unparked or 'none found'}"
    return {name: by_parked[schedule] for name, schedule in found.items()}


def fires_a_day(schedule: str) -> int:
    timer, start = parse_schedule(schedule), datetime(2026, 1, 5, tzinfo=UTC)
    count, moment = 0, timer.next_after(start - timedelta(microseconds=1))
    while moment < start + timedelta(days=1):
        count, moment = count + 1, timer.next_after(moment)
    return count


def settle(host: DevHost, queues: list[Any], log: Executions) -> None:
    """Until no invocation runs, every queue is empty and no orchestration runs, three times in a row; what still
    runs is said on stderr every minute."""
    engine = host.engine
    assert engine is not None
    quiet, said = 0, time.monotonic()
    while quiet < 3:
        time.sleep(0.1)
        running = [key for key, i in engine.instances.copy().items() if i.row["status"] in ("Pending", "Running")]
        waiting_in = [q.queue_name for q in queues if waiting(q)]
        quiet = 0 if running or log.running or waiting_in else quiet + 1
        if time.monotonic() - said > 60:
            said = time.monotonic()
            print(
                f"  waiting: {len(log.running)} invocations, {running[:3]}, {waiting_in}", file=sys.stderr, flush=True
            )


def measure(
    host: DevHost, name: str, count: int, queues: list[Any], emulator: EmulatorProcess, log: Executions
) -> Counter[str]:
    engine = host.engine
    assert engine is not None
    emulator.session().delete(f"{emulator.base_url}/emulator/requests")
    before_storage, before_executions = RequestCounter.count, sum(log.by_function.values())
    before_functions, before_busy = Counter(log.by_function), log.busy_ms
    for _ in range(count):
        began = log.by_function[name]
        fired = requests.post(f"{host.base_url}/admin/functions/{name}", json={"input": ""}, timeout=60)
        assert fired.status_code == 202, fired.text
        while log.by_function[name] == began:  # the host runs it after answering
            time.sleep(0.02)
        settle(host, queues, log)
    cloud = cloud_requests(emulator, detail=False)
    ran = log.by_function - before_functions
    queued = sum(n for function, n in ran.items() if function in QUEUE_FUNCTIONS)
    storage = RequestCounter.count - before_storage
    return Counter(
        {
            "executions": sum(log.by_function.values()) - before_executions,
            "busy_s": (log.busy_ms - before_busy) / 1000,
            "queue_messages": queued,
            "table_transactions": storage - queued,  # each message one request to send it
            "arm_reads": cloud["arm_reads"],
            "arm_writes": cloud["arm_writes"] + cloud["arm_deletes"],
            "graph_requests": cloud["graph_calls"],
        }
    )


def run(args: argparse.Namespace, azurite: Azurite, emulator: EmulatorProcess, workdir: Path) -> dict[str, Any]:
    tag = f"rest{args.tenants}x{args.cloud_pcs}"
    services = build_services(Settings(storage_connection_string=azurite.connection_string, table_name_prefix=tag))
    now = datetime.now(UTC)
    control = emulator.session()
    control.put(f"{emulator.base_url}/emulator/latency/cloudPcProvisioning", json={"seconds": 0})
    started = time.monotonic()
    per_tenant = [args.spot_groups // args.tenants + (i < args.spot_groups % args.tenants) for i in range(args.tenants)]
    with ThreadPoolExecutor(SEEDING_THREADS) as pool:
        jobs = [pool.submit(seed, services, emulator, i, n, args.cloud_pcs, now) for i, n in enumerate(per_tenant)]
        made = sum(job.result() for job in jobs)
    seeded_s = time.monotonic() - started
    names = {
        "TIMER_WORK_QUEUE": f"bench-timer-{tag}",
        "ALERT_EVALUATIONS_QUEUE": f"bench-alerts-{tag}",
        "ALERT_DELIVERIES_QUEUE": f"bench-alerts-out-{tag}",
        "DIRECTORY_SUBSCRIPTIONS_QUEUE": f"bench-subscriptions-{tag}",
    }
    parked_schedules = {name.upper(): parked(i) for i, name in enumerate(SCHEDULES)}
    host = app_host(azurite, emulator, tag, workdir, {**names, **parked_schedules})
    account = storage_account(services.settings)
    queues = [account.queue(q) for q in [*names.values(), f"bench-{tag}", f"bench-bulk-{tag}"]]
    executions = Executions()
    logging.getLogger("devhost").addHandler(executions)
    logging.getLogger("devhost").setLevel(logging.INFO)
    result: dict[str, Any] = {"tenants": args.tenants, "spot_groups": args.spot_groups}
    totals: Counter[str] = Counter()
    try:
        schedules = timers(host)
        settle(host, queues, executions)
        for name in sorted(schedules):  # the warm-up round
            measure(host, name, 1, queues, emulator, executions)
        by_backend = Counter(
            tenant.cloud_pc_backend
            for tenant in services.admin.tenants.iter_tenants()
            for _ in services.engine.cloud_pcs.list_all_cloud_pcs(tenant.id)
        )
        cloud_pcs = sum(by_backend.values())
        assert cloud_pcs == made, f"{made} Cloud PCs seeded, {cloud_pcs} after the warm-up: not at rest"
        result |= {f"cloud_pcs_{backend}": n for backend, n in sorted(by_backend.items())}
        for name, schedule in sorted(schedules.items()):
            a_day = fires_a_day(schedule)
            fired, share = (round(a_day / 24), 1.0) if a_day >= 24 else (1, a_day / 24)
            print(f"  {name}: {fired} firings", file=sys.stderr, flush=True)
            spent = measure(host, name, fired, queues, emulator, executions)
            hourly = Counter({kind: n * share for kind, n in spent.items()})
            totals.update(hourly)
            result.update({f"{name}.{kind}": n for kind, n in sorted(hourly.items()) if n})
    finally:
        host.stop()
        logging.getLogger("devhost").removeHandler(executions)
    result.update({f"hour.{kind}": float(n) for kind, n in sorted(totals.items())})
    result["failed_invocations"] = sum(executions.failed.values())
    result.update({f"per_tenant.{kind}": n / args.tenants for kind, n in sorted(totals.items())})
    if cloud_pcs:
        result.update({f"per_cloud_pc.{kind}": n / cloud_pcs for kind, n in sorted(totals.items())})
    result["seeded_s"] = seeded_s
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenants", type=int, default=100, help="half azure, half windows365")
    parser.add_argument("--cloud-pcs", type=int, default=100, help="licensed users, so Cloud PCs, per tenant")
    parser.add_argument("--spot-groups", type=int, default=50, help="ready pooled Spot Groups over the tenants")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    for handler in logging.getLogger().handlers:
        handler.setLevel(logging.WARNING)  # devhost's INFO lines are counted, not printed
    with storage_and_azure() as (azurite, emulator, workdir):
        os.environ.update(emulator.app_settings())  # the app's adapters in this process, as on the host
        for key, value in run(args, azurite, emulator, workdir).items():
            print_result({key: value})


if __name__ == "__main__":
    main()
