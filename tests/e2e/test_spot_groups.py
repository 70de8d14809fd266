"""Spot Groups end to end: the wizard's review and creation over HTTP, the deployment through devhost on the Azure
emulator (host pool, application group, workspace, session hosts from an image set's version), and the removal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.utils.api_client import ApiClient, eventually
from tests.utils.wizard import CLOUD_PC_RG, Tenant

SOURCE = "microsoftwindowsdesktop_office-365_win11-24h2-avd-m365"
DV = "Microsoft.DesktopVirtualization"


def ready_version(api: ApiClient, tenant: Tenant) -> str:
    body = {"displayName": "Pooled", "siteId": tenant.site["id"], "sourceImageId": SOURCE}
    image_set = api.created(f"{tenant.path}/imageSets", body)

    def ready() -> str:
        version = api.get(f"{tenant.path}/imageSets/{image_set['id']}/versions/0.0.0").json()
        assert version["status"] == "ready", version
        return str(image_set["id"])

    return eventually(ready, timeout_s=120)


def group_body(tenant: Tenant, image_set_id: str, **fields: Any) -> dict[str, Any]:
    """A pooled group of the tenant's "sales" group, unless `groupIds` names others."""
    group_ids = fields.pop("groupIds", None) or [tenant.gid("sales")]
    return {
        "name": "sales-desktops",
        "friendlyName": "Sales desktops",
        "profilePath": r"\\files.contoso.com\profiles",
        "userType": "pooled",
        "licenseCount": 3,
        "siteId": tenant.site["id"],
        "groupIds": group_ids,
        "imageSetId": image_set_id,
        "imageVersion": "0.0.0",
        "maxSessionsPerHost": 2,
        **fields,
    }


def run_optimization(api: ApiClient) -> None:
    """The 5-minute Spot Group optimization now, through the host's admin endpoint (as Core Tools runs a timer)."""
    base = api.base_url.removesuffix("/api")
    invoked = api.session.post(f"{base}/admin/functions/optimizeSpotGroups", json={"input": ""}, timeout=60)
    assert invoked.status_code == 202, invoked.text


def settled(api: ApiClient, path: str) -> dict[str, Any]:
    def check() -> dict[str, Any]:
        body: dict[str, Any] = api.get(path).json()
        assert body["status"] not in ("deploying", "updating"), body
        return body

    return eventually(check, timeout_s=120)


def test_a_spot_group_is_reviewed_deployed_and_removed(api: ApiClient) -> None:
    tenant = Tenant(api)
    tenant.group("sales", ["ann", "bob", "cat", "dan"])
    image_set_id = ready_version(api, tenant)
    groups = f"{tenant.path}/spotGroups"

    review = api.post(f"{groups}?validateOnly=true", group_body(tenant, image_set_id))
    assert review.status_code == 200, review.text
    summary = review.json()
    assert (summary["hostPoolType"], summary["sessionHostCount"], summary["maxSessionsPerHost"]) == ("Pooled", 2, 2)
    assert len(summary["usersWithAccess"]) == 3 and len(summary["usersWithoutAccess"]) == 1
    assert api.get(groups).json()["value"] == []  # nothing saved

    group = api.created(groups, group_body(tenant, image_set_id))
    assert group["status"] == "deploying" and group["sessionHostCounts"]["total"] == 2
    path = f"{groups}/{group['id']}"
    ready = settled(api, path)
    assert ready["status"] == "ready", ready
    assert ready["sessionHostCounts"] == {"total": 2, "running": 2, "stopped": 0, "draining": 0, "failed": 0}
    assert ready["assignedUserCount"] == 3

    # in Azure: the host pool with both hosts, its desktop application group and a workspace holding it
    pool = tenant.arm.resource_id(CLOUD_PC_RG, DV, "hostPools", "spotpc-sales-desktops")
    assert tenant.arm.ok("GET", pool)["properties"]["hostPoolType"] == "Pooled"
    hosts = api.get(f"{path}/sessionHosts").json()["value"]
    assert len(hosts) == 2 and all(h["status"] == "running" and h["allowNewSession"] for h in hosts)
    assert {vm["name"] for vm in tenant.arm.vms(CLOUD_PC_RG)} == {h["name"] for h in hosts}

    # more licenses: a host more; fewer: the last hosts go (2 sessions a host)
    reply = api.patch(path, {"licenseCount": 5}, headers={"If-Match": ready["etag"]})
    assert reply.status_code == 202, reply.text
    assert reply.json()["status"] == "updating"
    assert settled(api, path)["sessionHostCounts"]["running"] == 3
    assert api.patch(path, {"licenseCount": 1}).status_code == 202
    scaled = settled(api, path)
    assert scaled["status"] == "ready" and scaled["sessionHostCounts"]["total"] == 1
    assert len(tenant.arm.vms(CLOUD_PC_RG)) == 1
    renamed = api.patch(path, {"notes": "scaled down for the holidays"})
    assert renamed.status_code == 200 and renamed.json()["notes"] == "scaled down for the holidays"

    reply = api.delete(path)
    assert reply.status_code == 202, reply.text
    assert reply.json()["status"] == "deleting"
    eventually(lambda: _gone(api, path), timeout_s=120)
    assert tenant.arm.call("GET", pool).status_code == 404
    assert tenant.arm.vms(CLOUD_PC_RG) == []


