"""Azure Virtual Desktop as its users see it, in the emulator: the feed lists, per workspace, the desktops a user holds
Desktop Virtualization User on (themselves or through nested groups, at the application group or above), with a
personal pool's host assigned to them; a sign-in or connection without the role is refused, as is a personal user's
whose host is not Available or who has no host in a Direct-assignment pool; each refusal is counted. The ARM side
goes through the real SDKs, the emulator's controls through plain HTTP."""

from __future__ import annotations

import uuid
from typing import Any

import requests
from azure.mgmt.desktopvirtualization import DesktopVirtualizationMgmtClient
from azure.mgmt.desktopvirtualization.models import ApplicationGroup, SessionHostPatch, Workspace

from tests.emulator.test_avd_user_sessions import DV_USER, Pool
from tests.emulator.test_desktop_virtualization import REGION, host_pool, install_agent, new_token, vm
from tests.utils.arm_admin import ArmAdmin, Sdk, StaticCredential
from tests.utils.graph_admin import GraphAdmin

DV_READER = "49a72310-ab8d-41df-bbb0-79b649203868"  # Desktop Virtualization Reader: no useApplications
PERSONAL_DIRECT: dict[str, Any] = {
    "kind": "Personal",
    "balancer": "Persistent",
    "personalDesktopAssignmentType": "Direct",
}


def avd(admin: ArmAdmin) -> Any:
    credential = StaticCredential(admin.emulator, admin.tenant_id)
    return DesktopVirtualizationMgmtClient(credential, admin.subscription_id, base_url=f"{admin.emulator.base_url}/arm")


def published(admin: ArmAdmin, pool: str, workspace: str | None) -> str:
    """The pool's Desktop application group (in the workspace, when one is named), by its id."""
    client = avd(admin)
    pool_id = admin.resource_id("rg", "Microsoft.DesktopVirtualization", "hostPools", pool)
    group = client.application_groups.create_or_update(
        "rg",
        f"{pool}-dag",
        ApplicationGroup(
            location=REGION, host_pool_arm_path=pool_id, application_group_type="Desktop", friendly_name=f"{pool} desk"
        ),
    )
    if workspace is not None:
        client.workspaces.create_or_update(
            "rg", workspace, Workspace(location=REGION, application_group_references=[group.id])
        )
    return str(group.id)


def grant(sdk: Sdk, admin: ArmAdmin, scope: str, principal: str, role: str = DV_USER, kind: str = "User") -> None:
    role_id = f"/subscriptions/{admin.subscription_id}/providers/Microsoft.Authorization/roleDefinitions/{role}"
    body = {"properties": {"roleDefinitionId": role_id, "principalId": principal, "principalType": kind}}
    sdk.authorization.role_assignments.create(scope, str(uuid.uuid4()), body)


def feed(admin: ArmAdmin, upn: str) -> requests.Response:
    params = {"tenantId": admin.tenant_id, "userPrincipalName": upn}
    return admin.session.get(f"{admin.emulator.base_url}/emulator/avd/feed", params=params, timeout=30)


def upn_of(directory: GraphAdmin, user_id: str) -> str:
    return str(directory.user(user_id)["userPrincipalName"])


def test_the_feed_lists_per_workspace_only_the_desktops_the_user_may_use(
    admin: ArmAdmin, sdk: Sdk, directory: GraphAdmin
) -> None:
    host_pool(admin, "hpf")
    pooled = published(admin, "hpf", "ws-a")
    personal_id = host_pool(admin, "hpq", **PERSONAL_DIRECT)
    personal = published(admin, "hpq", "ws-b")
    install_agent(admin, vm(admin, "hpq-vm0", "HPQ-0"), new_token(admin, personal_id))
    host_pool(admin, "hpz")
    unpublished = published(admin, "hpz", None)  # in no workspace: in no feed

    ann, bob = directory.create_user("ann"), directory.create_user("bob")
    sales, team = directory.create_group("sales"), directory.create_group("team")
    directory.add_member(sales, team)
    directory.add_member(team, ann)  # ann is in sales through team
    grant(sdk, admin, pooled, sales, kind="Group")
    grant(sdk, admin, personal, ann)
    grant(sdk, admin, unpublished, ann)
    grant(sdk, admin, admin.group_id("rg"), bob, DV_READER)  # reads everything, may use nothing
    avd(admin).session_hosts.update(
        "rg", "hpq", "HPQ-0", session_host=SessionHostPatch(assigned_user=upn_of(directory, ann))
    )

    found = feed(admin, upn_of(directory, ann))
    assert found.status_code == 200, found.text
    assert found.json() == {
        "workspaces": [
            {
                "id": admin.resource_id("rg", "Microsoft.DesktopVirtualization", "workspaces", "ws-a"),
                "name": "ws-a",
                "desktops": [
                    {
                        "applicationGroupId": pooled,
                        "hostPoolId": pooled.replace("applicationGroups/hpf-dag", "hostPools/hpf"),
                        "friendlyName": "hpf desk",
                        "assignedSessionHost": None,
                    }
                ],
            },
            {
                "id": admin.resource_id("rg", "Microsoft.DesktopVirtualization", "workspaces", "ws-b"),
                "name": "ws-b",
                "desktops": [
                    {
                        "applicationGroupId": personal,
                        "hostPoolId": personal_id,
                        "friendlyName": "hpq desk",
                        "assignedSessionHost": "HPQ-0",
                    }
                ],
            },
        ]
    }
    assert feed(admin, upn_of(directory, bob)).json() == {"workspaces": []}
    directory.remove_member(team, ann)
    assert [w["name"] for w in feed(admin, upn_of(directory, ann)).json()["workspaces"]] == ["ws-b"], "at once"
    assert feed(admin, "nobody@contoso.com").status_code == 404
    assert admin.session.get(f"{admin.emulator.base_url}/emulator/avd/feed", timeout=30).status_code == 400


