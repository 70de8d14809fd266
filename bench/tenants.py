"""Provisioning across many tenants at once, through devhost.

Run: .venv/bin/python -m bench.tenants --tenants N [--users M] [provisioning's options], or --fairness
[--fairness-big 1000] [--fairness-small 20] [--fairness-tenants 10].

Each tenant is its own Entra tenant with its own subscription in the emulator, the app onboarded there, so each has
its own ARM and Compute buckets (per subscription) and Graph budgets (per app and tenant). Every tenant assigns its
policy at the same moment. Prints the wall time, the Azure bound (the largest of the tenants' own bounds, each as the
one-tenant run computes it), CPU per Cloud PC by process, the host bound (the run's CPU seconds in all processes over
the cores this process may use), the ratio of the wall time to the larger bound, the cores other processes on the
machine took meanwhile (which the host bound does not know of), whether any Cloud PC was lost or duplicated, and each
tenant's wall time from the assignments to its last Cloud PC settled.
"""

from __future__ import annotations

import argparse
import logging
import os
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from azure_emulator.launcher import EmulatorProcess
from bench import windows365
from bench.load import machine_cpu_seconds
from bench.provisioning import (
    ARM_WRITE_BUCKET,
    ARM_WRITE_REFILL_S,
    STEPS_AFTER_CREATE_VM,
    Timeline,
    arguments,
    cloud_requests,
    cpu_by_process,
    cpu_per_cloud_pc,
    pace_azure,
)
from bench.scenario import (
    BENCH_POLICY,
    GRAPH_BUDGETS,
    Api,
    app_host,
    cpu_calibration_ms,
    directory,
    resource_group,
    storage_and_azure,
)
from devhost.azurite import Azurite
from devhost.durable.engine import DurableEngine
from devhost.durable.instance import TERMINAL
from devhost.invocation import PROCESS_COUNT_SETTING
from orchestrators import names

SETUP_THREADS = 4  # tenants made in Entra and Azure side by side (not measured)
POLL_S = 0.5
MIN_CORES_LEFT = 0.25


@dataclass
class Customer:
    """One customer: its Entra tenant, subscription and group in the emulator, then its tenant and policy in the app."""

    users: int
    entra: str
    subscription: str
    group: str = ""
    tenant: str = ""
    policy: str = ""
    wall_s: float = 0.0


def cores() -> int:
    """The cores this process may run on (its affinity where the system has one)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def prepare(args: argparse.Namespace, emulator: EmulatorProcess, sizes: list[int]) -> list[Customer]:
    """Azure's pace as asked (latency, VM creates a subscription and region), and each customer's Entra tenant,
    licensed users and subscription, made with Graph's limits lifted (not what is measured) and restored after."""
    control = pace_azure(args, emulator)
    customers = [Customer(users, str(uuid.uuid4()), str(uuid.uuid4())) for users in sizes]

    def made(customer: Customer) -> None:
        customer.group = directory(emulator, customer.entra, customer.users)
        resource_group(emulator, customer.entra, customer.subscription)

    with ThreadPoolExecutor(SETUP_THREADS) as pool:
        list(pool.map(made, customers))
    if not args.no_graph_limits:
        for name in GRAPH_BUDGETS:
            control.delete(f"{emulator.base_url}/emulator/throttles/{name}")
    return customers


def settled_now(api: Api, tenant: str) -> bool:
    return all(
        not api.call("GET", f"/tenants/{tenant}/cloudPCs?status={status}&top=1")["value"]
        for status in ("pendingProvision", "provisioning")
    )


def ended_by_tenant(engine: DurableEngine, customers: list[Customer]) -> Counter[str]:
    """Each tenant's provisioning runs ended, from the engine's instances (one pass, no request)."""
    prefixes = {names.cloud_pc_instance_prefix(c.tenant): c.tenant for c in customers}
    ended: Counter[str] = Counter()
    for instance in engine.instances.copy().values():
        if instance.status in TERMINAL and instance.instance_id.startswith("cpc-"):
            for prefix, tenant in prefixes.items():
                if instance.instance_id.startswith(prefix):
                    ended[tenant] += 1
                    break
    return ended


