"""Azure Spot VMs in the emulator, as Azure answers them: priority, eviction policy and max price checked and shown;
Spot capacity refused for a size while a Regular VM of it is still made; evictions under each policy, with their
Scheduled Events Preempt notice, its delivery by the VM's watcher with the VM's identity token, and the user sessions
they lose."""

from __future__ import annotations

import email.utils
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest

from tests.emulator.test_avd_user_sessions import Pool
from tests.emulator.test_desktop_virtualization import REGION, call, install_agent, new_token
from tests.utils.arm_admin import ArmAdmin

SIZE = "Standard_D2s_v5"
AUDIENCE = "3c1d7f0e-5a2b-4c6d-8e9f-0a1b2c3d4e5f"  # the client id of the app the tenant consents to
IMAGE = {"publisher": "microsoftwindowsdesktop", "offer": "windows-11", "sku": "win11-24h2-avd"}


def nic(admin: ArmAdmin, name: str) -> str:
    subnet = admin.virtual_network("rg", "vnet")
    return str(
        admin.ok(
            "PUT",
            admin.resource_id("rg", "Microsoft.Network", "networkInterfaces", f"{name}-nic"),
            {
                "location": REGION,
                "properties": {"ipConfigurations": [{"name": "ipconfig1", "properties": {"subnet": {"id": subnet}}}]},
            },
        )["id"]
    )


def vm_body(nic_id: str, computer: str, **props: Any) -> dict[str, Any]:
    return {
        "location": REGION,
        "identity": {"type": "SystemAssigned"},
        "properties": {
            "hardwareProfile": {"vmSize": SIZE},
            "storageProfile": {"imageReference": IMAGE},
            "osProfile": {"computerName": computer, "adminUsername": "avdadmin", "adminPassword": "Pa55w0rd!Pa55w0rd!"},
            "networkProfile": {"networkInterfaces": [{"id": nic_id}]},
            **props,
        },
    }


def vm_id(admin: ArmAdmin, name: str) -> str:
    return admin.resource_id("rg", "Microsoft.Compute", "virtualMachines", name)


def spot_vm(admin: ArmAdmin, name: str, computer: str, **props: Any) -> str:
    made = admin.ok("PUT", vm_id(admin, name), vm_body(nic(admin, name), computer, priority="Spot", **props))
    assert made["properties"]["provisioningState"] == "Succeeded", made
    return str(made["id"])


def control(admin: ArmAdmin, method: str, path: str, body: Any = None) -> Any:
    reply = admin.session.request(method, f"{admin.emulator.base_url}/emulator{path}", json=body, timeout=30)
    assert reply.status_code < 300, f"{method} {path}: {reply.status_code} {reply.text}"
    return reply.json() if reply.content else None


def spot_capacity(admin: ArmAdmin, available: bool) -> None:
    control(admin, "PUT", f"/spot/capacity/{REGION}/{SIZE}", {"available": available, "tenantId": admin.tenant_id})


def install_watcher(admin: ArmAdmin, vm: str, events_url: str, audience: str) -> None:
    """The app's managed Run Command that forwards the VM's Scheduled Events to `events_url` with a token for
    `audience`, which the emulator plays."""
    watcher = {
        "location": REGION,
        "properties": {
            "source": {"script": "param($EventsUrl, $Audience)\n# forwards IMDS scheduled events"},
            "parameters": [{"name": "EventsUrl", "value": events_url}, {"name": "Audience", "value": audience}],
        },
    }
    admin.finished(admin.call("PUT", f"{vm}/runCommands/watchScheduledEvents", watcher))


def long_notice(admin: ArmAdmin) -> None:
    """NotBefore an hour away: only completeEviction ends an eviction in these tests."""
    control(admin, "PUT", "/timers/spotEvictionNotice", {"seconds": 3600, "tenantId": admin.tenant_id})


def power(admin: ArmAdmin, vm: str) -> list[str]:
    view = admin.session.get(admin.url(vm) + "&$expand=instanceView", timeout=30).json()
    return [s["code"] for s in view["properties"]["instanceView"]["statuses"] if s["code"].startswith("PowerState")]


def act(admin: ArmAdmin, vm: str, action: str) -> dict[str, Any]:
    reply = admin.call("POST", f"{vm}/{action}")
    assert reply.status_code in (200, 202), reply.text
    return admin.finished(reply)


