"""Graph change notifications end to end: the app subscribes in the emulator (which does Graph's handshake against
the app's webhook), directory changes arrive as queue hints, lifecycle events are queued and then renew, a timer
renews, and a notification Graph never delivers is made up for by the drift reconcile."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import azure.durable_functions as df
import azure.functions as func
import pytest
import requests

from azure_emulator.launcher import APP_CLIENT_ID, EmulatorProcess
from shared.catalog.service_plans import SERVICE_PLANS
from shared.cloud.azure.credentials import AzureCredentials
from shared.cloud.azure.graph_client import GraphClients
from shared.cloud.azure.graph_subscriptions import GraphSubscriptionsApi
from shared.models.directory_subscriptions import DirectorySubscription
from shared.models.tenants import Tenant, TenantCreate, TenantUpdate
from shared.ports.admin_ports import AdminPorts
from shared.services.access import tenants as tenant_service
from shared.services.access.directory_subscriptions import DirectorySubscriptions, digest
from shared.services.backends.backend_choice import TenantBackends, configuration_of
from shared.settings import Settings
from shared.storage.account import table_storage
from shared.storage.directory_subscriptions import DirectorySubscriptionRepository
from shared.storage.tenants import TenantRepository
from shared.storage.unique_values import UniqueValues
from tests.utils.factories import unique_table_prefix
from tests.utils.function_client import FunctionClient
from tests.utils.function_server import serve_functions
from tests.utils.graph_admin import GraphAdmin
from tests.utils.inprocess_emulator import LocalEmulator, inprocess_emulator
from tests.utils.onboarding import grant_app
from triggers import directory_events, http_directory_notifications
from triggers.http_api import Api, Operation
from triggers.http_gate import OpenPassage
from triggers.http_request import ApiRequest

PLAN = SERVICE_PLANS[0].id


@dataclass
class RecordingPublisher:
    """The EventPublisher, remembering what would go on the directory-events queue."""

    sent: list[dict[str, Any]] = field(default_factory=list)

    def publish_directory_event(
        self,
        tenant_id: str,
        *,
        user_ids: list[str] | None = None,
        group_ids: list[str] | None = None,
        full: bool = False,
        delay_s: float = 0.0,
    ) -> None:
        self.sent.append({"tenantId": tenant_id, "userIds": user_ids or [], "groupIds": group_ids or [], "full": full})


@dataclass
class RecordingLifecycleQueue:
    """The directory-subscriptions queue, remembering what the webhook queued."""

    sent: list[tuple[str, str, str]] = field(default_factory=list)

    def enqueue_lifecycle(self, tenant_id: str, subscription_id: str, lifecycle_event: str) -> None:
        self.sent.append((tenant_id, subscription_id, lifecycle_event))


@dataclass
class App:
    client: FunctionClient
    function: Callable[[str], Any]  # a function of the app (a queue or timer trigger), by name
    lifecycle: RecordingLifecycleQueue
    url: str
    subscriptions: DirectorySubscriptions
    rows: DirectorySubscriptionRepository
    tenants: TenantRepository
    events: RecordingPublisher
    links: dict[str, str]  # app tenant id -> Entra tenant id
    clock_offset: list[timedelta]
    unique: UniqueValues

    def link(self, entra: str | None = None) -> Tenant:
        now = datetime.now(UTC)
        entra = entra or new_entra_tenant()
        tenant = Tenant(
            id=str(uuid.uuid4()),
            display_name="Contoso",
            entra_tenant_id=entra,
            created_date_time=now,
            last_modified_date_time=now,
        )
        self.links[tenant.id] = entra
        return self.tenants.upsert_tenant(tenant)


@pytest.fixture(scope="module")
def local(azure_emulator: EmulatorProcess) -> Iterator[LocalEmulator]:
    with pytest.MonkeyPatch.context() as patch, inprocess_emulator(azure_emulator, patch) as emulator:
        LOCAL[:] = [emulator]
        yield emulator


LOCAL: list[LocalEmulator] = []  # the module's emulator, where new Entra tenants are made


def new_entra_tenant() -> str:
    """A customer's Entra tenant whose admin consented to the app."""
    entra = str(uuid.uuid4())
    grant_app(LOCAL[0].handle, entra)
    return entra


