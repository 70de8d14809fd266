"""An azure-backend Cloud PC asleep while its user is away and awake when they connect, end to end: its policy's power
rules, its host pool's Start VM on Connect, the 5-minute watch (run by the host's admin endpoint, as Core Tools runs a
timer) that sees the user connected and then away; run again past the limit (the watch is given that later time
in-process, on the app's own tables and Azure: no test waits 30 minutes) it puts the Cloud PC to sleep, followed to its
end by the VM action's activity; the user's connection is then refused until Azure Virtual Desktop's principal holds
the role the onboarding report names, and then starts it, which the next watch records with its reason; the role
withdrawn, the report names it missing again. A sign-out puts it to sleep at the timer's own next watch, the sleep
followed by the Cloud PC action orchestration."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from shared.bootstrap import Services
from shared.catalog.app_access import AZURE_VIRTUAL_DESKTOP_APP_ID, POWER_ON_CONTRIBUTOR
from shared.services.cloud_pcs.cloud_pc_sleep import WOKEN_BY_USER, watch_use
from shared.services.cloud_pcs.vm_actions import advance_vm_action
from tests.e2e.test_cloud_pc_brokering import connect
from tests.e2e.test_provisioning import PLAN, assign, settled_cloud_pcs
from tests.e2e.test_spot_group_personal_power import onboarding_item, power
from tests.utils.api_client import ApiClient, eventually
from tests.utils.wizard import CLOUD_PC_RG, Tenant


def run_watch(api: ApiClient) -> None:
    base = api.base_url.removesuffix("/api")
    invoked = api.session.post(f"{base}/admin/functions/watchCloudPcUse", json={"input": ""}, timeout=60)
    assert invoked.status_code == 202, invoked.text


def lines(api: ApiClient, path: str, name: str) -> list[dict[str, Any]]:
    return [e for e in api.get(f"{path}/events").json()["value"] if e["name"] == name]


def test_a_cloud_pc_sleeps_after_its_user_disconnects_and_their_connection_wakes_it(
    api: ApiClient, app_services: Services
) -> None:
    tenant = Tenant(api)
    tenant.user("ann", [PLAN])
    tenant.group("finance", ["ann"])
    policy = tenant.policy(powerRules={"deallocateWhenDisconnectedMinutes": 30, "deallocateOnSignOut": True})
    assert policy["powerRules"]["deallocateWhenDisconnectedMinutes"] == 30
    assign(api, tenant, policy, "finance")
    [cloud_pc] = settled_cloud_pcs(api, tenant, 1)
    assert cloud_pc["status"] == "provisioned", cloud_pc.get("statusDetail")
    path, upn = f"{tenant.path}/cloudPCs/{cloud_pc['id']}", cloud_pc["userPrincipalName"]
    host, vm = cloud_pc["managedDeviceName"].lower(), cloud_pc["virtualMachineId"].rsplit("/", 1)[-1]
    assert api.get(path).json().get("lastConnectedDateTime") is None  # never connected yet
    [pool] = tenant.arm.host_pools(CLOUD_PC_RG)
    assert pool["properties"]["startVMOnConnect"] is True
    missing = onboarding_item(api, tenant)  # the admin sees the role AVD needs to wake it, and why
    assert (missing["status"], missing["scope"]) == ("missing", tenant.arm.group_id(CLOUD_PC_RG))
    assert AZURE_VIRTUAL_DESKTOP_APP_ID in missing["fix"] and "Start VM on Connect" in missing["reason"]

    control = f"{tenant.arm.emulator.base_url}/emulator/avd{pool['id']}"
    assert connect(tenant, pool["id"], upn) == host
    disconnected = tenant.arm.session.post(f"{control}/disconnects", json={"userPrincipalName": upn}, timeout=30)
    assert disconnected.status_code == 200, disconnected.text
    run_watch(api)

    def away_since() -> datetime:
        body = api.get(path).json()
        assert body.get("userAwaySince") and body.get("lastConnectedDateTime"), body
        return datetime.fromisoformat(body["userAwaySince"])

    seen = eventually(away_since, timeout_s=60)  # the watch saw ann connected once, and now away
    engine = app_services.engine
    assert watch_use(engine, tenant.id, seen + timedelta(minutes=29)).sleeps == []
    [sleep] = watch_use(engine, tenant.id, seen + timedelta(minutes=31)).sleeps
    step = advance_vm_action(engine, sleep)  # what the Cloud PC action orchestration's activity does
    while step.outcome is None:
        step = advance_vm_action(engine, step.run)
    assert step.outcome == "succeeded"
    assert power(tenant, vm) == "PowerState/deallocated"
    assert api.get(path).json()["powerState"] == "poweredOff"
    [started] = lines(api, path, "sleepStarted")
    assert started["message"] == "Deallocating: its user disconnected 31 minutes ago (limit 30)"
    assert lines(api, path, "asleep")[0]["outcome"] == "succeeded"

    refused = tenant.arm.session.post(f"{control}/connections", json={"userPrincipalName": upn}, timeout=30)
    assert (refused.status_code, refused.json()["error"]["code"]) == (409, "ConnectionFailedNoHealthyRdshAvailable")
    assert "Start VM on Connect" not in refused.json()["error"]["message"]  # on: it is AVD's role that is missing
    assert onboarding_item(api, tenant)["status"] == "missing"

    role = (
        f"/subscriptions/{tenant.arm.subscription_id}/providers/Microsoft.Authorization/roleDefinitions/"
        f"{POWER_ON_CONTRIBUTOR}"
    )
    avd = tenant.arm.service_principal(AZURE_VIRTUAL_DESKTOP_APP_ID)  # Azure Virtual Desktop's, in every tenant
    granted = tenant.arm.assign(tenant.arm.group_id(CLOUD_PC_RG), role, avd)
    assert onboarding_item(api, tenant)["status"] == "present"
    tenant.controls.latency("startVmOnConnect", 3600)  # Windows boots while ann's client waits
    booting = tenant.arm.session.post(f"{control}/connections", json={"userPrincipalName": upn}, timeout=30)
    assert booting.status_code == 202, booting.text
    assert power(tenant, vm) == "PowerState/starting"
    watched = watch_use(engine, tenant.id, seen + timedelta(minutes=40))  # a watch while it boots: not awake yet
    assert (watched.sleeps, watched.woken) == ([], 0) and lines(api, path, "awake") == []
    booted = tenant.arm.session.post(f"{control}/sessionHosts/{host.upper()}/booted", timeout=30)
    assert booted.status_code == 200, booted.text
    assert connect(tenant, pool["id"], upn) == host  # Start VM on Connect started it, and ann signs in
    assert power(tenant, vm) == "PowerState/running"
    run_watch(api)

    def woken() -> dict[str, Any]:
        found = lines(api, path, "awake")
        assert len(found) == 1, found
        return found[0]

    assert eventually(woken, timeout_s=60)["message"] == WOKEN_BY_USER
    body = api.get(path).json()
    assert body["powerState"] == "running" and body.get("userAwaySince") is None

    # ann signs out: the timer's watch puts it to sleep at once, and its orchestration follows the deallocation
    signed_out = tenant.arm.session.post(f"{control}/signOuts", json={"userPrincipalName": upn}, timeout=30)
    assert signed_out.status_code == 200, signed_out.text
    run_watch(api)

    def asleep_again() -> None:
        assert [e["outcome"] for e in lines(api, path, "asleep")] == ["succeeded", "succeeded"]
        assert api.get(path).json()["powerState"] == "poweredOff"

    eventually(asleep_again, timeout_s=60)
    assert {e["message"] for e in lines(api, path, "sleepStarted")} == {
        "Deallocating: its user disconnected 31 minutes ago (limit 30)",
        "Deallocating: nobody is signed in to it",
    }
    assert power(tenant, vm) == "PowerState/deallocated"

    tenant.arm.ok("DELETE", granted["id"])  # the customer withdraws it: the report says so again
    assert onboarding_item(api, tenant)["status"] == "missing"