def _gone(api: ApiClient, path: str) -> bool:
    assert api.get(path).status_code == 404
    return True


@pytest.mark.parametrize(
    ("fields", "target"),
    [
        ({"name": "Sales Desktops"}, "name"),
        ({"profilePath": "C:\\profiles"}, "profilePath"),
        ({"licenseCount": 0}, "licenseCount"),
        ({"userType": "personal"}, None),  # maxSessionsPerHost is for pooled groups
        ({"siteId": "elsewhere"}, "siteId"),
        ({"imageVersion": "0.0.9"}, "imageVersion"),
    ],
)
def test_bad_spot_group_input_is_refused_and_nothing_is_saved(
    api: ApiClient, fields: dict[str, Any], target: str | None
) -> None:
    tenant = Tenant(api)
    tenant.group("sales", ["ann"])
    image_set_id = ready_version(api, tenant)
    reply = api.post(f"{tenant.path}/spotGroups", group_body(tenant, image_set_id, **fields))
    assert reply.status_code == 400, reply.text
    if target is not None:
        assert target in {d.get("target") for d in reply.json()["error"].get("details", [])}
    assert api.get(f"{tenant.path}/spotGroups").json()["value"] == []


def test_bad_scaling_is_refused_naming_each_field_and_nothing_is_saved(api: ApiClient) -> None:
    tenant = Tenant(api)
    tenant.group("sales", ["ann"])
    image_set_id = ready_version(api, tenant)
    personal = {"userType": "personal", "maxSessionsPerHost": None}
    cases: list[tuple[dict[str, Any], str, str]] = [
        ({"scaling": {"baseHosts": 3}}, "scaling.baseHosts", "baseAboveCeiling"),  # 3 licenses at 2: 2 hosts
        ({"scaling": {"bufferSessions": -1}}, "scaling.bufferSessions", "greaterThanEqual"),
        ({**personal, "scaling": {"spotSharePercent": 50}}, "scaling.spotSharePercent", "notAllowed"),
        ({"scaling": {"spotMaxPrice": -0.5}}, "scaling.spotMaxPrice", "greaterThanEqual"),
        # Azure runs no Spot VM of a B-series size
        (
            {"vmSize": "Standard_B2ms", "scaling": {"spotSharePercent": 50}},
            "scaling.spotSharePercent",
            "spotNotSupportedForSize",
        ),
    ]
    for fields, target, code in cases:
        reply = api.post(f"{tenant.path}/spotGroups", group_body(tenant, image_set_id, **fields))
        assert reply.status_code == 400, reply.text
        assert [(d["target"], d["code"]) for d in reply.json()["error"]["details"]] == [(target, code)], reply.text
    assert api.get(f"{tenant.path}/spotGroups").json()["value"] == []


def test_a_rolling_image_update_replaces_the_hosts_canary_first(api: ApiClient) -> None:
    tenant = Tenant(api)
    tenant.group("sales", ["ann", "bob", "cat"])
    image_set_id = ready_version(api, tenant)
    group = api.created(f"{tenant.path}/spotGroups", group_body(tenant, image_set_id))
    path = f"{tenant.path}/spotGroups/{group['id']}"
    assert settled(api, path)["status"] == "ready"
    versions = f"{tenant.path}/imageSets/{image_set_id}/versions"
    assert api.post(versions, {"customizationScripts": [{"name": "apps", "script": "echo"}]}).status_code == 202
    eventually(lambda: _ready(api, f"{versions}/0.0.1"), timeout_s=120)

    rollout = {"canaryCount": 1, "maxUnavailable": 1, "drainTimeoutMinutes": 0}
    reply = api.patch(path, {"imageVersion": "0.0.1", "rollout": rollout})
    assert reply.status_code == 202, reply.text
    assert reply.json()["status"] == "updating"
    done = settled(api, path)
    assert (done["status"], done["imageVersion"]) == ("ready", "0.0.1"), done
    hosts = api.get(f"{path}/sessionHosts").json()["value"]
    assert {(h["status"], h["imageVersion"]) for h in hosts} == {("running", "0.0.1")}
    [update] = api.get(f"{path}/imageUpdates").json()["value"]
    assert (update["fromVersion"], update["toVersion"], update["status"]) == ("0.0.0", "0.0.1", "succeeded")
    assert (update["replaced"], update["remaining"], len(update["canary"])) == (2, 0, 1)
    assert api.get(f"{path}/imageUpdates/{update['id']}").json()["status"] == "succeeded"


