"""Overview benchmark: what the portal's overview page asks of the API across N tenants, timed as a browser asks it.

Run: .venv/bin/python -m bench.overview [--tenants 100] [--cloud-pcs 50] [--runs 5] [--processes 1]
Adds N tenants through the API and seeds each with Cloud PC rows straight into the app's table (their provisioning
is not what is measured), then times what portal/src/pages/overview.js loads (models/tenants.js `summaries`): every
tenant's summary in one request (`GET /summaries`, its largest page), on devhost's one worker process (or
FUNCTIONS_WORKER_PROCESS_COUNT=--processes). Beside it, the way the page asked before: the list of tenants, then each
tenant's summary, six requests at a time as a browser sends them to one host over HTTP/1.1. Prints min, median and
max of each over the runs, and on one process the Table requests of each (one query per collection across the
tenants, against the gate's reads and one query per collection for each tenant).
"""

from __future__ import annotations

import argparse
import logging
import statistics
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests

from bench.portal import seed
from bench.scenario import Api, app_host, storage_and_azure
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


def one_request(api: Api) -> float:
    """The page's load: every tenant's summary in one request; its time."""
    began = time.monotonic()
    every_page(api, "/summaries?top=1000")
    return time.monotonic() - began


def per_tenant(clients: list[Api]) -> float:
    """The page's load before: the tenants, then their summaries over the browser's connections; its time."""
    began = time.monotonic()
    tenants = every_page(clients[0], "/tenants")

    def summary(n: int) -> None:
        clients[n % len(clients)].call("GET", f"/tenants/{tenants[n]['id']}/summary")

    with ThreadPoolExecutor(len(clients)) as pool:
        list(pool.map(summary, range(len(tenants))))
    return time.monotonic() - began


def table_requests(load: Callable[[], object]) -> int:
    before = RequestCounter.count
    load()
    return RequestCounter.count - before


def spread(walls: list[float]) -> str:
    return f"min {min(walls):.2f} s, median {statistics.median(walls):.2f} s, max {max(walls):.2f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenants", type=int, default=100)
    parser.add_argument("--cloud-pcs", type=int, default=50, help="Cloud PC rows in each tenant")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--processes", type=int, default=1, help="the app's worker processes")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    with storage_and_azure() as (azurite, emulator, workdir):
        tag = f"overview{args.tenants}"
        host = app_host(azurite, emulator, tag, workdir, {PROCESS_COUNT_SETTING: str(args.processes)})
        try:
            token = emulator.user_token("admin")
            clients = [Api(f"{host.base_url}/api", requests.Session(), token) for _ in range(BROWSER_CONNECTIONS)]
            storage = table_storage(azurite.connection_string, prefix=tag)
            started = time.monotonic()
            for n in range(args.tenants):
                tenant = clients[0].call("POST", "/tenants", {"displayName": f"Customer {n + 1:03d}"})["id"]
                seed(storage, tenant, args.cloud_pcs)
            print(f"made {args.tenants} tenants of {args.cloud_pcs} Cloud PCs in {time.monotonic() - started:.1f} s")
            per_tenant(clients)  # the gate's first reads of each tenant, as a signed-in admin's page has had them
            one_request(clients[0])
            walls = [one_request(clients[0]) for _ in range(args.runs)]
            before = [per_tenant(clients) for _ in range(args.runs)]
            requests_now = table_requests(lambda: one_request(clients[0]))
            requests_before = table_requests(lambda: per_tenant(clients))
        finally:
            host.stop()
    counted = (
        f"; Table requests {requests_now}, before {requests_before}" if args.processes == 1 else ""
    )  # counted in this process
    print(
        f"Overview of {args.tenants} tenants in one request on {args.processes} worker process(es): "
        f"{spread(walls)} over {args.runs} loads (target {TARGET_S:.0f} s); before (the tenants, then "
        f"{args.tenants} summaries, {BROWSER_CONNECTIONS} at a time): {spread(before)}{counted}",
        flush=True,
    )


if __name__ == "__main__":
    main()
