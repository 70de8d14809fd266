"""Overview benchmark: what the portal's overview page asks of the API across N tenants, timed as a browser asks it.

Run: .venv/bin/python -m bench.overview [--tenants 100] [--cloud-pcs 50] [--runs 5] [--processes 1]
Adds N tenants through the API and seeds each with Cloud PC rows straight into the app's table (their provisioning
is not what is measured), then times what portal/src/pages/overview.js loads (models/tenants.js `summaries`): the
list of tenants, then every tenant's summary, six requests at a time as a browser sends them to one host over
HTTP/1.1, on devhost's one worker process (or FUNCTIONS_WORKER_PROCESS_COUNT=--processes). Prints min, median
and max of the whole over the runs, a summary's median alone, and on one process the Table requests a summary makes
(the gate's reads and one query per collection, whatever the tenant's size).
"""

from __future__ import annotations

import argparse
import logging
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests

from azure_emulator.launcher import EmulatorProcess
from bench.portal import seed
from bench.scenario import ROOT, Api, app_host
from devhost.azurite import Azurite
from devhost.invocation import PROCESS_COUNT_SETTING
from shared.storage.account import table_storage
from shared.storage.table_service import RequestCounter

BROWSER_CONNECTIONS = 6  # a browser's connections to one host over HTTP/1.1
TARGET_S = 1.0


def every_page(api: Api, path: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    link: str | None = path
    while link:
        body = api.call("GET", link)
        found += body["value"]
        link = body.get("nextLink", "").split("/api", 1)[-1] or None
    return found


def overview(clients: list[Api]) -> tuple[float, list[float]]:
    """The page's load: the tenants, then their summaries over the browser's connections; its time and each
    summary's."""
    began = time.monotonic()
    tenants = every_page(clients[0], "/tenants")
    took: list[float] = []

    def summary(n: int) -> None:
        asked = time.monotonic()
        clients[n % len(clients)].call("GET", f"/tenants/{tenants[n]['id']}/summary")
        took.append(time.monotonic() - asked)

    with ThreadPoolExecutor(len(clients)) as pool:
        list(pool.map(summary, range(len(tenants))))
    return time.monotonic() - began, took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenants", type=int, default=100)
    parser.add_argument("--cloud-pcs", type=int, default=50, help="Cloud PC rows in each tenant")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--processes", type=int, default=1, help="the app's worker processes")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        azurite = Azurite(project_root=ROOT).start()
        emulator = EmulatorProcess(Path(tmp) / "emulator").start()
        tag = f"overview{args.tenants}"
        host = app_host(azurite, emulator, tag, Path(tmp), {PROCESS_COUNT_SETTING: str(args.processes)})
        try:
            token = emulator.user_token("admin")
            clients = [Api(f"{host.base_url}/api", requests.Session(), token) for _ in range(BROWSER_CONNECTIONS)]
            storage = table_storage(azurite.connection_string, prefix=tag)
            started = time.monotonic()
            for n in range(args.tenants):
                tenant = clients[0].call("POST", "/tenants", {"displayName": f"Customer {n + 1:03d}"})["id"]
                seed(storage, tenant, args.cloud_pcs)
            print(f"made {args.tenants} tenants of {args.cloud_pcs} Cloud PCs in {time.monotonic() - started:.1f} s")
            overview(clients)  # the gate's first reads of each tenant, as a signed-in admin's page has had them
            walls, summaries = [], []
            for _ in range(args.runs):
                wall, took = overview(clients)
                walls.append(wall)
                summaries += took
            before = RequestCounter.count
            clients[0].call("GET", f"/tenants/{every_page(clients[0], '/tenants')[0]['id']}/summary")
            table_requests = RequestCounter.count - before
        finally:
            host.stop()
            emulator.stop()
            azurite.stop()
    counted = f", {table_requests} Table requests" if args.processes == 1 else ""  # counted in this process
    print(
        f"Overview of {args.tenants} tenants (the tenants, then {args.tenants} summaries, {BROWSER_CONNECTIONS} at a "
        f"time) on {args.processes} worker process(es): min {min(walls):.2f} s, median {statistics.median(walls):.2f} "
        f"s, max {max(walls):.2f} s over {args.runs} loads (target {TARGET_S:.0f} s); a summary's median "
        f"{statistics.median(summaries) * 1000:.0f} ms{counted}",
        flush=True,
    )


if __name__ == "__main__":
    main()
