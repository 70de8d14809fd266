"""What the benchmarks stand on: the customer's tenant in the emulator (licensed users in a group, the Cloud PCs'
resource group, the app onboarded), the app on devhost pointed at it, and a client of either's API."""

from __future__ import annotations

import json
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import requests

from azure_emulator.launcher import EmulatorProcess
from devhost.azurite import Azurite, free_port
from devhost.host import DevHost
from shared.catalog.service_plans import SERVICE_PLANS_BY_ID
from tests.utils.onboarding import grant_app

ROOT = Path(__file__).resolve().parent.parent
PLAN = "w365-enterprise-2vcpu-8gb-128gb"
SUBSCRIPTION = "6f9619ff-8b86-d011-b42d-00cf4fc964ff"
# every bench's provisioning policy: a gallery image, Entra joined, in West Europe
BENCH_POLICY = {
    "displayName": "Bench",
    "imageType": "gallery",
    "imageId": "microsoftwindowsdesktop_windows-ent-cpc_win11-24h2-ent-cpc-m365",
    "domainJoinConfigurations": [{"domainJoinType": "azureADJoin", "regionName": "westeurope"}],
}
GRAPH_BUDGETS = (
    "graph",
    "graphWrites",
    "graphAppResourceUnits",
    "graphAppWrites",
    "graphTenantWrites",
    "graphGlobal",
    "graphIntuneWrites",
)  # the names of azure_emulator/graph/throttling.py's budgets


class Api:
    def __init__(self, base: str, session: requests.Session | None = None, token: str | None = None) -> None:
        self.base, self.session = base, session or requests.Session()
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"

    def call(self, method: str, path: str, body: Any = None) -> Any:
        reply = self.session.request(method, f"{self.base}{path}", json=body, timeout=120)
        while reply.status_code == 429:  # Graph throttles an admin's script too: it waits as told
            time.sleep(float(reply.headers.get("Retry-After") or 1))
            reply = self.session.request(method, f"{self.base}{path}", json=body, timeout=120)
        if reply.status_code >= 300:
            raise RuntimeError(f"{method} {path}: {reply.status_code} {reply.text}")
        return reply.json() if reply.text else None


def directory(emulator: EmulatorProcess, entra_tenant: str, users: int) -> str:
    """What the customer's admin has in Entra ID: N users, each with the plan's license, in one group."""
    session = emulator.session()
    token = session.post(f"{emulator.base_url}/emulator/token", json={"tenantId": entra_tenant}).json()
    graph = Api(f"{emulator.base_url}/graph/v1.0", session, token["access_token"])
    sku = SERVICE_PLANS_BY_ID[PLAN].sku_id
    everyone = {"displayName": "Everyone", "mailNickname": "everyone", "mailEnabled": False, "securityEnabled": True}
    group = graph.call("POST", "/groups", everyone)
    for n in range(users):
        user = graph.call(
            "POST",
            "/users",
            {
                "displayName": f"User {n}",
                "userPrincipalName": f"user{n:05d}@contoso.com",
                "mailNickname": f"user{n:05d}",
                "accountEnabled": True,
                "usageLocation": "US",
                "passwordProfile": {"password": f"Bench-{uuid.uuid4().hex}", "forceChangePasswordNextSignIn": True},
            },
        )
        graph.call(
            "POST", f"/users/{user['id']}/assignLicense", {"addLicenses": [{"skuId": sku}], "removeLicenses": []}
        )
        graph.call(
            "POST",
            f"/groups/{group['id']}/members/$ref",
            {"@odata.id": f"{emulator.base_url}/graph/v1.0/directoryObjects/{user['id']}"},
        )
    return str(group["id"])


def resource_group(emulator: EmulatorProcess, entra_tenant: str, subscription: str = SUBSCRIPTION) -> None:
    """The tenant's resource group for Cloud PCs in its subscription, and the app onboarded in the tenant."""
    session = emulator.session()
    token = session.post(
        f"{emulator.base_url}/emulator/token",
        json={"tenantId": entra_tenant, "audience": "https://management.azure.com"},
    ).json()
    arm = Api(f"{emulator.base_url}/arm", session, token["access_token"])
    arm.call(
        "PUT",
        f"/subscriptions/{subscription}/resourcegroups/rg-cloudpcs?api-version=2021-04-01",
        {"location": "westeurope"},
    )
    grant_app(emulator, entra_tenant, subscription)  # the tenant's admin has onboarded the app: consent, its role


@contextmanager
def storage_and_azure() -> Iterator[tuple[Azurite, EmulatorProcess, Path]]:
    """A benchmark's Azurite and Azure emulator, and a scratch folder; both stopped at the end, whatever happened."""
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        azurite = Azurite(project_root=ROOT).start()
        stack.callback(azurite.stop)
        emulator = EmulatorProcess(Path(tmp) / "emulator").start()
        stack.callback(emulator.stop)
        yield azurite, emulator, Path(tmp)


def app_host(
    azurite: Azurite, emulator: EmulatorProcess, tag: str, workdir: Path, settings: dict[str, str] | None = None
) -> DevHost:
    """The app on devhost, its tables and queues named by `tag`, pointed at this Azurite and emulator, with any
    other `settings`; started."""
    port = free_port()
    env = {
        **emulator.app_settings(f"http://127.0.0.1:{port}/api/directoryNotifications"),
        "AzureWebJobsStorage": azurite.connection_string,
        "TABLE_NAME_PREFIX": tag,
        "DIRECTORY_EVENTS_QUEUE": f"bench-{tag}",
        "BULK_ACTIONS_QUEUE": f"bench-bulk-{tag}",
        **(settings or {}),
    }
    host = DevHost(ROOT, env=env, port=port, durable_store_path=workdir / f"durable-{tag}.sqlite")
    host.start()
    return host


def cpu_calibration_ms() -> float:
    """The CPU a fixed piece of pure Python (JSON and dicts, as the app's work) takes on this machine, in ms: the
    median of five. Figures of CPU per Cloud PC from two machines compare roughly as multiples of it (sessions are not
    always given the same machine, and one was about twice as fast as the next), and it shows the machine's own
    drift: taken before and after one run, it has differed by a third. Changes are compared in turns on one
    machine (A B A B), never by one run against a figure of another day."""
    document = {f"field{i}": {"id": str(i), "values": list(range(20)), "on": i % 2 == 0} for i in range(200)}
    taken = []
    for _ in range(5):
        began = time.process_time()
        for _ in range(50):
            json.loads(json.dumps(document))
            sorted(document.items(), key=lambda item: str(item[1]["id"]))
        taken.append(time.process_time() - began)
    return sorted(taken)[2] * 1000


def print_result(result: dict[str, Any]) -> None:
    """A benchmark's figures on one line, `name=value`, floats to two places."""
    print("  ".join(f"{k}={v:.2f}" if isinstance(v, float) else f"{k}={v}" for k, v in result.items()), flush=True)
