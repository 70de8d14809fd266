"""Provisioning benchmark: N licensed users assigned at once, through devhost and the Azure emulator.

Run: .venv/bin/python -m bench.provisioning [--users 100 1000] [--latency 0] [--vm-rate 500] [--vm-burst 1500]
[--reboots N]; many tenants at once: bench/tenants.py; `--backend windows365`: bench/windows365.py
The app runs its production adapters against the emulator. Prints what costs money per Cloud PC: activity
invocations, orchestration episodes, history events replayed and Table transactions; ARM writes, reads and deletes
and Graph calls (from the emulator's counts), and ARM's 429s (in all, and the writes' share), and the 429s per 1,000
Cloud PCs by the bucket that was empty (ARM's, Compute's VM creates, Compute's per VM); and CPU milliseconds
by process (the bench with devhost's engine, the Python workers, Azurite, the emulator). With --latency every
long-running Azure operation takes that long, and it prints the ratio to the critical-path bound: the larger of the
VM-create limit, (N - burst) / rate, and ARM's write budget, (N x writes per Cloud PC - 200) / 10 a second, plus the
latency of the steps after createVm.
"""

from __future__ import annotations

import argparse
import gc
import logging
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import psutil
import requests

from azure_emulator.launcher import EmulatorProcess
from bench import windows365
from bench.scenario import (
    BENCH_POLICY,
    GRAPH_BUDGETS,
    SUBSCRIPTION,
    Api,
    app_host,
    cpu_calibration_ms,
    directory,
    print_result,
    resource_group,
    storage_and_azure,
)
from devhost.azurite import Azurite
from devhost.durable.engine import DurableEngine
from devhost.durable.instance import TERMINAL
from devhost.invocation import PROCESS_COUNT_SETTING
from orchestrators import names
from shared.storage.table_service import RequestCounter

TIMELINE_S = 10
REBOOTS_LIMIT_S = 300  # --reboots: the runs still going by then are counted as they are
# the long-running operations of one Cloud PC after its VM: the join extension and the post-provisioning Run Command
SLOW_OPERATIONS = ("createVm", "joinEntra", "runCommand")
STEPS_AFTER_CREATE_VM = 1 + 1
ARM_WRITE_BUCKET, ARM_WRITE_REFILL_S = 200, 10.0  # ARM's writes per subscription and principal: bucket, refill a second
ARM_KIND = {"GET": "reads", "HEAD": "reads", "DELETE": "deletes"}  # every other method is a write


def runs_ended(engine: DurableEngine, tenant: str) -> int:
    return instances_ended(engine, names.cloud_pc_instance_prefix(tenant))


def instances_ended(engine: DurableEngine, prefix: str) -> int:
    """Counted every poll in the measured process: by the instances' keys (their ids) and rows, without the
    properties' copies. The engine adds instances from its own thread: a dict's copy is taken whole, where listing
    its items one by one may meet an instance added between two (a collection can switch threads mid-way)."""
    return sum(
        1 for key, i in engine.instances.copy().items() if key.startswith(prefix) and i.row["status"] in TERMINAL
    )


def settled(api: Api, tenant: str) -> bool:
    return all(
        not api.call("GET", f"/tenants/{tenant}/cloudPCs?status={status}&top=1")["value"]
        for status in ("pendingProvision", "provisioning")
    )


def statuses(api: Api, tenant: str) -> Counter[str]:
    found: Counter[str] = Counter()
    link: str | None = f"/tenants/{tenant}/cloudPCs?top=1000"
    while link:
        body = api.call("GET", link)
        found.update(c["status"] for c in body["value"])
        link = body.get("nextLink", "").split("/api", 1)[-1] or None
    return found