def cloud_pcs(api: Api, tenant: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    link: str | None = f"/tenants/{tenant}/cloudPCs?top=1000"
    while link:
        body = api.call("GET", link)
        found += body["value"]
        link = body.get("nextLink", "").split("/api", 1)[-1] or None
    return found


def vms_by_computer_name(emulator: EmulatorProcess, customer: Customer) -> Counter[str]:
    """The VMs in the customer's subscription, as its admin lists them in Azure, counted by computer name."""
    session = emulator.session()
    token = session.post(
        f"{emulator.base_url}/emulator/token",
        json={"tenantId": customer.entra, "audience": "https://management.azure.com"},
    ).json()["access_token"]
    arm = Api(f"{emulator.base_url}/arm", session, token)
    found: Counter[str] = Counter()
    link: str | None = (
        f"/subscriptions/{customer.subscription}/providers/Microsoft.Compute/virtualMachines?api-version=2024-07-01"
    )
    while link:
        body = arm.call("GET", link)
        found.update(vm["properties"]["osProfile"]["computerName"] for vm in body["value"])
        link = body.get("nextLink", "").split("/arm", 1)[-1] or None
    return found


def check_outcome(api: Api, emulator: EmulatorProcess, customer: Customer) -> dict[str, int]:
    """Lost: a user without a provisioned Cloud PC. Duplicated: a user with more than one Cloud PC, or a Cloud PC
    whose device name has more than one VM in the subscription (Azure's VMs per user); and VMs for no Cloud PC."""
    rows = cloud_pcs(api, customer.tenant)
    per_user = Counter(row["userId"] for row in rows)
    provisioned_users = {row["userId"] for row in rows if row["status"] == "provisioned"}
    vms = vms_by_computer_name(emulator, customer)
    devices = {row["managedDeviceName"] for row in rows}
    return {
        "lost": customer.users - len(provisioned_users),
        "duplicated": sum(n - 1 for n in per_user.values() if n > 1)
        + sum(vms[row["managedDeviceName"]] - 1 for row in rows if vms[row["managedDeviceName"]] > 1),
        "vms_without_cloud_pc": sum(n for name, n in vms.items() if name not in devices),
        "failed": sum(1 for row in rows if row["status"] == "failed"),
    }


def own_bound(args: argparse.Namespace, users: int, writes_per_cloud_pc: float) -> tuple[float, str]:
    """A tenant's critical-path bound as the one-tenant run computes it: its VM creates at its subscription's rate,
    or its ARM writes at its own write budget, then the steps after the VM create."""
    vm_creates = max(users - args.vm_burst, 0) / (args.vm_rate / 60)
    writes = max(users * writes_per_cloud_pc - ARM_WRITE_BUCKET, 0) / ARM_WRITE_REFILL_S
    return max(vm_creates, writes) + args.latency * (1 + STEPS_AFTER_CREATE_VM), (
        "armWrites" if writes > vm_creates else "vmCreates"
    )


def run(
    args: argparse.Namespace, sizes: list[int], azurite: Azurite, emulator: EmulatorProcess, workdir: Path, tag: str
) -> tuple[dict[str, Any], list[Customer]]:
    customers = prepare(args, emulator, sizes)
    host = app_host(azurite, emulator, tag, workdir, {PROCESS_COUNT_SETTING: str(args.processes)})
    try:
        token = emulator.user_token("admin")
        api = Api(f"{host.base_url}/api", token=token)
        for n, customer in enumerate(customers):
            customer.tenant = api.call(
                "POST",
                "/tenants",
                {
                    "displayName": f"Customer {n + 1}",
                    "entraTenantId": customer.entra,
                },
            )["id"]
            api.call(
                "POST",
                f"/tenants/{customer.tenant}/sites",
                {
                    "displayName": "EU",
                    "regionName": "westeurope",
                    "resourceGroupName": "rg-cloudpcs",
                    "subscriptionId": customer.subscription,
                },
            )
            customer.policy = api.call(
                "POST",
                f"/tenants/{customer.tenant}/provisioningPolicies",
                BENCH_POLICY,
            )["id"]
        engine = host.engine
        assert engine is not None
        emulator.session().delete(f"{emulator.base_url}/emulator/requests")
        calibrated = cpu_calibration_ms()
        cpu_before, machine_before = cpu_by_process(), machine_cpu_seconds()
        started = time.monotonic()

        def assign(customer: Customer) -> None:  # a connection each: all at once
            path = f"/tenants/{customer.tenant}/provisioningPolicies/{customer.policy}/assign"
            Api(api.base, token=token).call("POST", path, {"assignments": [{"groupId": customer.group}]})

        with ThreadPoolExecutor(len(customers)) as pool:  # every assignment sent at once
            list(pool.map(assign, customers))
        timeline = Timeline(emulator, started) if args.timeline else None
        waiting = list(customers)
        while waiting:
            time.sleep(POLL_S)
            ended = ended_by_tenant(engine, customers)
            if timeline:
                timeline.sample(sum(ended.values()))
            for customer in [c for c in waiting if ended[c.tenant] >= c.users]:
                if settled_now(api, customer.tenant):
                    customer.wall_s = time.monotonic() - started
                    waiting.remove(customer)
        wall = time.monotonic() - started
        cpu = cpu_by_process() - cpu_before
        others = max(machine_cpu_seconds() - machine_before - sum(cpu.values()), 0.0)
        cloud = cloud_requests(emulator, detail=False)
        outcomes = Counter[str]()
        for customer in customers:
            outcomes.update(check_outcome(api, emulator, customer))
    finally:
        host.stop()
    users = sum(sizes)
    writes_per_cloud_pc = (cloud["arm_writes"] + cloud["arm_deletes"]) / users  # alike in every tenant
    bounds = [own_bound(args, customer.users, writes_per_cloud_pc) for customer in customers]
    azure_bound, bound_by = max(bounds)
    host_bound = sum(cpu.values()) / cores()
    result: dict[str, Any] = {
        "tenants": len(customers),
        "users": users,
        "wall_s": wall,
        "cloud_pcs_per_s": users / wall,
        "azure_bound_s": azure_bound,
        "azure_bound_by": bound_by,
        **cpu_per_cloud_pc(cpu, users),
        "cores": cores(),
        "host_bound_s": host_bound,
        "bound_by": "host" if host_bound > azure_bound else "azure",
        "ratio_to_bound": wall / max(azure_bound, host_bound),
        "other_processes_cores": others / wall,  # the cores other work on the machine took meanwhile
        # the host bound on the cores the others left (the figure to read on a busy machine)
        "ratio_to_bound_on_cores_left": wall
        / max(azure_bound, sum(cpu.values()) / max(cores() - others / wall, MIN_CORES_LEFT)),
        "arm_writes_per_cloud_pc": writes_per_cloud_pc,
        "arm_429s": cloud["arm_writes_429"] + cloud["arm_reads_429"] + cloud["arm_deletes_429"],
        **{name: outcomes[name] for name in ("lost", "duplicated", "vms_without_cloud_pc", "failed")},
        # before the run and after it: the machine's own speed drifts
        "cpu_calibration_ms_before": calibrated,
        "cpu_calibration_ms_after": cpu_calibration_ms(),
    }
    return result, customers


def line(result: dict[str, Any]) -> str:
    return "  ".join(f"{k}={v:.2f}" if isinstance(v, float) else f"{k}={v}" for k, v in result.items())


def many(args: argparse.Namespace, azurite: Azurite, emulator: EmulatorProcess, workdir: Path) -> None:
    """`--tenants N --users M`: N tenants of M users each, at once."""
    users = args.users[0]
    sizes = [users] * args.tenants
    result, customers = run(args, sizes, azurite, emulator, workdir, f"t{args.tenants}u{users}")
    print(line(result), flush=True)
    walls = sorted(customer.wall_s for customer in customers)
    print(
        f"per-tenant wall_s: min={walls[0]:.1f}  median={walls[len(walls) // 2]:.1f}  max={walls[-1]:.1f}  "
        f"each={' '.join(f'{w:.1f}' for w in (c.wall_s for c in customers))}",
        flush=True,
    )


def fairness(args: argparse.Namespace, azurite: Azurite, emulator: EmulatorProcess, workdir: Path) -> None:
    """`--fairness`: one small tenant alone, then one big tenant beside ten small ones, all at once. Each small
    tenant's time to its last Cloud PC against its time alone and against its fair share: the host shared evenly
    by the tenants with work (each of them going at the same pace until the small ones are done), that is the small
    tenants' Cloud PCs, and as many of the big one's, at the run's CPU per Cloud PC over the cores; never less than
    its own Azure bound."""
    big, small, count = args.fairness_big, args.fairness_small, args.fairness_tenants
    alone, _ = run(args, [small], azurite, emulator, workdir, f"solo{small}")
    print(f"alone: {line(alone)}", flush=True)
    result, customers = run(args, [big] + [small] * count, azurite, emulator, workdir, f"fair{big}x{count}")
    print(f"together: {line(result)}", flush=True)
    cpu_per_cloud_pc = sum(v for k, v in result.items() if k.startswith("cpu_ms_")) / 1000
    fair_share = max(alone["azure_bound_s"], (count + 1) * small * cpu_per_cloud_pc / cores())
    print(
        f"the big tenant ({big} users): {customers[0].wall_s:.1f} s; alone its bound is "
        f"{own_bound(args, big, result['arm_writes_per_cloud_pc'])[0]:.1f} s",
        flush=True,
    )
    print(
        f"a small tenant ({small} users): alone {alone['wall_s']:.1f} s (bound {alone['azure_bound_s']:.1f} s); "
        f"fair share {fair_share:.1f} s",
        flush=True,
    )
    for n, customer in enumerate(customers[1:], start=1):
        print(
            f"small tenant {n}: {customer.wall_s:.1f} s, {customer.wall_s / alone['wall_s']:.2f} x alone, "
            f"{customer.wall_s / fair_share:.2f} x fair share",
            flush=True,
        )
    worst = max(customer.wall_s for customer in customers[1:])
    print(f"slowest small tenant: {worst:.1f} s, {worst / fair_share:.2f} x its fair share", flush=True)


def main() -> None:
    parser = arguments(__doc__.splitlines()[0])
    parser.add_argument("--tenants", type=int, default=3, help="N tenants of --users each, all at once")
    parser.add_argument("--fairness", action="store_true", help="a big tenant's burst beside small tenants'")
    parser.add_argument("--fairness-big", type=int, default=1000, help="--fairness: the big tenant's users")
    parser.add_argument("--fairness-small", type=int, default=20, help="--fairness: each small tenant's users")
    parser.add_argument("--fairness-tenants", type=int, default=10, help="--fairness: the small tenants")
    args = parser.parse_args()
    if args.backend == "windows365" and args.fairness:
        parser.error("--fairness runs the azure backend only")
    logging.basicConfig(level=logging.WARNING)
    with storage_and_azure() as (azurite, emulator, workdir):
        run_many = windows365.many if args.backend == "windows365" else many
        (fairness if args.fairness else run_many)(args, azurite, emulator, workdir)


if __name__ == "__main__":
    main()
