"""The emulator's Graph subscriptions: the validation handshake, Graph's limits, delivery, expiry, lifecycle events."""

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
                    self.send_response(receiver.status)
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
    hook = wait_for(lambda: len(receiver.items("/hook")) >= 4 and receiver.items("/hook"))
    by_change = {(i["subscriptionId"], i["changeType"], i["resourceData"]["id"]) for i in hook}
    assert (users["id"], "updated", user_id) in by_change  # the license
    assert (users["id"], "deleted", user_id) in by_change
    assert (groups["id"], "updated", group_id) in by_change  # a member added, then removed with the user
    assert not any(i["changeType"] == "created" for i in hook)  # not subscribed to
    assert {i["clientState"] for i in hook} == {"s3cret-state"}
    assert {i["tenantId"] for i in hook} == {admin.tenant_id}
    member_deltas = [i["resourceData"]["members@delta"] for i in hook if i["subscriptionId"] == groups["id"]]
    assert [{"id": user_id}] in member_deltas


def test_expired_subscriptions_get_nothing(admin: GraphAdmin, receiver: Receiver):
    subscribe(admin, receiver, changeType="created", expirationDateTime=expiry(timedelta(seconds=2)))
    time.sleep(2.5)
    admin.create_user()
    time.sleep(1.0)
    assert receiver.items("/hook") == []
    assert admin.call("GET", f"{admin.graph}/subscriptions")["value"] == []


def test_undeliverable_notifications_end_in_a_missed_lifecycle_event(admin: GraphAdmin, receiver: Receiver):
    created = subscribe(admin, receiver, changeType="created")
    receiver.status = 500
    admin.create_user()
    missed = wait_for(lambda: receiver.items("/lifecycle"))
    assert missed[0]["lifecycleEvent"] == "missed" and missed[0]["subscriptionId"] == created["id"]
    assert len(receiver.items("/hook")) == 4  # the first try and three retries


def test_the_lifecycle_control_sends_events_and_removes_subscriptions(
    azure_emulator: EmulatorProcess, admin: GraphAdmin, receiver: Receiver
):
    created = subscribe(admin, receiver)
    with azure_emulator.session() as session:
        for event in ("reauthorizationRequired", "subscriptionRemoved"):
            body = {"tenantId": admin.tenant_id, "lifecycleEvent": event}
            reply = session.post(f"{azure_emulator.base_url}/emulator/graph/lifecycle", json=body).json()
            assert reply["value"] == [{"subscriptionId": created["id"], "status": 202}]
    assert [e["lifecycleEvent"] for e in receiver.items("/lifecycle")] == [
        "reauthorizationRequired",
        "subscriptionRemoved",
    ]
    assert admin.call("GET", f"{admin.graph}/subscriptions")["value"] == []