def cloud_requests(emulator: EmulatorProcess, detail: bool) -> Counter[str]:
    """The emulator's request counts since the last reset: ARM's as ARM counts them against its buckets (arm_writes,
    arm_reads, arm_deletes), Graph's and Key Vault's in all, and with `detail` by operation too (arm.read.getVm)."""
    counts: Counter[str] = Counter()
    answered = emulator.session().get(f"{emulator.base_url}/emulator/requests").json()
    for bucket, refused in answered.get("throttledBy", {}).items():  # ARM's buckets, and Compute's per VM
        counts[f"429_{bucket}"] += refused
    for row in answered["value"]:
        if row["api"] == "arm":
            kind = ARM_KIND.get(row["method"].upper(), "writes")
            counts[f"arm_{kind}"] += row["count"]
            counts[f"arm_{kind}_429"] += row.get("throttled", 0)
        elif row["api"] in ("graph", "keyvault"):
            counts[f"{row['api']}_calls"] += row["count"]
        if detail and row["api"] in ("arm", "graph", "keyvault"):
            counts[f"{row['api']}.{row['kind']}.{row['operation']}"] += row["count"]
    return counts


class Timeline:
    """With --timeline: ARM's writes let through and refused, VM creates, runs ended, and the cores each process
    kept busy, a line per window of TIMELINE_S seconds: to see where a run falls behind the write budget (10 writes a
    second once its 200 are spent), or waits on one process while the others idle."""

    KINDS = ("devhost", "workers", "azurite", "emulator")

    def __init__(self, emulator: EmulatorProcess, started: float) -> None:
        self._emulator, self._started, self._due = emulator, started, started + TIMELINE_S
        self._last: Counter[str] = Counter()
        self._cpu = cpu_by_process()
        cores = " ".join(f"{kind:>8}" for kind in self.KINDS)
        print(f"{'t_s':>6} {'writes/s':>9} {'429/s':>6} {'createVm/s':>10} {'ended':>6} {cores}", flush=True)

    def sample(self, ended: int) -> None:
        now = time.monotonic()
        if now < self._due:
            return
        counts = cloud_requests(self._emulator, detail=True)
        cpu = cpu_by_process()
        new, used = counts - self._last, cpu - self._cpu
        span = now - (self._due - TIMELINE_S)
        writes = new["arm_writes"] - new["arm_writes_429"]
        cores = " ".join(f"{used[kind] / span:8.2f}" for kind in self.KINDS)
        print(
            f"{now - self._started:6.0f} {writes / span:9.1f} {new['arm_writes_429'] / span:6.1f} "
            f"{new['arm.write.createVm'] / span:10.1f} {ended:6d} {cores}",
            flush=True,
        )
        self._last, self._cpu, self._due = counts, cpu, now + TIMELINE_S


def cpu_by_process() -> Counter[str]:
    """CPU seconds so far of this process (devhost's host and engine, and the app itself when it runs on one worker
    process, devhost's default) and of each kind of its descendants (worker processes, Azurite, the emulator)."""
    found: Counter[str] = Counter()
    me = psutil.Process()
    for process in [me, *me.children(recursive=True)]:
        try:
            times, command = process.cpu_times(), " ".join(process.cmdline())
        except psutil.Error:
            continue
        kind = (
            "devhost"
            if process.pid == me.pid
            else "emulator"
            if "azure_emulator" in command
            else "azurite"
            if "azurite" in command
            else "workers"
        )
        found[kind] += times.user + times.system
    return found


def cpu_per_cloud_pc(cpu: Counter[str], users: int) -> dict[str, float]:
    """Each process's CPU per Cloud PC, and the host process's against the emulator's: for changes that send Azure
    the same requests the emulator's work is fixed, so that ratio leaves the machine's pace out (the pace moved the
    figures by a fifth between runs of the same code while `cpu_calibration_ms` stayed put)."""
    figures = {f"cpu_ms_{kind}_per_cloud_pc": seconds * 1000 / users for kind, seconds in sorted(cpu.items())}
    if cpu["emulator"]:
        figures["cpu_devhost_per_emulator"] = cpu["devhost"] / cpu["emulator"]
    return figures


