"""A personal Spot Group's power end to end: its host pool gets Start VM on Connect; the 5-minute optimization sees
its user disconnect and keeps the time on the host's row; run again past the limit (the rule is given that later
time in-process, on the app's own tables and Azure: no test waits 30 minutes), it deallocates the host; the user's
connection is then refused until Azure Virtual Desktop's principal holds its role, which the onboarding report asks
for, and then starts the host and signs them in."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from shared.bootstrap import Services
from shared.catalog.app_access import AZURE_VIRTUAL_DESKTOP_APP_ID, POWER_ON_CONTRIBUTOR
from shared.services.spot_pc.personal_power import apply_personal_power
from tests.e2e.test_spot_group_sessions import Users
from tests.e2e.test_spot_groups import DV, group_body, ready_version, run_optimization, settled
from tests.utils.api_client import ApiClient, eventually
from tests.utils.wizard import CLOUD_PC_RG, Tenant

POWER_ON = "Desktop Virtualization Power On Contributor"


def power(tenant: Tenant, vm: str) -> str:
    found = tenant.arm.vm(CLOUD_PC_RG, vm)
    assert found is not None
    return next(s["code"] for s in found["properties"]["instanceView"]["statuses"] if s["code"].startswith("Power"))


def onboarding_item(api: ApiClient, tenant: Tenant) -> dict[str, Any]:
    [item] = [i for i in api.get(f"{tenant.path}/onboarding").json()["items"] if i["name"] == POWER_ON]
    return dict(item)


def test_a_disconnected_users_host_is_deallocated_after_the_limit_and_started_when_they_connect(
    api: ApiClient, app_services: Services
) -> None:
    tenant = Tenant(api)
    tenant.group("sales", ["ann"])
    body = group_body(
        tenant,
        ready_version(api, tenant),
        userType="personal",
        licenseCount=1,
        maxSessionsPerHost=None,
        personalPower={"deallocateWhenDisconnectedMinutes": 30},
    )
    group = api.created(f"{tenant.path}/spotGroups", body)
    path = f"{tenant.path}/spotGroups/{group['id']}"
    assert settled(api, path)["status"] == "ready"
    pool = tenant.arm.resource_id(CLOUD_PC_RG, DV, "hostPools", "spotpc-sales-desktops")
    assert tenant.arm.ok("GET", pool)["properties"]["startVMOnConnect"] is True
    missing = onboarding_item(api, tenant)  # the admin sees the role AVD needs, and why
    assert (missing["status"], missing["scope"]) == ("missing", tenant.arm.group_id(CLOUD_PC_RG))
    assert AZURE_VIRTUAL_DESKTOP_APP_ID in missing["fix"] and "Start VM on Connect" in missing["reason"]

    users = Users(tenant, "spotpc-sales-desktops")
    host = users.sign_in("ann")
    users.disconnect("ann")
    run_optimization(api)

    def away_since() -> datetime:
        [row] = api.get(f"{path}/sessionHosts").json()["value"]
        assert row["userAwaySince"], row
        return datetime.fromisoformat(row["userAwaySince"])

    seen = eventually(away_since, timeout_s=60)  # the sweep saw ann disconnected, and kept when
    assert power(tenant, host) == "PowerState/running"

    stored = app_services.spot_group_work.spot_groups.get_spot_group(tenant.id, group["id"])
    early = apply_personal_power(app_services.spot_group_work, stored, seen + timedelta(minutes=29))
    assert early.decisions == []
    [decision] = apply_personal_power(app_services.spot_group_work, stored, seen + timedelta(minutes=31)).decisions
    assert (
        decision.reason == f"deallocated {host} at {seen + timedelta(minutes=31):%H:%M}: its user disconnected "
        "31 minutes ago (limit 30)"
    )
    [line] = api.get(f"{path}/events").json()["value"]  # on the group's timeline, as a pooled group's decisions
    assert (line["host"], line["action"], line["reason"], line["outcome"], line.get("phase")) == (
        host,
        "deallocate",
        decision.reason,
        "done",
        None,
    )
    eventually(lambda: _is(power(tenant, host), "PowerState/deallocated"), timeout_s=60)
    assert users.counters()["lostSessions"] == 1  # deallocated, not hibernated: what was open is gone
    assert api.get(f"{path}/sessions").json()["value"] == []

    connect = f"{users.control}/connections"
    refused = tenant.arm.session.post(connect, json={"userPrincipalName": users.upn("ann")}, timeout=30)
    assert (refused.status_code, refused.json()["error"]["code"]) == (409, "ConnectionFailedNoHealthyRdshAvailable")
    assert power(tenant, host) == "PowerState/deallocated" and users.counters()["refusedStarts"] == 1

    role = (
        f"/subscriptions/{tenant.arm.subscription_id}/providers/Microsoft.Authorization/roleDefinitions/"
        f"{POWER_ON_CONTRIBUTOR}"
    )
    avd = tenant.arm.service_principal(AZURE_VIRTUAL_DESKTOP_APP_ID)  # Azure Virtual Desktop's, in every tenant
    tenant.arm.assign(tenant.arm.group_id(CLOUD_PC_RG), role, avd)
    assert onboarding_item(api, tenant)["status"] == "present"

    def started() -> None:  # her client waits while the VM boots (202), then her session begins
        reply = tenant.arm.session.post(connect, json={"userPrincipalName": users.upn("ann")}, timeout=30)
        assert reply.status_code == 201, reply.text

    eventually(started, timeout_s=60)
    assert power(tenant, host) == "PowerState/running" and users.counters()["startsOnConnect"] == 1
    [session] = api.get(f"{path}/sessions").json()["value"]
    assert (session["userPrincipalName"], session["state"], session["sessionHostName"]) == (
        users.upn("ann"),
        "active",
        host,
    )


def _is(found: str, wanted: str) -> bool:
    assert found == wanted
    return True
