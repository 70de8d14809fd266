"""Kill the host in the middle of a 200-user fan-out; after a restart every Cloud PC exists exactly once."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from devhost.azurite import Azurite
from tests.utils.api_client import ApiClient, eventually
from tests.utils.host_process import HostProcess, isolated_env
from tests.utils.wizard import Tenant

USERS = 200
PLAN = "w365-enterprise-2vcpu-8gb-128gb"


@pytest.fixture
def host(
    azurite: Azurite, azure_environment: dict[str, str], tmp_path: Path, admin_token: str
) -> Iterator[HostProcess]:
    # a message being handled when the host died stays leased for minutes; the drift reconcile is the
    # backstop that starts Cloud PCs the dead host created but never started (hourly by default)
    env = isolated_env(azurite.connection_string, DRIFT_RECONCILE_SCHEDULE="*/5 * * * * *")
    process = HostProcess(env, tmp_path / "durable.sqlite", tmp_path / "host.log", admin_token)
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
    tenant.latency("createVm", 1.0)
    policy = tenant.policy()
    tenant.assign(policy, "everyone")

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
    resources = tenant.resources()
    assert len(resources["virtualMachines"]) == USERS
    assert len(resources["networkInterfaces"]) == USERS
    assert len({vm["name"] for vm in resources["virtualMachines"]}) == USERS
    assert len(resources["intuneDevices"]) == USERS
    cloud_pcs = api.get(f"{tenant.path}/cloudPCs?top=1000").json()["value"]
    assert sorted(tenant.name_of(c["userId"]) for c in cloud_pcs) == members
    assert len({c["managedDeviceName"] for c in cloud_pcs}) == USERS
