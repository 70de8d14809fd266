"""An azure-backend Cloud PC brokered through Azure Virtual Desktop end to end: each user's Cloud PC a session host of
the policy's personal host pool assigned to them, their connection landing on it through reprovision and rename, end
of grace taking it out, and a registration the agent refuses failing its attempt with AVD's reason."""

from __future__ import annotations

from typing import Any, NamedTuple

import pytest

from devhost.host import DevHost
from shared.catalog.app_access import DESKTOP_VIRTUALIZATION_USER
from shared.services.cloud_pcs.provisioning_steps import POST_COMMAND, nic_name, vm_name
from tests.e2e.test_lifecycle import gone, status_becomes
from tests.e2e.test_provisioning import BIG_PLAN, PLAN, assign, provision_one, settled_cloud_pcs, timeline
from tests.utils.api_client import ApiClient, eventually
from tests.utils.wizard import CLOUD_PC_RG, Tenant

DV = "Microsoft.DesktopVirtualization"
USERS = ("u1", "u2", "u3")


class Brokered(NamedTuple):
    """Three users of one policy, each with a provisioned Cloud PC in the policy's one personal host pool."""

    api: ApiClient
    tenant: Tenant
    policy: dict[str, Any]
    cloud_pcs: dict[str, dict[str, Any]]  # by user name, as provisioned
    pool: dict[str, Any]


@pytest.fixture(scope="module")
def brokered(app_host: DevHost, admin_token: str) -> Brokered:
    api = ApiClient(f"{app_host.base_url}/api", admin_token)
    tenant = Tenant(api)
    for user in USERS:
        tenant.user(user, [PLAN])
    tenant.group("finance", list(USERS))
    policy = tenant.policy()
    assign(api, tenant, policy, "finance")
    provisioned = settled_cloud_pcs(api, tenant, 3)
    assert {c["status"] for c in provisioned} == {"provisioned"}, [c.get("statusDetail") for c in provisioned]
    [pool] = tenant.arm.host_pools(CLOUD_PC_RG)
    return Brokered(api, tenant, policy, {tenant.name_of(c["userId"]): c for c in provisioned}, pool)


def session_hosts(tenant: Tenant, pool_id: str) -> dict[str, str | None]:
    """The pool's session hosts as AVD lists them: each one's VM (its ARM id, lower case) and assigned user."""
    hosts = tenant.arm.ok("GET", f"{pool_id}/sessionHosts")["value"]
    return {h["properties"]["resourceId"].lower(): h["properties"].get("assignedUser") for h in hosts}


def connect(tenant: Tenant, pool_id: str, upn: str) -> str:
    """The user opens their desktop (the emulator's session control), their client waiting while a VM Start VM on
    Connect started boots (202); the session host they land on, lower case."""
    control = f"{tenant.arm.emulator.base_url}/emulator/avd{pool_id}/connections"

    def landed() -> str:
        reply = tenant.arm.session.post(control, json={"userPrincipalName": upn}, timeout=30)
        assert reply.status_code == 201, reply.text
        return str(reply.json()["name"]).split("/")[1].lower()

    return eventually(landed, timeout_s=60)


def feed(tenant: Tenant, upn: str) -> list[tuple[str, str | None]]:
    """The desktops the user's Windows App lists (the emulator's view of AVD's feed): each one's host pool, lower case,
    and the session host assigned to them."""
    asked = {"tenantId": tenant.entra_id, "userPrincipalName": upn}
    reply = tenant.arm.session.get(f"{tenant.arm.emulator.base_url}/emulator/avd/feed", params=asked, timeout=30)
    assert reply.status_code == 200, reply.text
    return [
        (d["hostPoolId"].lower(), d["assignedSessionHost"] and d["assignedSessionHost"].lower())
        for w in reply.json()["workspaces"]
        for d in w["desktops"]
    ]


def reaches_own_cloud_pc(tenant: Tenant, pool_id: str, cloud_pc: dict[str, Any]) -> None:
    """Their feed lists exactly the policy's desktop with their own Cloud PC behind it, and they land on it."""
    upn, host = cloud_pc["userPrincipalName"], cloud_pc["managedDeviceName"].lower()
    assert feed(tenant, upn) == [(pool_id.lower(), host)]
    assert connect(tenant, pool_id, upn) == host