def refusal(admin: ArmAdmin, name: str, nic_id: str, **props: Any) -> tuple[int, str]:
    reply = admin.call("PUT", vm_id(admin, name), vm_body(nic_id, name.upper(), **props))
    return reply.status_code, reply.json()["error"]["code"]


def test_priority_eviction_policy_and_max_price_are_checked_and_shown_as_azure_shows_them(admin: ArmAdmin) -> None:
    admin.resource_group("rg")
    free_nic = nic(admin, "refused")  # every refusal comes before the NIC is taken: one NIC serves them all
    spot_only = "EvictionPolicyCanBeSetOnlyOnAzureSpotVirtualMachines"
    assert refusal(admin, "r1", free_nic, priority="Urgent") == (400, "InvalidParameter")
    assert refusal(admin, "r2", free_nic, evictionPolicy="Delete") == (400, spot_only)
    assert refusal(admin, "r3", free_nic, priority="Regular", evictionPolicy="Deallocate") == (400, spot_only)
    assert refusal(admin, "r4", free_nic, billingProfile={"maxPrice": 0.5}) == (
        400,
        "MaxPriceIsSupportedOnlyForAzureSpotVirtualMachines",
    )
    for price in (0, -2, 0.123456, "1"):
        assert refusal(admin, "r5", free_nic, priority="Spot", billingProfile={"maxPrice": price}) == (
            400,
            "MaxPriceValueInvalid",
        ), price
    assert refusal(admin, "r6", free_nic, priority="Spot", evictionPolicy="Stop") == (400, "InvalidParameter")
    hibernating = refusal(admin, "r7", free_nic, priority="Spot", additionalCapabilities={"hibernationEnabled": True})
    assert hibernating == (409, "OperationNotAllowed"), "a Spot VM is never made with hibernation"
    assert refusal(admin, "r8", free_nic, priority="Spot", billingProfile={"maxPrice": 0.01}) == (
        409,
        "SpotPriceGreaterThanProvidedMaxPrice",
    ), "below the default Spot price"
    b_series = vm_body(free_nic, "R9", priority="Spot")
    b_series["properties"]["hardwareProfile"]["vmSize"] = "Standard_B2ms"
    reply = admin.call("PUT", vm_id(admin, "r9"), b_series)
    assert (reply.status_code, reply.json()["error"]["code"]) == (400, "AzureSpotIsNotSupportedForThisVMSize")
    del b_series["properties"]["priority"]
    assert admin.ok("PUT", vm_id(admin, "r9"), b_series)["properties"]["provisioningState"] == "Succeeded"

    control(admin, "PUT", f"/spot/prices/{REGION}/{SIZE}", {"price": 0.00512, "tenantId": admin.tenant_id})
    priced = admin.ok("GET", spot_vm(admin, "priced", "PRICED", billingProfile={"maxPrice": 0.01}))["properties"]
    assert (priced["priority"], priced["evictionPolicy"], priced["billingProfile"]) == (
        "Spot",
        "Deallocate",
        {"maxPrice": 0.01},
    ), "Deallocate unless told"
    plain = admin.ok("GET", spot_vm(admin, "plain", "PLAIN", evictionPolicy="Delete"))["properties"]
    assert (plain["evictionPolicy"], plain["billingProfile"]) == ("Delete", {"maxPrice": -1}), "-1 unless told"
    regular = admin.ok("PUT", vm_id(admin, "reg"), vm_body(nic(admin, "reg"), "REG"))["properties"]
    assert not {"priority", "evictionPolicy", "billingProfile"} & set(regular)