def test_an_image_update_with_a_maintenance_window_too_short_for_its_drain_is_refused_and_a_fitting_one_shown(
    api: ApiClient,
) -> None:
    tenant = Tenant(api)
    tenant.group("sales", ["ann"])
    image_set_id = ready_version(api, tenant)
    group = api.created(f"{tenant.path}/spotGroups", group_body(tenant, image_set_id, licenseCount=2))  # one host
    path = f"{tenant.path}/spotGroups/{group['id']}"
    assert settled(api, path)["status"] == "ready"
    versions = f"{tenant.path}/imageSets/{image_set_id}/versions"
    assert api.post(versions, {"customizationScripts": [{"name": "apps", "script": "echo"}]}).status_code == 202
    eventually(lambda: _ready(api, f"{versions}/0.0.1"), timeout_s=120)

    # open since an hour ago for 22 hours, every day: the window holds now, whenever the test runs
    opened = datetime.now(UTC) - timedelta(hours=1)
    window = {
        "daysOfWeek": ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"],
        "startTime": f"{opened:%H:%M}",
        "durationMinutes": 60,
        "timeZone": "UTC",
    }
    short = {"drainTimeoutMinutes": 50, "notifyMinutesBefore": 15, "maintenanceWindow": window}
    reply = api.patch(path, {"imageVersion": "0.0.1", "rollout": short})
    assert reply.status_code == 400, reply.text
    [detail] = reply.json()["error"]["details"]
    assert (detail["target"], detail["code"]) == ("rollout.maintenanceWindow.durationMinutes", "windowShorterThanDrain")
    assert api.get(f"{path}/imageUpdates").json()["value"] == []  # nothing saved
    unchanged = api.get(path).json()
    assert (unchanged["status"], unchanged["imageVersion"]) == ("ready", "0.0.0")

    fitting = {**short, "maintenanceWindow": {**window, "durationMinutes": 22 * 60}, "canaryCount": 0}
    reply = api.patch(path, {"imageVersion": "0.0.1", "rollout": fitting})
    assert reply.status_code == 202, reply.text
    [update] = api.get(f"{path}/imageUpdates").json()["value"]
    assert update["rollout"]["maintenanceWindow"] == fitting["maintenanceWindow"]
    assert update["rollout"]["notifyMinutesBefore"] == 15
    done = settled(api, path)  # inside the window, with nobody on the host: drained at once
    assert (done["status"], done["imageVersion"]) == ("ready", "0.0.1"), done
    assert api.get(f"{path}/imageUpdates/{update['id']}").json()["status"] == "succeeded"


def _ready(api: ApiClient, path: str) -> bool:
    assert api.get(path).json()["status"] == "ready"
    return True


def test_the_optimization_deallocates_idle_pooled_hosts_beyond_the_buffer(api: ApiClient) -> None:
    tenant = Tenant(api)
    tenant.group("sales", ["ann"])
    image_set_id = ready_version(api, tenant)
    group = api.created(f"{tenant.path}/spotGroups", group_body(tenant, image_set_id, licenseCount=6))  # 3 hosts
    path = f"{tenant.path}/spotGroups/{group['id']}"
    assert settled(api, path)["sessionHostCounts"]["running"] == 3

    run_optimization(api)

    def optimized() -> dict[str, Any]:
        counts: dict[str, Any] = api.get(path).json()["sessionHostCounts"]
        assert (counts["running"], counts["stopped"]) == (1, 2), counts  # nobody signed in: the buffer stays on
        return counts

    eventually(optimized, timeout_s=60)

    def deallocated() -> None:  # Azure's deallocations are long-running: they finish after the app asked for them
        states = {vm["name"]: _power(tenant, vm["name"]) for vm in tenant.arm.vms(CLOUD_PC_RG)}
        assert sorted(states.values()) == ["PowerState/deallocated", "PowerState/deallocated", "PowerState/running"]

    eventually(deallocated, timeout_s=60)


def _power(tenant: Tenant, name: str) -> str:
    vm = tenant.arm.vm(CLOUD_PC_RG, name)
    assert vm is not None
    return next(s["code"] for s in vm["properties"]["instanceView"]["statuses"] if s["code"].startswith("PowerState/"))
