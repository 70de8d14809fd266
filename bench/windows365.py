"""Provisioning on the `windows365` backend, through devhost and the emulator's Windows 365 in Graph.

Run: .venv/bin/python -m bench.provisioning --backend windows365 [--users 100] [--latency 60] [--poll 60], or many
tenants at once: .venv/bin/python -m bench.tenants --backend windows365 --tenants N --users M.

Each customer is a windows365 tenant (its own Entra tenant, its users licensed in one group, the app consented). The
app makes the policy in Windows 365 and assigns it; Windows 365 provisions every Cloud PC in `--latency` seconds
(its `cloudPcProvisioning` latency), all at once; the app follows them by reading Windows 365's list every `--poll`
seconds (WINDOWS365_POLL) until none is provisioning. Graph's throttling is on (lifted only while the directory is
made). Prints the wall time from the policy's creation to the last Cloud PC provisioned in the app, against Windows
365's own provisioning time; Graph's requests per Cloud PC by kind (REQUEST_KINDS), and Graph's 429s.
"""

from __future__ import annotations

import argparse
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from azure_emulator.launcher import EmulatorProcess
from bench.scenario import BENCH_POLICY, GRAPH_BUDGETS, Api, app_host, directory, print_result
from devhost.azurite import Azurite
from devhost.durable.engine import DurableEngine
from devhost.durable.instance import TERMINAL
from devhost.invocation import PROCESS_COUNT_SETTING
from orchestrators import names
from tests.utils.onboarding import grant_app

PROVISIONING_LATENCY = "cloudPcProvisioning"  # the emulator's control of one Cloud PC's provisioning time
# Graph's operations (the emulator's names) by what the app spends them on; any other is `other` (the directory's
# reads, the change notifications' subscription...)
REQUEST_KINDS = {
    **dict.fromkeys(
        (
            "listProvisioningPolicies",
            "getProvisioningPolicy",
            "createProvisioningPolicy",
            "updateProvisioningPolicy",
            "deleteProvisioningPolicy",
        ),
        "policy",
    ),
    "assignProvisioningPolicy": "assignment",
    # what the follower reads each round: the Cloud PCs, and Windows 365's audit log since its last round
    **dict.fromkeys(("listCloudPcs", "getCloudPc", "listCloudPcAuditEvents"), "follow_up_reads"),
    **dict.fromkeys(
        (
            "rebootCloudPc",
            "renameCloudPc",
            "reprovisionCloudPc",
            "resizeCloudPc",
            "restoreCloudPc",
            "troubleshootCloudPc",
            "endCloudPcGracePeriod",
            "createCloudPcSnapshot",
        ),
        "actions",
    ),
}
KINDS = ("policy", "assignment", "follow_up_reads", "actions", "other")
POLL_S = 0.5
SETUP_THREADS = 4


@dataclass
class Customer:
    users: int
    entra: str
    group: str = ""
    tenant: str = ""
    wall_s: float = 0.0


def graph_requests(emulator: EmulatorProcess, detail: bool) -> Counter[str]:
    """Graph's requests since the last reset by kind (`policy`...), and their 429s (`429`); with `detail` by
    operation too (`graph.listCloudPcs`). A $batch counts once as itself and once for each request it
    carries (each charged to Graph's budgets)."""
    counts: Counter[str] = Counter()
    for row in emulator.session().get(f"{emulator.base_url}/emulator/requests").json()["value"]:
        if row["api"] == "graph":
            counts[REQUEST_KINDS.get(row["operation"], "other")] += row["count"]
            counts["429"] += row.get("throttled", 0)
            if detail:
                counts[f"graph.{row['operation']}"] += row["count"]
    return counts


def prepare(args: argparse.Namespace, emulator: EmulatorProcess, sizes: list[int]) -> list[Customer]:
    """Windows 365's provisioning time as asked, and each customer's Entra tenant, licensed users and consent, made
    with Graph's limits lifted (not what is measured) and restored after."""
    control = emulator.session()
    control.put(f"{emulator.base_url}/emulator/latency/{PROVISIONING_LATENCY}", json={"seconds": args.latency})
    for name in GRAPH_BUDGETS:
        control.put(f"{emulator.base_url}/emulator/throttles/{name}", json={"perMinute": 10**6, "burst": 10**6})
    customers = [Customer(users, str(uuid.uuid4())) for users in sizes]

    def made(customer: Customer) -> None:
        customer.group = directory(emulator, customer.entra, customer.users)
        grant_app(emulator, customer.entra)  # no subscription: Windows 365 works in Azure as itself

    with ThreadPoolExecutor(SETUP_THREADS) as pool:
        list(pool.map(made, customers))
    if not args.no_graph_limits:
        for name in GRAPH_BUDGETS:
            control.delete(f"{emulator.base_url}/emulator/throttles/{name}")
    return customers