def test_spot_capacity_refused_fails_a_spot_create_and_a_start_while_a_regular_vm_of_the_size_is_made(
    admin: ArmAdmin,
) -> None:
    admin.resource_group("rg")
    long_notice(admin)
    spot_capacity(admin, False)
    reply = admin.call("PUT", vm_id(admin, "nocap"), vm_body(nic(admin, "nocap"), "NOCAP", priority="Spot"))
    assert reply.status_code == 201, "Azure takes the create and fails the allocation after"
    status = admin.finished(reply)
    assert (status["status"], status["error"]["code"]) == ("Failed", "SkuNotAvailable")
    assert admin.ok("GET", vm_id(admin, "nocap"))["properties"]["provisioningState"] == "Failed"
    regular = admin.ok("PUT", vm_id(admin, "ondemand"), vm_body(nic(admin, "ondemand"), "ONDEMAND"))
    assert regular["properties"]["provisioningState"] == "Succeeded"

    control(admin, "DELETE", f"/spot/capacity/{REGION}/{SIZE}?tenantId={admin.tenant_id}")
    vm = spot_vm(admin, "later", "LATER")
    control(admin, "POST", "/spot/evict", {"vmId": vm})
    control(admin, "POST", "/spot/completeEviction", {"vmId": vm})
    assert power(admin, vm) == ["PowerState/deallocated"]
    spot_capacity(admin, False)
    refused = act(admin, vm, "start")
    assert (refused["status"], refused["error"]["code"]) == ("Failed", "SkuNotAvailable")
    assert power(admin, vm) == ["PowerState/deallocated"]
    spot_capacity(admin, True)
    assert act(admin, vm, "start")["status"] == "Succeeded"
    assert power(admin, vm) == ["PowerState/running"]


@pytest.mark.parametrize("code", ["AllocationFailed", "ZonalAllocationFailed", "OverconstrainedAllocationRequest"])
@pytest.mark.parametrize("priority", ["Regular", "Spot"])
def test_an_allocation_failure_fails_the_creates_operation_with_its_code_for_the_priority_asked(
    admin: ArmAdmin, code: str, priority: str
) -> None:
    admin.resource_group("rg")
    control(
        admin,
        "PUT",
        f"/spot/capacity/{REGION}/{SIZE}",
        {"available": False, "code": code, "priority": priority, "tenantId": admin.tenant_id},
    )
    asked = {"priority": priority}
    reply = admin.call("PUT", vm_id(admin, "nocap"), vm_body(nic(admin, "nocap"), "NOCAP", **asked))
    assert reply.status_code == 201, "Azure takes the create and fails the allocation after"
    status = admin.finished(reply)
    assert (status["status"], status["error"]["code"]) == ("Failed", code)
    assert admin.ok("GET", vm_id(admin, "nocap"))["properties"]["provisioningState"] == "Failed"
    other = {"priority": "Spot" if priority == "Regular" else "Regular"}
    made = admin.ok("PUT", vm_id(admin, "other"), vm_body(nic(admin, "other"), "OTHER", **other))
    assert made["properties"]["provisioningState"] == "Succeeded", "only the priority the control names fails"
    bad = admin.session.put(
        f"{admin.emulator.base_url}/emulator/spot/capacity/{REGION}/{SIZE}",
        json={"available": False, "code": "NoRoom"},
        timeout=30,
    )
    assert bad.status_code == 400


def usages(admin: ArmAdmin) -> dict[str, tuple[int, str]]:
    path = f"/subscriptions/{admin.subscription_id}/providers/Microsoft.Compute/locations/{REGION}/usages"
    rows = admin.ok("GET", path)["value"]
    return {r["name"]["value"]: (r["currentValue"], r["name"]["localizedValue"]) for r in rows}


def test_spot_vcpus_count_against_the_low_priority_quota_not_the_familys(admin: ArmAdmin) -> None:
    admin.resource_group("rg")
    before = usages(admin)
    spot_vm(admin, "lp1", "LP1")
    after = usages(admin)
    assert after["lowPriorityCores"] == (before["lowPriorityCores"][0] + 2, "Total Regional Low-priority vCPUs")
    assert after["standardDSv5Family"] == before["standardDSv5Family"] and after["cores"] == before["cores"]
    region = f"/subscriptions/{admin.subscription_id}/providers/Microsoft.Compute/locations/{REGION}"
    quota = f"{region}/providers/Microsoft.Quota/quotas/lowPriorityCores"
    admin.ok("PUT", quota, {"properties": {"limit": {"value": after["lowPriorityCores"][0] + 1}}})
    assert refusal(admin, "lp2", nic(admin, "lp2"), priority="Spot") == (409, "OperationNotAllowed")
    made = admin.ok("PUT", vm_id(admin, "reg2"), vm_body(nic(admin, "reg2"), "REG2"))
    assert made["properties"]["provisioningState"] == "Succeeded", "on demand uses the family's quota"
    admin.finished(admin.call("DELETE", vm_id(admin, "lp1")))
    assert usages(admin)["lowPriorityCores"][0] == before["lowPriorityCores"][0]


