"""The provisioning engine end to end: directory messages, reconcile, fan-out, stages, retries, timeline."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta
from typing import Any

from shared.ports.cloud_errors import REQUEST_BUDGET
from shared.services.cloud_pcs.provisioning_steps import ASSIGNMENT_STEPS, CORE_STEPS, POST_STEPS
from tests.utils.api_client import ApiClient, eventually
from tests.utils.app_stack import Collected
from tests.utils.wizard import Tenant

PLAN = "w365-enterprise-2vcpu-8gb-128gb"
BIG_PLAN = "w365-enterprise-4vcpu-16gb-256gb"
# licenses no provisioning policy makes a Cloud PC of: Windows 365 Business, and Shared Use (concurrent users)
OTHER_EDITIONS = ["w365-business-2vcpu-8gb-128gb", "w365-shared-2vcpu-8gb-128gb"]
SETTLED = {"provisioned", "provisionedWithWarnings", "failed"}


def cloud_pcs(api: ApiClient, tenant: Tenant, query: str = "") -> list[dict[str, Any]]:
    reply = api.get(f"{tenant.path}/cloudPCs?top=1000{query}")
    assert reply.status_code == 200, reply.text
    return list(reply.json()["value"])


def settled_cloud_pcs(api: ApiClient, tenant: Tenant, count: int) -> list[dict[str, Any]]:
    def all_settled() -> list[dict[str, Any]]:
        found = cloud_pcs(api, tenant)
        assert len(found) == count, [c["status"] for c in found]
        assert {c["status"] for c in found} <= SETTLED, [c["status"] for c in found]
        return found

    return eventually(all_settled, timeout_s=max(120.0, count * 1.5))  # a bound for a loaded machine, not a target


def assign(api: ApiClient, tenant: Tenant, policy: dict[str, Any], *groups: str) -> None:
    tenant.assign(policy, *groups)


FALSE_PRECISION = re.compile(r"(?<![\d.])\d+\.\d{2,}(?![\d.])")  # 1.33821 s, not an address


def test_a_group_of_six_users_gets_one_cloud_pc_per_license(api: ApiClient) -> None:
    # the catalogue carries Microsoft's published license SKUs: Windows 365 Enterprise 2 vCPU, 8 GB, 128 GB
    plans = {p["id"]: p for p in api.get("/servicePlans").json()["value"]}
    assert (plans[PLAN]["skuId"], plans[PLAN]["skuPartNumber"]) == (
        "e2aebe6c-897d-480f-9d62-fff1381581f7",
        "CPC_E_2C_8GB_128GB",
    )
    tenant = Tenant(api)
    licenses = {"u1": [PLAN], "u2": [PLAN], "u3": [PLAN], "u4": [PLAN, BIG_PLAN], "u5": [PLAN], "u6": []}
    for user, held in licenses.items():
        tenant.user(user, held + (OTHER_EDITIONS if user in ("u5", "u6") else []))
    tenant.group("finance", list(licenses))
    policy = tenant.policy()
    assign(api, tenant, policy, "finance")

    provisioned = settled_cloud_pcs(api, tenant, 6)
    assert {c["status"] for c in provisioned} == {"provisioned"}
    assert sorted((tenant.name_of(c["userId"]), c["servicePlanId"]) for c in provisioned) == sorted(
        (user, plan) for user, plans in licenses.items() for plan in plans
    )
    names = [c["managedDeviceName"] for c in provisioned]
    assert len(set(names)) == 6
    assert all(name.startswith("FIN-") and len(name) <= 15 for name in names)
    assert all(c["provisioningPolicyName"] == policy["displayName"] for c in provisioned)
    assert all(c["provisionedDateTime"] for c in provisioned)

    resources = tenant.resources()
    assert len(resources["virtualMachines"]) == 6
    assert len(resources["networkInterfaces"]) == 6
    assert len(resources["entraDevices"]) == 6
    assert len(resources["intuneDevices"]) == 6
    assert sorted(d["deviceName"] for d in resources["intuneDevices"]) == sorted(names)
    assert {tenant.name_of(d["userId"]) for d in resources["intuneDevices"]} == {"u1", "u2", "u3", "u4", "u5"}
    # the user's right to sign in: Virtual Machine User Login on each VM (and the group's to connect: Desktop
    # Virtualization User on the policy's desktop application group, tests/e2e/test_cloud_pc_brokering.py)
    assert len([a for a in resources["roleAssignments"] if "/virtualMachines/" in a["properties"]["scope"]]) == 6

    timeline = api.get(f"{tenant.path}/cloudPCs/{provisioned[0]['id']}/events").json()["value"]
    steps = [e["name"] for e in timeline if e["kind"] == "step"]
    assert steps[:6] == [
        "allocateCapacity",
        "createVm",
        "attachNetwork",
        "joinEntra",
        "enrollIntune",
        "assignPrimaryUser",
    ]
    assert steps[-2:] == list(ASSIGNMENT_STEPS)
    lines = [(e["attempt"], e["name"], e["outcome"], e.get("code")) for e in timeline if e["kind"] == "step"]
    assert [line for line in lines if line[2] != "succeeded"] == []  # the summary of a failure names the odd ones
    assert timeline[-1]["name"] == "provisioned"
    for cloud_pc in provisioned:  # a healthy provisioning speaks no engine words and no false precision
        said = api.get(f"{tenant.path}/cloudPCs/{cloud_pc['id']}/events").json()["value"]
        assert [e for e in said if e["name"] == "heldByAzure" and e.get("code") == REQUEST_BUDGET] == []
        assert [e["message"] for e in said if FALSE_PRECISION.search(e.get("message") or "")] == []

    only_u4 = cloud_pcs(api, tenant, f"&userId={tenant.uid('u4')}")
    assert len(only_u4) == 2
    assert len(cloud_pcs(api, tenant, f"&provisioningPolicyId={policy['id']}&status=provisioned")) == 6
    assert api.get(f"{tenant.path}/cloudPCs?status=sleeping").status_code == 400


def test_a_user_targeted_by_two_policies_gets_the_first_assigned(api: ApiClient) -> None:
    tenant = Tenant(api)
    tenant.user("ann", [PLAN])
    tenant.group("early", ["ann"])
    tenant.group("late", ["ann"])
    first = tenant.policy(displayName="First")
    second = tenant.policy(displayName="Second", cloudPcNamingTemplate="SEC-%RAND:6%")
    assign(api, tenant, first, "early")
    assign(api, tenant, second, "late")
    [cloud_pc] = settled_cloud_pcs(api, tenant, 1)
    assert cloud_pc["provisioningPolicyId"] == first["id"]
    assert cloud_pc["managedDeviceName"].startswith("FIN-")


def test_a_user_added_later_is_provisioned_from_the_queue_message_alone(api: ApiClient) -> None:
    tenant = Tenant(api)
    tenant.user("ann", [PLAN])
    tenant.group("sales", ["ann"])
    assign(api, tenant, tenant.policy(), "sales")
    settled_cloud_pcs(api, tenant, 1)
    tenant.user("bob", [PLAN])
    tenant.group("sales", ["ann", "bob"])
    after = settled_cloud_pcs(api, tenant, 2)
    assert {tenant.name_of(c["userId"]) for c in after} == {"ann", "bob"}
    tenant.user("cat", [])
    tenant.group("sales", ["ann", "bob", "cat"])
    tenant.user("cat", [PLAN])  # licensed later: the user message alone is enough
    assert {tenant.name_of(c["userId"]) for c in settled_cloud_pcs(api, tenant, 3)} == {"ann", "bob", "cat"}


def test_a_change_whose_notification_lags_is_provisioned_by_the_drift_reconcile(api: ApiClient) -> None:
    tenant = Tenant(api)
    tenant.user("ann", [PLAN])
    tenant.group("sales", ["ann"])
    assign(api, tenant, tenant.policy(), "sales")
    settled_cloud_pcs(api, tenant, 1)
    tenant.controls.timer("graph.notificationLag", 4 * 3600)  # Graph's notification is hours late, or lost
    tenant.user("bob", [PLAN])
    tenant.group("sales", ["ann", "bob"])
    base = api.base_url.removesuffix("/api")
    assert api.session.post(f"{base}/admin/functions/driftReconcile", json={"input": ""}, timeout=60).status_code == 202
    after = settled_cloud_pcs(api, tenant, 2)  # the app's own recovery: nothing came from Graph
    assert {tenant.name_of(c["userId"]) for c in after} == {"ann", "bob"}


def test_duplicate_messages_and_a_drift_reconcile_create_nothing_new(api: ApiClient, app_host: Any) -> None:
    tenant = Tenant(api)
    for user in ("ann", "bob"):
        tenant.user(user, [PLAN])
    tenant.group("ops", ["ann", "bob"])
    assign(api, tenant, tenant.policy(), "ops")
    before = settled_cloud_pcs(api, tenant, 2)
    queue = app_host.env["DIRECTORY_EVENTS_QUEUE"]
    send_raw(app_host, queue, {"tenantId": tenant.id, "groupIds": [tenant.gid("ops")]})
    send_raw(app_host, queue, {"tenantId": tenant.id, "groupIds": [tenant.gid("ops")]})
    send_raw(app_host, queue, {"tenantId": tenant.id, "userIds": [tenant.uid("ann"), tenant.uid("bob")]})
    # a customer added but not linked to Entra yet: the drift reconcile leaves it alone (its message could only fail)
    api.created("/tenants", {"displayName": f"Not linked {uuid.uuid4().hex[:6]}"})
    base = api.base_url.removesuffix("/api")
    assert api.session.post(f"{base}/admin/functions/driftReconcile", json={"input": ""}, timeout=60).status_code == 202
    send_raw(app_host, queue, {"tenantId": tenant.id, "full": True})
    wait_for_queue_to_drain(app_host, queue)
    after = cloud_pcs(api, tenant)
    assert sorted((c["id"], c["etag"]) for c in after) == sorted((c["id"], c["etag"]) for c in before)
    assert len(tenant.resources()["virtualMachines"]) == 2


def send_raw(app_host: Any, queue: str, body: dict[str, Any]) -> None:
    import json

    from azure.storage.queue import QueueClient, TextBase64EncodePolicy

    client = QueueClient.from_connection_string(
        app_host.env["AzureWebJobsStorage"], queue, message_encode_policy=TextBase64EncodePolicy()
    )
    client.send_message(json.dumps(body))


def wait_for_queue_to_drain(app_host: Any, queue: str) -> None:
    from azure.storage.queue import QueueClient

    client = QueueClient.from_connection_string(app_host.env["AzureWebJobsStorage"], queue)

    def drained() -> None:
        assert client.get_queue_properties().approximate_message_count == 0
        assert not list(client.peek_messages(max_messages=1))

    eventually(drained)


def provision_one(api: ApiClient, tenant: Tenant, **policy: Any) -> dict[str, Any]:
    tenant.user("ann", [PLAN])
    tenant.group("pilot", ["ann"])
    assign(api, tenant, tenant.policy(**policy), "pilot")
    [cloud_pc] = settled_cloud_pcs(api, tenant, 1)
    return cloud_pc


def timeline(api: ApiClient, tenant: Tenant, cloud_pc: dict[str, Any]) -> list[dict[str, Any]]:
    reply = api.get(f"{tenant.path}/cloudPCs/{cloud_pc['id']}/events")
    assert reply.status_code == 200
    return list(reply.json()["value"])


def test_create_vm_failing_twice_succeeds_on_the_third_attempt(api: ApiClient) -> None:
    tenant = Tenant(api)
    tenant.fault("createVm", 2, "AllocationFailed")
    cloud_pc = provision_one(api, tenant)
    assert cloud_pc["status"] == "provisioned"
    assert cloud_pc["attempt"] == 3
    events = timeline(api, tenant, cloud_pc)
    create_vm = [(e["attempt"], e["outcome"]) for e in events if e["name"] == "createVm"]
    assert create_vm == [(1, "failed"), (2, "failed"), (3, "succeeded")]
    assert [e["attempt"] for e in events if e["name"] == "attemptCleanedUp"] == [1, 2]
    resources = tenant.resources()
    assert len(resources["virtualMachines"]) == 1
    assert len(resources["networkInterfaces"]) == 1


def test_a_full_subnet_fails_at_once_naming_the_step_with_nothing_left_behind(api: ApiClient) -> None:
    tenant = Tenant(api)
    tenant.fault("createNic", 3, "SubnetIsFull")  # a refusal every attempt would meet: one attempt only
    cloud_pc = provision_one(api, tenant)
    assert cloud_pc["status"] == "failed"
    assert cloud_pc["statusDetail"]["code"] == "SubnetIsFull"
    assert cloud_pc["statusDetail"]["summary"] == "The connection's subnet has no free addresses."
    assert cloud_pc["statusDetail"]["recommendedAction"].startswith("Free addresses")
    assert "did not try again" in cloud_pc["statusDetail"]["message"]
    events = timeline(api, tenant, cloud_pc)
    assert [e["attempt"] for e in events if e["name"] == "attemptFailed"] == [1]
    assert events[-1]["name"] == "provisioningFailed" and events[-1]["message"].startswith("createVm: ")
    resources = tenant.resources()
    assert resources["virtualMachines"] == []
    assert resources["networkInterfaces"] == []


def test_three_failed_attempts_end_failed(api: ApiClient) -> None:
    tenant = Tenant(api)
    tenant.fault("createVm", 3, "AllocationFailed")  # capacity: a later attempt may find room, so three are made
    cloud_pc = provision_one(api, tenant)
    assert (cloud_pc["status"], cloud_pc["statusDetail"]["code"]) == ("failed", "AllocationFailed")
    events = timeline(api, tenant, cloud_pc)
    assert [e["attempt"] for e in events if e["name"] == "attemptFailed"] == [1, 2, 3]


def test_an_outage_and_a_throttle_are_waited_out_on_the_timeline_without_spending_an_attempt(api: ApiClient) -> None:
    tenant = Tenant(api)
    tenant.controls.throttle_next("createNic", retry_after_s=2)
    tenant.fault("createVm", 4, status=503)  # more 503s than the SDK's own retries in one call: the app sees one
    cloud_pc = provision_one(api, tenant)
    assert (cloud_pc["status"], cloud_pc["attempt"]) == ("provisioned", 1)
    events = timeline(api, tenant, cloud_pc)
    held = {e["code"]: e for e in events if e["name"] == "heldByAzure"}
    assert sorted(held) == ["InternalServerError", "TooManyRequests"]  # one line per wait, not per request
    assert {e["stage"] for e in held.values()} == {"core"}
    assert all(e["message"].startswith("createVm: Azure Resource Manager said not now") for e in held.values())
    assert [e["attempt"] for e in events if e["name"] == "attemptFailed"] == []


def test_graph_throttles_hold_their_steps_on_the_timeline(api: ApiClient) -> None:
    tenant = Tenant(api)
    # Intune throttles the read that waits for the enrolled device, and the primary user's write, for longer than a
    # step waits in its call: each is handed back to a durable timer, and the timeline says who held it
    tenant.controls.throttle_next("listManagedDevices", retry_after_s=6)
    tenant.controls.throttle_next("assignPrimaryUser", retry_after_s=6)
    cloud_pc = provision_one(api, tenant)
    assert (cloud_pc["status"], cloud_pc["attempt"]) == ("provisioned", 1)
    held = [e for e in timeline(api, tenant, cloud_pc) if e["name"] == "heldByAzure"]
    assert sorted((e["code"], e["message"].split(";")[0]) for e in held) == [
        ("TooManyRequests", "assignPrimaryUser: Microsoft Graph said not now (TooManyRequests)"),
        ("TooManyRequests", "enrollIntune: Microsoft Graph said not now (TooManyRequests)"),
    ]


def test_a_throttled_directory_read_waits_as_graph_says_on_the_tenants_activity_without_a_traceback(
    api: ApiClient, app_host: Any, app_logs: Collected
) -> None:
    tenant = Tenant(api)
    tenant.user("ann", [PLAN])
    tenant.group("sales", ["ann"])
    assign(api, tenant, tenant.policy(), "sales")
    settled_cloud_pcs(api, tenant, 1)
    tenant.controls.timer("graph.notificationLag", 4 * 3600)  # the change comes from the test's message alone
    tenant.user("bob", [PLAN])
    tenant.group("sales", ["ann", "bob"])
    first_traceback = len(app_logs.tracebacks)
    # Graph throttles the group's members for longer than a read waits in its call: the change waits on the queue
    tenant.controls.throttle_next("listGroupMembers", retry_after_s=31)
    send_raw(
        app_host, app_host.env["DIRECTORY_EVENTS_QUEUE"], {"tenantId": tenant.id, "groupIds": [tenant.gid("sales")]}
    )
    after = settled_cloud_pcs(api, tenant, 2)
    assert {tenant.name_of(c["userId"]) for c in after} == {"ann", "bob"}

    reply = api.get(f"{tenant.path}/auditEvents")
    assert reply.status_code == 200, reply.text
    [held] = [e for e in reply.json()["value"] if e["activity"] == "readDirectory"]
    assert (held["result"], held["errorCode"]) == ("failure", "TooManyRequests")
    [reason] = [c["newValue"] for c in held["changes"] if c["field"] == "reason"]
    assert reason == "Microsoft Graph said not now (TooManyRequests): the directory change is read again in 31 s"
    assert [t for t in app_logs.tracebacks[first_traceback:] if "TooManyRequests" in t or "directoryEvents" in t] == []


def test_a_post_provisioning_fault_only_warns(api: ApiClient) -> None:
    tenant = Tenant(api)
    tenant.fault("setTeamsVdiMode", 1, "ScriptTimeout")
    cloud_pc = provision_one(api, tenant, localAdminEnabled=True, windowsSetting={"locale": "de-DE"})
    assert cloud_pc["status"] == "provisionedWithWarnings"
    assert cloud_pc["attempt"] == 1
    assert "setTeamsVdiMode" in cloud_pc["statusDetail"]["message"]
    events = timeline(api, tenant, cloud_pc)
    warned = [e for e in events if e["name"] == "setTeamsVdiMode"]
    assert [(e["outcome"], e["code"]) for e in warned] == [("warning", "ScriptTimeout")]
    assert any(e["name"] == "addLocalAdmin" and e["outcome"] == "succeeded" for e in events)
    # one Run Command takes every step: one ARM write (the session host's registration is a step of its own)
    [command] = [c for c in tenant.resources()["runCommands"] if c["name"] != "registerSessionHost"]
    assert (command["name"], command["executionState"]) == ("postProvisioning", "Succeeded")
    assert any("Resize-Partition" in line for line in command["script"])
    assert "CPCSTEP setTeamsVdiMode failed ERRORTYPE=ScriptTimeout" in command["output"]
    assert any("Add-LocalGroupMember" in line for line in command["script"])
    assert "CPCSTEP setLanguage succeeded" in command["output"]  # the policy's language, not the image's en-US
    install = "Install-Language -Language 'de-DE' -CopyToSettings -ErrorAction Stop"
    assert any(line.strip() == install for line in command["script"])


def test_steps_in_progress_are_waited_for_across_many_calls_and_show_their_whole_duration(api: ApiClient) -> None:
    tenant = Tenant(api)
    steps = [*CORE_STEPS, *(s for s in POST_STEPS if s not in ("addLocalAdmin", "setLanguage")), *ASSIGNMENT_STEPS]
    # a wait in each long-running operation: more calls than one orchestration execution makes before it
    # starts afresh (the extension answers for joinEntra and enrollIntune, Run Command for post-provisioning)
    for operation in ("createVm", "joinEntra", "runCommand"):
        tenant.latency(operation, 0.3)
    cloud_pc = provision_one(api, tenant)
    assert cloud_pc["status"] == "provisioned"
    [vm] = tenant.resources()["virtualMachines"]
    assert cloud_pc["virtualMachineId"] == vm["id"]
    assert cloud_pc["networkInterfaceId"]
    events = timeline(api, tenant, cloud_pc)
    assert [e["name"] for e in events if e["kind"] == "step"] == steps  # the "running" lines became finished ones
    # the post-provisioning steps share one Run Command: the first waits for it, the others read its output
    slow = {"createVm", "joinEntra", next(s for s in steps if s in POST_STEPS)}
    for line in (e for e in events if e["kind"] == "step"):
        assert line["outcome"] == "succeeded"
        took = datetime.fromisoformat(line["endDateTime"]) - datetime.fromisoformat(line["startDateTime"])
        assert line["name"] not in slow or took >= timedelta(seconds=0.3), line
    assert events[0]["name"] == "provisioningStarted"
    assert events[-1]["name"] == "provisioned"


def test_an_unknown_cloud_pc_is_404(api: ApiClient) -> None:
    tenant = Tenant(api)
    assert api.get(f"{tenant.path}/cloudPCs/nope").status_code == 404
    assert api.get(f"{tenant.path}/cloudPCs/nope/events").status_code == 404
    assert api.get("/tenants/00000000-0000-0000-0000-000000000000/cloudPCs").status_code == 404
