"""A scaling pooled Spot Group end to end: a load above its hosts makes hosts, which take the users refused before;
idle hosts are deleted once unneeded past the group's delay, with their VMs, NICs and disks.

The optimization runs through the app's own timer (the host's admin endpoint), at the wall clock's time; the delay
cannot pass on the wall clock, so one run is the domain function the timer calls, given a `now` past the delay
(as the working-day test drives it), and the timer's next run starts the deletion that run decided: every host being
made or deleted is started again at each run, so one whose start was lost is never left behind.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from shared.services.spot_pc import spot_group_power
from tests.e2e.test_spot_group_day import Pool
from tests.e2e.test_spot_groups import group_body, ready_version, run_optimization, settled
from tests.utils.api_client import ApiClient, eventually
from tests.utils.wizard import CLOUD_PC_RG, Tenant

if TYPE_CHECKING:
    from shared.bootstrap import Services

SCALING = {"baseHosts": 1, "bufferSessions": 0, "maxHosts": 3, "deleteAfterMinutes": 10}


def hosts_of(api: ApiClient, group: str) -> dict[str, dict[str, Any]]:
    return {h["name"]: h for h in api.get(f"{group}/sessionHosts").json()["value"]}


def test_a_load_above_the_hosts_makes_hosts_and_idle_ones_go_with_their_vms_nics_and_disks(
    api: ApiClient, app_services: Services
) -> None:
    tenant = Tenant(api)
    tenant.group("sales", ["ann"])
    body = group_body(tenant, ready_version(api, tenant), licenseCount=8, scaling=SCALING)  # ceiling 3 of 4
    made = api.created(f"{tenant.path}/spotGroups", body)
    group = f"{tenant.path}/spotGroups/{made['id']}"
    assert settled(api, group)["status"] == "ready"
    (first,) = hosts_of(api, group)  # the base
    pool = Pool(tenant, "spotpc-sales-desktops")

    # 3 users on 2 sessions: one refused; the optimization makes a second host, which takes them
    assert pool.load(3)["refused"] == 1
    run_optimization(api)

    def grown() -> dict[str, dict[str, Any]]:
        hosts = hosts_of(api, group)
        assert len(hosts) == 2 and all(h["status"] == "running" for h in hosts.values()), hosts
        return hosts

    (second,) = set(eventually(grown, timeout_s=180)) - {first}
    assert pool.load(3)["refused"] == 0
    assert set(pool.sessions().values()) == {first, second}
    lines = [e for e in api.get(f"{group}/events").json()["value"] if e["action"] == "create"]
    assert [(e["host"], e["outcome"]) for e in lines] == [(second, "done")], lines
    assert "ceiling 3" in lines[0]["reason"], lines[0]

    # everybody leaves: the second host is deallocated as idle, and deleted once unneeded for the delay
    pool.load(0)
    run_optimization(api)
    pool.settled(second, "deallocated")
    ports = app_services.spot_group_work
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=SCALING["deleteAfterMinutes"] + 5)
    asked = spot_group_power.optimize(ports, ports.spot_groups.get_spot_group(tenant.id, made["id"]), later)
    assert [(r.host_work, r.host) for r in asked.scale] == [("remove", hosts_of(api, group)[second]["index"])]
    run_optimization(api)  # starts the deletion the run above decided

    def shrunk() -> None:
        assert set(hosts_of(api, group)) == {first}
        assert {vm["name"] for vm in tenant.arm.vms(CLOUD_PC_RG)} >= {first}
        assert second not in {vm["name"] for vm in tenant.arm.vms(CLOUD_PC_RG)}
        assert not [nic for nic in tenant.arm.nics(CLOUD_PC_RG) if nic["name"].startswith(second)]
        assert not [disk for disk in tenant.arm.disks(CLOUD_PC_RG) if disk["name"].startswith(second)]

    eventually(shrunk, timeout_s=180)
    deleted = [e for e in api.get(f"{group}/events").json()["value"] if e["action"] == "delete"]
    assert [e["host"] for e in deleted] == [second] and "unneeded" in deleted[0]["reason"], deleted
    assert api.get(group).json()["sessionHostCounts"]["total"] == 1
