"""The emulator's Graph refuses an app-only token without an operation's application permissions, as Graph does."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import requests

from azure_emulator.app import build_context
from azure_emulator.graph import permissions
from azure_emulator.graph.common import UNSERVED_OPERATION, GraphRoutes
from azure_emulator.launcher import EmulatorProcess
from azure_emulator.server import Context, Response
from tests.emulator.test_graph_notifications import Receiver, expiry
from tests.utils.arm_admin import Controls
from tests.utils.graph_admin import GraphAdmin

GRAPH_SCOPE = "https://graph.microsoft.com/.default"
DENIED = {"code": "Authorization_RequestDenied", "message": "Insufficient privileges to complete the operation."}


@pytest.fixture(scope="module")
def local_context() -> Iterator[Context]:
    ctx = build_context(None)
    yield ctx
    for stop in ctx.background:
        stop()


class App:
    """One app in one Entra tenant, calling Graph with client-credentials tokens for the consent a test sets."""

    def __init__(self, emulator: EmulatorProcess) -> None:
        self.emulator = emulator
        self.tenant_id, self.app_id = str(uuid.uuid4()), str(uuid.uuid4())
        self.admin = GraphAdmin(emulator, self.tenant_id)  # the customer's administrator: not limited by app roles
        self.controls = Controls(emulator, self.tenant_id)
        self.session = emulator.session()
        self.graph = f"{emulator.base_url}/graph/v1.0"

    def grant(self, *granted: str) -> None:
        """Set the tenant's consent explicitly (never the emulator's default) and take a token that carries it."""
        self.controls.app_access(self.app_id, consented=True, graphPermissions=list(granted))
        reply = self.session.post(
            f"{self.emulator.base_url}/{self.tenant_id}/oauth2/v2.0/token",
            data={
                "grant_type": "client_credentials",
                "client_id": self.app_id,
                "client_secret": "s",
                "scope": GRAPH_SCOPE,
            },
            timeout=30,
        )
        assert reply.status_code == 200, reply.text
        self.session.headers["Authorization"] = f"Bearer {reply.json()['access_token']}"

    def call(self, method: str, path: str, body: Any = None) -> requests.Response:
        return self.session.request(method, f"{self.graph}{path}", json=body, timeout=30)


@pytest.fixture
def app(azure_emulator: EmulatorProcess) -> App:
    return App(azure_emulator)


def assert_denied(reply: requests.Response | dict[str, Any]) -> None:
    status, body = (
        (reply.status_code, reply.json()) if isinstance(reply, requests.Response) else (reply["status"], reply["body"])
    )
    assert status == 403
    error = body["error"]
    assert {k: error[k] for k in DENIED} == DENIED
    assert set(error["innerError"]) == {"date", "request-id", "client-request-id"}
    assert "User.Read.All" not in error["message"]  # Graph names no permission; the app reads the data file


def test_every_graph_route_has_an_entry_and_every_entry_a_route(local_context: Context):
    served = {
        route.operation
        for route in local_context.router.routes
        if route.api == "graph" and route.operation != UNSERVED_OPERATION
    }
    assert served == set(permissions.entries())
    for entry in permissions.entries().values():
        assert entry.doc.startswith("https://learn.microsoft.com/")
        assert entry.application is not None or entry.by_resource or entry.operation == "batch"


def test_a_route_without_an_entry_cannot_be_registered(local_context: Context):
    routes = GraphRoutes(local_context)
    with pytest.raises(permissions.MissingPermissions, match="listWidgets"):
        routes.route("GET", r"/widgets", "listWidgets")(lambda request: Response(200, {}))


def test_the_data_names_least_privileged_first():
    assert permissions.required("listUsers")[0] == ["User.Read.All"]
    assert permissions.required("listSubscribedSkus")[0] == ["LicenseAssignment.Read.All"]
    assert ["LicenseAssignment.ReadWrite.All"] not in permissions.required("listSubscribedSkus")
    assert permissions.required("createSubscription", "groups") == [["Group.Read.All"]]
    assert permissions.required("batch") == []


SAMPLES = [
    # operation, method, path ({user}, {group}: the tenant's), least privileged, a higher privileged one
    ("listUsers", "GET", "/users", ("User.Read.All",), ("Directory.Read.All",)),
    ("getUser", "GET", "/users/{user}", ("User.Read.All",), ("User.ReadWrite.All",)),
    ("listSubscribedSkus", "GET", "/subscribedSkus", ("LicenseAssignment.Read.All",), ("Organization.Read.All",)),
    ("getGroup", "GET", "/groups/{group}", ("GroupMember.Read.All",), ("Group.Read.All",)),
    ("listMemberOf", "GET", "/users/{user}/memberOf", ("Directory.Read.All",), ("Directory.ReadWrite.All",)),
    (
        "checkMemberGroups",
        "POST",
        "/users/{user}/checkMemberGroups",
        ("User.Read.All", "GroupMember.Read.All"),
        ("Directory.Read.All",),
    ),
    (
        "listManagedDevices",
        "GET",
        "/deviceManagement/managedDevices",
        ("DeviceManagementManagedDevices.Read.All",),
        ("DeviceManagementManagedDevices.ReadWrite.All",),
    ),
]


@pytest.mark.parametrize(("operation", "method", "path", "least", "higher"), SAMPLES, ids=[s[0] for s in SAMPLES])
def test_an_app_token_needs_one_of_the_operations_permissions(
    app: App, operation: str, method: str, path: str, least: tuple[str, ...], higher: tuple[str, ...]
):
    assert list(least) == permissions.required(operation)[0]
    assert list(higher) in permissions.required(operation)[1:]
    group = app.admin.create_group()
    url = path.format(user=app.admin.create_user(), group=group)
    body = {"groupIds": [group]} if method == "POST" else None
    # a permission the operation does not take, and part of a combination, are not enough
    app.grant("Mail.Read", *least[:-1])
    assert_denied(app.call(method, url, body))
    app.grant(*least)
    assert app.call(method, url, body).status_code == 200
    app.grant(*higher)
    assert app.call(method, url, body).status_code == 200
    app.grant(*(name.lower() for name in least))  # Entra compares permission names ignoring case
    assert app.call(method, url, body).status_code == 200


def test_a_refusal_echoes_the_client_request_id(app: App):
    app.grant()
    sent = str(uuid.uuid4())
    reply = app.session.get(f"{app.graph}/users", headers={"client-request-id": sent}, timeout=30)
    assert_denied(reply)
    assert reply.json()["error"]["innerError"]["client-request-id"] == sent
    assert reply.headers["client-request-id"] == sent


def test_an_administrators_token_is_not_limited_by_application_permissions(app: App):
    app.grant()  # the app may do nothing; the tenant's administrator still may
    assert app.admin.create_user()
    assert app.admin.call("GET", f"{app.admin.graph}/subscribedSkus")["value"]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    yield found
    found.server.shutdown()
    found.server.server_close()


def test_subscribing_to_groups_needs_group_read_all_not_group_member_read_all(app: App, receiver: Receiver):
    body = {
        "changeType": "updated",
        "notificationUrl": f"{receiver.url}/hook",
        "resource": "groups",
        "expirationDateTime": expiry(timedelta(days=1)),
    }
    app.grant("GroupMember.Read.All", "User.Read.All", "Group.ReadWrite.All")
    assert_denied(app.call("POST", "/subscriptions", body))
    app.grant("Group.Read.All")
    created = app.call("POST", "/subscriptions", body)
    assert created.status_code == 201, created.text
    sub_id = created.json()["id"]
    assert app.call("GET", f"/subscriptions/{sub_id}").status_code == 200
    app.grant("User.Read.All")  # the users permission does not manage a groups subscription
    assert_denied(app.call("DELETE", f"/subscriptions/{sub_id}"))
    app.grant("Group.Read.All")
    assert app.call("DELETE", f"/subscriptions/{sub_id}").status_code == 204


def test_a_batch_answers_each_inner_request_as_if_sent_alone(app: App):
    app.grant("User.Read.All")
    reply = app.call(
        "POST",
        "/$batch",
        {
            "requests": [
                {"id": "1", "method": "GET", "url": "/users"},
                {"id": "2", "method": "GET", "url": "/subscribedSkus"},
            ]
        },
    )
    assert reply.status_code == 200
    answers = {answer["id"]: answer for answer in reply.json()["responses"]}
    assert answers["1"]["status"] == 200
    assert_denied(answers["2"])
