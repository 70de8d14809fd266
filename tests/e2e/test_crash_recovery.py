"""Kill the host in the middle of a 200-user fan-out; after a restart every Cloud PC exists exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from devhost.azurite import Azurite, free_port
from tests.conftest import PROJECT_ROOT
from tests.utils.api_client import ApiClient, eventually
from tests.utils.factories import unique_table_prefix
from tests.utils.wizard import Tenant

USERS = 200
PLAN = "w365-enterprise-2vcpu-8gb-128gb"


class HostProcess:
    """`python -m devhost` as a separate process, so it can die the hard way."""

    def __init__(self, env: dict[str, str], store: Path, log: Path) -> None:
        self.env, self.store, self.log = env, store, log
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> ApiClient:
        args = [sys.executable, "-m", "devhost", "--app-dir", str(PROJECT_ROOT), "--port", str(self.port)]
        args += ["--durable-store", str(self.store)]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                args, cwd=PROJECT_ROOT, env={**os.environ, **self.env}, stdout=log, stderr=log
            )
        api = ApiClient(f"http://127.0.0.1:{self.port}/api")

        def serving() -> None:
            assert self.process is not None and self.process.poll() is None, self.log.read_text()[-2000:]
            try:
                assert api.get("/health").status_code == 200
            except OSError as exc:
                raise AssertionError(str(exc)) from exc

        eventually(serving, timeout_s=60)
        return api

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)


@pytest.fixture
def host(azurite: Azurite, tmp_path: Path) -> Iterator[HostProcess]:
    prefix = unique_table_prefix()
    env = {
        "AzureWebJobsStorage": azurite.connection_string,
        "TABLE_NAME_PREFIX": prefix,
        "LOCAL_SECRET_KEY": "crash-test-key",
        "DIRECTORY_EVENTS_QUEUE": f"events-{prefix}",
    }
    process = HostProcess(env, tmp_path / "durable.sqlite", tmp_path / "host.log")
    yield process
    process.stop()


def counts(api: ApiClient, tenant: Tenant) -> Counter[str]:
    statuses: Counter[str] = Counter()
    link: str | None = f"{tenant.path}/cloudPCs?top=1000"
    while link:
        body = api.get(link).json()
        statuses.update(c["status"] for c in body["value"])
        link = body.get("nextLink")
    return statuses


def test_a_crash_mid_fan_out_loses_and_duplicates_nothing(host: HostProcess) -> None:
    api = host.start()
    tenant = Tenant(api)
    members = [f"user{i:03d}" for i in range(USERS)]
    for user in members:
        tenant.user(user, [PLAN])
    tenant.group("everyone", members)
    # VM creation takes a while, as in Azure: the kill lands while orchestrations wait on their timers
    assert api.put(f"{tenant.sim}/latency/createVm", {"seconds": 1.0}).status_code == 200
    policy = tenant.policy()
    assert api.post(
        f"{tenant.path}/provisioningPolicies/{policy['id']}/assign", {"assignments": [{"groupId": "everyone"}]}
    ).ok

    def mid_fan_out() -> None:
        statuses = counts(api, tenant)
        assert sum(statuses.values()) == USERS, statuses
        assert statuses["provisioning"] > 0, statuses  # orchestrations are under way, and not all done

    eventually(mid_fan_out, timeout_s=240, interval_s=0.05)
    host.kill()

    api = host.start()

    def all_provisioned() -> Counter[str]:
        statuses = counts(api, tenant)
        assert statuses == Counter({"provisioned": USERS}), statuses
        return statuses

    eventually(all_provisioned, timeout_s=600, interval_s=1)
    resources: dict[str, Any] = api.get(f"{tenant.sim}/resources").json()
    assert len(resources["virtualMachines"]) == USERS
    assert len(resources["networkInterfaces"]) == USERS
    assert len({vm["name"] for vm in resources["virtualMachines"]}) == USERS
    assert len(resources["intuneDevices"]) == USERS
    cloud_pcs = api.get(f"{tenant.path}/cloudPCs?top=1000").json()["value"]
    assert sorted(c["userId"] for c in cloud_pcs) == members
    assert len({c["managedDeviceName"] for c in cloud_pcs}) == USERS