@pytest.fixture
def app(local: LocalEmulator, storage_connection_string: str) -> Iterator[App]:
    host = local.base_url.split("://", 1)[1]
    links: dict[str, str] = {}
    settings = Settings(
        graph_endpoint=f"{local.base_url}/graph", azure_authority_host=host, app_client_id=APP_CLIENT_ID
    )
    credentials = AzureCredentials(settings, links.get)
    graph = GraphClients(credentials, settings.graph_endpoint)
    storage = table_storage(storage_connection_string, unique_table_prefix())
    rows, tenants, events = DirectorySubscriptionRepository(storage), TenantRepository(storage), RecordingPublisher()
    offset = [timedelta(0)]
    lifecycle = RecordingLifecycleQueue()
    with serve_functions() as server:
        url = f"{server.url}/api/directoryNotifications"
        subscriptions = DirectorySubscriptions(
            GraphSubscriptionsApi(graph),
            rows,
            url,
            clock=lambda: datetime.now(UTC) + offset[0],
            lifecycle_queue=lifecycle,
        )

        def build() -> df.DFApp:
            functions = df.DFApp(http_auth_level=func.AuthLevel.FUNCTION)
            functions.register_functions(
                http_directory_notifications.blueprint(Api(AnonymousOnly()), settings, subscriptions, tenants, events)
            )
            functions.register_functions(
                directory_events.blueprint(settings, cast(Any, None), tenants, events, cast(Any, None))
            )
            return functions

        def function(name: str) -> Any:
            (found,) = [f.get_user_function() for f in build().get_functions() if f.get_function_name() == name]
            return found

        server.client = FunctionClient(build())
        unique = UniqueValues(storage, lambda: datetime.now(UTC))
        yield App(server.client, function, lifecycle, url, subscriptions, rows, tenants, events, links, offset, unique)
    graph.close()
    credentials.close()


class AnonymousOnly:
    """The gate for an app of anonymous routes only (Graph's webhooks)."""

    def enter(self, operation: Operation, req: ApiRequest) -> Any:
        assert operation.anonymous
        return OpenPassage()


def wait_for(condition: Callable[[], Any], timeout_s: float = 15.0) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError("timed out waiting")


def emulated_subscriptions(local: LocalEmulator, entra: str) -> list[dict[str, Any]]:
    reply = requests.get(f"{local.base_url}/emulator/graph/subscriptions", params={"tenantId": entra}, timeout=10)
    return list(reply.json()["value"])


def test_the_webhook_answers_graphs_validation_handshake(app: App):
    reply = app.client.post("/api/directoryNotifications?validationToken=Validation%3A%20abc%2B1")
    assert reply.status == 200
    assert reply.text == "Validation: abc+1"
    assert reply.headers["Content-Type"].startswith("text/plain")
    lifecycle = app.client.post("/api/directoryNotifications/lifecycle?validationToken=xyz")
    assert (lifecycle.status, lifecycle.text) == (200, "xyz")


def test_a_linked_tenant_subscribes_and_changes_arrive_as_hints(app: App, local: LocalEmulator):
    tenant = app.link()
    entra = str(tenant.entra_tenant_id)
    app.subscriptions.tenant_linked(tenant)
    held = emulated_subscriptions(local, entra)
    assert sorted(s["resource"] for s in held) == ["groups", "users"]
    assert all(
        s["notificationUrl"] == app.url and s["lifecycleNotificationUrl"] == f"{app.url}/lifecycle" for s in held
    )
    rows = app.rows.list_for_tenant(tenant.id)
    assert sorted(r.id for r in rows) == sorted(s["id"] for s in held)

    admin = GraphAdmin(local.handle, entra)
    user_id, group_id = admin.create_user(), admin.create_group()
    admin.assign_licenses(user_id, PLAN)
    admin.add_member(group_id, user_id)
    wait_for(lambda: any(user_id in e["userIds"] for e in app.events.sent))
    wait_for(lambda: any(group_id in e["groupIds"] for e in app.events.sent))
    assert all(e["tenantId"] == tenant.id and not e["full"] for e in app.events.sent)


def test_a_wrong_client_state_queues_nothing(app: App):
    tenant = app.link()
    app.subscriptions.tenant_linked(tenant)
    users = next(r for r in app.rows.list_for_tenant(tenant.id) if r.resource == "users")
    forged = {
        "value": [
            {
                "subscriptionId": users.id,
                "clientState": "guessed",
                "changeType": "updated",
                "resource": "Users/x",
                "resourceData": {"id": str(uuid.uuid4())},
                "tenantId": tenant.entra_tenant_id,
            },
            {"subscriptionId": str(uuid.uuid4()), "clientState": "guessed", "resourceData": {"id": "y"}},
        ]
    }
    reply = app.client.post("/api/directoryNotifications", forged)
    assert reply.status == 202
    assert app.events.sent == []
    lifecycle = {"value": [{"subscriptionId": users.id, "clientState": "guessed", "lifecycleEvent": "missed"}]}
    assert app.client.post("/api/directoryNotifications/lifecycle", lifecycle).status == 202
    assert app.events.sent == []


