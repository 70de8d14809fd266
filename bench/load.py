"""HTTP load benchmark (its setup, runs and report; the clients in load_generator.py): C concurrent clients for S
seconds on read and on write routes, through devhost.

Run: .venv/bin/python -m bench.load [--mode baseline|concurrent|both] [--seconds 60] [--clients 200]
     [--processes 2] [--threads N] [--warmup 3] [--rounds 3]
Loopback only and bounded (at most 1,000 clients for at most 600 s a phase). Each mode has its own devhost
(Azurite and the Azure emulator are shared), and both are up at once: each phase is measured in --rounds slices of
--seconds / --rounds a mode, the modes in turn (A B A B ...), so a machine whose speed drifts slows both alike, and
the concurrent/baseline ratio is also given slice pair by slice pair (the median is the one to quote). `baseline`
runs one invocation at a time (PYTHON_THREADPOOL_THREAD_COUNT=1, one worker process, like the old devhost);
`concurrent` runs FUNCTIONS_WORKER_PROCESS_COUNT=--processes worker processes with --threads threads each (the
pool's default when unset). Per mode there are two phases, each slice after --warmup seconds of uncounted load:
  reads:  GET /api/tenants/{t}, GET /api/tenants/{t}/sites, GET /api/tenants/{t}/provisioningPolicies/{p}, in turn;
  writes: PATCH /api/tenants/{w}/sites/{s} with a new displayName (each client its own site, no If-Match) and
          POST /api/tenants/{w}/sites?validateOnly=true, in turn (a PATCH is audited; a validateOnly run is not).
The clients run in a separate process (bench/load_generator.py). Prints per mode
and phase (its slices added up; p99 and max the worst slice's): requests, requests/s, p50, p99, max, errors (a
status other than 200, or an exception), each route's own line, the CPU time per request of devhost, its worker
processes, Azurite and the load generator (with what other processes on the machine used meanwhile: they skew every
number), and requests/s by 5 s; then the concurrent/baseline ratio for reads (in all, and each pair's with their
median) and the acceptance (>= 3 x 67 reads/s, p99 < 1 s). Exits 1 if a request failed.
"""

from __future__ import annotations

import argparse
import contextlib
import ipaddress
import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psutil

from azure_emulator.launcher import EmulatorProcess
from bench.load_generator import PHASES, REQUEST_TIMEOUT_S, SLICE_S, SUBSCRIPTION
from bench.scenario import Api
from devhost.azurite import Azurite, free_port
from devhost.host import DevHost
from devhost.invocation import PROCESS_COUNT_SETTING, THREAD_COUNT_SETTING

ROOT = Path(__file__).resolve().parent.parent
IMAGE = "microsoftwindowsdesktop_windows-ent-cpc_win11-24h2-ent-cpc-m365"
MAX_CLIENTS, MAX_SECONDS = 1000, 600.0
OLD_READS_PER_S = 67.0  # the old devhost (one invocation at a time) on the 2-core development machine
READ_TARGET_RATIO, READ_P99_BOUND_S = 3.0, 1.0  # the tracker's acceptance for the concurrent mode's reads


def site_body(name: str) -> dict[str, Any]:
    return {
        "displayName": name,
        "regionName": "westeurope",
        "resourceGroupName": "rg-cloudpcs",
        "subscriptionId": SUBSCRIPTION,
    }


def prepare(base: str, token: str, sites: int) -> dict[str, Any]:
    """A tenant with a site and a policy (for reads), and another with one site per client (for writes)."""
    api = Api(f"{base}/api", token=token)
    tenant = api.call("POST", "/tenants", {"displayName": "Load reads", "entraTenantId": str(uuid.uuid4())})["id"]
    api.call("POST", f"/tenants/{tenant}/sites", site_body("EU"))
    policy = api.call(
        "POST",
        f"/tenants/{tenant}/provisioningPolicies",
        {
            "displayName": "Load",
            "imageType": "gallery",
            "imageId": IMAGE,
            "domainJoinConfigurations": [{"domainJoinType": "azureADJoin", "regionName": "westeurope"}],
        },
    )["id"]
    writes = api.call("POST", "/tenants", {"displayName": "Load writes", "entraTenantId": str(uuid.uuid4())})["id"]

    def make(n: int) -> str:
        return str(
            Api(f"{base}/api", token=token).call("POST", f"/tenants/{writes}/sites", site_body(f"Site {n}"))["id"]
        )

    with ThreadPoolExecutor(8) as pool:
        write_sites = list(pool.map(make, range(sites)))
    return {"tenant": tenant, "policy": policy, "write_tenant": writes, "write_sites": write_sites}


