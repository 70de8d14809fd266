"""The emulator's Graph subscriptions: the validation handshake, Graph's limits, delivery (lag, 3 s answers, retries,
dropping), expiry, and the lifecycle events Graph sends for users and groups."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from azure_emulator.launcher import EmulatorProcess
from tests.utils.graph_admin import GraphAdmin, GraphAdminError


class Receiver:
    """A webhook: echoes validation tokens; records notifications; answers `status` to them."""

    def __init__(self) -> None:
        self.received: list[tuple[str, dict[str, Any]]] = []
        self.status = 202
        self.statuses: list[int] = []  # answers to the next notifications, before `status`
        self.held = 0  # how many of the next notifications get no answer until `release` is set
        self.release = threading.Event()
        self.echo = True
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_POST(self) -> None:
                split = urlsplit(self.path)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                token = parse_qs(split.query).get("validationToken")
                if token:
                    payload = token[0].encode() if receiver.echo else b"nope"
                    self.send_response(200)
                    self.send_header("Content-Type", "text/plain")
                else:
                    receiver.received.append((split.path, json.loads(body)))
                    payload = b""
                    if receiver.held:
                        receiver.held -= 1
                        receiver.release.wait(timeout=30)
                    self.send_response(receiver.statuses.pop(0) if receiver.statuses else receiver.status)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def items(self, path: str) -> list[dict[str, Any]]:
        return [item for at, body in list(self.received) if at == path for item in body["value"]]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    yield found
    found.server.shutdown()
    found.server.server_close()


@pytest.fixture
def admin(azure_emulator: EmulatorProcess) -> GraphAdmin:
    return GraphAdmin(azure_emulator, str(uuid.uuid4()))


def expiry(delta: timedelta) -> str:
    return (datetime.now(UTC) + delta).strftime("%Y-%m-%dT%H:%M:%SZ")


def subscribe(admin: GraphAdmin, receiver: Receiver, resource: str = "users", **overrides: Any) -> dict[str, Any]:
    body = {
        "changeType": "updated,deleted",
        "notificationUrl": f"{receiver.url}/hook",
        "lifecycleNotificationUrl": f"{receiver.url}/lifecycle",
        "resource": resource,
        "expirationDateTime": expiry(timedelta(days=2)),
        "clientState": "s3cret-state",
        **overrides,
    }
    return dict(admin.call("POST", f"{admin.graph}/subscriptions", body))


def wait_for(condition: Callable[[], Any], timeout_s: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError("timed out waiting")


def set_timer(emulator: EmulatorProcess, name: str, tenant_id: str, seconds: float) -> None:
    with emulator.session() as session:
        body: dict[str, Any] = {"seconds": seconds, "tenantId": tenant_id}
        session.put(f"{emulator.base_url}/emulator/timers/{name}", json=body).raise_for_status()


def deliveries(emulator: EmulatorProcess, tenant_id: str) -> dict[str, int]:
    with emulator.session() as session:
        reply = session.get(f"{emulator.base_url}/emulator/graph/deliveries", params={"tenantId": tenant_id})
        return dict(reply.json())


def test_a_subscription_needs_the_handshake_a_valid_url_and_expiry_within_29_days(
    admin: GraphAdmin, receiver: Receiver
):
    receiver.echo = False
    with pytest.raises(GraphAdminError, match="validation request failed"):
        subscribe(admin, receiver)
    receiver.echo = True
    with pytest.raises(GraphAdminError, match="41760 minutes"):
        subscribe(admin, receiver, expirationDateTime=expiry(timedelta(days=30)))
    with pytest.raises(GraphAdminError, match="https"):
        subscribe(admin, receiver, notificationUrl="http://example.com/hook")
    with pytest.raises(GraphAdminError, match="not supported"):
        subscribe(admin, receiver, resource="me/messages")
    created = subscribe(admin, receiver)
    assert created["clientState"] == "s3cret-state"
    listed = admin.call("GET", f"{admin.graph}/subscriptions")["value"]
    assert [s["id"] for s in listed] == [created["id"]] and listed[0]["clientState"] is None
    renewed = admin.call(
        "PATCH", f"{admin.graph}/subscriptions/{created['id']}", {"expirationDateTime": expiry(timedelta(days=20))}
    )
    assert renewed["expirationDateTime"] > created["expirationDateTime"]
    admin.call("DELETE", f"{admin.graph}/subscriptions/{created['id']}")
    assert admin.call("GET", f"{admin.graph}/subscriptions")["value"] == []


def test_changes_are_delivered_to_matching_live_subscriptions(admin: GraphAdmin, receiver: Receiver):
    users = subscribe(admin, receiver, "users")
    groups = subscribe(admin, receiver, "groups")
    user_id, group_id = admin.create_user(), admin.create_group()
    admin.assign_licenses(user_id, "w365-enterprise-2vcpu-4gb-64gb")
    admin.add_member(group_id, user_id)
    admin.delete_user(user_id)
    member_added = {"id": user_id}
    hook = wait_for(
        lambda: (
            any(member_added in i["resourceData"].get("members@delta", []) for i in receiver.items("/hook"))
            and len(receiver.items("/hook")) >= 4
            and receiver.items("/hook")
        )
    )

    def of_user() -> list[dict[str, Any]]:
        hook = receiver.items("/hook")
        return [i for i in hook if i["subscriptionId"] == users["id"] and i["resourceData"]["id"] == user_id]

    wait_for(lambda: len(of_user()) >= 3)  # created, the license, soft-deleted: each notifies `updated`
    hook = receiver.items("/hook")
    by_change = {(i["subscriptionId"], i["changeType"], i["resourceData"]["id"]) for i in hook}
    assert (users["id"], "updated", user_id) in by_change
    assert not any(i["changeType"] == "deleted" for i in hook)  # Graph's DELETE of a user is a soft delete
    assert (groups["id"], "updated", group_id) in by_change  # a member added, then removed with the user
    assert not any(i["changeType"] == "created" for i in hook)  # not subscribed to
    assert {i["clientState"] for i in hook} == {"s3cret-state"}
    assert {i["tenantId"] for i in hook} == {admin.tenant_id}
    assert (groups["id"], "updated", group_id) in by_change


def test_expired_subscriptions_get_nothing(admin: GraphAdmin, receiver: Receiver):
    subscribe(admin, receiver, changeType="created", expirationDateTime=expiry(timedelta(seconds=2)))
    time.sleep(2.5)
    admin.create_user()
    time.sleep(1.0)
    assert receiver.items("/hook") == []
    assert admin.call("GET", f"{admin.graph}/subscriptions")["value"] == []


def test_a_failed_delivery_is_retried_and_dropped_after_four_hours_without_a_missed_event(
    azure_emulator: EmulatorProcess, admin: GraphAdmin, receiver: Receiver
):
    created = subscribe(admin, receiver, changeType="updated")
    set_timer(azure_emulator, "graph.notificationRetryDelay", admin.tenant_id, 0)  # retries at once
    receiver.statuses = [500, 503]
    admin.create_user()
    wait_for(lambda: deliveries(azure_emulator, admin.tenant_id)["delivered"] == 1)
    assert len(receiver.items("/hook")) == 3  # two failures, then a 2xx
    assert {i["subscriptionId"] for i in receiver.items("/hook")} == {created["id"]}

    set_timer(azure_emulator, "graph.notificationRetention", admin.tenant_id, 0)  # 4 hours gone by
    receiver.status = 500
    admin.create_user()
    wait_for(lambda: deliveries(azure_emulator, admin.tenant_id)["dropped"] == 1)
    assert len(receiver.items("/hook")) == 4
    assert receiver.items("/lifecycle") == []  # Graph sends no `missed` for users and groups


def test_an_answer_later_than_the_timeout_counts_as_failed(
    azure_emulator: EmulatorProcess, admin: GraphAdmin, receiver: Receiver
):
    subscribe(admin, receiver, changeType="updated")
    set_timer(azure_emulator, "graph.notificationTimeout", admin.tenant_id, 0.2)  # Graph's 3 s, shortened
    set_timer(azure_emulator, "graph.notificationRetryDelay", admin.tenant_id, 0)
    receiver.held = 1
    try:
        admin.create_user()
        wait_for(lambda: deliveries(azure_emulator, admin.tenant_id)["delivered"] == 1)
    finally:
        receiver.release.set()
    assert len(receiver.items("/hook")) == 2  # the slow answer did not count: it was sent again


def test_delivery_waits_for_the_tenants_lag(azure_emulator: EmulatorProcess, admin: GraphAdmin, receiver: Receiver):
    subscribe(admin, receiver, changeType="updated")
    set_timer(azure_emulator, "graph.notificationLag", admin.tenant_id, 3600)
    user_id = admin.create_user()
    wait_for(lambda: deliveries(azure_emulator, admin.tenant_id)["pending"] == 1)
    assert receiver.items("/hook") == []
    set_timer(azure_emulator, "graph.notificationLag", admin.tenant_id, 0)  # the hour has passed
    hook = wait_for(lambda: receiver.items("/hook"))
    assert {i["resourceData"]["id"] for i in hook} == {user_id}


def test_only_reauthorization_is_sent_and_a_subscription_can_end_silently(
    azure_emulator: EmulatorProcess, admin: GraphAdmin, receiver: Receiver
):
    created = subscribe(admin, receiver)
    with azure_emulator.session() as session:
        control = f"{azure_emulator.base_url}/emulator/graph/lifecycle"
        for refused in ("missed", "subscriptionRemoved"):  # Outlook's and Teams', never users' or groups'
            body = {"tenantId": admin.tenant_id, "lifecycleEvent": refused}
            assert session.post(control, json=body).status_code == 400
        body = {"tenantId": admin.tenant_id, "lifecycleEvent": "reauthorizationRequired"}
        reply = session.post(control, json=body).json()
        assert reply["value"] == [{"subscriptionId": created["id"], "status": 202}]
        ended = f"{azure_emulator.base_url}/emulator/graph/subscriptions/{created['id']}"
        session.delete(ended, params={"tenantId": admin.tenant_id}).raise_for_status()
    assert [e["lifecycleEvent"] for e in receiver.items("/lifecycle")] == ["reauthorizationRequired"]
    assert admin.call("GET", f"{admin.graph}/subscriptions")["value"] == []


def test_an_app_holds_at_most_100_directory_subscriptions_per_tenant(admin: GraphAdmin, receiver: Receiver):
    for _ in range(100):
        subscribe(admin, receiver, changeType="updated")
    with pytest.raises(GraphAdminError, match="Maximum number of subscriptions") as refused:
        subscribe(admin, receiver, "groups", changeType="updated")
    assert "403" in str(refused.value) and "ExtensionError" in str(refused.value)
