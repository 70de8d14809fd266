"""The audit log's crash consistency on Azurite: a pending event a crash left behind is settled from what storage
shows (the stamp on the written row), once; and a failed request's event says why."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Literal

import pytest

from shared.bootstrap import Services
from shared.models.access import AuditActor, AuditRecord, Caller
from shared.models.base import utc_now
from shared.models.connections import ConnectionCreate
from shared.models.sites import Site
from shared.services.access import audit
from shared.services.access.audit import INTERRUPTED_AFTER, Target
from shared.services.configuration import connections, health_check_runs
from shared.storage.audit_events import PENDING_PREFIX
from shared.storage.change_capture import STAMP, capturing
from shared.storage.tenants import TENANT_ROW
from tests.utils.factories import VNET, site_body
from tests.utils.function_client import FunctionClient

SUBNET = f"{VNET}/subnets/cloudpcs"
ADMIN = Caller(principal_id="5d1d7a8e-0c4b-4f7e-9a51-1c6a0e3b2f10", name="admin", organization_owner=True)


def later() -> datetime:
    """A time by which every pending event saved until now counts as interrupted."""
    return utc_now() + INTERRUPTED_AFTER + timedelta(minutes=1)


def events(services: Services, tenant_id: str, activity: str | None = None) -> list[AuditRecord]:
    found, _ = services.audit_events.list_events(tenant_id, top=1000)
    return [e for e in found if activity is None or e.activity == activity]


def pending(services: Services) -> list[AuditRecord]:
    return services.audit_events.list_pending(older_than=later())


def a_site(services: Services, client: FunctionClient, tenant_id: str) -> Site:
    reply = client.post(f"/api/tenants/{tenant_id}/sites", site_body())
    assert reply.status == 201, reply.text
    return services.admin.sites.get_site(tenant_id, reply.json()["id"])


@pytest.fixture
def tenant_id(make_tenant: Callable[..., str]) -> str:
    return make_tenant()


def test_a_pending_update_whose_write_was_made_is_settled_as_success(services: Services, tenant_id: str) -> None:
    target = Target(tenant_id, "updateTenant", "tenant", tenant_id)
    event, capture = audit.begin(services.audit, ADMIN, target)
    with capturing(capture):
        tenant = services.admin.tenants.get_tenant(tenant_id)
        services.admin.tenants.upsert_tenant(tenant.model_copy(update={"display_name": "Renamed"}))
    # the crash: never settled
    assert services.storage.table("Tenants").get_entity(tenant_id, TENANT_ROW)[STAMP] == event.id
    [still] = pending(services)
    assert still.id == event.id and still.result == "pending"
    assert still.written_at == ["Tenants", tenant_id, TENANT_ROW]

    assert audit.settle_interrupted(services.audit, now=later()) == 1

    [settled] = events(services, tenant_id, "updateTenant")
    assert settled.id == event.id
    assert settled.result == "success" and settled.error_code is None
    assert settled.actor.principal_id == ADMIN.principal_id and settled.actor.name == "admin"
    assert settled.resource_type == "tenant" and settled.resource_id == tenant_id
    assert settled.written_at is None
    assert pending(services) == []


def test_a_pending_create_whose_write_was_made_is_settled_as_success(
    services: Services, client: FunctionClient, tenant_id: str
) -> None:
    site = a_site(services, client, tenant_id)
    new = site.model_copy(update={"id": "0a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d", "etag": None})
    event, capture = audit.begin(services.audit, ADMIN, Target(tenant_id, "createSite", "site"))
    with capturing(capture):
        services.admin.sites.upsert_site(new, if_none_match=True)

    assert audit.settle_interrupted(services.audit, now=later()) == 1
    [settled] = [e for e in events(services, tenant_id, "createSite") if e.id == event.id]
    assert settled.result == "success" and settled.error_code is None
    assert pending(services) == []


def test_an_announced_write_never_made_is_settled_as_interrupted(
    services: Services, client: FunctionClient, tenant_id: str
) -> None:
    site = a_site(services, client, tenant_id)
    # an update: the first write was announced, then the process stopped before it
    update, capture = audit.begin(services.audit, ADMIN, Target(tenant_id, "updateSite", "site", site.id))
    with capturing(capture):
        services.admin.sites.get_site(tenant_id, site.id)
        capture.writing(("Sites", tenant_id, site.id), {"displayName": "Never written"})
    # a create: announced, the row never written
    create, capture = audit.begin(services.audit, ADMIN, Target(tenant_id, "createSite", "site"))
    with capturing(capture):
        capture.writing(
            ("Sites", tenant_id, "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a"),
            {"id": "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a", "displayName": "Never written"},
        )
    # a delete: announced, the row still there
    delete, capture = audit.begin(services.audit, ADMIN, Target(tenant_id, "deleteSite", "site", site.id))
    with capturing(capture):
        capture.writing(("Sites", tenant_id, site.id), None)
    assert {p.id: p.written_at for p in pending(services)} == {
        update.id: ["Sites", tenant_id, site.id],
        create.id: ["Sites", tenant_id, "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a"],
        delete.id: ["Sites", tenant_id, site.id],
    }

    assert audit.settle_interrupted(services.audit, now=later()) == 3

    settled = {e.id: e for e in events(services, tenant_id)}
    for event in (update, create, delete):
        assert settled[event.id].result == "failure", settled[event.id]
        assert settled[event.id].error_code == "interrupted"
        assert settled[event.id].changes == []
    assert services.admin.sites.find_site(tenant_id, site.id) is not None


def test_a_pending_event_with_no_write_at_all_is_settled_as_failure(services: Services, tenant_id: str) -> None:
    event, _ = audit.begin(services.audit, ADMIN, Target(tenant_id, "rebootCloudPc", "cloudPC", "pc-1"))
    assert audit.settle_interrupted(services.audit, now=later()) == 1
    [settled] = events(services, tenant_id, "rebootCloudPc")
    assert (settled.id, settled.result, settled.error_code) == (event.id, "failure", "interrupted")
    assert settled.resource_type == "cloudPC" and settled.resource_id == "pc-1"


def test_a_pending_delete_that_happened_is_settled_as_success(
    services: Services, client: FunctionClient, tenant_id: str
) -> None:
    site = a_site(services, client, tenant_id)
    event, capture = audit.begin(services.audit, ADMIN, Target(tenant_id, "deleteSite", "site", site.id))
    with capturing(capture):
        services.admin.sites.delete_site(tenant_id, site.id)
    assert services.admin.sites.find_site(tenant_id, site.id) is None

    assert audit.settle_interrupted(services.audit, now=later()) == 1
    [settled] = events(services, tenant_id, "deleteSite")
    assert (settled.id, settled.result, settled.error_code) == (event.id, "success", None)
    assert settled.resource_id == site.id


def test_a_write_another_request_made_later_does_not_count_as_this_ones(
    services: Services, client: FunctionClient, tenant_id: str
) -> None:
    """The stamp names the request that wrote the row last: a crash before the write, then someone else's write
    of the same row, leaves the crashed request's event a failure."""
    site = a_site(services, client, tenant_id)
    crashed, capture = audit.begin(services.audit, ADMIN, Target(tenant_id, "updateSite", "site", site.id))
    with capturing(capture):
        capture.writing(("Sites", tenant_id, site.id), {"displayName": "The crashed change"})
    renamed = client.patch(f"/api/tenants/{tenant_id}/sites/{site.id}", {"displayName": "Someone else"})
    assert renamed.status == 200, renamed.text

    assert audit.settle_interrupted(services.audit, now=later()) == 1
    settled = {e.id: e for e in events(services, tenant_id, "updateSite")}
    assert settled[crashed.id].result == "failure" and settled[crashed.id].error_code == "interrupted"
    [other] = [e for e in settled.values() if e.id != crashed.id]
    assert other.result == "success"