def cpu_seconds(pid: int) -> float | None:
    """User plus system CPU time of a process, all its threads (None once it is gone)."""
    try:
        times = psutil.Process(pid).cpu_times()
    except psutil.Error:
        return None
    return float(times.user + times.system)


def machine_cpu_seconds() -> float:
    """CPU time every process on the machine has used: all but idle and iowait."""
    times = psutil.cpu_times()
    return float(sum(getattr(times, name, 0.0) for name in ("user", "nice", "system", "irq", "softirq", "steal")))


def cpu_sample(pids: dict[str, list[int]]) -> dict[str, float]:
    sample = {name: sum(filter(None, (cpu_seconds(p) for p in group))) for name, group in pids.items()}
    sample["machine"] = machine_cpu_seconds()
    return sample


def run_phase(spec: dict[str, Any], pids: dict[str, list[int]], workdir: Path) -> dict[str, Any]:
    """The load generator's result, with the CPU time each process spent per request in the measured window."""
    spec_file = workdir / f"load-{uuid.uuid4().hex}.json"
    spec_file.write_text(json.dumps(spec))
    child = subprocess.Popen(
        [sys.executable, "-m", "bench.load_generator", str(spec_file)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    pids = {**pids, "load generator": [child.pid]}
    time.sleep(spec["warmup"])
    before = cpu_sample(pids)
    time.sleep(spec["seconds"])
    after = cpu_sample(pids)
    try:
        out, err = child.communicate(timeout=REQUEST_TIMEOUT_S + 60)
    except subprocess.TimeoutExpired:
        child.kill()
        out, err = child.communicate()
    if child.returncode != 0:
        raise RuntimeError(f"the load generator failed ({child.returncode}):\n{err}")
    result: dict[str, Any] = json.loads(out)
    requests_done = max(result["total"]["requests"], 1)
    result["cpu_ms_per_request"] = {k: (after[k] - before[k]) * 1000 / requests_done for k in pids}
    ours = sum(after[k] - before[k] for k in pids)
    # what else ran on the machine meanwhile (other people's tests share these cores), in cores on average
    result["other_cores"] = max(after["machine"] - before["machine"] - ours, 0.0) / spec["seconds"]
    result["cores"] = os.cpu_count() or 1
    result["seconds"] = spec["seconds"]
    return result


def mode_settings(mode: str, args: argparse.Namespace) -> dict[str, str]:
    if mode == "baseline":
        return {THREAD_COUNT_SETTING: "1", PROCESS_COUNT_SETTING: "1"}
    settings = {PROCESS_COUNT_SETTING: str(args.processes)}
    if args.threads:
        settings[THREAD_COUNT_SETTING] = str(args.threads)
    return settings


@contextlib.contextmanager
def mode_host(
    mode: str, args: argparse.Namespace, azurite: Azurite, emulator: EmulatorProcess, workdir: Path
) -> Iterator[tuple[dict[str, Any], dict[str, list[int]], str]]:
    """A devhost in the mode's settings with its data made: the load's spec, the processes to measure, its setting."""
    port = free_port()
    tag = f"load{mode[0]}{uuid.uuid4().hex[:6]}"
    settings = mode_settings(mode, args)
    env = {
        **emulator.app_settings(),
        # no Graph change notifications: Graph's validation call would wait for a second invocation, which
        # the baseline mode runs only after the first (the createTenant that subscribes) has given up
        "NOTIFICATION_URL": "",
        "AzureWebJobsStorage": azurite.connection_string,
        "TABLE_NAME_PREFIX": tag,
        "DIRECTORY_EVENTS_QUEUE": f"bench-{tag}",
        "BULK_ACTIONS_QUEUE": f"bench-bulk-{tag}",
        **settings,
    }
    if THREAD_COUNT_SETTING not in settings:  # the pool's default, whatever the calling shell has set
        os.environ.pop(THREAD_COUNT_SETTING, None)
    host = DevHost(ROOT, env=env, port=port, durable_store_path=workdir / f"durable-{tag}.sqlite")
    host.start()
    try:
        base = host.base_url
        address = urlsplit(base).hostname or ""
        if not ipaddress.ip_address(address).is_loopback:
            raise RuntimeError(f"devhost listens on {address}, not loopback")
        token = emulator.user_token("admin")  # the development organization owner
        spec = {**prepare(base, token, args.clients), "base": base, "token": token}
        invoker = host.invoker
        assert invoker is not None
        described = f"{invoker.worker_processes} process(es) x {invoker.pool_size} thread(s)"
        workers = [p for p in invoker.worker_pids if p != os.getpid()]
        # both hosts run in this process: while one is measured the other idles here (its timers only)
        pids = {"devhost": [os.getpid()], "workers": workers, "azurite": [], "emulator": []}
        if azurite.process is not None:
            pids["azurite"].append(azurite.process.pid)
        if emulator.process is not None:
            pids["emulator"].append(emulator.process.pid)
        yield spec, pids, described
    finally:
        host.stop()


def combined(slices: list[dict[str, Any]]) -> dict[str, Any]:
    """A phase's slices as one result: counts and CPU added up, the worst slice's p99 and max, the median p50."""
    seconds = sum(s["seconds"] for s in slices)

    def total(parts: list[dict[str, Any]]) -> dict[str, Any]:
        done = sum(p["requests"] for p in parts)
        return {
            "requests": done,
            "per_s": done / seconds,
            "p50_ms": statistics.median(p["p50_ms"] for p in parts),
            "p99_ms": max(p["p99_ms"] for p in parts),
            "max_ms": max(p["max_ms"] for p in parts),
            "errors": sum(p["errors"] for p in parts),
        }

    routes = sorted({r for s in slices for r in s["routes"]})
    requests_done = max(sum(s["total"]["requests"] for s in slices), 1)
    return {
        "total": total([s["total"] for s in slices]),
        "routes": {r: total([s["routes"][r] for s in slices if r in s["routes"]]) for r in routes},
        "cpu_ms_per_request": {
            k: sum(s["cpu_ms_per_request"][k] * s["total"]["requests"] for s in slices) / requests_done
            for k in slices[0]["cpu_ms_per_request"]
        },
        "other_cores": sum(s["other_cores"] * s["seconds"] for s in slices) / seconds,
        "cores": slices[0]["cores"],
        "per_s_by_slice": [v for s in slices for v in s["per_s_by_slice"]],
        "samples": [x for s in slices for x in s["samples"]][:5],
        "slices": [s["total"]["per_s"] for s in slices],
    }


def line(label: str, s: dict[str, Any]) -> str:
    return (
        f"{label:<34} requests={s['requests']:<6} per_s={s['per_s']:<7.1f} p50={s['p50_ms']:.0f}ms "
        f"p99={s['p99_ms']:.0f}ms max={s['max_ms']:.0f}ms errors={s['errors']}"
    )


def report_phase(mode: str, described: str, phase: str, result: dict[str, Any]) -> None:
    print(line(f"{mode} {phase} ({described})", result["total"]), flush=True)
    for route, s in result["routes"].items():
        print(line(f"  {route}", s), flush=True)
    cpu = "  ".join(f"{k}={v:.1f}" for k, v in result["cpu_ms_per_request"].items() if v)
    print(
        f"  CPU ms per request: {cpu}  (other processes meanwhile: {result['other_cores']:.2f} of "
        f"{result['cores']} cores)",
        flush=True,
    )
    print(f"  per_s by {SLICE_S:g} s: " + " ".join(f"{v:.0f}" for v in result["per_s_by_slice"]), flush=True)
    if len(result["slices"]) > 1:
        print("  per_s by round: " + " ".join(f"{v:.0f}" for v in result["slices"]), flush=True)
    for sample in result["samples"]:
        print(f"  failure: {sample}", flush=True)


def verdict(results: dict[str, dict[str, Any]]) -> None:
    base = results.get("baseline", {}).get("reads")
    conc = results.get("concurrent", {}).get("reads")
    if base and conc:
        ratio = conc["total"]["per_s"] / max(base["total"]["per_s"], 1e-9)
        pairs = [c / max(b, 1e-9) for b, c in zip(base["slices"], conc["slices"], strict=True)]
        print(
            f"reads concurrent/baseline: {ratio:.2f}x in all; by round "
            + " ".join(f"{p:.2f}x" for p in pairs)
            + f", median {statistics.median(pairs):.2f}x",
            flush=True,
        )
    if conc:
        per_s, p99 = conc["total"]["per_s"], conc["total"]["p99_ms"] / 1000
        target = READ_TARGET_RATIO * OLD_READS_PER_S
        ok = per_s >= target and p99 < READ_P99_BOUND_S
        print(
            f"reads concurrent: {per_s:.1f}/s (target >= {target:.0f}/s), p99 {p99:.2f} s "
            f"(target < {READ_P99_BOUND_S:.0f} s): {'met' if ok else 'NOT met'}",
            flush=True,
        )


def bounded(kind: type, low: float, high: float) -> Any:
    def parse(text: str) -> Any:
        value = kind(text)
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be from {low:g} to {high:g}")
        return value

    return parse


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--mode", choices=("baseline", "concurrent", "both"), default="both")
    parser.add_argument("--seconds", type=bounded(float, 1, MAX_SECONDS), default=60.0, help="measured, per phase")
    parser.add_argument("--clients", type=bounded(int, 1, MAX_CLIENTS), default=200)
    parser.add_argument("--warmup", type=bounded(float, 0, 60), default=3.0, help="uncounted seconds before each")
    parser.add_argument("--processes", type=bounded(int, 2, 10), default=2, help="concurrent: worker processes")
    parser.add_argument("--threads", type=bounded(int, 1, 256), default=None, help="concurrent: threads each")
    parser.add_argument("--phases", nargs="+", choices=tuple(PHASES), default=list(PHASES))
    parser.add_argument("--rounds", type=bounded(int, 1, 20), default=3, help="slices a phase, the modes in turn")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    # as `python -m devhost` does; worker processes take these levels, and devhost.workers reads a record an SDK
    # logs while a worker imports the app (azure.identity does at INFO) as the worker's failure to start
    for noisy in ("azure", "aiohttp.access", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # the concurrent host first: its worker processes start with its settings, before the baseline's (which runs
    # the app in this process) are applied over them; they are taken back in the reverse order
    modes = ("concurrent", "baseline") if args.mode == "both" else (args.mode,)
    slices: dict[str, dict[str, list[dict[str, Any]]]] = {mode: {p: [] for p in args.phases} for mode in modes}
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        azurite = Azurite(project_root=ROOT).start()
        stack.callback(azurite.stop)
        emulator = EmulatorProcess(Path(tmp) / "emulator").start()
        stack.callback(emulator.stop)
        hosts = {mode: stack.enter_context(mode_host(mode, args, azurite, emulator, Path(tmp))) for mode in modes}
        for phase in args.phases:
            for _ in range(args.rounds):
                for mode in sorted(modes):  # baseline, then concurrent
                    spec, pids, _described = hosts[mode]
                    phase_spec = {
                        **spec,
                        "phase": phase,
                        "clients": args.clients,
                        "seconds": args.seconds / args.rounds,
                        "warmup": args.warmup,
                    }
                    slices[mode][phase].append(run_phase(phase_spec, pids, Path(tmp)))
            for mode in sorted(modes):
                report_phase(mode, hosts[mode][2], phase, combined(slices[mode][phase]))
    results = {mode: {phase: combined(s) for phase, s in by_phase.items()} for mode, by_phase in slices.items()}
    verdict(results)
    failures = sum(r[p]["total"]["errors"] for r in results.values() for p in args.phases)
    if failures:
        print(f"{failures} request(s) failed", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