def test_each_users_cloud_pc_is_a_session_host_assigned_to_them_and_their_connection_lands_there(
    brokered: Brokered,
) -> None:
    api, tenant, policy, pool = brokered.api, brokered.tenant, brokered.policy, brokered.pool
    provisioned = list(brokered.cloud_pcs.values())

    # one personal pool for the policy in the site, Direct assignment, named after the policy
    props = pool["properties"]
    assert pool["name"].startswith(f"cpc-{policy['id']}")
    assert (props["hostPoolType"], props["personalDesktopAssignmentType"]) == ("Personal", "Direct")
    assert props["friendlyName"] == policy["displayName"]
    upn = {c["userId"]: c["userPrincipalName"] for c in provisioned}
    assert session_hosts(tenant, pool["id"]) == {c["virtualMachineId"].lower(): upn[c["userId"]] for c in provisioned}

    # the policy's group may connect: Desktop Virtualization User on the pool's desktop application group
    app_group = tenant.arm.resource_id(CLOUD_PC_RG, DV, "applicationGroups", f"{pool['name']}-dag")
    # atScope() answers those above it too (the app's own role, at the subscription)
    access = [
        a["properties"]
        for a in tenant.arm.role_assignments_at(app_group)
        if a["properties"]["scope"].lower() == app_group.lower()
    ]
    roles = [(a["principalId"], a["roleDefinitionId"].rsplit("/", 1)[-1]) for a in access]
    assert roles == [(tenant.gid("finance"), DESKTOP_VIRTUALIZATION_USER)]

    for cloud_pc in provisioned:  # each feed lists exactly their desktop; each lands on their own Cloud PC
        reaches_own_cloud_pc(tenant, pool["id"], cloud_pc)
        # the agent was installed by the post-provisioning Run Command: the step ran none of its own
        commands = tenant.arm.ok("GET", f"{cloud_pc['virtualMachineId']}/runCommands")["value"]
        assert [c["name"] for c in commands] == [POST_COMMAND]

    # end of grace: the session host, and the user's assignment with it, goes with the VM; the pool stays
    leaving = brokered.cloud_pcs["u1"]
    tenant.user("u1", [])  # license removed
    status_becomes(api, tenant, leaving["id"], "inGracePeriod")
    assert api.post(f"{tenant.path}/cloudPCs/{leaving['id']}/endGracePeriod").status_code == 202
    gone(api, tenant, leaving["id"])
    hosts = session_hosts(tenant, pool["id"])
    assert leaving["virtualMachineId"].lower() not in hosts and len(hosts) == 2
    # still in the group, u1 sees the policy's desktop with no Cloud PC behind it, and cannot connect
    assert feed(tenant, leaving["userPrincipalName"]) == [(pool["id"].lower(), None)]
    control = f"{tenant.arm.emulator.base_url}/emulator/avd{pool['id']}/connections"
    refused = tenant.arm.session.post(control, json={"userPrincipalName": leaving["userPrincipalName"]}, timeout=30)
    assert refused.status_code == 409, refused.text


def test_reprovision_and_rename_keep_the_users_access(brokered: Brokered) -> None:
    api, tenant, pool_id = brokered.api, brokered.tenant, brokered.pool["id"]
    before = brokered.cloud_pcs["u2"]
    assert api.post(f"{tenant.path}/cloudPCs/{before['id']}/reprovision").status_code == 202
    after = status_becomes(api, tenant, before["id"], "provisioned")  # reprovision moved it to pendingProvision
    assert after["run"] == before["run"] + 1 and after["virtualMachineId"] != before["virtualMachineId"]
    # the old VM's session host went with it; the new run registered the new VM and assigned it to the same user
    hosts = session_hosts(tenant, pool_id)
    assert before["virtualMachineId"].lower() not in hosts
    assert hosts[after["virtualMachineId"].lower()] == before["userPrincipalName"]
    reaches_own_cloud_pc(tenant, pool_id, after)

    # a rename is the friendly name only: the host, the assignment, the feed and the connection stay as they were
    kept = brokered.cloud_pcs["u3"]
    renamed = api.post(f"{tenant.path}/cloudPCs/{kept['id']}/rename", {"displayName": "u3's design PC"})
    assert renamed.status_code == 200, renamed.text
    assert session_hosts(tenant, pool_id)[kept["virtualMachineId"].lower()] == kept["userPrincipalName"]
    reaches_own_cloud_pc(tenant, pool_id, kept)


