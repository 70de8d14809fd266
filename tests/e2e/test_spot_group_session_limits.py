"""A Spot Group's session time limits end to end: they reach every host in its one configuration Run Command (read
back from the emulator) as the RDS policy values, a PATCH merges them and configures every running host again, and
limits outside what the policy offers are a 400 with one detail each that saves nothing."""

from __future__ import annotations

from typing import Any

from shared.services.spot_pc.session_limits import POLICY_KEY
from tests.e2e.test_spot_groups import group_body, ready_version, settled
from tests.utils.api_client import ApiClient
from tests.utils.wizard import Tenant


def policies(tenant: Tenant) -> dict[str, dict[str, int | None]]:
    """Each VM's configuration Run Command, as the emulator keeps it: the RDS time-limit values its script sets
    (None: removed)."""
    found: dict[str, dict[str, int | None]] = {}
    for command in tenant.resources()["runCommands"]:
        if command["name"] != "configureFslogix":  # the agent's registration, or an image build's
            continue
        assert any("FSLogix" in line for line in command["script"]), "one Run Command for FSLogix and the limits"
        values: dict[str, int | None] = {}
        for line in command["script"]:
            if POLICY_KEY in line and "-Name " in line:
                name = line.split("-Name ", 1)[1].split(" ", 1)[0]
                values[name] = int(line.split("-Value ", 1)[1].split(" ", 1)[0]) if "-Value " in line else None
        found[command["vm"]] = values
    return found


def test_the_limits_reach_every_host_by_its_configuration_run_command_and_a_change_reapplies_them(
    api: ApiClient,
) -> None:
    tenant = Tenant(api)
    tenant.group("sales", ["ann", "bob", "cat"])
    limits = {"idleMinutes": 15, "disconnectedMinutes": 60}
    group = api.created(
        f"{tenant.path}/spotGroups", group_body(tenant, ready_version(api, tenant), sessionLimits=limits)
    )
    path = f"{tenant.path}/spotGroups/{group['id']}"
    ready = settled(api, path)
    assert ready["status"] == "ready" and ready["sessionLimits"] == {**limits, "activeMinutes": None}
    hosts = sorted(h["name"] for h in api.get(f"{path}/sessionHosts").json()["value"])
    assert len(hosts) == 2
    assert policies(tenant) == {
        h: {"MaxIdleTime": 900_000, "MaxDisconnectionTime": 3_600_000, "MaxConnectionTime": None} for h in hosts
    }

    reply = api.patch(path, {"sessionLimits": {"activeMinutes": 480}}, headers={"If-Match": ready["etag"]})
    assert reply.status_code == 202, reply.text
    assert reply.json()["status"] == "updating"
    changed = settled(api, path)
    assert changed["status"] == "ready"
    assert changed["sessionLimits"] == {**limits, "activeMinutes": 480}, "the limits left out stay"
    assert policies(tenant) == {
        h: {"MaxIdleTime": 900_000, "MaxDisconnectionTime": 3_600_000, "MaxConnectionTime": 28_800_000} for h in hosts
    }
    configured = {h["name"]: h["sessionLimits"] for h in api.get(f"{path}/sessionHosts").json()["value"]}
    assert configured == {h: changed["sessionLimits"] for h in hosts}


def details(reply: Any) -> set[str]:
    assert reply.status_code == 400, reply.text
    return {d.get("target") for d in reply.json()["error"].get("details", [])}


def test_limits_outside_the_policy_s_range_are_refused_one_detail_each_and_nothing_is_saved(api: ApiClient) -> None:
    tenant = Tenant(api)
    tenant.group("sales", ["ann"])
    image_set_id = ready_version(api, tenant)
    bad = {"idleMinutes": 0, "disconnectedMinutes": 7201, "activeMinutes": "soon"}
    assert details(api.post(f"{tenant.path}/spotGroups", group_body(tenant, image_set_id, sessionLimits=bad))) == {
        "sessionLimits.idleMinutes",
        "sessionLimits.disconnectedMinutes",
        "sessionLimits.activeMinutes",
    }
    assert api.get(f"{tenant.path}/spotGroups").json()["value"] == []
    group = api.created(f"{tenant.path}/spotGroups", group_body(tenant, image_set_id, licenseCount=1))
    path = f"{tenant.path}/spotGroups/{group['id']}"
    assert settled(api, path)["sessionLimits"] is None
    assert details(api.patch(path, {"sessionLimits": {"idleMinutes": -1}})) == {"sessionLimits.idleMinutes"}
    assert api.get(path).json()["sessionLimits"] is None