def test_the_timer_renews_before_expiry_and_recreates_what_graph_dropped(app: App, local: LocalEmulator):
    tenant = app.link()
    entra = str(tenant.entra_tenant_id)
    app.subscriptions.tenant_linked(tenant)
    before = {s["id"]: s["expirationDateTime"] for s in emulated_subscriptions(local, entra)}
    fresh = app.subscriptions.keep_alive([tenant])
    assert (fresh.created, fresh.renewed) == (0, 0)  # three days left: nothing to do yet
    app.clock_offset[0] = timedelta(days=2, hours=12)  # within a day of expiry
    renewed = app.subscriptions.keep_alive([tenant])
    assert renewed.renewed == 2
    after = {s["id"]: s["expirationDateTime"] for s in emulated_subscriptions(local, entra)}
    assert set(after) == set(before) and all(after[k] > before[k] for k in before)
    dropped = next(iter(before))
    ended = f"{local.base_url}/emulator/graph/subscriptions/{dropped}"
    requests.delete(ended, params={"tenantId": entra}, timeout=10).raise_for_status()  # Graph says nothing of it
    app.clock_offset[0] = timedelta(days=5, hours=12)  # the next renewal finds it gone and makes a new one
    again = app.subscriptions.keep_alive([tenant])
    assert (again.created, again.renewed) == (1, 1)
    assert dropped not in {r.id for r in app.rows.list_for_tenant(tenant.id)}
    assert len(emulated_subscriptions(local, entra)) == 2
    app.clock_offset[0] = timedelta(0)
    gone = app.subscriptions.keep_alive([])  # the tenant no longer exists: its subscriptions go
    assert gone.removed >= 2
    assert emulated_subscriptions(local, entra) == []


def test_reauthorization_is_queued_by_the_webhook_and_renewed_by_the_queue_trigger(app: App, local: LocalEmulator):
    tenant = app.link()
    entra = str(tenant.entra_tenant_id)
    app.subscriptions.tenant_linked(tenant)
    users = next(s for s in emulated_subscriptions(local, entra) if s["resource"] == "users")
    renewals = len(_log(local, "renewSubscription"))
    again = {"tenantId": entra, "subscriptionId": users["id"], "lifecycleEvent": "reauthorizationRequired"}
    sent = requests.post(f"{local.base_url}/emulator/graph/lifecycle", json=again, timeout=10).json()
    assert sent["value"] == [{"subscriptionId": users["id"], "status": 202}]
    assert len(_log(local, "renewSubscription")) == renewals  # the webhook called no Graph API before answering
    assert app.lifecycle.sent == [(tenant.id, users["id"], "reauthorizationRequired")]

    act = app.function("directorySubscriptionLifecycle")
    body = {"tenantId": tenant.id, "subscriptionId": users["id"], "lifecycleEvent": "reauthorizationRequired"}
    act(func.QueueMessage(body=json.dumps(body).encode()), context=None)
    renewed = _log(local, "renewSubscription")[renewals:]
    assert [e["path"] for e in renewed] == [f"/graph/v1.0/subscriptions/{users['id']}"]
    assert app.events.sent == []  # renewed in place: nothing was missed


def test_a_notification_graph_never_delivers_is_made_up_for_by_the_drift_reconcile(app: App, local: LocalEmulator):
    tenant = app.link()
    entra = str(tenant.entra_tenant_id)
    app.subscriptions.tenant_linked(tenant)
    timer = f"{local.base_url}/emulator/timers/graph.notificationLag"
    requests.put(timer, json={"seconds": 4 * 3600, "tenantId": entra}, timeout=10).raise_for_status()
    try:
        GraphAdmin(local.handle, entra).create_user()
        wait_for(lambda: _deliveries(local, entra)["pending"] >= 1)
        assert app.events.sent == []  # still on its way, as Graph's may be for hours (or never come)
        app.function("driftReconcile")(cast(Any, None))
        assert {"tenantId": tenant.id, "userIds": [], "groupIds": [], "full": True} in app.events.sent
    finally:
        requests.delete(timer, params={"tenantId": entra}, timeout=10).raise_for_status()


