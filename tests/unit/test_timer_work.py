"""The timers that fan out: what each queues for a given set of rows (reading only the keys and the columns it judges
by), the work of a tick dropped once its timer has ticked again, and each message handed to its work's handler."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import azure.durable_functions as df
import azure.functions as func
import pytest
import requests
from azure.core.exceptions import ServiceResponseTimeoutError

import triggers.timer_work as timer_work_trigger
from shared.events import TimerWork, TimerWorkName
from shared.models.connections import Connection
from shared.models.tenants import ReclaimRule, Tenant
from shared.ports.bundles import TimerWorkPorts
from shared.ports.cloud_errors import CloudError, CloudThrottled
from shared.services.backends.backend_choice import BACKENDS
from shared.services.configuration import connections
from shared.services.engine.timer_work import is_stale, queue_due, recheck_before
from shared.settings import Settings
from shared.storage.connections import ConnectionRepository
from shared.storage.entity_codec import EntityCodec
from shared.storage.spot_groups import SpotGroupRepository
from shared.storage.table_service import TableStorage
from shared.storage.tenants import TenantRepository
from tests.fakes import Fakes
from tests.fakes.tables import MemoryTable, MemoryTableService, memory_storage

TICK = datetime(2026, 11, 26, 10, 5, 0, 120000, tzinfo=UTC)  # a 5-minute timer's tick, a moment late
FIVE_MINUTES, SIX_HOURS = "0 */5 * * * *", "0 0 */6 * * *"
RULE_ON = ReclaimRule(enabled=True, unused_days=30, notice_days=14, email_user=False)


@dataclass
class ListQueue:
    sent: list[tuple[str, str, str | None, datetime]] = field(default_factory=list)
    delays: list[float] = field(default_factory=list)

    def enqueue_timer_work(
        self, work: TimerWorkName, tenant_id: str, subject_id: str | None, tick: datetime, delay_s: float = 0.0
    ) -> None:
        TimerWork(work=work, tenant_id=tenant_id, subject_id=subject_id, tick=tick)  # what the queue's adapter sends
        self.sent.append((work, tenant_id, subject_id, tick))
        self.delays.append(delay_s)


@dataclass
class Tables:
    storage: TableStorage
    ports: TimerWorkPorts
    queue: ListQueue
    selected: list[list[str] | None]  # what each query read of its rows


@pytest.fixture
def tables(monkeypatch: pytest.MonkeyPatch) -> Tables:
    storage = memory_storage(MemoryTableService())
    queue = ListQueue()
    ports = TimerWorkPorts(
        spot_groups=SpotGroupRepository(storage),
        tenants=TenantRepository(storage),
        connections=ConnectionRepository(storage),
        queue=queue,
        watched_backends=["azure"],
    )
    selected: list[list[str] | None] = []
    for name in ("query_entities", "list_entities"):
        read = getattr(MemoryTable, name)

        def spy(self: MemoryTable, *args: Any, _read: Any = read, **kwargs: Any) -> Any:
            selected.append(kwargs.get("select"))
            return _read(self, *args, **kwargs)

        monkeypatch.setattr(MemoryTable, name, spy)
    return Tables(storage, ports, queue, selected)


def tenant(tenant_id: str, **fields: Any) -> Tenant:
    return Tenant(id=tenant_id, display_name=tenant_id, created_date_time=TICK, last_modified_date_time=TICK, **fields)


def connection(tenant_id: str, connection_id: str, changed: datetime) -> Connection:
    return Connection.model_validate(
        {
            "id": connection_id,
            "tenant_id": tenant_id,
            "display_name": connection_id,
            "site_id": "s",
            "connection_type": "azureADJoin",
            "subscription_id": "sub",
            "resource_group_name": "rg",
            "region_name": "westeurope",
            "created_date_time": changed,
            "last_modified_date_time": changed,
        }
    )


def test_the_optimization_queues_each_ready_group_reading_only_keys(tables: Tables) -> None:
    groups = tables.storage.table("SpotGroups")
    for tenant_id, group_id, status in [
        ("t1", "g1", "ready"),
        ("t1", "g2", "deploying"),
        ("t2", "g3", "ready"),
        ("t2", "g4", "removing"),
        ("t3", "g5", "ready"),
    ]:
        groups.upsert_entity({"PartitionKey": tenant_id, "RowKey": group_id, "status": status, "name": group_id})
    assert queue_due(tables.ports, "optimizeSpotGroup", TICK, FIVE_MINUTES) == 3
    assert tables.queue.sent == [
        ("optimizeSpotGroup", "t1", "g1", TICK),
        ("optimizeSpotGroup", "t2", "g3", TICK),
        ("optimizeSpotGroup", "t3", "g5", TICK),
    ]
    assert tables.selected == [["PartitionKey", "RowKey"]]


def test_the_use_watch_queues_each_azure_tenant_and_the_reclaim_rule_each_tenant_that_turned_it_on(
    tables: Tables,
) -> None:
    # the backends say whose use the app watches: azure's (Windows 365 keeps its own running)
    assert [name for name, backend in BACKENDS.items() if backend.cloud_pcs.watches_use] == ["azure"]
    repo = TenantRepository(tables.storage)
    repo.upsert_tenant(tenant("a1", reclaim=RULE_ON))
    repo.upsert_tenant(tenant("a2", reclaim=RULE_ON.model_copy(update={"enabled": False})))
    repo.upsert_tenant(tenant("w1", cloud_pc_backend="windows365", reclaim=RULE_ON))
    repo.upsert_tenant(tenant("w2", cloud_pc_backend="windows365"))
    older = EntityCodec(Tenant).to_entity(tenant("a3"), "a3", "tenant")
    del older["cloudPcBackend"]
    tables.storage.table("Tenants").upsert_entity(older)

    assert queue_due(tables.ports, "watchCloudPcUse", TICK, FIVE_MINUTES) == 3
    assert queue_due(tables.ports, "reclaimUnused", TICK, "0 0 * * * *") == 2
    assert tables.queue.sent == [
        ("watchCloudPcUse", "a1", None, TICK),
        ("watchCloudPcUse", "a2", None, TICK),
        ("watchCloudPcUse", "a3", None, TICK),  # saved before the backend was chosen: the app's own
        ("reclaimUnused", "a1", None, TICK),
        ("reclaimUnused", "w1", None, TICK),
    ]
    assert tables.selected == [["PartitionKey", "cloudPcBackend"], ["PartitionKey", "reclaim"]]
    tables.queue.sent.clear()
    assert queue_due(tables.ports, "mendCloudPcCopies", TICK, "0 45 2 * * *") == 5  # every tenant's copies
    assert {tenant_id for _, tenant_id, _, _ in tables.queue.sent} == {"a1", "a2", "a3", "w1", "w2"}
    assert tables.selected[-1] == ["PartitionKey"]


def test_the_health_checks_are_queued_for_the_connections_unchanged_for_half_a_period(tables: Tables) -> None:
    repo = ConnectionRepository(tables.storage)
    since = recheck_before(TICK, SIX_HOURS)
    assert since == TICK - timedelta(hours=3)
    repo.upsert_connection(connection("t1", "checked-last-tick", TICK - timedelta(hours=5, minutes=55)))
    repo.upsert_connection(connection("t1", "changed-an-hour-ago", TICK - timedelta(hours=1)))
    repo.upsert_connection(connection("t2", "a-day-old", TICK - timedelta(days=1)))
    assert queue_due(tables.ports, "recheckConnection", TICK, SIX_HOURS) == 2
    assert tables.queue.sent == [
        ("recheckConnection", "t1", "checked-last-tick", TICK),
        ("recheckConnection", "t2", "a-day-old", TICK),
    ]
    assert tables.selected == [["PartitionKey", "RowKey"]]


def test_nothing_due_queues_nothing(tables: Tables) -> None:
    for work in ("optimizeSpotGroup", "watchCloudPcUse", "reclaimUnused", "recheckConnection", "mendCloudPcCopies"):
        assert queue_due(tables.ports, work, TICK, FIVE_MINUTES) == 0
    assert tables.queue.sent == []


def test_a_tick_is_stale_once_its_timer_has_ticked_again() -> None:
    assert not is_stale(TICK, FIVE_MINUTES, TICK + timedelta(minutes=4, seconds=59))
    assert is_stale(TICK, FIVE_MINUTES, datetime(2026, 11, 26, 10, 10, tzinfo=UTC))
    assert not is_stale(TICK, SIX_HOURS, TICK + timedelta(hours=1))


# the queue trigger, with the work's domain functions replaced by recorders


@dataclass
class Recorded:
    calls: list[tuple[str, tuple[Any, ...]]] = field(default_factory=list)
    started: list[tuple[str, str]] = field(default_factory=list)
    queue: ListQueue = field(default_factory=ListQueue)  # the shares queued again


class RecordingClient:
    def __init__(self, recorded: Recorded) -> None:
        self._recorded = recorded


def dispatcher(monkeypatch: pytest.MonkeyPatch, now: datetime) -> tuple[Any, Recorded]:
    recorded = Recorded()

    def recorder(name: str, answer: Any) -> Any:
        def record(*args: Any, **kwargs: Any) -> Any:
            # a host that an earlier tier's test left in this worker's process may still run its own work through
            # the modules these replace, with its own ports: only calls with this test's stand-in ports count
            if not args or isinstance(args[0], SimpleNamespace):
                recorded.calls.append((name, args[1:] + tuple(kwargs.values())))
            return answer

        return record

    nothing = SimpleNamespace(start=[], stop=[], scale=[], follow=[], decisions=[])
    monkeypatch.setattr(timer_work_trigger.spot_group_power, "optimize", recorder("optimize", nothing))
    monkeypatch.setattr(timer_work_trigger.personal_power, "apply_personal_power", recorder("personal", nothing))
    monkeypatch.setattr(timer_work_trigger.spot_group_hosts, "repair", recorder("repair", []))
    monkeypatch.setattr(timer_work_trigger.reclaim, "reclaim_unused", recorder("reclaim", {}))
    monkeypatch.setattr(timer_work_trigger.connections, "recheck", recorder("recheck", None))

    async def start_all(client: Any, name: str, starts: list[Any]) -> int:
        recorded.started += [(name, instance) for instance, _ in starts]
        return len(starts)

    monkeypatch.setattr(timer_work_trigger, "start_all", start_all)
    group = SimpleNamespace(status="ready", name="g1")
    backend = SimpleNamespace(watch_use=recorder("watch", SimpleNamespace(sleeps=[], woken=0)))

    def mend(tenant_id: str) -> int:
        recorded.calls.append(("mend", (tenant_id,)))
        return 0

    engine = SimpleNamespace(
        clock=lambda: now,
        backends=SimpleNamespace(of_tenant=lambda tenant: backend),
        cloud_pcs=SimpleNamespace(mend_copies=mend),
    )
    ports = SimpleNamespace(
        tenants=SimpleNamespace(find_tenant=lambda tenant_id: tenant(tenant_id)), queue=recorded.queue
    )
    spot_groups = SimpleNamespace(spot_groups=SimpleNamespace(find_spot_group=lambda t, g: group))
    # the timers' schedules as the test knows them, whatever another test left in the environment
    settings = Settings(
        spot_optimize_schedule="0 */5 * * * *",
        use_watch_schedule="0 */5 * * * *",
        reclaim_schedule="0 0 * * * *",
        health_check_schedule="0 0 */6 * * *",
    )
    bp = timer_work_trigger.blueprint(settings, ports, SimpleNamespace(), engine, spot_groups)  # type: ignore[arg-type]
    app = df.DFApp()
    app.register_functions(bp)
    [handler] = [f.get_user_function() for f in app.get_functions() if f.get_function_name() == "timerWork"]
    return getattr(handler, "__wrapped__", handler), recorded


def deliver(handler: Any, recorded: Recorded, work: TimerWorkName, subject_id: str | None) -> None:
    body = TimerWork(work=work, tenant_id="t1", subject_id=subject_id, tick=TICK).model_dump_json(by_alias=True)
    message = func.QueueMessage(body=body.encode())
    asyncio.run(handler(message=message, client=RecordingClient(recorded), context=None))


def test_each_message_goes_to_its_works_domain_functions_at_its_tick(monkeypatch: pytest.MonkeyPatch) -> None:
    handler, recorded = dispatcher(monkeypatch, TICK + timedelta(minutes=1))
    deliver(handler, recorded, "optimizeSpotGroup", "g1")
    assert [name for name, _ in recorded.calls] == ["optimize", "personal", "repair"]
    assert all(TICK in args for _, args in recorded.calls)  # decided as at the tick, not when taken
    recorded.calls.clear()
    deliver(handler, recorded, "watchCloudPcUse", None)
    deliver(handler, recorded, "reclaimUnused", None)
    deliver(handler, recorded, "recheckConnection", "c1")
    deliver(handler, recorded, "mendCloudPcCopies", None)
    (watch, watched), (reclaim, reclaimed), (recheck, rechecked), mend = recorded.calls
    assert (watch, watched) == ("watch", ("t1", TICK))
    assert (reclaim, reclaimed[0].id) == ("reclaim", "t1")
    assert (recheck, rechecked) == ("recheck", ("t1", "c1", recheck_before(TICK, SIX_HOURS)))
    assert mend == ("mend", ("t1",))


def test_a_message_taken_after_its_timer_ticked_again_is_dropped(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    handler, recorded = dispatcher(monkeypatch, TICK + timedelta(minutes=5))
    for work, subject in [("optimizeSpotGroup", "g1"), ("watchCloudPcUse", None), ("reclaimUnused", None)]:
        deliver(handler, recorded, work, subject)  # type: ignore[arg-type]
    assert [name for name, _ in recorded.calls] == ["reclaim"]  # its timer is hourly: its tick is still current
    assert [r.getMessage() for r in caplog.records if "dropped" in r.getMessage()] == [
        f"{work} of t1 {subject or ''} at {TICK.isoformat()} dropped: its timer has ticked since"
        for work, subject in [("optimizeSpotGroup", "g1"), ("watchCloudPcUse", None)]
    ]


def test_a_service_that_did_not_answer_or_throttled_holds_the_share_with_a_warning_and_no_traceback(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    handler, recorded = dispatcher(monkeypatch, TICK + timedelta(minutes=1))
    call = requests.Request("GET", "https://management.azure.com/subscriptions/s1/resources").prepare()
    silent = ServiceResponseTimeoutError("Read timed out.", error=requests.exceptions.ReadTimeout(request=call))
    throttled = CloudThrottled("reclaim", 45.0, reason="Microsoft Graph said not now (TooManyRequests)")
    for raised in (silent, throttled):

        def held(*args: Any, exc: Exception = raised) -> None:
            raise exc

        monkeypatch.setattr(timer_work_trigger.reclaim, "reclaim_unused", held)
        deliver(handler, recorded, "reclaimUnused", None)  # no failure for the queue to retry at once
    assert recorded.queue.sent == [("reclaimUnused", "t1", None, TICK)] * 2  # the same tick's share, later
    assert recorded.queue.delays == [30.0, 45.0]
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING and "held" in r.getMessage()]
    assert [r.getMessage() for r in warnings] == [
        f"reclaimUnused of t1  at {TICK.isoformat()} held: management.azure.com did not answer; tried again in 30 s",
        f"reclaimUnused of t1  at {TICK.isoformat()} held: Microsoft Graph said not now (TooManyRequests); "
        "tried again in 45 s",
    ]
    assert not [r for r in caplog.records if r.exc_info]


def test_a_refusal_still_fails_the_share(monkeypatch: pytest.MonkeyPatch) -> None:
    handler, recorded = dispatcher(monkeypatch, TICK + timedelta(minutes=1))

    def refused(*args: Any) -> None:
        raise CloudError("reclaim", "Authorization_RequestDenied", "Insufficient privileges")

    monkeypatch.setattr(timer_work_trigger.reclaim, "reclaim_unused", refused)
    with pytest.raises(CloudError):
        deliver(handler, recorded, "reclaimUnused", None)
    assert recorded.queue.sent == []


def test_a_connection_is_checked_once_for_a_tick_however_often_its_message_comes() -> None:
    fakes = Fakes(TICK)
    ports = fakes.admin_ports()
    fakes.connections.upsert_connection(connection("t1", "c1", TICK - timedelta(hours=6)))
    since = recheck_before(TICK, SIX_HOURS)
    first = connections.recheck(ports, "t1", "c1", unchanged_since=since)
    assert first is not None and first.health_check_run == 1
    assert connections.recheck(ports, "t1", "c1", unchanged_since=since) is None  # delivered again: changed at the tick
    assert fakes.connections.get_connection("t1", "c1").health_check_run == 1
    assert connections.recheck(ports, "t1", "gone", unchanged_since=since) is None