class CollectorClock:
    """The CPU this process's garbage collector spends while it is on (gc.callbacks): a collection runs in the
    thread that allocated, holding the GIL, so that thread's clock measures it."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._began = 0.0

    def __enter__(self) -> CollectorClock:
        gc.callbacks.append(self._tick)
        return self

    def __exit__(self, *_: object) -> None:
        gc.callbacks.remove(self._tick)

    def _tick(self, phase: str, _info: dict[str, Any]) -> None:
        if phase == "start":
            self._began = time.thread_time()
        else:
            self.seconds += time.thread_time() - self._began


def pace_azure(args: argparse.Namespace, emulator: EmulatorProcess) -> requests.Session:
    """Azure's pace as asked (each slow operation's latency, VM creates a subscription and region), and Graph's own
    limits (Intune writes: 200 per 20 s per tenant) lifted while the directory is made, which is not what is
    measured (kept lifted with --no-graph-limits, for the app's own cost); the emulator's control session."""
    control = emulator.session()
    for operation in SLOW_OPERATIONS:
        control.put(f"{emulator.base_url}/emulator/latency/{operation}", json={"seconds": args.latency})
    control.put(
        f"{emulator.base_url}/emulator/throttles/createVm", json={"perMinute": args.vm_rate, "burst": args.vm_burst}
    )
    for name in GRAPH_BUDGETS:
        control.put(f"{emulator.base_url}/emulator/throttles/{name}", json={"perMinute": 10**6, "burst": 10**6})
    return control


def run(
    args: argparse.Namespace, users: int, azurite: Azurite, emulator: EmulatorProcess, workdir: Path
) -> dict[str, Any]:
    control = pace_azure(args, emulator)
    entra_tenant = str(uuid.uuid4())
    group = directory(emulator, entra_tenant, users)
    resource_group(emulator, entra_tenant)
    if not args.no_graph_limits:
        for name in GRAPH_BUDGETS:
            control.delete(f"{emulator.base_url}/emulator/throttles/{name}")
    host = app_host(
        azurite, emulator, f"b{users}l{int(args.latency * 1000)}", workdir, {PROCESS_COUNT_SETTING: str(args.processes)}
    )
    try:
        api = Api(f"{host.base_url}/api", token=emulator.user_token("admin"))  # the development organization owner
        tenant = api.call("POST", "/tenants", {"displayName": f"Bench {users}", "entraTenantId": entra_tenant})["id"]
        api.call(
            "POST",
            f"/tenants/{tenant}/sites",
            {
                "displayName": "EU",
                "regionName": "westeurope",
                "resourceGroupName": "rg-cloudpcs",
                "subscriptionId": SUBSCRIPTION,
            },
        )
        policy = api.call(
            "POST",
            f"/tenants/{tenant}/provisioningPolicies",
            BENCH_POLICY,
        )
        engine = host.engine
        assert engine is not None
        control.delete(f"{emulator.base_url}/emulator/requests")
        before = (engine.stats.activities, engine.stats.events_replayed, RequestCounter.count, engine.stats.episodes)
        calibrated = cpu_calibration_ms()
        cpu_before = cpu_by_process()
        started = time.monotonic()
        with CollectorClock() as collector:
            api.call(
                "POST",
                f"/tenants/{tenant}/provisioningPolicies/{policy['id']}/assign",
                {"assignments": [{"groupId": group}]},
            )
            # Every run's orchestration ends after its Cloud PC settled; counting them in the engine costs nothing
            timeline = Timeline(emulator, started) if args.timeline else None
            while runs_ended(engine, tenant) < users or not settled(api, tenant):
                time.sleep(0.5)
                if timeline:
                    timeline.sample(runs_ended(engine, tenant))
        wall = time.monotonic() - started
        cpu = cpu_by_process() - cpu_before
        cloud = cloud_requests(emulator, args.detail)
        refused = Counter({name: count for name, count in cloud.items() if name.startswith("429_")})
        found = statuses(api, tenant)
        activities = engine.stats.activities - before[0]
        replayed = engine.stats.events_replayed - before[1]
        table_requests = RequestCounter.count - before[2]
        episodes = engine.stats.episodes - before[3]
        rebooted = reboots(args, api, engine, emulator, tenant, users) if args.reboots else None
    finally:
        host.stop()
    result: dict[str, Any] = {
        "users": users,
        "wall_s": wall,
        "cloud_pcs_per_s": users / wall,
        "activities_per_cloud_pc": activities / users,
        "episodes_per_cloud_pc": episodes / users,
        "events_replayed_per_cloud_pc": replayed / users,
        "table_transactions_per_cloud_pc": table_requests / users,
        **{f"{name}_per_cloud_pc": count / users for name, count in sorted(cloud.items()) if name not in refused},
        # the 429s per 1,000 Cloud PCs by the bucket that was empty: ARM's (subscription-writes...), Compute's VM
        # creates (PutVMSubscription) and Compute's per VM (UpdateVMResource, GetOperationResource...)
        "429s_per_1000": sum(refused.values()) * 1000 / users,
        **{f"{name}_per_1000": count * 1000 / users for name, count in sorted(refused.items())},
        **cpu_per_cloud_pc(cpu, users),
        "gc_ms_devhost_per_cloud_pc": collector.seconds * 1000 / users,  # part of cpu_ms_devhost_per_cloud_pc
        "arm_429s": cloud["arm_writes_429"] + cloud["arm_reads_429"] + cloud["arm_deletes_429"],
        "arm_write_429s_share": cloud["arm_writes_429"] / max(cloud["arm_writes"], 1),
        "arm_writes_taken_per_cloud_pc": (cloud["arm_writes"] - cloud["arm_writes_429"]) / users,  # 429s aside
        "provisioned": found.get("provisioned", 0),
        "failed": found.get("failed", 0),
        # before the run and after it: the machine's own speed drifts
        "cpu_calibration_ms_before": calibrated,
        "cpu_calibration_ms_after": cpu_calibration_ms(),
    }
    if args.latency:
        vm_creates = max(users - args.vm_burst, 0) / (args.vm_rate / 60)
        writes = max(cloud["arm_writes"] + cloud["arm_deletes"] - ARM_WRITE_BUCKET, 0) / ARM_WRITE_REFILL_S
        bound = max(vm_creates, writes) + args.latency * (1 + STEPS_AFTER_CREATE_VM)
        result["critical_path_bound_s"] = bound
        result["bound_by"] = "armWrites" if writes > vm_creates else "vmCreates"
        result["ratio_to_bound"] = wall / bound
    if rebooted is not None:
        result.update(rebooted)
    return result


def reboots(
    args: argparse.Namespace, api: Api, engine: DurableEngine, emulator: EmulatorProcess, tenant: str, users: int
) -> dict[str, Any]:
    """--reboots N: N bulk reboots of every Cloud PC at once, each VM restarted N times (Compute's update bucket of a
    VM holds 12, refilled 4 a minute): the wall time until every restart ended, and the 429s per 1,000 Cloud PCs by
    the bucket that was empty."""
    control = emulator.session()
    control.delete(f"{emulator.base_url}/emulator/requests")
    ids: list[str] = []
    link: str | None = f"/tenants/{tenant}/cloudPCs?top=1000"
    while link:
        body = api.call("GET", link)
        ids += [c["id"] for c in body["value"] if c["status"] == "provisioned"]
        link = body.get("nextLink", "").split("/api", 1)[-1] or None
    prefix = names.cloud_pc_action_instance_id(tenant, "", "").removesuffix("-")  # every action's of the tenant
    started = time.monotonic()
    accepted = 0
    for _ in range(args.reboots):  # one after another: two at once would race for the same Cloud PCs' rows
        bulk = api.call("POST", f"/tenants/{tenant}/bulkActions", {"action": "reboot", "cloudPcIds": ids})["id"]
        while (done := api.call("GET", f"/tenants/{tenant}/bulkActions/{bulk}"))["status"] == "running":
            time.sleep(0.2)
        accepted += done["counts"]["succeeded"]
    while instances_ended(engine, prefix) < accepted:  # each accepted reboot's run ended
        time.sleep(0.5)
        if time.monotonic() - started > REBOOTS_LIMIT_S:
            states = Counter(i.status for i in engine.instances.copy().values() if i.instance_id.startswith(prefix))
            print(f"reboots: {accepted} accepted, runs {dict(states)} after {REBOOTS_LIMIT_S} s", flush=True)
            break
    wall = time.monotonic() - started
    cloud = cloud_requests(emulator, detail=True)
    refused = {name: count for name, count in cloud.items() if name.startswith("429_")}
    return {
        "reboots_wall_s": wall,
        "reboots_accepted_per_cloud_pc": accepted / max(len(ids), 1),
        "reboots_restarts_per_cloud_pc": cloud["arm.write.restartVm"] / max(len(ids), 1),
        "reboots_429s_per_1000": sum(refused.values()) * 1000 / users,
        **{f"reboots_{name}_per_1000": count * 1000 / users for name, count in sorted(refused.items())},
        **(
            {
                f"reboots_{name}_per_cloud_pc": count / users
                for name, count in sorted(cloud.items())
                if name.startswith("arm.")
            }
            if args.detail
            else {}
        ),
    }


def arguments(description: str) -> argparse.ArgumentParser:
    """The run's options, which the many-tenant bench (bench/tenants.py) takes too."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--users", type=int, nargs="+", default=[100, 1000])
    parser.add_argument(
        "--backend",
        choices=("azure", "windows365"),
        default="azure",
        help="who provisions: the app in Azure, or Windows 365 through Graph (bench/windows365.py)",
    )
    parser.add_argument(
        "--poll",
        type=float,
        default=60.0,
        help="windows365: seconds between the app's reads of its Cloud PCs (WINDOWS365_POLL; the app's: 60)",
    )
    parser.add_argument(
        "--latency",
        type=float,
        default=0.0,
        help="seconds each long-running Azure operation takes (windows365: each Cloud PC's provisioning)",
    )
    parser.add_argument("--vm-rate", type=int, default=500, help="VM creates per minute (subscription and region)")
    parser.add_argument("--vm-burst", type=int, default=1500, help="VM creates allowed before the refill rate")
    parser.add_argument("--detail", action="store_true", help="count Azure requests by operation too")
    parser.add_argument(
        "--reboots", type=int, default=0, help="then N bulk reboots of every Cloud PC at once (Compute's limits per VM)"
    )
    parser.add_argument(
        "--timeline", action="store_true", help=f"ARM's writes, 429s and each process's cores, every {TIMELINE_S} s"
    )
    parser.add_argument(
        "--no-graph-limits", action="store_true", help="lift Graph's throttling (Intune writes: 10 a second per tenant)"
    )
    parser.add_argument(
        "--processes",
        type=int,
        default=1,
        help="the app's worker processes (as in Azure, beside "
        "the host's; 1: the app runs in the host process, devhost's default)",
    )
    return parser


def main() -> None:
    args = arguments(__doc__.splitlines()[0]).parse_args()
    logging.basicConfig(level=logging.WARNING)
    with storage_and_azure() as (azurite, emulator, workdir):
        if args.backend == "windows365":
            windows365.one_tenant(args, azurite, emulator, workdir)
            return
        for users in args.users:
            print_result(run(args, users, azurite, emulator, workdir))


if __name__ == "__main__":
    main()
