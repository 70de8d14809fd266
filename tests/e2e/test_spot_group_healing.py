"""A broken pooled host healed end to end: its agent fails while its VM runs, the optimization finds it unhealthy,
and once it stayed so for the delay the host is drained, its user told, and rebuilt in place; the rebuilt host takes
sessions again.

As in the scaling test, the delay cannot pass on the wall clock: the run that decides is the domain function the
timer calls, given a `now` past the delay, and the timer's next run starts the replacement it decided.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from shared.services.spot_pc import spot_group_power
from shared.services.spot_pc.host_health import HEAL_AFTER
from shared.services.spot_pc.spot_group_hosts import HEAL_TITLE
from tests.e2e.test_spot_group_day import Pool
from tests.e2e.test_spot_group_scaling import hosts_of
from tests.e2e.test_spot_groups import group_body, ready_version, run_optimization, settled
from tests.utils.api_client import ApiClient, eventually
from tests.utils.wizard import CLOUD_PC_RG, Tenant

if TYPE_CHECKING:
    from shared.bootstrap import Services


def test_a_broken_host_is_drained_its_user_told_and_rebuilt_and_takes_sessions_again(
    api: ApiClient, app_services: Services
) -> None:
    tenant = Tenant(api)
    tenant.group("sales", ["ann"])
    made = api.created(f"{tenant.path}/spotGroups", group_body(tenant, ready_version(api, tenant), licenseCount=4))
    group = f"{tenant.path}/spotGroups/{made['id']}"
    assert settled(api, group)["sessionHostCounts"]["running"] == 2
    pool = Pool(tenant, "spotpc-sales-desktops")
    assert pool.load(2)["refused"] == 0  # breadth-first: one user on each host
    broken = sorted(hosts_of(api, group))[0]
    vm_before = tenant.arm.vm(CLOUD_PC_RG, broken)
    assert vm_before is not None
    agent = pool.arm.session.put(
        f"{pool.control}/sessionHosts/{broken}/agent", json={"status": "NoHeartbeat"}, timeout=30
    )
    assert agent.status_code == 200, agent.text

    run_optimization(api)  # found unhealthy: marked, not yet replaced

    def marked() -> None:
        assert hosts_of(api, group)[broken]["unhealthySince"] is not None

    eventually(marked, timeout_s=60)
    ports = app_services.spot_group_work
    later = dt.datetime.now(dt.UTC) + HEAL_AFTER + dt.timedelta(minutes=5)
    asked = spot_group_power.optimize(ports, ports.spot_groups.get_spot_group(tenant.id, made["id"]), later)
    index = hosts_of(api, group)[broken]["index"]
    assert [(r.host_work, r.host) for r in asked.scale] == [("replace", index)]
    row = hosts_of(api, group)[broken]
    assert (row["status"], row["allowNewSession"], row["statusDetail"]["code"]) == ("removing", False, "hostUnhealthy")
    told = [m for m in pool.messages() if m["messageTitle"] == HEAL_TITLE]
    assert [m["sessionHostName"].split(".")[0].lower() for m in told] == [broken]  # its one user, before anything
    heal = [e for e in api.get(f"{group}/events").json()["value"] if e["action"] == "heal"]
    assert [e["host"] for e in heal] == [broken] and "NoHeartbeat" in heal[0]["reason"], heal
    assert "1 user told" in heal[0]["reason"], heal

    user = next(upn for upn, host in pool.sessions().items() if host == broken)
    signed_out = pool.arm.session.post(f"{pool.control}/signOuts", json={"userPrincipalName": user}, timeout=30)
    assert signed_out.status_code == 200, signed_out.text  # the user did as told
    run_optimization(api)  # starts the replacement the run above decided

    def rebuilt() -> None:
        row = hosts_of(api, group)[broken]
        assert row["status"] == "running" and row["unhealthySince"] is None, row
        vm = tenant.arm.vm(CLOUD_PC_RG, broken)
        assert vm is not None and vm["properties"]["vmId"] != vm_before["properties"]["vmId"]

    eventually(rebuilt, timeout_s=180)
    assert pool.load(4)["refused"] == 0  # both hosts take sessions again
    assert broken in set(pool.sessions().values())
