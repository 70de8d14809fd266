"""A Spot Group's user sessions end to end: users signed in through the emulator's controls are listed over HTTP, a
message reaches one (read back from the emulator), one is logged off, and a bulk log-off with a session that is gone
reports that one 404 while the others go; every action is in the audit log, and bad input is a 400 that does nothing."""

from __future__ import annotations

from typing import Any

from tests.e2e.test_audit_log import audit_log
from tests.e2e.test_spot_groups import DV, group_body, ready_version, settled
from tests.utils.api_client import ApiClient
from tests.utils.wizard import CLOUD_PC_RG, Tenant


class Users:
    """The group's users as the emulator signs them in and out of its host pool."""

    def __init__(self, tenant: Tenant, pool: str) -> None:
        self.tenant, self.arm = tenant, tenant.arm
        self.base = f"{tenant.arm.emulator.base_url}/emulator"
        self.control = f"{self.base}/avd{tenant.arm.resource_id(CLOUD_PC_RG, DV, 'hostPools', pool)}"

    def upn(self, name: str) -> str:
        return str(self.tenant.graph.user(self.tenant.uid(name))["userPrincipalName"])

    def sign_in(self, name: str) -> str:
        """Where AVD's breadth-first load balancing puts the user: the session host's VM (AVD names the host after
        the VM's computer name, in capitals)."""
        reply = self.arm.session.post(f"{self.control}/signIns", json={"userPrincipalName": self.upn(name)}, timeout=30)
        assert reply.status_code == 201, reply.text
        return str(reply.json()["name"]).split("/")[1].lower()

    def sign_in_to(self, name: str, host: str) -> None:
        """The contract's control: a user (by their object id) on one named session host."""
        body = {"hostName": host, "userId": self.tenant.uid(name), "action": "signIn"}
        reply = self.arm.session.post(f"{self.base}/sessions", json=body, timeout=30)
        assert reply.status_code == 201, reply.text

    def disconnect(self, name: str) -> None:
        reply = self.arm.session.post(
            f"{self.control}/disconnects", json={"userPrincipalName": self.upn(name)}, timeout=30
        )
        assert reply.status_code == 200, reply.text

    def messages(self) -> list[dict[str, Any]]:
        return list(self.arm.session.get(f"{self.control}/messages", timeout=30).json()["value"])

    def counters(self) -> dict[str, int]:
        return dict(self.arm.session.get(f"{self.control}/sessionCounters", timeout=30).json())


def details(reply: Any) -> set[str]:
    assert reply.status_code == 400, reply.text
    return {d.get("target") for d in reply.json()["error"].get("details", [])}