def provisioned(api: Api, tenant: str, users: int) -> bool:
    """Every user's Cloud PC is in the app, and none is provisioning: the listing only once none is."""
    if any(
        api.call("GET", f"/tenants/{tenant}/cloudPCs?status={status}&top=1")["value"]
        for status in ("pendingProvision", "provisioning")
    ):
        return False
    found = 0
    link: str | None = f"/tenants/{tenant}/cloudPCs?top=1000"
    while link:
        body = api.call("GET", link)
        found += sum(1 for c in body["value"] if c["status"] == "provisioned")
        link = body.get("nextLink", "").split("/api", 1)[-1] or None
    return found >= users


def following(engine: DurableEngine, tenant: str) -> bool:
    """A follower of the tenant's Cloud PCs still runs (its own, or one an asked change started)."""
    prefix = names.windows365_mirror_instance_id(tenant)
    return any(key.startswith(prefix) and i.row["status"] not in TERMINAL for key, i in engine.instances.copy().items())


def run(
    args: argparse.Namespace, sizes: list[int], azurite: Azurite, emulator: EmulatorProcess, workdir: Path, tag: str
) -> tuple[dict[str, Any], list[Customer]]:
    customers = prepare(args, emulator, sizes)
    poll = {"WINDOWS365_POLL": f"PT{args.poll:g}S", PROCESS_COUNT_SETTING: str(args.processes)}
    host = app_host(azurite, emulator, tag, workdir, poll)
    try:
        token = emulator.user_token("admin")  # the development organization owner
        api = Api(f"{host.base_url}/api", token=token)
        for n, customer in enumerate(customers):
            body = {"displayName": f"Customer {n + 1}", "entraTenantId": customer.entra, "cloudPcBackend": "windows365"}
            customer.tenant = api.call("POST", "/tenants", body)["id"]
        engine = host.engine
        assert engine is not None
        emulator.session().delete(f"{emulator.base_url}/emulator/requests")
        started = time.monotonic()

        def provision(customer: Customer) -> None:  # a connection each: all at once
            own = Api(api.base, token=token)
            policy = own.call(
                "POST",
                f"/tenants/{customer.tenant}/provisioningPolicies",
                BENCH_POLICY,
            )
            path = f"/tenants/{customer.tenant}/provisioningPolicies/{policy['id']}/assign"
            own.call("POST", path, {"assignments": [{"groupId": customer.group}]})

        with ThreadPoolExecutor(len(customers)) as pool:
            list(pool.map(provision, customers))
        waiting = list(customers)
        while waiting:
            time.sleep(POLL_S)
            for customer in [c for c in waiting if provisioned(api, c.tenant, c.users)]:
                customer.wall_s = time.monotonic() - started
                waiting.remove(customer)
        wall = time.monotonic() - started
        while any(following(engine, c.tenant) for c in customers):  # its last read is counted too
            time.sleep(POLL_S)
        graph = graph_requests(emulator, args.detail)
        found: Counter[str] = Counter()
        for customer in customers:
            link: str | None = f"/tenants/{customer.tenant}/cloudPCs?top=1000"
            while link:
                page = api.call("GET", link)
                found.update(c["status"] for c in page["value"])
                link = page.get("nextLink", "").split("/api", 1)[-1] or None
    finally:
        host.stop()
    users = sum(sizes)
    result: dict[str, Any] = {
        **({"tenants": len(customers)} if len(customers) > 1 else {}),
        "users": users,
        "wall_s": wall,
        "w365_provisioning_s": args.latency,
        "poll_s": args.poll,
        **({"ratio_to_w365_time": wall / args.latency} if args.latency else {}),
        **{f"graph_{kind}_per_cloud_pc": graph[kind] / users for kind in KINDS},
        "graph_429s": graph["429"],
        "graph_429s_per_1000": graph["429"] * 1000 / users,
        "graph_requests": sum(graph[kind] for kind in KINDS),
        **{name: n for name, n in sorted(graph.items()) if name.startswith("graph.")},  # --detail: each operation's
        "provisioned": found.get("provisioned", 0),
        "failed": found.get("failed", 0),
    }
    return result, customers


def one_tenant(args: argparse.Namespace, azurite: Azurite, emulator: EmulatorProcess, workdir: Path) -> None:
    """`bench.provisioning --backend windows365`: one tenant of each --users size, one after another."""
    for users in args.users:
        result, _ = run(args, [users], azurite, emulator, workdir, f"w{users}l{int(args.latency * 1000)}")
        print_result(result)


def many(args: argparse.Namespace, azurite: Azurite, emulator: EmulatorProcess, workdir: Path) -> None:
    """`bench.tenants --backend windows365 --tenants N --users M`: N tenants of M users each, at once."""
    users = args.users[0]
    result, customers = run(args, [users] * args.tenants, azurite, emulator, workdir, f"wt{args.tenants}u{users}")
    print_result(result)
    walls = sorted(customer.wall_s for customer in customers)
    print(f"per-tenant wall_s: min={walls[0]:.1f}  median={walls[len(walls) // 2]:.1f}  max={walls[-1]:.1f}")
