"""Kill the host mid fan-out, or mid reconcile; after a restart every Cloud PC exists exactly once."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from devhost.azurite import Azurite
from orchestrators import names
from shared.storage.account import table_storage
from shared.storage.cloud_pcs import CloudPcRepository
from tests.utils.api_client import ApiClient, eventually
from tests.utils.host_process import HostProcess, isolated_env
from tests.utils.wizard import Tenant

USERS = 100
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


SWEPT_USERS = 150


@pytest.fixture
def swept_host(
    azurite: Azurite, azure_environment: dict[str, str], tmp_path: Path, admin_token: str
) -> Iterator[HostProcess]:
    # the pending-start sweep every 2 s. The assignment's reconcile is the only one: no drift reconcile during the
    # test (its next run is on 1 January), and no change notifications (the users, made just before, would each
    # be reconciled too); the dead host's message stays leased for 10 minutes. Only the sweep can start what the
    # dead host left.
    env = isolated_env(
        azurite.connection_string,
        PENDING_SWEEP_SCHEDULE="*/2 * * * * *",
        DRIFT_RECONCILE_SCHEDULE="0 0 0 1 1 *",
        NOTIFICATION_URL="",
    )
    process = HostProcess(env, tmp_path / "durable.sqlite", tmp_path / "host.log", admin_token)
    yield process
    process.stop()


def test_a_crash_mid_reconcile_leaves_no_cloud_pc_pending_for_long(
    swept_host: HostProcess, azurite: Azurite, record_property: Callable[[str, object], None]
) -> None:
    host = swept_host
    api = host.start()
    tenant = Tenant(api)
    members = [f"user{i:03d}" for i in range(SWEPT_USERS)]
    for user in members:
        tenant.user(user, [PLAN])
    tenant.group("everyone", members)
    policy = tenant.policy()
    # read straight from the tables, so the kill lands while the reconcile creates Cloud PCs or starts their runs
    storage = table_storage(azurite.connection_string, host.env["TABLE_NAME_PREFIX"])
    rows = CloudPcRepository(storage)
    tenant.assign(policy, "everyone")
    assigned = time.monotonic()

    def creating() -> None:
        assert len(rows.list_all_cloud_pcs(tenant.id)) >= SWEPT_USERS // 2, "not half of the Cloud PCs yet"

    eventually(creating, timeout_s=120, interval_s=0.02)
    host.kill()
    killed_after = time.monotonic() - assigned
    left = Counter(c.status for c in rows.list_all_cloud_pcs(tenant.id))

    api = host.start()
    restarted = time.monotonic()
    prefix = names.cloud_pc_instance_prefix(tenant.id)
    runs = f"http://127.0.0.1:{host.port}/runtime/webhooks/durabletask/instances?instanceIdPrefix={prefix}"
    started_before = len(api.session.get(runs, timeout=60).json())  # what the dead host started
    orchestrated: list[float] = []  # when every Cloud PC had its orchestration (then each leaves pendingProvision)

    def all_started() -> None:
        if not orchestrated and len(api.session.get(runs, timeout=60).json()) == SWEPT_USERS:
            orchestrated.append(time.monotonic() - restarted)
        statuses = counts(api, tenant)
        assert sum(statuses.values()) == SWEPT_USERS and statuses["pendingProvision"] == 0, statuses

    eventually(all_started, timeout_s=300, interval_s=0.5)  # a generous deadline, never a timing claim
    started_after = time.monotonic() - restarted

    def all_provisioned() -> None:
        statuses = counts(api, tenant)
        assert statuses == Counter({"provisioned": SWEPT_USERS}), statuses

    eventually(all_provisioned, timeout_s=600, interval_s=1)
    provisioned_after = time.monotonic() - restarted
    orchestrated.append(started_after)  # (none leaves pendingProvision before its orchestration runs)
    measured = (
        f"killed {killed_after:.1f} s after the assignment, with {sum(left.values())} of {SWEPT_USERS} Cloud PCs "
        f"created ({left['pendingProvision']} pendingProvision, {started_before} with an orchestration); after the "
        "restart every one had its orchestration "
        f"in {orchestrated[0]:.1f} s, none was pendingProvision in {started_after:.1f} s, and all were provisioned "
        f"in {provisioned_after:.1f} s"
    )
    print(f"\npending-start sweep: {measured}")
    record_property("pending_start_sweep", measured)

    resources = tenant.resources()
    assert len(resources["virtualMachines"]) == SWEPT_USERS
    assert len({vm["name"] for vm in resources["virtualMachines"]}) == SWEPT_USERS
    assert len(resources["networkInterfaces"]) == SWEPT_USERS
    assert len(resources["intuneDevices"]) == SWEPT_USERS
    cloud_pcs = rows.list_all_cloud_pcs(tenant.id)
    assert sorted(tenant.name_of(c.user_id) for c in cloud_pcs) == members  # exactly one Cloud PC per user
    assert len({c.managed_device_name for c in cloud_pcs}) == SWEPT_USERS