def test_sessions_are_listed_messaged_logged_off_one_and_in_bulk_and_every_action_is_audited(api: ApiClient) -> None:
    tenant = Tenant(api)
    tenant.group("sales", ["ann", "bob", "cat"])
    group = api.created(f"{tenant.path}/spotGroups", group_body(tenant, ready_version(api, tenant)))  # 2 hosts
    path = f"{tenant.path}/spotGroups/{group['id']}"
    assert settled(api, path)["status"] == "ready"
    first, second = sorted(h["name"] for h in api.get(f"{path}/sessionHosts").json()["value"])
    users = Users(tenant, "spotpc-sales-desktops")
    users.sign_in_to("ann", first)
    assert [users.sign_in("bob"), users.sign_in("cat")] == [second, first], "breadth-first: the emptier host"

    listed = api.get(f"{path}/sessions")
    assert listed.status_code == 200, listed.text
    sessions = {s["userPrincipalName"]: s for s in listed.json()["value"]}
    assert {upn: (s["sessionHostName"], s["state"]) for upn, s in sessions.items()} == {
        users.upn("ann"): (first, "active"),
        users.upn("bob"): (second, "active"),
        users.upn("cat"): (first, "active"),
    }
    assert all(s["startDateTime"] and "/" not in s["id"] for s in sessions.values())
    ann, bob, cat = (sessions[users.upn(name)]["id"] for name in ("ann", "bob", "cat"))
    found = api.get(f"{path}/sessions", params={"search": users.upn("bob").split("@")[0].upper()}).json()["value"]
    assert [s["id"] for s in found] == [bob]
    on_first = api.get(f"{path}/sessionHosts/{first}/sessions").json()["value"]
    assert sorted(s["id"] for s in on_first) == sorted([ann, cat])
    counts = {h["name"]: h["sessionCount"] for h in api.get(f"{path}/sessionHosts").json()["value"]}
    assert counts == {first: 2, second: 1}

    message = {"title": "Maintenance tonight", "message": "Please save your work: the desktops restart at 20:00."}
    assert api.post(f"{path}/sessions/{ann}/sendMessage", message).status_code == 204
    [sent] = users.messages()
    assert (sent["userPrincipalName"], sent["messageTitle"], sent["messageBody"]) == (
        users.upn("ann"),
        message["title"],
        message["message"],
    )
    assert api.post(f"{path}/sessions/{bob}/logOff").status_code == 204
    assert api.post(f"{path}/sessions/{bob}/logOff").status_code == 404, "logged off already"

    bulk = api.post(f"{path}/sessionActions", {"action": "logOff", "sessionIds": [ann, bob, cat]})
    assert bulk.status_code == 200, bulk.text
    done = bulk.json()
    assert (done["status"], done["counts"]) == ("partiallySucceeded", {"succeeded": 2, "failed": 1})
    assert [(r["sessionId"], r["statusCode"]) for r in done["results"]] == [(ann, 204), (bob, 404), (cat, 204)]
    assert done["results"][1]["error"]["code"] == "notFound"
    assert api.get(f"{path}/sessions").json()["value"] == []
    assert users.counters()["loggedOff"] == 3

    events = audit_log(api, tenant, resourceType="session")
    audited = sorted((e["activity"], e["resourceId"], e["result"], e.get("errorCode")) for e in events)
    assert audited == sorted(
        [
            ("sendSessionMessage", ann, "success", None),
            ("logOffSession", bob, "success", None),
            ("logOffSession", bob, "failure", "notFound"),  # the second log-off of one session
            ("logOffSession", ann, "success", None),
            ("logOffSession", bob, "failure", "notFound"),
            ("logOffSession", cat, "success", None),  # the bulk action's, one a session
        ]
    )
    [whole] = [e for e in audit_log(api, tenant, resourceType="spotGroup") if e["activity"] == "bulkSessionAction"]
    assert (whole["resourceId"], whole["result"]) == (group["id"], "success")


def test_bad_session_input_is_a_400_per_field_and_changes_nothing(api: ApiClient) -> None:
    tenant = Tenant(api)
    tenant.group("sales", ["ann"])
    group = api.created(f"{tenant.path}/spotGroups", group_body(tenant, ready_version(api, tenant), licenseCount=1))
    path = f"{tenant.path}/spotGroups/{group['id']}"
    assert settled(api, path)["status"] == "ready"
    users = Users(tenant, "spotpc-sales-desktops")
    users.sign_in("ann")
    [session] = api.get(f"{path}/sessions").json()["value"]
    url = f"{path}/sessions/{session['id']}"

    assert details(api.post(f"{url}/sendMessage", {})) == {"title", "message"}
    assert details(api.post(f"{url}/sendMessage", {"title": "x" * 101, "message": "a\nb"})) == {"title", "message"}
    assert details(api.post(f"{path}/sessionActions", {"action": "sendMessage", "sessionIds": []})) == {
        "sessionIds",
        "title",
        "message",
    }
    assert details(
        api.post(f"{path}/sessionActions", {"action": "logOff", "sessionIds": [session["id"]], "title": "Bye"})
    ) == {"title"}
    assert details(api.get(f"{path}/sessions", params={"state": "asleep"})) == {"state"}
    assert api.post(f"{path}/sessions/not-a-session/logOff").status_code == 404
    assert api.get(f"{path}/sessionHosts/nosuchhost/sessions").status_code == 404
    assert users.messages() == []
    assert [s["id"] for s in api.get(f"{path}/sessions").json()["value"]] == [session["id"]]