def test_a_change_that_happened_stays_a_success_after_a_background_write_of_its_row(
    services: Services, client: FunctionClient, tenant_id: str
) -> None:
    site = a_site(services, client, tenant_id)
    event, capture = audit.begin(services.audit, ADMIN, Target(tenant_id, "createConnection", "connection"))
    body = {"displayName": "Entra HQ", "siteId": site.id, "connectionType": "azureADJoin", "subnetId": SUBNET}
    with capturing(capture):
        created = connections.create_connection(services.admin, tenant_id, ConnectionCreate.model_validate(body))
    # the crash: never settled; the health-check orchestration starts on the new row as it would after a create
    assert health_check_runs.mark_checks_running(services.admin, tenant_id, created.id, created.health_check_run)
    assert services.admin.connections.find_connection(tenant_id, created.id) is not None

    assert audit.settle_interrupted(services.audit, now=later()) == 1
    [settled] = [e for e in events(services, tenant_id) if e.id == event.id]
    assert (settled.result, settled.error_code) == ("success", None)


def test_younger_pending_events_are_left_alone_and_each_is_settled_once(services: Services, tenant_id: str) -> None:
    first, _ = audit.begin(services.audit, ADMIN, Target(tenant_id, "rebootCloudPc", "cloudPC", "pc-1"))
    second, _ = audit.begin(services.audit, ADMIN, Target(tenant_id, "powerOnCloudPc", "cloudPC", "pc-1"))

    # still within any request's running time: maybe under way, so not settled
    assert audit.settle_interrupted(services.audit) == 0
    assert audit.settle_interrupted(services.audit, now=utc_now() + INTERRUPTED_AFTER - timedelta(minutes=1)) == 0
    assert {p.id for p in pending(services)} == {first.id, second.id}
    assert events(services, tenant_id, "rebootCloudPc") == []

    now = later()
    assert audit.settle_interrupted(services.audit, now=now) == 2
    assert audit.settle_interrupted(services.audit, now=now) == 0
    assert audit.settle_interrupted(services.audit, now=now + timedelta(hours=1)) == 0
    logged = [e for e in events(services, tenant_id) if e.id in (first.id, second.id)]
    assert sorted(e.id for e in logged) == sorted([first.id, second.id])
    assert pending(services) == []


