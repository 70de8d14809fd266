"""The HTTP load benchmark's clients, in a process of their own: closed-loop asyncio clients over aiohttp (keep-alive
connections, no think time) on the phase's routes, and their requests, latencies and failures as JSON on stdout.

Run by bench/load.py: python -m bench.load_generator <spec.json>
"""

from __future__ import annotations

import asyncio
import json
import math
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SUBSCRIPTION = "6f9619ff-8b86-d011-b42d-00cf4fc964ff"
REQUEST_TIMEOUT_S = 60.0
SLICE_S = 5.0  # requests/s is also shown by slices of the window this long: a dip shows what stalled it


@dataclass(frozen=True)
class Call:
    route: str  # the name it is reported under
    method: str
    path: str
    body: dict[str, Any] | None = None


def read_calls(spec: dict[str, Any], _client: int) -> Iterator[Call]:
    tenant, policy = spec["tenant"], spec["policy"]
    calls = [
        Call("getTenant", "GET", f"/api/tenants/{tenant}"),
        Call("listSites", "GET", f"/api/tenants/{tenant}/sites"),
        Call("getProvisioningPolicy", "GET", f"/api/tenants/{tenant}/provisioningPolicies/{policy}"),
    ]
    n = _client  # clients start at different routes, so every route is loaded at every moment
    while True:
        yield calls[n % len(calls)]
        n += 1


def write_calls(spec: dict[str, Any], client: int) -> Iterator[Call]:
    tenant, sites = spec["write_tenant"], spec["write_sites"]
    site = sites[client % len(sites)]
    review = {
        "displayName": f"Review {client}",
        "regionName": "westeurope",
        "resourceGroupName": "rg-cloudpcs",
        "subscriptionId": SUBSCRIPTION,
    }
    n = client
    while True:
        if n % 2 == 0:
            yield Call("updateSite", "PATCH", f"/api/tenants/{tenant}/sites/{site}", {"displayName": f"S{client}-{n}"})
        else:
            yield Call("createSite?validateOnly", "POST", f"/api/tenants/{tenant}/sites?validateOnly=true", review)
        n += 1


PHASES = {"reads": read_calls, "writes": write_calls}


def percentile(ordered: list[float], q: float) -> float:
    """The nearest-rank percentile of sorted values (0 for none)."""
    if not ordered:
        return 0.0
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def summary(latencies: list[float], errors: int, seconds: float) -> dict[str, Any]:
    ordered = sorted(latencies)
    return {
        "requests": len(ordered),
        "per_s": len(ordered) / seconds,
        "p50_ms": percentile(ordered, 50) * 1000,
        "p99_ms": percentile(ordered, 99) * 1000,
        "max_ms": (ordered[-1] if ordered else 0.0) * 1000,
        "errors": errors,
    }


async def generate(spec: dict[str, Any]) -> dict[str, Any]:
    """Closed-loop clients; the requests begun inside the measured window count (those still running at its end
    included), and a failure counts whenever it happens (in the warm-up too)."""
    import aiohttp

    clients, seconds, warmup = int(spec["clients"]), float(spec["seconds"]), float(spec["warmup"])
    calls_of = PHASES[spec["phase"]]
    latencies: dict[str, list[float]] = {}
    errors: dict[str, int] = {}
    samples: list[str] = []  # the first few failures, for the report
    slices = [0] * max(1, math.ceil(seconds / SLICE_S))  # requests begun in each slice of the window
    start = time.perf_counter()
    window = (start + warmup, start + warmup + seconds)
    connector = aiohttp.TCPConnector(limit=clients, force_close=False)
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S)
    headers = {"Authorization": f"Bearer {spec['token']}"}

    def failed(route: str, text: str) -> None:
        errors[route] = errors.get(route, 0) + 1
        if len(samples) < 5:
            samples.append(f"{route}: {text}")

    async def client(session: aiohttp.ClientSession, index: int) -> None:
        for call in calls_of(spec, index):
            began = time.perf_counter()
            if began >= window[1]:
                return
            try:
                async with session.request(call.method, spec["base"] + call.path, json=call.body) as reply:
                    body = await reply.read()
                    status = reply.status
            except Exception as exc:
                failed(call.route, repr(exc))
                continue
            ended = time.perf_counter()
            if status != 200:
                failed(call.route, f"{status} {body[:300]!r}")
            elif began >= window[0]:
                latencies.setdefault(call.route, []).append(ended - began)
                slices[min(int((began - window[0]) / SLICE_S), len(slices) - 1)] += 1

    async with aiohttp.ClientSession(connector=connector, timeout=timeout, headers=headers) as session:
        await asyncio.gather(*(client(session, i) for i in range(clients)))
    routes = sorted(set(latencies) | set(errors))
    return {
        "total": summary([v for r in routes for v in latencies.get(r, [])], sum(errors.values()), seconds),
        "routes": {r: summary(latencies.get(r, []), errors.get(r, 0), seconds) for r in routes},
        "samples": samples,
        "per_s_by_slice": [n / min(SLICE_S, seconds - i * SLICE_S) for i, n in enumerate(slices)],
    }


def main(spec_file: str) -> None:
    spec = json.loads(Path(spec_file).read_text())
    print(json.dumps(asyncio.run(generate(spec))), flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