def spot_pool(admin: ArmAdmin, name: str, **props: Any) -> Pool:
    """A pooled host pool whose one session host is a Spot VM."""
    pool = Pool(admin, name, 0)
    vm = spot_vm(admin, f"{name}-vm0", pool.host(0), **props)
    assert install_agent(admin, vm, new_token(admin, pool.id))["properties"]["provisioningState"] == "Succeeded"
    pool.vms.append(vm)
    return pool


def host_status(pool: Pool) -> str:
    return str(call(pool.admin, "GET", f"{pool.id}/sessionHosts/{pool.host(0)}").json()["properties"]["status"])


def test_an_eviction_gives_30_seconds_notice_then_deallocates_the_vm_and_loses_its_sessions(admin: ArmAdmin) -> None:
    pool = spot_pool(admin, "hps")
    vm = pool.vms[0]
    for user in ("ann", "bob", "cat"):
        pool.signed_in(f"{user}@contoso.com")
    assert pool.control_post("signOuts", "cat@contoso.com").status_code == 200  # she left before: not lost

    before = time.time()
    posted = control(admin, "POST", "/spot/evict", {"vmId": vm})
    [event] = posted["Events"]
    assert {k: event[k] for k in ("EventType", "ResourceType", "Resources", "EventStatus", "EventSource")} == {
        "EventType": "Preempt",
        "ResourceType": "VirtualMachine",
        "Resources": ["hps-vm0"],
        "EventStatus": "Scheduled",
        "EventSource": "Platform",
    }
    assert {"DocumentIncarnation", "Events"} == set(posted) and event["EventId"] and event["Description"]
    not_before = email.utils.parsedate_to_datetime(event["NotBefore"]).timestamp()
    assert before + 29 <= not_before <= time.time() + 31, "the documented minimum notice of a Preempt"
    assert control(admin, "GET", f"/spot/scheduledEvents?vmId={vm}") == posted
    assert len(pool.sessions()) == 2 and host_status(pool) == "Available", "the notice ends nothing yet"
    again = admin.session.post(f"{admin.emulator.base_url}/emulator/spot/evict", json={"vmId": vm}, timeout=30)
    assert again.status_code == 409

    control(admin, "POST", "/spot/completeEviction", {"vmId": vm})
    assert pool.sessions() == [] and pool.counters()["lostSessions"] == 2
    assert host_status(pool) == "Unavailable"
    assert power(admin, vm) == ["PowerState/deallocated"]
    disk = admin.ok("GET", vm)["properties"]["storageProfile"]["osDisk"]["managedDisk"]["id"]
    assert admin.call("GET", disk).status_code == 200, "Deallocate keeps the disks"
    evictions = control(admin, "GET", f"/spot/evictions?tenantId={admin.tenant_id}")
    assert evictions["sessionsLost"] == 2
    [evicted] = evictions["value"]
    assert (evicted["vmId"], evicted["policy"], sorted(evicted["users"])) == (
        vm,
        "Deallocate",
        ["ann@contoso.com", "bob@contoso.com"],
    )
    started = control(admin, "GET", f"/spot/scheduledEvents?vmId={vm}")
    assert started["DocumentIncarnation"] == 2 and started["Events"][0]["EventStatus"] == "Started"
    refused = pool.sign_in("dan@contoso.com")
    assert refused.status_code == 409, "an evicted host takes nobody"


def test_an_eviction_under_delete_deletes_the_vm_and_its_disk_and_leaves_a_detached_nic(admin: ArmAdmin) -> None:
    admin.resource_group("rg")
    long_notice(admin)
    vm = spot_vm(admin, "gone", "GONE", evictionPolicy="Delete")
    made = admin.ok("GET", vm)["properties"]
    disk, nic_id = (
        made["storageProfile"]["osDisk"]["managedDisk"]["id"],
        made["networkProfile"]["networkInterfaces"][0]["id"],
    )
    control(admin, "POST", "/spot/evict", {"vmId": vm})
    assert admin.call("GET", vm).status_code == 200, "an hour's notice: nothing happens before NotBefore"
    control(admin, "POST", "/spot/completeEviction", {"vmId": vm})
    assert admin.call("GET", vm).status_code == 404 and admin.call("GET", disk).status_code == 404
    left = admin.ok("GET", nic_id)
    assert "virtualMachine" not in left["properties"], "its NIC goes as the VM's delete would leave it: detached"
    [evicted] = control(admin, "GET", f"/spot/evictions?tenantId={admin.tenant_id}")["value"]
    assert (evicted["policy"], evicted["sessionsLost"]) == ("Delete", 0)


