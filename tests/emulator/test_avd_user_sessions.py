"""Azure Virtual Desktop user sessions in the emulator, as Azure answers them: users signed in through the emulator's
controls land where the host pool's load balancing puts them, the session hosts count them, and the userSessions
routes list, log off, disconnect and message them (through plain ARM calls and the real SDK), each under its RBAC
action; a VM that stops ends its sessions, and the pool counts what was lost and what was refused."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import requests
from azure.core.exceptions import ResourceNotFoundError
from azure.mgmt.desktopvirtualization import DesktopVirtualizationMgmtClient
from azure.mgmt.desktopvirtualization.models import SendMessage

from tests.emulator.test_arm_rbac import assign, consented_app, refusal
from tests.emulator.test_desktop_virtualization import AVD, NS, REGION, call, host_pool, install_agent, new_token, vm
from tests.utils.arm_admin import ArmAdmin, StaticCredential
from tests.utils.graph_admin import GraphAdmin, GraphAdminError

DV_READER = "49a72310-ab8d-41df-bbb0-79b649203868"  # Desktop Virtualization Reader
DV_CONTRIBUTOR = "082f0a83-3be5-4ba1-904c-961cca79b387"  # Desktop Virtualization Contributor
DV_USER = "1d18fff3-a72a-46b5-b4a9-0b38a3cd7e63"  # Desktop Virtualization User


def desktop_published(admin: ArmAdmin, pool_id: str) -> str:
    """The pool's Desktop application group, in a workspace of its own: what a user's feed offers."""
    name = pool_id.rsplit("/", 1)[1]
    group = call(
        admin,
        "PUT",
        admin.resource_id("rg", NS, "applicationGroups", f"{name}-dag"),
        {
            "location": REGION,
            "properties": {
                "applicationGroupType": "Desktop",
                "hostPoolArmPath": pool_id,
                "friendlyName": f"{name} desktop",
            },
        },
    )
    assert group.status_code in (200, 201), group.text
    workspace = call(
        admin,
        "PUT",
        admin.resource_id("rg", NS, "workspaces", f"{name}-ws"),
        {"location": REGION, "properties": {"applicationGroupReferences": [group.json()["id"]]}},
    )
    assert workspace.status_code in (200, 201), workspace.text
    return str(group.json()["id"])


class Pool:
    """A host pool with registered session hosts, its desktop published in a workspace to a group granted Desktop
    Virtualization User (as a Spot Group's is), and the emulator's controls of its users, who join that group."""

    def __init__(self, admin: ArmAdmin, name: str, hosts: int, **props: Any) -> None:
        self.admin, self.name = admin, name
        self.id = host_pool(admin, name, **props)
        self.app_group = desktop_published(admin, self.id)
        self.directory = GraphAdmin(admin.emulator, admin.tenant_id)
        self.users_group = self.directory.create_group(f"{name}-users")
        assign(admin, self.users_group, DV_USER, self.app_group, "Group")
        token = new_token(admin, self.id)
        self.vms = []
        for index in range(hosts):
            vm_id = vm(admin, f"{name}-vm{index}", f"{name.upper()}-{index}")
            assert install_agent(admin, vm_id, token)["properties"]["provisioningState"] == "Succeeded"
            self.vms.append(vm_id)
        self.control = f"{admin.emulator.base_url}/emulator/avd{self.id}"

    def host(self, index: int) -> str:
        return f"{self.name.upper()}-{index}"

    def user(self, upn: str) -> str:
        """The directory's user of that name (made the first time), by object id."""
        try:
            return str(self.directory.call("GET", f"{self.directory.graph}/users/{upn}")["id"])
        except GraphAdminError:
            local = upn.split("@", 1)[0]
            return str(
                self.directory.call(
                    "POST",
                    f"{self.directory.graph}/users",
                    {
                        "accountEnabled": True,
                        "displayName": local,
                        "mailNickname": local,
                        "userPrincipalName": upn,
                        "passwordProfile": {"password": uuid.uuid4().hex + "Aa1!"},
                    },
                )["id"]
            )

    def entitle(self, upn: str) -> str:
        """The user, a member of the group that may use the pool's desktop."""
        user_id = self.user(upn)
        if user_id not in self.directory.members(self.users_group):
            self.directory.add_member(self.users_group, user_id)
        return user_id

    def sign_in(self, upn: str, host: str | None = None, entitled: bool = True) -> requests.Response:
        if entitled:
            self.entitle(upn)
        body = {"userPrincipalName": upn, **({"sessionHostName": host} if host else {})}
        return self.admin.session.post(f"{self.control}/signIns", json=body, timeout=30)

    def signed_in(self, upn: str) -> dict[str, Any]:
        reply = self.sign_in(upn)
        assert reply.status_code == 201, reply.text
        return dict(reply.json())

    def control_post(self, what: str, upn: str, entitled: bool = True) -> requests.Response:
        if entitled and what in ("signIns", "connections"):
            self.entitle(upn)
        return self.admin.session.post(f"{self.control}/{what}", json={"userPrincipalName": upn}, timeout=30)

    def load(self, users: int, **more: Any) -> dict[str, Any]:
        reply = self.admin.session.put(f"{self.control}/load", json={"signedInUsers": users, **more}, timeout=30)
        assert reply.status_code == 200, reply.text
        return dict(reply.json())

    def counters(self) -> dict[str, int]:
        return dict(self.admin.session.get(f"{self.control}/sessionCounters", timeout=30).json())

    def messages(self) -> list[dict[str, Any]]:
        return list(self.admin.session.get(f"{self.control}/messages", timeout=30).json()["value"])

    def sessions(self, query: str = "") -> list[dict[str, Any]]:
        reply = self.admin.session.get(self.admin.url(f"{self.id}/userSessions", AVD) + query, timeout=30)
        assert reply.status_code == 200, reply.text
        return list(reply.json()["value"])

    def where(self) -> dict[str, str]:
        """user -> the host their session is on."""
        return {s["properties"]["userPrincipalName"]: s["name"].split("/")[1] for s in self.sessions()}

    def host_sessions(self, index: int) -> int:
        host = call(self.admin, "GET", f"{self.id}/sessionHosts/{self.host(index)}").json()
        return int(host["properties"]["sessions"])

    def vm_action(self, index: int, action: str) -> None:
        reply = self.admin.call("POST", f"{self.vms[index]}/{action}")
        assert reply.status_code in (200, 202), reply.text
        self.admin.finished(reply)


def test_breadth_first_spreads_users_the_hosts_count_them_and_the_lists_show_them(admin: ArmAdmin) -> None:
    pool = Pool(admin, "hpb", 2, maxSessionLimit=2)
    for user in ("ann", "bob", "cat"):
        pool.signed_in(f"{user}@contoso.com")
    assert pool.where() == {
        "ann@contoso.com": pool.host(0),
        "bob@contoso.com": pool.host(1),
        "cat@contoso.com": pool.host(0),
    }
    assert (pool.host_sessions(0), pool.host_sessions(1)) == (2, 1)
    assert pool.signed_in("dan@contoso.com")["name"] == f"hpb/{pool.host(1)}/2"
    refused = pool.sign_in("eve@contoso.com")
    assert refused.status_code == 409 and pool.sign_in("fay@contoso.com").status_code == 409, "2 hosts of 2 are full"
    assert refused.json()["error"]["code"] == "NoFreeSession"

    [session] = [s for s in pool.sessions() if s["properties"]["userPrincipalName"] == "ann@contoso.com"]
    assert session["type"] == "Microsoft.DesktopVirtualization/hostPools/sessionHosts/userSessions"
    assert session["name"] == f"hpb/{pool.host(0)}/1" and session["id"].endswith(f"/{pool.host(0)}/userSessions/1")
    props = session["properties"]
    assert (props["sessionState"], props["applicationType"]) == ("Active", "Desktop")
    assert props["activeDirectoryUserName"] == "AzureAD\\ann" and props["createTime"] and props["objectId"]
    on_host = call(admin, "GET", f"{pool.id}/sessionHosts/{pool.host(0)}/userSessions").json()["value"]
    assert {s["properties"]["userPrincipalName"] for s in on_host} == {"ann@contoso.com", "cat@contoso.com"}
    assert call(admin, "GET", session["id"]).json() == session
    assert [s["name"] for s in pool.sessions("&$filter=userPrincipalName eq 'BOB@contoso.com'")] == [
        f"hpb/{pool.host(1)}/1"
    ]
    unsupported = "&$filter=startswith(userPrincipalName,'a')"
    assert admin.session.get(admin.url(f"{pool.id}/userSessions", AVD) + unsupported, timeout=30).status_code == 400
    gone = call(admin, "GET", f"{pool.id}/sessionHosts/{pool.host(0)}/userSessions/99")
    assert (gone.status_code, gone.json()["error"]["code"]) == (404, "ResourceNotFound")
    assert call(admin, "GET", f"{pool.id}/sessionHosts/NOSUCH/userSessions").status_code == 404
    counted = pool.counters()
    assert (counted["signIns"], counted["refusedSignIns"], counted["sessions"]) == (4, 2, 4)


def test_depth_first_fills_a_host_first_and_skips_drained_and_stopped_hosts(admin: ArmAdmin) -> None:
    pool = Pool(admin, "hpd", 3, loadBalancerType="DepthFirst", maxSessionLimit=2)
    drained = call(admin, "PATCH", f"{pool.id}/sessionHosts/{pool.host(0)}", {"properties": {"allowNewSession": False}})
    assert drained.status_code == 200
    pool.vm_action(1, "deallocate")
    for user in ("ann", "bob"):
        pool.signed_in(f"{user}@contoso.com")
    assert set(pool.where().values()) == {pool.host(2)}, "the one host that runs and takes new sessions, filled"
    assert pool.sign_in("cat@contoso.com").status_code == 409
    allowed = call(admin, "PATCH", f"{pool.id}/sessionHosts/{pool.host(0)}", {"properties": {"allowNewSession": True}})
    assert allowed.status_code == 200
    pool.signed_in("cat@contoso.com")
    assert pool.where()["cat@contoso.com"] == pool.host(0)
    call(admin, "PATCH", f"{pool.id}/sessionHosts/{pool.host(0)}", {"properties": {"allowNewSession": False}})
    assert pool.control_post("disconnects", "cat@contoso.com").json()["properties"]["sessionState"] == "Disconnected"
    back = pool.signed_in("cat@contoso.com")
    assert back["name"] == f"hpd/{pool.host(0)}/1", "a user goes back to their session, even on a drained host"
    assert back["properties"]["sessionState"] == "Active"


def test_a_personal_user_gets_their_own_host_and_an_automatic_pool_assigns_one(admin: ArmAdmin) -> None:
    pool = Pool(admin, "hpp", 2, kind="Personal", balancer="Persistent", personalDesktopAssignmentType="Automatic")
    assert pool.signed_in("ann@contoso.com")["name"] == f"hpp/{pool.host(0)}/1"
    first = call(admin, "GET", f"{pool.id}/sessionHosts/{pool.host(0)}").json()["properties"]
    assert first["assignedUser"] == "ann@contoso.com"
    assert pool.control_post("signOuts", "ann@contoso.com").status_code == 200
    pool.signed_in("bob@contoso.com")
    assert pool.where() == {"bob@contoso.com": pool.host(1)}, "ann's host stays hers"
    assert pool.sign_in("cat@contoso.com").status_code == 409, "no unassigned host left"
    pool.vm_action(0, "deallocate")
    assert pool.sign_in("ann@contoso.com").status_code == 409, "her host is off: no Start VM on Connect here"
    assert pool.counters()["refusedSignIns"] == 2


def test_log_off_disconnect_and_a_message_each_do_what_azure_does_and_a_gone_session_is_404(admin: ArmAdmin) -> None:
    pool = Pool(admin, "hpa", 1)
    session_id = pool.signed_in("ann@contoso.com")["id"]
    message = {"messageTitle": "Maintenance", "messageBody": "Please save your work: logging off in 10 minutes."}
    assert call(admin, "POST", f"{session_id}/sendMessage", message).status_code == 200
    for bad in ({}, {"messageTitle": "Only a title"}, {"messageTitle": 7, "messageBody": "x"}, ["not", "an object"]):
        reply = call(admin, "POST", f"{session_id}/sendMessage", bad)
        assert reply.status_code == 400, reply.text
        assert reply.json()["error"]["code"] in ("InvalidParameter", "InvalidRequestContent")
    [sent] = pool.messages()
    assert (sent["userPrincipalName"], sent["sessionHostName"], sent["userSessionId"]) == (
        "ann@contoso.com",
        pool.host(0),
        "1",
    )
    assert (sent["messageTitle"], sent["messageBody"], sent["sessionState"]) == (
        message["messageTitle"],
        message["messageBody"],
        "Active",
    )

    assert call(admin, "POST", f"{session_id}/disconnect").status_code == 200
    assert call(admin, "GET", session_id).json()["properties"]["sessionState"] == "Disconnected"
    assert pool.host_sessions(0) == 1, "a disconnected session still holds its place on the host"
    assert admin.session.delete(admin.url(session_id, AVD) + "&force=maybe", timeout=30).status_code == 400
    assert call(admin, "DELETE", session_id).status_code == 200
    assert call(admin, "DELETE", session_id).status_code == 204, "a session that is not there: nothing to log off"
    for action in ("disconnect", "sendMessage"):
        gone = call(admin, "POST", f"{session_id}/{action}", message)
        assert (gone.status_code, gone.json()["error"]["code"]) == (404, "ResourceNotFound")
    other_host = session_id.replace(f"/sessionHosts/{pool.host(0)}/", "/sessionHosts/NOSUCH/")
    assert call(admin, "DELETE", other_host).status_code == 404, "a session host that is not there"
    assert pool.host_sessions(0) == 0
    counted = pool.counters()
    assert (counted["loggedOff"], counted["disconnects"], counted["messagesSent"]) == (1, 1, 1)


def test_a_stopped_or_deleted_vm_ends_its_sessions_and_they_count_as_lost(admin: ArmAdmin) -> None:
    pool = Pool(admin, "hpl", 2)
    assert pool.load(4) == {"signedInUsers": 4, "signedIn": 4, "signedOut": 0, "refused": 0}
    assert (pool.host_sessions(0), pool.host_sessions(1)) == (2, 2)
    refused = call(admin, "DELETE", f"{pool.id}/sessionHosts/{pool.host(1)}")
    assert refused.status_code == 400, "a session host with sessions goes only with force"
    pool.vm_action(0, "deallocate")
    assert pool.host_sessions(0) == 0 and len(pool.sessions()) == 2
    assert pool.counters()["lostSessions"] == 2
    assert admin.finished(admin.call("DELETE", pool.vms[1])).get("status") == "Succeeded"
    assert pool.sessions() == [] and pool.counters()["lostSessions"] == 4


def test_the_load_control_signs_users_in_and_out_to_reach_a_number_and_counts_refusals(admin: ArmAdmin) -> None:
    pool = Pool(admin, "hpc", 2, maxSessionLimit=3)
    assert pool.load(2)["signedInUsers"] == 2
    assert sorted(pool.where()) == ["user0001@loadtest.contoso.com", "user0002@loadtest.contoso.com"]
    assert pool.load(8) == {"signedInUsers": 6, "signedIn": 4, "signedOut": 0, "refused": 2}
    assert pool.load(8)["refused"] == 2, "the two who found no session try again, and are refused again"
    down = pool.load(3)
    assert down == {"signedInUsers": 3, "signedIn": 0, "signedOut": 3, "refused": 0}
    assert sorted(pool.where()) == [f"user000{n}@loadtest.contoso.com" for n in (1, 2, 3)], "the newest went first"
    assert pool.load(0)["signedInUsers"] == 0
    counted = pool.counters()
    assert (counted["signIns"], counted["signOuts"], counted["refusedSignIns"]) == (6, 6, 4)
    bad = admin.session.put(f"{pool.control}/load", json={"signedInUsers": -1}, timeout=30)
    assert bad.status_code == 400


def test_the_load_control_can_spread_sign_outs_over_the_hosts_in_proportion_to_their_sessions(admin: ArmAdmin) -> None:
    """4 of 7 users leave 4, 2 and 1 sessions: shares 2, 1 and 0, and the largest remainder (4/7, on the third host)
    takes the fourth; on each host the newest go, as a replay of the schedule has users leave."""
    pool = Pool(admin, "hps", 3, maxSessionLimit=4)
    users = {index: [f"u{index}{n}@contoso.com" for n in range(count)] for index, count in ((0, 4), (1, 2), (2, 1))}
    for index, upns in users.items():
        for upn in upns:
            assert pool.sign_in(upn, pool.host(index)).status_code == 201
    assert pool.load(3, signOut="spread") == {"signedInUsers": 3, "signedIn": 0, "signedOut": 4, "refused": 0}
    assert pool.where() == {users[0][0]: pool.host(0), users[0][1]: pool.host(0), users[1][0]: pool.host(1)}
    bad = admin.session.put(f"{pool.control}/load", json={"signedInUsers": 1, "signOut": "oldest"}, timeout=30)
    assert bad.status_code == 400 and len(pool.where()) == 3


def test_the_contracts_session_control_signs_a_user_in_to_a_named_host(admin: ArmAdmin) -> None:
    pool = Pool(admin, f"hpn{uuid.uuid4().hex[:6]}", 2)  # the control finds the host by its name, in any pool
    sessions = f"{admin.emulator.base_url}/emulator/sessions"
    pool.entitle("ann@contoso.com")
    body = {"hostName": pool.host(1), "userId": "ann@contoso.com", "action": "signIn"}
    assert admin.session.post(sessions, json=body, timeout=30).status_code == 201
    assert pool.where() == {"ann@contoso.com": pool.host(1)}
    assert admin.session.post(sessions, json={**body, "action": "signOut"}, timeout=30).status_code == 200
    assert pool.where() == {}
    assert admin.session.post(sessions, json={**body, "hostName": "NOSUCH"}, timeout=30).status_code == 404
    assert admin.session.post(sessions, json={**body, "action": "wave"}, timeout=30).status_code == 400


def test_the_sdk_lists_messages_disconnects_and_logs_off_and_each_route_checks_its_action(admin: ArmAdmin) -> None:
    pool = Pool(admin, "hps", 1)
    pool.signed_in("ann@contoso.com")
    client = DesktopVirtualizationMgmtClient(
        StaticCredential(admin.emulator, admin.tenant_id),
        admin.subscription_id,
        base_url=f"{admin.emulator.base_url}/arm",
    )
    [session] = list(client.user_sessions.list_by_host_pool("rg", "hps"))
    assert (session.user_principal_name, session.session_state) == ("ann@contoso.com", "Active")
    assert str(session.name) == f"hps/{pool.host(0)}/1"
    client.user_sessions.send_message("rg", "hps", pool.host(0), "1", SendMessage(message_title="Hi", message_body="!"))
    client.user_sessions.disconnect("rg", "hps", pool.host(0), "1")
    assert client.user_sessions.get("rg", "hps", pool.host(0), "1").session_state == "Disconnected"
    client.user_sessions.delete("rg", "hps", pool.host(0), "1", force=True)
    with pytest.raises(ResourceNotFoundError):
        client.user_sessions.get("rg", "hps", pool.host(0), "1")

    pool.signed_in("bob@contoso.com")
    app = consented_app(admin)
    app.grant(DV_READER, admin.group_id("rg"))
    session_id = f"{pool.id}/sessionHosts/{pool.host(0)}/userSessions/2"
    assert app.call("GET", f"{pool.id}/userSessions?api-version={AVD}").status_code == 200
    for method, path, action in (
        ("DELETE", session_id, "usersessions/delete"),
        ("POST", f"{session_id}/disconnect", "usersessions/disconnect/action"),
        ("POST", f"{session_id}/sendMessage", "usersessions/sendMessage/action"),
    ):
        reply = app.session.request(method, admin.url(path, AVD), json={"messageTitle": "a", "messageBody": "b"})
        assert refusal(reply)[2] == f"Microsoft.DesktopVirtualization/hostpools/sessionhosts/{action}"
    app.grant(DV_CONTRIBUTOR, admin.group_id("rg"))
    assert app.session.delete(admin.url(session_id, AVD), timeout=30).status_code == 200