def test_a_registration_the_agent_refuses_fails_its_attempt_with_avds_reason_and_leaves_nothing_behind(
    api: ApiClient,
) -> None:
    tenant = Tenant(api)
    # the first attempt's agent refuses its token, as AVD refuses an invalid one: in the post-provisioning Run Command,
    # in the step's own install, and with the pool's live token it is given once more (a token another instance
    # replaced meanwhile would be taken)
    tenant.fault("registerAgent", 3)
    cloud_pc = provision_one(api, tenant)
    assert (cloud_pc["status"], cloud_pc["attempt"]) == ("provisioned", 2), cloud_pc.get("statusDetail")
    events = timeline(api, tenant, cloud_pc)
    registrations = [
        (e["attempt"], e["outcome"], e.get("code"))
        for e in events
        if e["name"] == "registerSessionHost" and e["outcome"] != "running"
    ]
    assert registrations == [(1, "failed", "INVALID_REGISTRATION_TOKEN"), (2, "succeeded", None)]
    [refused] = [e for e in events if e["name"] == "registerSessionHost" and e["outcome"] == "failed"]
    assert "did not register" in refused["message"], refused
    assert [e["attempt"] for e in events if e["name"] == "attemptCleanedUp"] == [1]

    # the first attempt left nothing: its VM, NIC and disk went, and it never became a session host
    [pool] = tenant.arm.host_pools(CLOUD_PC_RG)
    assert session_hosts(tenant, pool["id"]) == {cloud_pc["virtualMachineId"].lower(): cloud_pc["userPrincipalName"]}
    second = vm_name(cloud_pc["id"], cloud_pc["run"], 2)
    assert [vm["name"] for vm in tenant.arm.vms(CLOUD_PC_RG)] == [second]
    assert [nic["name"] for nic in tenant.arm.nics(CLOUD_PC_RG)] == [nic_name(cloud_pc["id"], cloud_pc["run"], 2)]
    assert [disk["name"].split("_")[0] for disk in tenant.arm.disks(CLOUD_PC_RG)] == [second]
    reaches_own_cloud_pc(tenant, pool["id"], cloud_pc)


def test_a_user_with_two_licenses_under_one_policy_gets_two_cloud_pcs_they_can_each_reach(api: ApiClient) -> None:
    """AVD gives a user one personal desktop in a pool: the second Cloud PC goes in the policy's second pool."""
    tenant = Tenant(api)
    tenant.user("ann", [PLAN, BIG_PLAN])
    tenant.group("design", ["ann"])
    policy = tenant.policy()
    assign(api, tenant, policy, "design")
    provisioned = settled_cloud_pcs(api, tenant, 2)
    assert {c["status"] for c in provisioned} == {"provisioned"}, [c.get("statusDetail") for c in provisioned]
    pools = {p["name"]: p for p in tenant.arm.host_pools(CLOUD_PC_RG)}
    region = next(iter(pools)).rsplit("-", 1)[-1]
    assert sorted(pools) == [f"cpc-{policy['id']}-{region}", f"cpc2-{policy['id']}-{region}"]
    upn = provisioned[0]["userPrincipalName"]
    placed = {}
    for pool in pools.values():
        [(vm, user)] = session_hosts(tenant, pool["id"]).items()
        assert user == upn
        placed[vm] = pool["id"]
    by_vm = {c["virtualMachineId"].lower(): c for c in provisioned}
    assert set(placed) == set(by_vm), "each Cloud PC a session host of its own pool"
    desktops = sorted(feed(tenant, upn))
    assert desktops == sorted((placed[vm].lower(), by_vm[vm]["managedDeviceName"].lower()) for vm in placed)
    for vm, pool_id in placed.items():  # each reachable: the connection lands on that Cloud PC
        assert connect(tenant, pool_id, upn) == by_vm[vm]["managedDeviceName"].lower()
        launch = api.get(f"{tenant.path}/cloudPCs/{by_vm[vm]['id']}/launchInfo").json()
        assert launch["hostPoolId"].lower() == pool_id.lower()