def test_a_user_without_the_role_is_refused_and_a_load_needs_a_group_that_holds_it(
    admin: ArmAdmin, sdk: Sdk, directory: GraphAdmin
) -> None:
    pool = Pool(admin, "hpr", 1)
    bob = pool.user("bob@contoso.com")  # in the directory, not in the pool's users' group
    for refused in (
        pool.sign_in("bob@contoso.com", entitled=False),
        pool.sign_in("eve@nowhere.example", entitled=False),
    ):
        assert (refused.status_code, refused.json()["error"]["code"]) == (403, "ConnectionFailedUserNotAuthorized")
    contract = {"hostName": pool.host(0), "userId": bob, "action": "signIn"}
    refused = admin.session.post(f"{admin.emulator.base_url}/emulator/sessions", json=contract, timeout=30)
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "ConnectionFailedUserNotAuthorized")
    counted = pool.counters()
    assert (counted["refusedNotAuthorized"], counted["refusedSignIns"], counted["sessions"]) == (3, 3, 0)
    grant(sdk, admin, admin.group_id("rg"), bob)  # a scope above the application group grants it too
    assert pool.sign_in("bob@contoso.com", entitled=False).status_code == 201

    bare = Pool(admin, "hpu", 1)
    for assignment in sdk.authorization.role_assignments.list_for_scope(bare.app_group):
        sdk.authorization.role_assignments.delete_by_id(assignment.id)
    assert bare.load(2) == {"signedInUsers": 0, "signedIn": 0, "signedOut": 0, "refused": 2}
    assert bare.counters()["refusedNotAuthorized"] == 2
    grant(sdk, admin, bare.app_group, bare.users_group, kind="Group")
    assert bare.load(2)["signedIn"] == 2, "the load's users stand for members of the group granted the desktop"


def test_a_personal_user_needs_their_own_available_host(admin: ArmAdmin) -> None:
    pool = Pool(admin, "hpv", 2, **PERSONAL_DIRECT)
    pool.entitle("ann@contoso.com")
    avd(admin).session_hosts.update(
        "rg", "hpv", pool.host(0), session_host=SessionHostPatch(assigned_user="ann@contoso.com")
    )
    unassigned = pool.control_post("connections", "bob@contoso.com")  # Direct: nobody gave bob a host
    assert (unassigned.status_code, unassigned.json()["error"]["code"]) == (
        409,
        "ConnectionFailedNoHealthyRdshAvailable",
    )
    assert "Direct assignment" in unassigned.json()["error"]["message"]
    assert pool.control_post("connections", "ann@contoso.com").status_code == 201
    assert pool.where() == {"ann@contoso.com": pool.host(0)}
    assert pool.control_post("signOuts", "ann@contoso.com").status_code == 200

    assert admin.finished(admin.call("DELETE", pool.vms[0])).get("status") == "Succeeded"
    assert avd(admin).session_hosts.get("rg", "hpv", pool.host(0)).status == "Unavailable"
    gone = pool.control_post("connections", "ann@contoso.com")
    assert (gone.status_code, gone.json()["error"]["code"]) == (409, "ConnectionFailedNoHealthyRdshAvailable")
    assert "Unavailable" in gone.json()["error"]["message"]
    intruder = pool.control_post("connections", "cat@contoso.com", entitled=False)
    assert (intruder.status_code, intruder.json()["error"]["code"]) == (403, "ConnectionFailedUserNotAuthorized")
    counted = pool.counters()
    assert (counted["refusedUnassigned"], counted["refusedUnavailableHosts"], counted["refusedNotAuthorized"]) == (
        1,
        1,
        1,
    )
    assert (counted["refusedSignIns"], counted["signIns"]) == (3, 1)
