"""Provisioning benchmark: N licensed users assigned at once, through devhost and the simulated cloud.

Run: .venv/bin/python -m bench.provisioning [--users 100 1000 5000] [--latency 0] [--vm-rate 500] [--vm-burst 1500]
Prints wall time, Cloud PCs per second, activity invocations, history events replayed and Table
transactions per Cloud PC; with --latency it also prints the ratio to the lower bound
max(one Cloud PC's latency, (N - the burst) / the simulated VM-create rate).
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import time
from pathlib import Path
from typing import Any

import requests
from azure.storage.queue import QueueClient

from devhost.azurite import Azurite
from devhost.durable.engine import DurableEngine
from devhost.durable.instance import TERMINAL
from devhost.host import DevHost
from orchestrators import names
from shared.storage.tables import RequestCounter

ROOT = Path(__file__).resolve().parent.parent
PLAN = "w365-enterprise-2vcpu-8gb-128gb"
STEPS_PER_CLOUD_PC = 12  # 6 core + 5 post-provisioning (no local admin) + assignment


class Api:
    def __init__(self, base: str) -> None:
        self.base, self.session = base, requests.Session()

    def call(self, method: str, path: str, body: Any = None) -> Any:
        reply = self.session.request(method, f"{self.base}/api{path}", json=body, timeout=120)
        if reply.status_code >= 300:
            raise RuntimeError(f"{method} {path}: {reply.status_code} {reply.text}")
        return reply.json() if reply.text else None


def settled(api: Api, tenant: str) -> bool:
    """Nothing left pending or provisioning (two queries of one row each: cheap to poll)."""
    return all(
        not api.call("GET", f"/tenants/{tenant}/cloudPCs?status={status}&top=1")["value"]
        for status in ("pendingProvision", "provisioning")
    )


def drain(queue: QueueClient) -> None:
    """Wait until every message of the queue has been handled (the count includes messages being handled)."""
    while queue.get_queue_properties().approximate_message_count:
        time.sleep(0.5)


def runs_ended(engine: DurableEngine, tenant: str) -> int:
    prefix = names.cloud_pc_instance_prefix(tenant)
    return sum(1 for i in list(engine.instances.values()) if i.instance_id.startswith(prefix) and i.status in TERMINAL)


def statuses(api: Api, tenant: str) -> dict[str, int]:
    found: dict[str, int] = {}
    link: str | None = f"/tenants/{tenant}/cloudPCs?top=1000"
    while link:
        body = api.call("GET", link)
        for cloud_pc in body["value"]:
            found[cloud_pc["status"]] = found.get(cloud_pc["status"], 0) + 1
        link = body.get("nextLink", "").split("/api", 1)[-1] or None
    return found


def run(users: int, latency_s: float, vm_rate: int, vm_burst: int, azurite: Azurite, workdir: Path) -> dict[str, float]:
    env = {
        "AzureWebJobsStorage": azurite.connection_string,
        "TABLE_NAME_PREFIX": f"b{users}l{int(latency_s * 1000)}",
        "LOCAL_SECRET_KEY": "bench",
        "DIRECTORY_EVENTS_QUEUE": f"bench-{users}-{int(latency_s * 1000)}",
        "SIMULATOR_STEP_LATENCY": f"PT{latency_s}S",
        "SIMULATOR_VM_CREATES_PER_MINUTE": str(vm_rate),
        "SIMULATOR_VM_CREATE_BURST": str(vm_burst),
    }
    host = DevHost(ROOT, env=env, port=0, durable_store_path=workdir / f"durable-{users}-{latency_s}.sqlite")
    host.start()
    try:
        api = Api(host.base_url)
        tenant = api.call("POST", "/tenants", {"displayName": f"Bench {users}"})["id"]
        api.call(
            "POST",
            f"/tenants/{tenant}/sites",
            {
                "displayName": "EU",
                "regionName": "westeurope",
                "resourceGroupName": "rg",
                "subscriptionId": "6f9619ff-8b86-d011-b42d-00cf4fc964ff",
            },
        )
        members = [f"user{i:05d}" for i in range(users)]
        for user in members:
            api.call(
                "PUT",
                f"/sim/tenants/{tenant}/users/{user}",
                {"userPrincipalName": f"{user}@contoso.com", "licenses": [PLAN]},
            )
        api.call("PUT", f"/sim/tenants/{tenant}/groups/everyone", {"displayName": "Everyone", "members": members})
        policy = api.call(
            "POST",
            f"/tenants/{tenant}/provisioningPolicies",
            {
                "displayName": "Bench",
                "imageType": "gallery",
                "imageId": "microsoftwindowsdesktop_windows-ent-cpc_win11-24h2-ent-cpc-m365",
                "domainJoinConfigurations": [{"domainJoinType": "azureADJoin", "regionName": "westeurope"}],
            },
        )
        # The setup's own directory messages (one per user) are not part of the measurement
        drain(QueueClient.from_connection_string(azurite.connection_string, env["DIRECTORY_EVENTS_QUEUE"]))
        engine = host.engine
        assert engine is not None
        before = (engine.stats.activities, engine.stats.events_replayed, RequestCounter.count)
        started = time.monotonic()
        api.call(
            "POST",
            f"/tenants/{tenant}/provisioningPolicies/{policy['id']}/assign",
            {"assignments": [{"groupId": "everyone"}]},
        )
        # Every run's orchestration ends after its Cloud PC settled; counting them in the engine costs the
        # storage nothing, where polling the API would scan the tenant's Cloud PCs twice a second.
        while runs_ended(engine, tenant) < users or not settled(api, tenant):
            time.sleep(0.5)
        wall = time.monotonic() - started
        found = statuses(api, tenant)
        activities = engine.stats.activities - before[0]
        replayed = engine.stats.events_replayed - before[1]
        requests_made = RequestCounter.count - before[2]
    finally:
        host.stop()
    result = {
        "users": users,
        "wall_s": wall,
        "cloud_pcs_per_s": users / wall,
        "activities": activities,
        "activities_per_cloud_pc": activities / users,
        "events_replayed": replayed,
        "events_replayed_per_cloud_pc": replayed / users,
        "table_transactions_per_cloud_pc": requests_made / users,
        "failed": found.get("failed", 0),
    }
    if latency_s:
        one_cloud_pc = STEPS_PER_CLOUD_PC * latency_s
        result["lower_bound_s"] = max(one_cloud_pc, max(users - vm_burst, 0) / (vm_rate / 60))
        result["ratio_to_lower_bound"] = wall / result["lower_bound_s"]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--latency", type=float, default=0.0, help="simulated seconds per step")
    parser.add_argument("--vm-rate", type=int, default=500, help="simulated VM creates per minute")
    parser.add_argument("--vm-burst", type=int, default=1500, help="simulated VM creates allowed before the refill")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        azurite = Azurite(project_root=ROOT).start()
        try:
            for users in args.users:
                result = run(users, args.latency, args.vm_rate, args.vm_burst, azurite, Path(tmp))
                print(
                    "  ".join(f"{k}={v:.2f}" if isinstance(v, float) else f"{k}={v}" for k, v in result.items()),
                    flush=True,
                )
        finally:
            azurite.stop()


if __name__ == "__main__":
    main()