def test_each_tenant_keeps_its_pending_events_apart_and_the_sweep_finds_all(
    services: Services, make_tenant: Callable[..., str]
) -> None:
    tenants = [make_tenant(), make_tenant()]
    started = [audit.begin(services.audit, ADMIN, Target(t, "rebootCloudPc", "cloudPC", "pc-1"))[0] for t in tenants]
    # one partition per tenant: no single partition takes every audited write of the whole service
    table = services.storage.table("AuditEvents")
    for tenant, event in zip(tenants, started, strict=True):
        [row] = table.query_entities("PartitionKey eq @p", parameters={"p": PENDING_PREFIX + tenant})
        assert row["id"] == event.id

    assert {p.id for p in started} <= {p.id for p in pending(services)}
    audit.settle_interrupted(services.audit, now=later())
    for tenant, event in zip(tenants, started, strict=True):
        assert [e.id for e in events(services, tenant, "rebootCloudPc")] == [event.id]
        assert list(table.query_entities("PartitionKey eq @p", parameters={"p": PENDING_PREFIX + tenant})) == []


def test_settling_again_after_a_crash_between_its_two_writes_leaves_one_event(
    services: Services, tenant_id: str
) -> None:
    """settle writes the event, then drops the pending record: a crash between leaves both, and the next sweep
    writes the same event again rather than a second one."""
    event, _ = audit.begin(services.audit, ADMIN, Target(tenant_id, "rebootCloudPc", "cloudPC", "pc-1"))
    [stale] = pending(services)
    services.audit_events.insert_event(stale.model_copy(update={"result": "failure", "error_code": "interrupted"}))

    assert audit.settle_interrupted(services.audit, now=later()) == 1
    assert [e.id for e in events(services, tenant_id, "rebootCloudPc")] == [event.id]
    assert pending(services) == []


def test_a_request_that_fails_leaves_one_failure_event_with_its_error_code(
    services: Services, client: FunctionClient, tenant_id: str
) -> None:
    reply = client.post(f"/api/tenants/{tenant_id}/sites", site_body(regionName="atlantis"))
    assert reply.status == 400, reply.text
    code = reply.error_code
    assert code

    [event] = events(services, tenant_id, "createSite")
    assert event.result == "failure" and event.error_code == code
    assert event.changes == []
    assert event.resource_type == "site" and event.resource_id is None
    assert event.actor.name == "admin"
    assert pending(services) == []
    assert services.admin.sites.list_all_sites(tenant_id) == []


def test_a_request_that_succeeds_is_settled_at_once_with_its_changes(
    services: Services, client: FunctionClient, tenant_id: str
) -> None:
    site = a_site(services, client, tenant_id)
    reply = client.patch(f"/api/tenants/{tenant_id}/sites/{site.id}", {"displayName": "North Europe"})
    assert reply.status == 200, reply.text

    assert pending(services) == []
    [event] = events(services, tenant_id, "updateSite")
    assert event.result == "success" and event.resource_id == site.id
    assert event.resource_display_name == "North Europe"
    assert [(c.field, c.old_value, c.new_value) for c in event.changes] == [
        ("displayName", "West Europe", "North Europe")
    ]
    stored = services.storage.table("Sites").get_entity(tenant_id, site.id)
    assert stored[STAMP] == event.id


def test_events_imported_from_windows_365_are_found_by_id_from_a_time_on(services: Services, tenant_id: str) -> None:
    now = utc_now()

    def imported(event_id: str, at: datetime, source: Literal["app", "windows365"] = "windows365") -> None:
        services.audit_events.insert_event(
            AuditRecord(
                id=event_id,
                tenant_id=tenant_id,
                activity_date_time=at,
                actor=AuditActor(principal_id=ADMIN.principal_id, name=ADMIN.name),
                actor_id=ADMIN.principal_id,
                activity="rebootCloudPc",
                resource_type="cloudPc",
                result="success",
                source=source,
            )
        )

    imported("windows365-old", now - timedelta(days=2))
    imported("windows365-new", now - timedelta(hours=1))
    imported("windows365-now", now)
    imported("app-event", now, source="app")
    found = services.audit_events.ids_since(tenant_id, "windows365", now - timedelta(days=1))
    assert found == {"windows365-new", "windows365-now"}
