"""A broken personal host repaired in place end to end: its agent fails, and while it stays broken the optimization
restarts it, then installs its agent again, which mends it; broken again past both, it is replaced only once its
user's consent comes through the API, and is rebuilt from the group's image.

The repair's delays cannot pass on the wall clock: each run is the domain function the timer calls for a personal
group, given a `now` a delay later (as the working-day test drives the pooled optimization).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from shared.services.spot_pc import spot_group_hosts
from shared.services.spot_pc.host_health import HEAL_AFTER
from tests.e2e.test_spot_group_day import Pool
from tests.e2e.test_spot_groups import group_body, ready_version, settled
from tests.utils.api_client import ApiClient, eventually
from tests.utils.wizard import CLOUD_PC_RG, Tenant

if TYPE_CHECKING:
    from shared.bootstrap import Services


def test_a_broken_personal_host_is_restarted_then_its_agent_reinstalled_and_replaced_only_with_consent(
    api: ApiClient, app_services: Services
) -> None:
    tenant = Tenant(api)
    tenant.group("sales", ["ann"])
    body = group_body(tenant, ready_version(api, tenant), userType="personal", licenseCount=1, maxSessionsPerHost=None)
    made = api.created(f"{tenant.path}/spotGroups", body)
    group = f"{tenant.path}/spotGroups/{made['id']}"
    assert settled(api, group)["status"] == "ready"
    [name] = [h["name"] for h in api.get(f"{group}/sessionHosts").json()["value"]]
    pool = Pool(tenant, "spotpc-sales-desktops")

    def host() -> dict[str, Any]:
        return dict(api.get(f"{group}/sessionHosts").json()["value"][0])

    def agent(status: str) -> None:
        reply = pool.arm.session.put(f"{pool.control}/sessionHosts/{name}/agent", json={"status": status}, timeout=30)
        assert reply.status_code == 200, reply.text

    ports = app_services.spot_group_work
    stored = ports.spot_groups.get_spot_group(tenant.id, made["id"])
    t0 = dt.datetime.now(dt.UTC)

    def repair(at: dt.datetime) -> None:
        assert spot_group_hosts.repair(ports, stored, at, at) == []  # nothing to rebuild without consent

    agent("NoHeartbeat")
    repair(t0)
    assert host()["unhealthySince"] is not None and host()["repairs"] == 0
    repair(t0 + HEAL_AFTER)  # restarted: the agent stays broken
    assert host()["repairs"] == 1
    repair(t0 + 2 * HEAL_AFTER)  # its agent installed again: that mends it

    def mended() -> None:
        assert (
            host()["sessionCount"] == 0
            and pool.arm.session.get(f"{pool.control}/sessionCounters", timeout=30).status_code == 200
        )
        records = api.get(f"{group}/sessionHosts").json()["value"]
        assert records[0]["powerState"] == "running", records  # Available again, as the pool says

    eventually(mended, timeout_s=60)
    repair(t0 + 3 * HEAL_AFTER)
    assert (host()["unhealthySince"], host()["repairs"]) == (None, 0)
    lines = [e for e in api.get(f"{group}/events").json()["value"] if e["action"] == "repair"]
    assert sorted(e["reason"].split(":")[0] for e in lines) == [
        f"installed its agent again on {name}",
        f"restarted {name}",
    ], lines

    # broken past both repairs: its user's consent is asked, and nothing more is done without it
    agent("UpgradeFailed")
    t1 = t0 + 4 * HEAL_AFTER
    for step in range(4):
        repair(t1 + step * HEAL_AFTER)
    assert host()["statusDetail"]["code"] == "needsReplacement", host()
    before = tenant.arm.vm(CLOUD_PC_RG, name)
    assert before is not None
    replace = f"{group}/sessionHosts/{name}/replace"
    refused = api.post(replace, {"userConsented": False})
    assert refused.status_code == 400 and refused.json()["error"]["details"][0]["target"] == "userConsented"
    assert host()["status"] == "running"  # nothing done
    accepted = api.post(replace, {"userConsented": True, "reason": "ticket 4711"})
    assert accepted.status_code == 202, accepted.text

    def rebuilt() -> None:
        row = host()
        assert row["status"] == "running" and row["powerState"] == "running", row
        vm = tenant.arm.vm(CLOUD_PC_RG, name)
        assert vm is not None and vm["properties"]["vmId"] != before["properties"]["vmId"]

    eventually(rebuilt, timeout_s=180)
    consented = [e for e in api.get(f"{group}/events").json()["value"] if "consent: ticket 4711" in e["reason"]]
    assert [e["action"] for e in consented] == ["repair"]
