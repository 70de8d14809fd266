"""An azure-backend Cloud PC brokered through Azure Virtual Desktop end to end: each user's Cloud PC a session host of
the policy's personal host pool assigned to them, their connection landing on it, and end of grace taking it out."""

from __future__ import annotations

from typing import Any

from shared.catalog.app_access import DESKTOP_VIRTUALIZATION_USER
from tests.e2e.test_lifecycle import gone, status_becomes
from tests.e2e.test_provisioning import PLAN, assign, settled_cloud_pcs
from tests.utils.api_client import ApiClient
from tests.utils.wizard import CLOUD_PC_RG, Tenant

DV = "Microsoft.DesktopVirtualization"
USERS = ("u1", "u2", "u3")


def session_hosts(tenant: Tenant, pool_id: str) -> dict[str, str | None]:
    """The pool's session hosts as AVD lists them: each one's VM (its ARM id, lower case) and assigned user."""
    hosts = tenant.arm.ok("GET", f"{pool_id}/sessionHosts")["value"]
    return {h["properties"]["resourceId"].lower(): h["properties"].get("assignedUser") for h in hosts}


def connect(tenant: Tenant, pool_id: str, upn: str) -> str:
    """The user opens their desktop (the emulator's session control); the session host they land on, lower case."""
    control = f"{tenant.arm.emulator.base_url}/emulator/avd{pool_id}/connections"
    reply = tenant.arm.session.post(control, json={"userPrincipalName": upn}, timeout=30)
    assert reply.status_code == 201, reply.text
    return str(reply.json()["name"]).split("/")[1].lower()


def feed(tenant: Tenant, upn: str) -> list[tuple[str, str | None]]:
    """The desktops the user's Windows App lists (the emulator's view of AVD's feed): each one's host pool, lower case,
    and the session host assigned to them."""
    asked = {"tenantId": tenant.entra_id, "userPrincipalName": upn}
    reply = tenant.arm.session.get(f"{tenant.arm.emulator.base_url}/emulator/avd/feed", params=asked, timeout=30)
    assert reply.status_code == 200, reply.text
    return [(d["hostPoolId"].lower(), d["assignedSessionHost"] and d["assignedSessionHost"].lower())
            for w in reply.json()["workspaces"] for d in w["desktops"]]  # fmt: skip


def test_each_users_cloud_pc_is_a_session_host_assigned_to_them_and_their_connection_lands_there(
    api: ApiClient,
) -> None:
    tenant = Tenant(api)
    for user in USERS:
        tenant.user(user, [PLAN])
    tenant.group("finance", list(USERS))
    policy = tenant.policy()
    assign(api, tenant, policy, "finance")
    provisioned = settled_cloud_pcs(api, tenant, 3)
    assert {c["status"] for c in provisioned} == {"provisioned"}, [c.get("statusDetail") for c in provisioned]

    # one personal pool for the policy in the site, Direct assignment, named after the policy
    [pool] = tenant.arm.host_pools(CLOUD_PC_RG)
    props = pool["properties"]
    assert pool["name"].startswith(f"cpc-{policy['id']}")
    assert (props["hostPoolType"], props["personalDesktopAssignmentType"]) == ("Personal", "Direct")
    assert props["friendlyName"] == policy["displayName"]
    upn = {c["userId"]: c["userPrincipalName"] for c in provisioned}
    assert session_hosts(tenant, pool["id"]) == {c["virtualMachineId"].lower(): upn[c["userId"]] for c in provisioned}

    # the policy's group may connect: Desktop Virtualization User on the pool's desktop application group
    app_group = tenant.arm.resource_id(CLOUD_PC_RG, DV, "applicationGroups", f"{pool['name']}-dag")
    # atScope() answers those above it too (the app's own role, at the subscription)
    access = [a["properties"] for a in tenant.arm.role_assignments_at(app_group)
              if a["properties"]["scope"].lower() == app_group.lower()]  # fmt: skip
    roles = [(a["principalId"], a["roleDefinitionId"].rsplit("/", 1)[-1]) for a in access]
    assert roles == [(tenant.gid("finance"), DESKTOP_VIRTUALIZATION_USER)]

    for cloud_pc in provisioned:  # each feed lists exactly their desktop; each lands on their own Cloud PC
        host = cloud_pc["managedDeviceName"].lower()
        assert feed(tenant, cloud_pc["userPrincipalName"]) == [(pool["id"].lower(), host)]
        assert connect(tenant, pool["id"], cloud_pc["userPrincipalName"]) == host

    # end of grace: the session host, and the user's assignment with it, goes with the VM; the pool stays
    leaving: dict[str, Any] = next(c for c in provisioned if tenant.name_of(c["userId"]) == "u1")
    tenant.user("u1", [])  # license removed
    status_becomes(api, tenant, leaving["id"], "inGracePeriod")
    assert api.post(f"{tenant.path}/cloudPCs/{leaving['id']}/endGracePeriod").status_code == 202
    gone(api, tenant, leaving["id"])
    staying = [c for c in provisioned if c is not leaving]
    assert session_hosts(tenant, pool["id"]) == {c["virtualMachineId"].lower(): upn[c["userId"]] for c in staying}
    # still in the group, u1 sees the policy's desktop with no Cloud PC behind it, and cannot connect
    assert feed(tenant, leaving["userPrincipalName"]) == [(pool["id"].lower(), None)]
    control = f"{tenant.arm.emulator.base_url}/emulator/avd{pool['id']}/connections"
    refused = tenant.arm.session.post(control, json={"userPrincipalName": leaving["userPrincipalName"]}, timeout=30)
    assert refused.status_code == 409, refused.text
