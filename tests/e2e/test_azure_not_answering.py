"""A hung Azure (the emulator stopped, so it takes requests and answers none) during a provisioning fan-out: the app's
API still answers at once, and the Cloud PCs' timelines show the service that did not answer."""

from __future__ import annotations

import os
import re
import signal
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from azure_emulator.launcher import EmulatorProcess
from shared.cloud.azure.transport import ARM_PATIENCE, GRAPH_PATIENCE
from tests.utils.api_client import ApiClient, eventually
from tests.utils.wizard import Tenant

PLAN = "w365-enterprise-2vcpu-8gb-128gb"
# more Cloud PCs than the worker has threads (host.json lets 16 activities run at once): each waits on Azure at once
USERS = [f"u{index}" for index in range(16)]
# a call's own timeout, or a step's wait for a thread that calls to the silent service held (said once per stall)
NOT_ANSWERING = re.compile(r"^\w+: (Azure Resource Manager|Microsoft Graph) did not answer( within \d+ s;|, and )")
# a call waits at most two connects and one read; then the step's next call, after a poll's wait, waits as long
ONE_CALL_S = max(2 * p.connect_s + p.read_s for p in (ARM_PATIENCE, GRAPH_PATIENCE))
STALL_S = 2 * ONE_CALL_S


@contextmanager
def frozen(emulator: EmulatorProcess) -> Iterator[None]:
    """The emulator stopped (not refusing: its sockets take connections and requests, and nothing answers); always
    resumed after."""
    assert emulator.process is not None
    os.kill(emulator.process.pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(emulator.process.pid, signal.SIGCONT)


def held_lines(api: ApiClient, tenant: Tenant, reads: list[float] | None = None) -> list[dict[str, Any]]:
    """The Cloud PCs' lines of a service that did not answer; each read's time in `reads`."""

    def read(path: str) -> list[dict[str, Any]]:
        started = time.monotonic()
        reply = api.get(f"{tenant.path}/{path}")
        if reads is not None:
            reads.append(time.monotonic() - started)
        assert reply.status_code == 200, reply.text
        return list(reply.json()["value"])

    read("cloudPCs?top=5")  # what the portal's first page asks
    lines = []
    for cloud_pc in read("cloudPCs?top=100"):
        events = read(f"cloudPCs/{cloud_pc['id']}/events")
        lines += [e for e in events if e["name"] == "heldByAzure" and e["code"] == "serviceNotAnswering"]
    return lines


def test_a_hung_azure_holds_no_api_read_and_shows_on_the_timeline(
    api: ApiClient, azure_emulator: EmulatorProcess
) -> None:
    tenant = Tenant(api)
    for user in USERS:
        tenant.user(user, [PLAN])
    tenant.group("fanout", USERS)
    tenant.latency("createVm", 20.0)  # the VMs are still being made, and polled, when Azure stops answering
    tenant.assign(tenant.policy(), "fanout")

    def creating() -> None:
        assert len(tenant.resources()["virtualMachines"]) == len(USERS)

    eventually(creating, timeout_s=120.0)
    # a page with a next one, as a running app has served before: its link is signed with the app's key, which the
    # app reads from its Key Vault once (the emulator's, frozen below), and keeps
    assert "nextLink" in api.get(f"{tenant.path}/cloudPCs?top=5").json()
    reads: list[float] = []  # how long each read of the app's own state took while Azure did not answer

    waiting: set[str] = set()  # the Cloud PCs not yet provisioned when Azure stopped answering

    def stalled() -> None:
        said = {line["cloudPcId"] for line in held_lines(api, tenant, reads)}
        # a Cloud PC whose last call to Azure was answered before the freeze (a loaded machine runs the test's own
        # steps slowly) finishes without one; every other one waits on Azure, and says so
        found = api.get(f"{tenant.path}/cloudPCs?top=100").json()["value"]
        waiting.clear()
        waiting.update(c["id"] for c in found if c["status"] != "provisioned")
        assert waiting, "every Cloud PC was provisioned before Azure stopped answering"
        assert waiting - said == set(), f"{len(waiting - said)} Cloud PCs wait on Azure and have not said so"

    with frozen(azure_emulator):
        # read until the stall is on every Cloud PC's own timeline: every activity thread waits on Azure meanwhile
        eventually(stalled, timeout_s=STALL_S + 60.0, interval_s=0.5)  # a bound for a loaded machine
    # a read never waits on Azure: as quick as ever (under a second), and on a machine busy with other work too never
    # near a call's timeout, as one would be that queued behind the threads Azure holds (they took 9.7 to 58.9 s)
    took = f"the app's own reads took {statistics.median(reads):.2f} s (median), up to {max(reads):.1f} s"
    assert statistics.median(reads) < 1.0 and max(reads) < 5.0, took

    def settled() -> list[dict[str, Any]]:
        found = api.get(f"{tenant.path}/cloudPCs?top=100").json()["value"]
        assert [c["status"] for c in found] == ["provisioned"] * len(USERS)
        return list(found)

    eventually(settled, timeout_s=180.0)
    lines = held_lines(api, tenant)
    assert {line["cloudPcId"] for line in lines} >= waiting
    assert all(NOT_ANSWERING.match(line["message"]) for line in lines), [line["message"] for line in lines]
    assert all("spending no attempt" in line["message"] for line in lines)