def test_a_missed_event_is_harmless(app: App):
    tenant = app.link()
    row = app.rows.list_for_tenant(tenant.id)
    assert row == []  # no subscription of its own needed: a made-up row with a known client state
    subscription_id = str(uuid.uuid4())
    app.rows.put(
        DirectorySubscription(
            id=subscription_id,
            tenant_id=tenant.id,
            entra_tenant_id=str(tenant.entra_tenant_id),
            resource="users",
            client_state_hash=digest("known"),
            expiration_date_time=datetime.now(UTC) + timedelta(days=1),
            created_date_time=datetime.now(UTC),
        )
    )
    missed = {"value": [{"subscriptionId": subscription_id, "clientState": "known", "lifecycleEvent": "missed"}]}
    assert app.client.post("/api/directoryNotifications/lifecycle", missed).status == 202
    assert app.events.sent == [{"tenantId": tenant.id, "userIds": [], "groupIds": [], "full": True}]
    assert app.lifecycle.sent == []


def test_creating_updating_and_deleting_a_tenant_follows_its_entra_link(app: App, local: LocalEmulator):
    ports = _ports(app)
    entra, other = new_entra_tenant(), new_entra_tenant()
    tenant = tenant_service.create_tenant(ports, TenantCreate(display_name="Fabrikam", entra_tenant_id=entra))
    app.links[tenant.id] = entra
    assert len(emulated_subscriptions(local, entra)) == 2
    app.links[tenant.id] = other
    updated = tenant_service.update_tenant(ports, tenant.id, _patch(entra_tenant_id=other), if_match=None)
    assert emulated_subscriptions(local, entra) == []
    assert len(emulated_subscriptions(local, other)) == 2
    tenant_service.delete_tenant(ports, updated, if_match=None, roles=cast(Any, _NoRoles()))
    assert emulated_subscriptions(local, other) == []
    assert app.rows.list_for_tenant(tenant.id) == []


def test_a_tenant_is_saved_even_when_graph_refuses_the_subscription(app: App, local: LocalEmulator):
    entra = new_entra_tenant()
    fault: dict[str, Any] = {"count": 1, "errorCode": "InvalidRequest", "tenantId": entra}
    requests.put(f"{local.base_url}/emulator/faults/createSubscription", json=fault, timeout=10).raise_for_status()
    tenant = tenant_service.create_tenant(_ports(app), TenantCreate(display_name="Tailspin", entra_tenant_id=entra))
    assert app.tenants.get_tenant(tenant.id).entra_tenant_id == entra
    assert app.rows.list_for_tenant(tenant.id) == []
    app.links[tenant.id] = entra
    assert app.subscriptions.keep_alive([tenant]).created == 2  # the timer catches up


def _ports(app: App) -> AdminPorts:
    unused = cast(Any, None)
    return AdminPorts(
        tenants=app.tenants,
        sites=_NoSites(),  # type: ignore[arg-type]
        connections=unused,
        images=unused,
        policies=unused,
        secrets=unused,
        directory=unused,
        network=unused,
        image_sources=unused,
        inventory=unused,
        events=app.events,
        clock=lambda: datetime.now(UTC),
        new_id=lambda: str(uuid.uuid4()),
        unique=app.unique,
        image_sets=unused,
        region_images=unused,
        spot_groups=unused,
        cloud_pcs=unused,
        windows365=unused,
        windows365_provisioning=unused,
        user_settings=unused,
        pages=unused,
        backends=TenantBackends(app.tenants, configuration_of),
        notices=unused,
        schedules=unused,
        alerts=unused,
        resolve_host=unused,
        templates=unused,
        directory_subscriptions=app.subscriptions,
    )


class _NoRoles:
    def delete_tenant_assignments(self, tenant_id: str) -> int:
        return 0


class _NoSites:
    def any_sites(self, tenant_id: str) -> bool:
        return False


def _patch(**fields: Any) -> TenantUpdate:
    return TenantUpdate.model_validate(fields)


def _deliveries(local: LocalEmulator, entra: str) -> dict[str, int]:
    reply = requests.get(f"{local.base_url}/emulator/graph/deliveries", params={"tenantId": entra}, timeout=10)
    return dict(reply.json())


def _log(local: LocalEmulator, operation: str) -> list[dict[str, Any]]:
    reply = requests.get(f"{local.base_url}/emulator/requests/log", params={"operation": operation}, timeout=10)
    return list(reply.json()["value"])