class Receiver:
    """A tiny HTTP endpoint standing in for the app's: answers 503 to the first POST, then 202."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.two = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append({"auth": self.headers["Authorization"], "body": json.loads(body)})
                self.send_response(503 if len(receiver.received) == 1 else 202)
                self.send_header("Content-Length", "0")
                self.end_headers()
                if len(receiver.received) >= 2:
                    receiver.two.set()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/api/spot/scheduledEvents"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    thread = threading.Thread(target=found.server.serve_forever, daemon=True)
    thread.start()
    yield found
    found.server.shutdown()
    found.server.server_close()


def test_the_watcher_delivers_the_preempt_document_with_the_vms_identity_token_retrying_a_5xx(
    admin: ArmAdmin, receiver: Receiver
) -> None:
    admin.resource_group("rg")
    long_notice(admin)
    control(admin, "PUT", f"/tenants/{admin.tenant_id}/apps/{AUDIENCE}", {"consented": True})
    vm = spot_vm(admin, "watched", "WATCHED")
    install_watcher(admin, vm, receiver.url, AUDIENCE)
    posted = control(admin, "POST", "/spot/evict", {"vmId": vm})

    assert receiver.two.wait(60), f"the watcher's retry never came: {receiver.received}"
    assert [r["body"] for r in receiver.received] == [posted, posted]
    token = receiver.received[1]["auth"].removeprefix("Bearer ")
    keys = admin.session.get(f"{admin.emulator.base_url}/{admin.tenant_id}/discovery/v2.0/keys", timeout=30).json()
    key = jwt.PyJWK(keys["keys"][0])
    claims = jwt.decode(token, key.key, algorithms=["RS256"], audience=AUDIENCE)
    identity = admin.ok("GET", vm)["identity"]
    assert (claims["tid"], claims["oid"]) == (admin.tenant_id, identity["principalId"])
    assert "xms_mirid" not in claims  # Entra names the VM only in tokens for Microsoft's own resources

    deadline = time.monotonic() + 30  # the second attempt is recorded once its answer is read
    while len(deliveries := control(admin, "GET", f"/spot/deliveries?vmId={vm}")["value"]) < 2:
        assert time.monotonic() < deadline, deliveries
        time.sleep(0.1)
    assert [(d["attempt"], d["status"]) for d in deliveries] == [(1, 503), (2, 202)]


def test_only_a_microsoft_resources_token_names_the_vm() -> None:
    from azure_emulator.arm.spot import _microsoft_resource

    assert all(
        map(
            _microsoft_resource,
            [
                "https://management.azure.com/",
                "https://vault.azure.net",
                "https://graph.microsoft.com",
                "https://storage.azure.com/",
            ],
        )
    )
    assert not any(
        map(
            _microsoft_resource,
            [AUDIENCE, "6a4a0c2e-5f0b-4c1e-9d55-0c1d2e3f4a5b", "https://app.example.com", "https://evilazure.com"],
        )
    )


def test_a_watcher_gets_no_token_for_an_app_without_a_service_principal_in_the_vms_tenant(
    admin: ArmAdmin, receiver: Receiver
) -> None:
    admin.resource_group("rg")
    long_notice(admin)
    app = "5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b"
    control(admin, "PUT", f"/tenants/{admin.tenant_id}/apps/{app}", {"consented": False})
    vm = spot_vm(admin, "unconsented", "UNCONSENTED")
    install_watcher(admin, vm, receiver.url, app)
    control(admin, "POST", "/spot/evict", {"vmId": vm})

    deadline = time.monotonic() + 30
    while not (deliveries := control(admin, "GET", f"/spot/deliveries?vmId={vm}")["value"]):
        assert time.monotonic() < deadline, deliveries
        time.sleep(0.1)
    ((delivery),) = deliveries
    assert delivery["status"] is None and delivery["error"].startswith("invalid_resource: AADSTS500011:"), delivery
    assert receiver.received == []  # Entra refused the token: nothing was posted
